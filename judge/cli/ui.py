"""`judge ui`: the linguists' web page (edit rubrics, try them, read verdicts, label, agreement)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import ConfigOpt, app, err


@app.command("ui")
def ui(
    config: ConfigOpt = Path("judge.toml"),
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        Optional[str],
        typer.Option(help="Access token every request must carry (default: $JUDGE_UI_TOKEN); open /?token=... once."),
    ] = None,
) -> None:
    """Serve the web page for linguists: rubric editor (RU | EN side by side, live check, try with the
    judge, save keeping comments), verdicts, blind labeling by keyboard, agreement with the judge.

    Binds to 127.0.0.1 by default. While `judge grade` writes the database, pages show the last copy
    (marked "as of") and labels are queued, then written when the database is free.

    Example: judge ui --config judge.toml --port 8765   (then open http://127.0.0.1:8765)
    """
    from judge.config import load_config
    from judge.ui.server import require_web_extra, resolve_token, run_ui

    require_web_extra()
    resolve_token(token, host)  # refuse a bad bind before the config is read
    cfg = load_config(config)
    err.print(f"judge ui: http://{host}:{port}  (Ctrl-C to stop)", markup=False, highlight=False)
    run_ui(cfg, host=host, port=port, token=token)
