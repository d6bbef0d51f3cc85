"""The report's filters checked against the database: a filter that selects nothing is an error.

A typo in `--lang`, `--models`, `--rubric`, `--judge` or `--category` would otherwise give a
report whose every section is "skipped: no data", which reads like a finding. Each unknown value
is named with the values the database does hold (exit code 2, like any bad option).
"""

from __future__ import annotations

from collections.abc import Iterable

from judge.errors import ConfigError
from judge.store.queries import Available, Filters


def _known(values: Iterable[str | None]) -> str:
    vals = sorted({v for v in values if v is not None})
    return ", ".join(vals) if vals else "none"


def check_filters(f: Filters, a: Available) -> None:
    """Raise ConfigError naming every filter value the database does not hold."""
    problems: list[str] = []
    models = set(a.models)
    for m in f.models or ():
        if m not in models:
            problems.append(f"--models: no answers from model {m!r} (models with answers: {_known(models)})")
    problems += _lang_category(f, a)
    versions: dict[str, list[tuple[str, bool]]] = {}
    for rubric, version, current in a.rubric_versions:
        versions.setdefault(rubric, []).append((version, current))
    for r in f.rubrics or ():
        name, at, prefix = r.partition("@")
        if name not in versions:
            problems.append(f"--rubric: unknown rubric {name!r} (rubrics in the database: {_known(versions)})")
        elif at and not any(v.startswith(prefix) for v, _ in versions[name]):
            listed = _known(v for v, _ in versions[name])
            problems.append(f"--rubric: {name} has no version starting with {prefix!r} (versions: {listed})")
        elif not at and not any(current for _, current in versions[name]):
            listed = _known(v for v, _ in versions[name])
            problems.append(f"--rubric: {name} has no current version; name one as {name}@version (versions: {listed})")
    judges = {j for _, j in a.rubric_judges}
    for j in f.judges or ():
        if j not in judges:
            problems.append(
                f"--judge: no verdicts from judge {j!r} (LLM judges in the database: {_known(judges)}; "
                "the check:* verdicts are always included)"
            )
    if problems:
        raise ConfigError(problems)


def _lang_category(f: Filters, a: Available) -> list[str]:
    """Languages and categories, each among the answers the other filter (if valid) and `models` keep."""
    pairs = a.lang_categories
    langs, cats = {lang for lang, _ in pairs}, {c for _, c in pairs}
    want_l = set(f.langs or ()) & langs
    want_c = set(f.categories or ()) & cats
    # Narrow by the other filter only where it names something real: two typos give two plain errors.
    in_l = {lang for lang, c in pairs if not want_c or c in want_c}
    in_c = {c for lang, c in pairs if not want_l or lang in want_l}
    problems = []
    scope_c = f" with --category {','.join(sorted(want_c))}" if want_c else ""
    scope_l = f" in --lang {','.join(sorted(want_l))}" if want_l else ""
    for lang in f.langs or ():
        if lang not in in_l:
            problems.append(f"--lang: no answers in language {lang!r}{scope_c} (languages present: {_known(in_l)})")
    for c in f.categories or ():
        if c not in in_c:
            problems.append(f"--category: no answers in category {c!r}{scope_l} (categories present: {_known(in_c)})")
    return problems
