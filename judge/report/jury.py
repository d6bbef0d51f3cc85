"""The jury: a consensus of several judges for the report's headline, and how far the judges agree.

Why: one judge, often a contestant itself, is one opinion. Where two or more LLM judges graded a
rubric version in scope, the answers section and the model differences use their consensus
(`[judge] consensus`: mean, median or majority; `judge.store.jury` has the rules), and the report
says so in one line above the answers; the other sections keep showing each judge. The jury
section measures the judges against each other:

| table | what |
|---|---|
| consensus | per rubric version: its judges, answers, cells some judge left unscored |
| agreement | Krippendorff's α (ordinal) over the judges per criterion × language, bootstrap CI over answers |
| cross-judging | judge (and consensus) × contestant: mean weighted total, n |
| self-preference | per judge: its score of its own model's answers minus the other judges' score of the same answers and criteria, CI over answers |

The consensus is trusted (`JuryTrust`) for a rubric and language only where every one of its
judges passes the validity gate there: an average does not vouch for a judge that fails.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import numpy as np

from judge import stats
from judge.report.context import Context, finite
from judge.report.gate import NOT_TRUSTED, Trust
from judge.report.model_answers import Answers
from judge.report.model_jury import AgreementRow, CrossJudgeRow, Jury, JuryRubric, SelfPreferenceRow
from judge.stats.jury import alpha_ci
from judge.store.filters import Group
from judge.store.jury import JuryData

TITLE = "Jury"


class JuryTrust(Trust):
    """The gate's verdict for the judges, and for the consensus: trusted where all its judges are."""

    def __init__(self, base: Trust, name: str, members: dict[str, list[str]]) -> None:
        self.by, self.base, self.name, self.members = base.by, base, name, members

    def refusal(
        self, judge: str, rubric: str, langs: Any = ("all",), criterion: str | None = None
    ) -> str | None:  # fmt: skip
        if judge != self.name:
            return self.base.refusal(judge, rubric, langs, criterion)
        for member in self.members.get(rubric, []):
            why = self.base.refusal(member, rubric, langs, criterion)
            if why:
                return f"{NOT_TRUSTED}: {member}, one of the consensus's judges: {why.split(': ', 1)[-1]}"
        return None if self.members.get(rubric) else f"{NOT_TRUSTED}: no judge behind the consensus"


