"""The report: a typed model built from the store's aggregates, then terminal / Markdown / HTML / JSON."""

from .build import DEMO_NOTE, build_report, render, variant_differences
from .model import Report

__all__ = ["DEMO_NOTE", "Report", "build_report", "render", "variant_differences"]
