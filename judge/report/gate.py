"""The validity gate: what the report measured about each judge, held against `[report.gate]` thresholds.

Why: a report prints differences with confidence intervals whatever produced the scores; a judge
returning random numbers still yields intervals, some excluding 0. Before a difference is
headlined (the answers section, the stars of the delta tables) the judge must have shown, on the
rubric behind it, that its scores track something: its pairwise verdicts survive a position swap,
planted errors lower its score (`probe_results`), its `correctness` score separates answers the
machine check finds right from wrong ones, or it agrees with human labels. It must also not fail
the tests any judge can fail: scoring every criterion of a verdict alike (halo) or failing to
produce verdicts (parse errors).

Each test gives a `GateRow` per judge × rubric (× criterion, × language where measured): pass,
fail (`halo 0.97 > 0.60`) or not measured (too few units, or no data: never a pass). `Trust`
answers, for a judge, rubric and language, whether the report may decide there, and if not why.

| test | unit | per | source |
|---|---|---|---|
| swap consistency | pairs judged in both orders | criterion | `pairwise` |
| probe | answers with planted errors | criterion × language | `probe_results` |
| check agreement | answers with a check:answer verdict | the `correctness` criterion | `scores` |
| human agreement | labelled answers | rubric | `human_labels` |
| halo | verdicts with 3+ scored criteria | rubric × language | `scores` |
| parse errors | verdicts | rubric × language | `scores` |
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

from judge import stats
from judge.config import GateConfig
from judge.report.context import Context, finite
from judge.report.model import GateRow, JudgeReliability
from judge.stats.bootstrap import _wilson
from judge.store import gate as sql
from judge.store.queries import TOTAL

VALIDITY = ("swap consistency", "probe", "check agreement", "human agreement")
"""Tests that show the scores track quality; halo and parse errors only rule a judge out."""
NOT_VALIDATED = "not validated (no swap, probe, check or human test measured)"
NOT_TRUSTED = "judge not trusted for this criterion"
RATES = ("halo", "parse errors", "swap consistency")
"""Tests whose value is a share of units: below `min_n` units they still fail when their Wilson interval is
wholly on the failing side (a demo judge scoring 24 of 24 verdicts alike needs no 30th)."""

Kind = Literal["min", "max"]


def _row(
    key: tuple[str, str, str | None, str],
    test: str,
    label: str,
    value: float | None,
    n: int,
    threshold: float,
    kind: Kind,
    cfg: GateConfig,
    unit: str,
    suffix: str = "",
) -> GateRow:
    judge, rubric, criterion, lang = key

    def row(status: Literal["pass", "fail", "not measured"], text: str) -> GateRow:
        return GateRow(
            judge=judge,
            rubric=rubric,
            criterion=criterion,
            lang=lang,
            test=test,
            status=status,
            value=value,
            threshold=threshold,
            n=n,
            text=text,
        )

    if value is not None and 0 < n < cfg.min_n and test in RATES:
        # Few units, yet conclusive: the whole 95 % interval of the rate is on the failing side.
        lo, hi = _wilson(value * n, n, 0.95)
        if (kind == "max" and lo > threshold) or (kind == "min" and hi < threshold):
            sign = ">" if kind == "max" else "<"
            return row(
                "fail", f"{label} {value:.2f} {sign} {threshold:.2f} (only {n} {unit}, 95 % CI {lo:.2f}–{hi:.2f})"
            )
    if value is None or n < cfg.min_n:
        why = f"{n} {unit} < {cfg.min_n}" if value is not None or n else f"no {unit}"
        return row("not measured", f"{label}: not measured ({why})")
    fail = value < threshold if kind == "min" else value > threshold
    if kind == "min" and test == "probe":
        fail = value <= threshold  # the bound must exceed the threshold
    if fail:
        sign = ("<" if value < threshold else "=") if kind == "min" else ">"
        return row("fail", f"{label} {value:.2f} {sign} {threshold:.2f}{suffix}")
    return row("pass", f"{label} {value:.2f}{suffix} passes ({kind} {threshold:.2f})")


def _absent(key: tuple[str, str, str | None, str], test: str, why: str) -> GateRow:
    judge, rubric, criterion, lang = key
    return GateRow(
        judge=judge,
        rubric=rubric,
        criterion=criterion,
        lang=lang,
        test=test,
        status="not measured",
        value=None,
        threshold=None,
        n=0,
        text=f"{test}: not measured ({why})",
    )


def evaluate(b: Context, rel: JudgeReliability, cfg: GateConfig) -> list[GateRow]:
    """Every gate test for every LLM judge × rubric in the report's scope."""
    q = b.q
    criteria: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in q.dims.values():
        if not d.is_check and d.criterion != TOTAL:
            criteria[(d.judge, d.rubric)].add(d.criterion)
    rows = _verdict_tests(b, cfg)
    rows += _swap(b, cfg, criteria)
    rows += _probe(b, cfg, criteria)
    for judge, rubric in sorted(criteria):
        key = (judge, rubric, None, "all")
        agree = [r for r in rel.check_agreement if (r.judge, r.rubric) == (judge, rubric)]
        for r in agree:
            rows.append(
                _row(
                    (judge, rubric, r.criterion, "all"),
                    "check agreement",
                    "check AUC",
                    r.auc,
                    r.n,
                    cfg.check_auc_min,
                    "min",
                    cfg,
                    "answers",
                )
            )
        if not agree:
            why = (
                "no answer has both a correctness score and a check:answer verdict"
                if "correctness" in criteria[(judge, rubric)]
                else "the rubric has no correctness criterion"
            )
            rows.append(_absent(key, "check agreement", why))
        human = [r for r in rel.human if (r.judge, r.rubric) == (judge, rubric)]
        for h in human:
            rows.append(
                _row(
                    key,
                    "human agreement",
                    "human weighted kappa",
                    h.weighted_kappa,
                    h.n_items,
                    cfg.human_kappa_min,
                    "min",
                    cfg,
                    "labelled items",
                )
            )
        if not human:
            rows.append(_absent(key, "human agreement", "no human labels"))
    order = {t: i for i, t in enumerate((*VALIDITY, "halo", "parse errors"))}
    rows.sort(key=lambda r: (r.judge, r.rubric, order.get(r.test, 9), r.criterion or "", r.lang != "all", r.lang))
    return rows


