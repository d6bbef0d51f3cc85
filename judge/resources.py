"""The files that ship with judge: rubrics, judge prompts, datasets and the starter judge.toml.

They live at the top of the repository (people edit them there); the build maps them into the
wheel as `judge/_data/<name>/` (see pyproject.toml). Every other module finds them through
`data_dir`, so an installed wheel and a checkout behave the same.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from judge.errors import ConfigError

BUNDLED = ("rubrics", "prompts", "datasets")


def data_dir(name: str) -> Path:
    """The bundled folder `name` (one of BUNDLED), from the installed package or the checkout."""
    if name not in BUNDLED:
        raise ValueError(f"unknown bundled folder {name!r}; one of {', '.join(BUNDLED)}")
    packaged = Path(str(files("judge").joinpath("_data", name)))
    if packaged.is_dir():
        return packaged
    # An editable install or a run from the checkout: the package is judge/ beside the folders.
    source = Path(str(files("judge"))).parent / name
    if source.is_dir():
        return source
    raise ConfigError([f"{packaged}: the bundled {name}/ folder is missing (reinstall judge)"])


def template(name: str = "judge.toml") -> Path:
    """A starter file shipped inside the package (`judge init` copies it)."""
    return Path(str(files("judge").joinpath("templates", name)))
