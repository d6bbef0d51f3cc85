"""Deterministic checks (no LLM), stored as verdicts of the judges `check:<name>`.

`run_checks(item, answer_text)` runs every registered check; `get_check(name, **options)` builds one
by name (as a rubric refers to it). Importing this package registers the bundled checks.
"""

from __future__ import annotations

from . import answer as _answer  # noqa: F401  (registers check:answer)
from . import constraints as _constraints  # noqa: F401  (registers check:constraints)
from . import language as _language  # noqa: F401  (registers check:language)
from .answer import (
    AnswerSegment,
    ParsedNumber,
    answer_segment,
    find_choice,
    normalize_exact,
    parse_numbers,
)
from .language import (
    LATIN_SHARE_MAX,
    MIN_LETTERS,
    detect_language,
    expected_language,
    latin_share,
    mixed_script_words,
)
from .registry import (
    CHECKS,
    JUDGE_PREFIX,
    CheckFn,
    CheckRow,
    check,
    get_check,
    judge_name,
    run_checks,
)

__all__ = [
    "CHECKS",
    "JUDGE_PREFIX",
    "LATIN_SHARE_MAX",
    "MIN_LETTERS",
    "AnswerSegment",
    "CheckFn",
    "CheckRow",
    "ParsedNumber",
    "answer_segment",
    "check",
    "detect_language",
    "expected_language",
    "find_choice",
    "get_check",
    "judge_name",
    "latin_share",
    "mixed_script_words",
    "normalize_exact",
    "parse_numbers",
    "run_checks",
]