def _verdict_tests(b: Context, cfg: GateConfig) -> list[GateRow]:
    q, out = b.q, []
    for test, label, records, count, threshold in (
        ("halo", "halo", sql.halo(q), "n_same", cfg.halo_max),
        ("parse errors", "parse errors", sql.parse_errors(q), "n_failed", cfg.parse_error_max),
    ):
        langs: dict[int, int] = defaultdict(int)
        for r in records:
            langs[int(r["d"])] += r["l"] is not None
        for r in records:
            if r["l"] is None and langs[int(r["d"])] < 2:
                continue  # one language: its row says it all
            dm = q.dims[int(r["d"])]
            lang = "all" if r["l"] is None else q.langs_of[int(r["l"])]
            n = int(r["n"])
            value = finite(r[count] / n) if n else None
            unit = "verdicts with 3+ scored criteria" if test == "halo" else "verdicts"
            out.append(_row((dm.judge, dm.rubric, None, lang), test, label, value, n, threshold, "max", cfg, unit))
    return out


def _swap(b: Context, cfg: GateConfig, criteria: dict[tuple[str, str], set[str]]) -> list[GateRow]:
    pairs: dict[tuple[str, str, str], list[tuple[str | None, str | None]]] = defaultdict(list)
    for r in sql.swaps(b.q):
        pairs[(r["judge"], r["rubric"], r["criterion"])].extend([(r["order1"], r["order2"])] * int(r["n"]))
    out = []
    for (judge, rubric, crit), ps in sorted(pairs.items()):
        c = stats.swap_consistency(ps)
        out.append(
            _row(
                (judge, rubric, crit, "all"),
                "swap consistency",
                "swap consistency",
                finite(c.rate),
                c.n,
                cfg.swap_consistency_min,
                "min",
                cfg,
                "pairs",
            )
        )
    for judge, rubric in sorted(set(criteria) - {(j, r) for j, r, _ in pairs}):
        out.append(_absent((judge, rubric, None, "all"), "swap consistency", "no pairwise comparisons"))
    return out


