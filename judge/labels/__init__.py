"""Labels from linguists: a blind sample of graded answers out (`export`), their scores back in (`importer`).

The agreement of each judge with these labels is computed by the report (`judge.report.human`).
"""

from .export import DEFAULT_PER_STRATUM, ExportSummary, export_labels
from .files import COLUMNS, out_paths
from .importer import ImportSummary, import_labels

__all__ = [
    "COLUMNS",
    "DEFAULT_PER_STRATUM",
    "ExportSummary",
    "ImportSummary",
    "export_labels",
    "import_labels",
    "out_paths",
]
