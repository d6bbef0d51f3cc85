"""Files that ship with judge (rubrics, prompts, datasets) and `judge init`, which copies them."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import ConfigError

PACKAGE = Path(__file__).resolve().parent
# The repository (or an editable install) keeps rubrics/, prompts/ and datasets/ beside the package.
ROOT = PACKAGE.parent
TEMPLATE = PACKAGE / "templates" / "judge.toml"


def data_dir(name: str) -> Path:
    path = ROOT / name
    if not path.is_dir():
        raise ConfigError([f"{path}: the bundled {name}/ folder is missing (install judge from its repository)"])
    return path


def init_project(target: str | Path, *, force: bool = False) -> list[Path]:
    """Write a starter project: a commented judge.toml, the bundled rubrics, prompts and datasets."""
    target = Path(target)
    cfg = target / "judge.toml"
    if cfg.exists() and not force:
        raise ConfigError([f"{cfg}: already exists (use --force to overwrite the starter files)"])
    target.mkdir(parents=True, exist_ok=True)
    written = [cfg]
    shutil.copyfile(TEMPLATE, cfg)
    for folder, pattern in (("rubrics", "*.yaml"), ("prompts", "*.j2"), ("datasets", "*.jsonl")):
        (target / folder).mkdir(exist_ok=True)
        for src in sorted(data_dir(folder).glob(pattern)):
            dst = target / folder / src.name
            shutil.copyfile(src, dst)
            written.append(dst)
    for doc in ("rubrics/README.md", "datasets/README.md"):
        if (ROOT / doc).exists():
            shutil.copyfile(ROOT / doc, target / doc)
            written.append(target / doc)
    return written