def _probe(b: Context, cfg: GateConfig, criteria: dict[tuple[str, str], set[str]]) -> list[GateRow]:
    rows, why = sql.probe_results(b.q)
    probed = {(r["judge"], r["rubric"]) for r in rows or []}
    out = [_absent((j, r, None, "all"), "probe", why) for j, r in sorted(set(criteria) - probed)]
    if not rows:
        return out
    # Per criterion and language, the error operator it detects best: which planted error bears on which
    # criterion is the probe's business (its rows cover every criterion), so a criterion must respond to
    # at least one. The bound is the probe's bootstrap CI where stored, else Wilson's over n.
    best: dict[tuple[str, str, str, str], tuple[float, int, str]] = {}
    doses: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for r in rows:
        if r["n"] is None or r["p_detect"] is None or r["p_raise"] is not None:
            continue  # p_raise is set on neutral operators (padding, markdown): no test of detection
        doses[(r["judge"], r["rubric"], r["criterion"])].add(int(r["dose"]))
        if int(r["dose"]) != cfg.probe_dose:
            continue
        n = int(r["n"])
        lo = finite(r["lo"]) if r["lo"] is not None else _wilson_lo(float(r["p_detect"]) * n, n)
        key = (r["judge"], r["rubric"], r["criterion"], r["lang"] or "all")
        if lo is not None and (key not in best or (n >= cfg.min_n, lo) > (best[key][1] >= cfg.min_n, best[key][0])):
            best[key] = (lo, n, str(r["operator"]))
    for (judge, rubric), crits in sorted(criteria.items()):
        if (judge, rubric) not in probed:
            continue
        for crit in sorted(crits):
            mine = {k: v for k, v in best.items() if k[:3] == (judge, rubric, crit)}
            if not mine:
                seen = doses.get((judge, rubric, crit))
                reason = f"no rows at dose {cfg.probe_dose}" if seen else f"no {sql.PROBE_VIEW} rows for this criterion"
                out.append(_absent((judge, rubric, crit, "all"), "probe", reason))
            for (_, _, _, lang), (lo, n, operator) in sorted(mine.items()):
                out.append(
                    _row(
                        (judge, rubric, crit, lang),
                        "probe",
                        "probe p_detect lower bound",
                        lo,
                        n,
                        cfg.probe_p_detect_min,
                        "min",
                        cfg,
                        "probed answers",
                        f" at dose {cfg.probe_dose} (best operator: {operator})",
                    )
                )
    return out


def _wilson_lo(successes: float, n: int) -> float | None:
    return finite(_wilson(successes, n, 0.95)[0]) if n else None


