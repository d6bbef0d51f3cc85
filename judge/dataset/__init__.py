"""Datasets: the item model, the one JSONL reader, importers (MT-Bench, Arena-Hard) and statistics."""

from .items import (
    CATEGORIES,
    DIFFICULTIES,
    LANGS,
    AnswerSpec,
    Bounds,
    Constraints,
    FileCheck,
    Item,
    LoadedItem,
    check_files,
    dataset_stats,
    load_items,
    load_located,
)
from .jsonl import MAX_DEPTH, MAX_LINE_BYTES, read_objects

__all__ = [
    "CATEGORIES",
    "DIFFICULTIES",
    "LANGS",
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
    "AnswerSpec",
    "Bounds",
    "Constraints",
    "FileCheck",
    "Item",
    "LoadedItem",
    "check_files",
    "dataset_stats",
    "load_items",
    "load_located",
    "read_objects",
]
