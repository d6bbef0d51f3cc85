"""`judge init`: a starter project made of the bundled rubrics, prompts, datasets and judge.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from judge.errors import ConfigError
from judge.resources import data_dir, template


def init_project(target: str | Path, *, force: bool = False) -> list[Path]:
    """Write a starter project: a commented judge.toml, the bundled rubrics, prompts and datasets."""
    target = Path(target)
    cfg = target / "judge.toml"
    if cfg.exists() and not force:
        raise ConfigError([f"{cfg}: already exists (use --force to overwrite the starter files)"])
    target.mkdir(parents=True, exist_ok=True)
    written = [cfg]
    shutil.copyfile(template(), cfg)
    for folder, pattern in (("rubrics", "*.yaml"), ("prompts", "*.j2"), ("datasets", "*.jsonl")):
        (target / folder).mkdir(exist_ok=True)
        for src in sorted(data_dir(folder).glob(pattern)):
            dst = target / folder / src.name
            shutil.copyfile(src, dst)
            written.append(dst)
    for folder in ("rubrics", "datasets"):
        doc = data_dir(folder) / "README.md"
        if doc.exists():
            shutil.copyfile(doc, target / folder / doc.name)
            written.append(target / folder / doc.name)
    return written
