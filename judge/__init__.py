"""judge: a bilingual (Russian/English) LLM-as-judge for comparing local models.

Each stage meets the others only in the DuckDB store: config -> generate -> store -> grade ->
store -> report. The stages are `judge.generate.generate` and `judge.grade.grade` (modules of the
same name, so they are not re-exported here).
"""

__version__ = "0.1.0"

__all__ = [
    "Store",
    "__version__",
    "build_report",
    "load_config",
    "load_items",
    "load_rubric",
    "render",
]


def __getattr__(name: str):
    if name == "load_config":
        from judge.config import load_config

        return load_config
    if name == "load_items":
        from judge.dataset import load_items

        return load_items
    if name == "load_rubric":
        from judge.rubric import load_rubric

        return load_rubric
    if name in ("build_report", "render"):
        from . import report

        return getattr(report, name)
    if name == "Store":
        from judge.store import Store

        return Store
    raise AttributeError(f"module 'judge' has no attribute {name!r}")