class JuryReport:
    """The consensus of the report's juries as section inputs, and the jury section itself."""

    def __init__(self, b: Context, jd: JuryData) -> None:
        self.b, self.jd, self.name = b, jd, jd.name
        self.ctx = Context(jd, b.seed, b.n_boot) if jd.present else None
        self.members: dict[str, list[str]] = defaultdict(list)
        for (rubric, _), judges in jd.members.items():
            self.members[rubric] = sorted(set(self.members[rubric]) | set(judges))

    def _merged(self, b: Context, drop: bool) -> Context:
        if self.ctx is None:
            return b
        juries = set(self.jd.members)

        def judged(gs: list[Group]) -> list[Group]:
            return [g for g in gs if not (drop and (g.key["rubric"], g.key["rubric_version"]) in juries)]

        h = copy.copy(b)
        h.crit = judged(b.crit) + self.ctx.crit
        h.tot_lang = judged(b.tot_lang) + self.ctx.tot_lang
        h.tot_all = judged(b.tot_all) + self.ctx.tot_all
        h.tot_all_prompts = judged(b.tot_all_prompts) + self.ctx.tot_all_prompts
        return h

    def instead(self, b: Context) -> Context:
        """Scores where each jury's judges are replaced by their consensus (the answers section)."""
        return self._merged(b, drop=True)

    def beside(self, b: Context) -> Context:
        """Scores with the consensus as one more judge (the model differences: both are shown)."""
        return self._merged(b, drop=False)

    def trust(self, base: Trust) -> Trust:
        return JuryTrust(base, self.name, dict(self.members)) if self.ctx is not None else base

    def headline(self, answers: Answers) -> None:
        """Say above the answers that they rest on a consensus, and name its judges on each line."""
        if self.ctx is None:
            return
        everyone = sorted({j for js in self.members.values() for j in js})
        for line in answers.questions:
            if self.name in line.judges:
                who = self.members.get(line.rubric or "", everyone)
                line.judges = sorted((set(line.judges) - {self.name}) | set(who))
        answers.consensus = self.line()

    def line(self) -> str:
        """`Scores are the consensus (mean) of 3 judges: a, b, c ...`, per rubric where juries differ."""
        method = self.jd.method
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for rubric, judges in sorted(self.members.items()):
            groups[tuple(judges)].append(rubric)
        lone = sorted({g.key["rubric"] for g in self.b.tot_lang} - set(self.members))
        where = "the answers and model differences; the other sections show each judge"
        if len(groups) == 1 and not lone:
            (only,) = groups
            return f"Scores are the consensus ({method}) of {len(only)} judges: {', '.join(only)} ({where})."
        parts = [
            f"{', '.join(rubrics)}: the consensus ({method}) of {len(js)} judges: {', '.join(js)}"
            for js, rubrics in groups.items()
        ]
        parts += [f"{', '.join(lone)}: one judge"] if lone else []
        return f"Scores of {'; '.join(parts)} ({where})."

    # -- the jury section ---------------------------------------------------------------------
    def section(self) -> Jury:
        s = Jury(title=TITLE)
        if self.ctx is None:
            s.skipped = "one LLM judge per rubric in scope (a jury needs `[judge] models` with two or more)"
            return s
        s.method, s.judge = self.jd.method, self.name
        for r in self.jd.jury_coverage():
            s.rubrics.append(
                JuryRubric(
                    rubric=r["rubric"],
                    rubric_version=r["rubric_version"],
                    judges=self.jd.members[(r["rubric"], r["rubric_version"])],
                    n_answers=int(r["n_answers"]),
                    n_cells=int(r["n_cells"]),
                    n_partial=int(r["n_partial"]),
                )
            )
        s.agreement = self._agreement()
        pairs, own = self.jd.self_preference()
        owned: dict[str, set[str]] = defaultdict(set)
        for r in own:
            owned[r["judge"]].add(r["model"])
        s.cross = [
            CrossJudgeRow(
                rubric=r["rubric"],
                rubric_version=r["rubric_version"],
                judge=r["judge"],
                model=r["model"],
                mean=finite(r["mean"]),
                n=int(r["n"]),
                n_error=int(r["n_error"]),
                own=r["model"] in owned.get(r["judge"], set()),
            )
            for r in sorted(self.jd.cross(), key=lambda r: (r["rubric"], r["rubric_version"], r["judge"], r["model"]))
        ]
        s.self_preference = self._self_preference(pairs, owned)
        s.notes = _notes(self.jd.method, self.name, s)
        return s

    def _agreement(self) -> list[AgreementRow]:
        a = self.jd.ratings()
        out: list[AgreementRow] = []
        if not a or a["c"].size == 0:
            return out
        cells = np.stack([a["c"].astype(np.uint64), a["l"].astype(np.uint64)], axis=1)
        keys, inverse = np.unique(cells, axis=0, return_inverse=True)
        for i, (c, lang) in enumerate(keys):
            sel = inverse.ravel() == i
            judges, ji = np.unique(a["judge"][sel].astype(str), return_inverse=True)
            _, ui = np.unique(a["g"][sel], return_inverse=True)
            m = np.full((judges.size, int(ui.max()) + 1), np.nan)
            m[ji.ravel(), ui.ravel()] = a["score"][sel]
            e = alpha_ci(m, n_boot=self.b.n_boot, seed=self.b.seed)
            dm = self.jd.dims[int(c)]
            out.append(
                AgreementRow(
                    rubric=dm.rubric,
                    rubric_version=dm.rubric_version,
                    criterion=dm.criterion,
                    lang=self.jd.langs_of[int(lang)],
                    judges=[str(j) for j in judges],
                    n=e.n,
                    alpha=finite(e.mean),
                    lo=finite(e.lo),
                    hi=finite(e.hi),
                )
            )
        return sorted(out, key=lambda r: (r.rubric, r.rubric_version, r.criterion, r.lang))

    def _self_preference(self, pairs: list[dict[str, Any]], owned: dict[str, set[str]]) -> list[SelfPreferenceRow]:
        by: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for r in pairs:
            by[r["judge"]].append((float(r["s"]), int(r["n"])))
        out = []
        for judge in sorted({j for js in self.members.values() for j in js}):
            units = by.get(judge, [])
            e = stats.cluster_mean_ci(
                [s for s, _ in units], [n for _, n in units], n_boot=self.b.n_boot, seed=self.b.seed
            )
            out.append(
                SelfPreferenceRow(
                    judge=judge,
                    own_models=sorted(owned.get(judge, set())),
                    n_answers=len(units),
                    n_pairs=e.n,
                    diff=finite(e.mean),
                    lo=finite(e.lo),
                    hi=finite(e.hi),
                )
            )
        return out


def _notes(method: str, name: str, s: Jury) -> list[str]:
    notes = [
        f"The consensus (judge `{name}` in the tables) of an answer's criterion combines the judges who scored it: "
        f"their {method}"
        + (
            " (the most frequent score; between equally frequent ones, the one nearest the median, or the median "
            "itself when two are equally near)"
            if method == "majority"
            else ""
        )
        + ". It is not applicable when no judge scored it and one found it not applicable, else failed. "
        "The answers section and the model differences use it; it is trusted where all its judges pass the gate.",
        "Agreement: Krippendorff's α (ordinal) over the judges, per criterion and language; 95 % CI resampling "
        "answers. 1 = the judges agree on every answer, 0 = no more than chance.",
        "Cross-judging: the mean weighted total each judge gave each contestant (own: the judge is that model).",
        "Self-preference: a judge's score of its own model's answers minus the other judges' mean score of the same "
        "answers and criteria; 95 % CI resampling answers. Above 0: it favours itself.",
    ]
    partial = [r for r in s.rubrics if r.n_partial]
    for r in partial:
        notes.append(
            f"{r.rubric}: {r.n_partial} of {r.n_cells} answer × criterion cells lack a score from some judge "
            "(not graded yet, failed or not applicable): their consensus rests on fewer judges."
        )
    return notes
