"""`judge probe`: planted-error sensitivity of the judge, with a progress bar and the results table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .app import ConfigOpt, ProgressOpt, Tracker, app, err, out, split_names
from .run import fail_on_unfinished

if TYPE_CHECKING:
    from judge.probe.run import ProbeSummary


def _doses(text: str) -> list[int]:
    from judge.errors import ConfigError

    try:
        return [int(x) for x in split_names(text) or []]
    except ValueError:
        raise ConfigError([f"--doses: {text!r} is not a comma-separated list of whole numbers"]) from None


@app.command()
def probe(
    config: ConfigOpt = Path("judge.toml"),
    source: Annotated[
        str,
        typer.Option(help="Clean texts: `references` (the dataset's reference texts) or a model's stored answers."),
    ] = "references",
    rubric: Annotated[
        Optional[str], typer.Option("--rubric", "-r", help="Comma-separated rubric names (default: all configured).")
    ] = None,
    operators: Annotated[
        Optional[str], typer.Option(help="Comma-separated operators (default: all for each text's language).")
    ] = None,
    doses: Annotated[str, typer.Option(help="Edits per corrupted copy, comma-separated.")] = "1,3,6",
    limit: Annotated[Optional[int], typer.Option(help="Clean texts per language.", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the corruptions (part of each item's key).")] = 0,
    concurrency: Annotated[Optional[int], typer.Option(help="Judge requests in flight.", min=1)] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Grade again the probe items stored as errors.")
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """Measure whether the judge notices planted errors: grade clean texts and copies with errors planted.

    Each clean text is graded once, and each copy made by an operator (agreement, spelling,
    wrong_number, ...) at each dose, with the same rubric. p_detect is how often the copy scores
    lower than the clean text (ties count half; 0.5 is chance); p_raise, for the neutral operators
    (padding, markdown), how often it scores higher (length and style bias). Stored items are not
    graded again: a rerun does only what is missing.

    Example: judge probe --rubric russian_fluency --operators agreement,case --limit 40
    """
    from judge.config import load_config
    from judge.probe.run import probe as run

    cfg = load_config(config)
    with Tracker("probe", progress) as t:
        s = run(
            cfg,
            source=source,
            rubrics=split_names(rubric),
            operators=split_names(operators),
            doses=_doses(doses),
            limit=limit,
            seed=seed,
            concurrency=concurrency,
            retry_errors=retry_errors,
            argv=sys.argv[1:],
            on_plan=t.on_plan,
            on_done=t.on_done,
        )
    err.print(
        f"probe: {s.texts} clean texts, {s.ok} items graded, {s.errors} errors, {s.skipped} already stored"
        f" ({s.no_place} copies the operators found no place for, {s.not_applicable} text x rubric not applicable;"
        f" run {s.run_id})",
        markup=False,
    )
    _print_results(cfg.db_path, s)
    fail_on_unfinished(
        s,
        "probe items",
        "grade them again with: judge probe --retry-errors",
        "see them with: judge sql \"SELECT rubric, operator, dose, error FROM probe_pairs WHERE status = 'error'\"",
    )


def _pct(v: Any) -> str:
    return "" if v is None else f"{v:.2f}"


def _print_results(db: Path, s: ProbeSummary) -> None:
    from rich.table import Table

    from judge.probe.summary import detection, raising, reference_dose, results
    from judge.store import Store

    with Store.open_readonly(db) as store:
        rows = results(store, s.judge, s.rubrics)
    if not rows:
        err.print("probe: no pair of clean and corrupted verdicts where both scored: nothing to show")
        return
    t = Table(title=f"probe_results: judge {s.judge} (p_detect 0.5 = chance; 95 % CI)")
    for col in ("rubric", "criterion", "lang", "operator", "dose", "n", "p_detect [lo, hi]", "mean_drop", "p_raise"):
        t.add_column(col, justify="right" if col in ("dose", "n", "mean_drop", "p_raise") else "left")
    for r in rows:
        ci = f" [{_pct(r['lo'])}, {_pct(r['hi'])}]" if r["lo"] is not None else " [no CI]"
        t.add_row(
            r["rubric"],
            r["criterion"],
            r["lang"],
            r["operator"],
            str(r["dose"]),
            str(r["n"]),
            _pct(r["p_detect"]) + ci,
            f"{r['mean_drop']:+.2f}",
            _pct(r["p_raise"]),
        )
    out.print(t)
    dose = reference_dose(rows)
    if dose is None:
        return
    judged = detection(rows, dose)
    missed = sorted(name for name, ok in judged.items() if not ok)
    if missed:
        line = (
            f"fails to detect at dose {dose} (95 % CI of p_detect reaches 0.5 on every criterion): {', '.join(missed)}"
        )
    elif judged:
        line = f"detects every error operator probed at dose {dose} (95 % CI of p_detect above 0.5 on some criterion)"
    else:
        line = f"no error operator has a CI at dose {dose}: nothing to say about detection"
    out.print(line, markup=False, highlight=False)
    biased = raising(rows, dose)
    if biased:
        out.print(
            f"raises scores at dose {dose} (p_raise above 0.5): {', '.join(biased)}", markup=False, highlight=False
        )