class Trust:
    """Whether the gate lets the report decide for a judge, rubric and language, and the reason when not."""

    def __init__(self, rows: Iterable[GateRow]) -> None:
        self.by: dict[tuple[str, str], list[GateRow]] = defaultdict(list)
        for r in rows:
            self.by[(r.judge, r.rubric)].append(r)

    def _rows(self, judge: str, rubric: str, langs: Iterable[str], criterion: str | None) -> list[GateRow]:
        want = set(langs)
        out = []
        for r in self.by.get((judge, rubric), []):
            if criterion not in (None, TOTAL) and r.criterion not in (None, criterion):
                continue
            if "all" in want or r.lang == "all" or r.lang in want:
                out.append(r)
        return out

    def refusal(
        self, judge: str, rubric: str, langs: Iterable[str] = ("all",), criterion: str | None = None
    ) -> str | None:
        """None when the judge is trusted there; else `judge not trusted for this criterion: <why>`."""
        rows = self._rows(judge, rubric, langs, criterion)
        failed = _texts(r for r in rows if r.status == "fail")
        if failed:
            return f"{NOT_TRUSTED}: {failed}"
        if not any(r.status == "pass" and r.test in VALIDITY for r in rows):
            return f"{NOT_TRUSTED}: {NOT_VALIDATED}"
        return None

    def trusted(self, judge: str, rubric: str, langs: Iterable[str] = ("all",), criterion: str | None = None) -> bool:
        return self.refusal(judge, rubric, langs, criterion) is None

    def reasons(self) -> tuple[bool, list[str]]:
        """(every judge × rubric trusted, one sentence per judge × rubric saying why or why not)."""
        ok, out = True, []
        for (judge, rubric), rows in sorted(self.by.items()):
            failed = _texts(r for r in rows if r.status == "fail")
            passed = _texts((r for r in rows if r.status == "pass" and r.test in VALIDITY), summary=True)
            if failed:
                out.append(f"{judge} on {rubric}: not trusted: {failed}.")
            elif not passed:
                out.append(f"{judge} on {rubric}: not trusted: {NOT_VALIDATED}.")
            else:
                out.append(f"{judge} on {rubric}: trusted: {passed}.")
                continue
            ok = False
        return ok and bool(self.by), out


def _where(r: GateRow) -> str:
    return ", ".join(x for x in (r.criterion, None if r.lang == "all" else r.lang) if x)


def _texts(rows: Iterable[GateRow], summary: bool = False) -> str:
    """Test results as one phrase, one part per test: a single result as it reads (`halo 0.97 > 0.60`),
    several as their range (`swap consistency 0.31–0.38 < 0.65 on 6 criteria`). A language's row is
    left out when the pooled row of the same test and criterion is there too."""
    rows = list(rows)
    pooled = {(r.test, r.criterion) for r in rows if r.lang == "all"}
    rows = [r for r in rows if r.lang == "all" or (r.test, r.criterion) not in pooled]
    by: dict[str, list[GateRow]] = defaultdict(list)
    for r in rows:
        by[r.test].append(r)
    items: list[str] = []
    for rs in by.values():
        if len(rs) == 1 or (not summary and len(rs) <= 2):
            items += [r.text + (f" ({_where(r)})" if _where(r) else "") for r in rs]
            continue
        vals = [r.value for r in rs if r.value is not None]
        first = rs[0]
        value = f"{first.value:.2f}" if first.value is not None else ""
        label = first.text.split(f" {value}", 1)[0] if value else first.test
        span = f"{min(vals):.2f}–{max(vals):.2f}" if vals else ""
        kind = (
            "criteria"
            if all(r.lang == "all" for r in rs)
            else "languages"
            if all(not r.criterion for r in rs)
            else "cells"
        )
        places = ", ".join(_where(r) for r in rs) if len(rs) <= 3 else f"{len(rs)} {kind}"
        if first.status == "fail":
            sign = "<" if max(vals) < (first.threshold or 0) else ">" if min(vals) > (first.threshold or 0) else "vs"
            items.append(f"{label} {span} {sign} {first.threshold:.2f} ({places})")
        else:
            items.append(f"{label} {span} passes on {places}")
    return "; ".join(items)


def mark(rows: Iterable[Any], trust: Trust, langs_of: Any) -> None:
    """Set `trusted` on delta or gap rows (their CIs are starred only where the judge is trusted)."""
    for r in rows:
        langs = langs_of(r)
        r.trusted = trust.trusted(r.judge, r.rubric, langs, getattr(r, "criterion", None))
