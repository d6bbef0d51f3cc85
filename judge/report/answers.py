"""The answers section: the user's questions, one line each, first in the report.

(a) What does lower precision cost? Only between variants of one `base_model`; a family served in
one precision only is said so. Where `judge fidelity` measured a pair, its token-distribution lines
(KLD, top-1 agreement, perplexity ratio per language) stand beside the judge deltas. (b) What do reasoning effort and thinking buy? Effort or thinking
variants: the score difference, reasoning tokens spent, and how often checked correctness flips.
(c) Which model in Russian? (d) In English? The leader against the runner-up. (e) How much worse
(or better) is each model in Russian than in English, on the same tasks? (f) Which model to run,
or "cannot tell" and why.

Every line is a paired difference of weighted rubric totals with a 95 % CI and its minimum
detectable effect (`stats.power`). It is `decided` only when the CI excludes 0 and the validity
gate (`gate.Trust`) trusts the judge for that rubric and language; otherwise `decided` says
which of the two failed. Differences between families are labelled with everything that differs
(family, precision, effort...), since such a delta cannot say which of them made it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from typing import Any

from judge import stats
from judge.report.compare import Cell, Comparer, Diff
from judge.report.gate import NOT_TRUSTED, Trust
from judge.report.model import Answers, CostRow, FlipRow, ModelInfo
from judge.report.model_answers import AnswerLine
from judge.report.variants import family, family_difference, variant_differences

ALPHA = 0.05
DECIDED = "decided"
CI_CROSSES = "not decided (CI crosses 0)"
NOTHING = "not decided (nothing to compare)"
MEASURED = "measured (token distributions, no judge)"
_EFFORT = {"none": 0, "minimal": 1, "low": 2, "medium": 3, "high": 4}
_REASONING = ("reasoning effort", "thinking")


def _bits(q: str | None) -> int | None:
    """Bits per weight named by a quantization label (bf16 16, fp8 8, mxfp4 / awq / q4_k_m 4), or None."""
    if not q:
        return None
    s = q.lower()
    if any(k in s for k in ("awq", "gptq", "nf4", "bnb4")):
        return 4
    m = re.search(r"\d+", s)
    return int(m.group()) if m else None


def _ci_text(v: float | None, lo: float | None, hi: float | None, fmt: str) -> str:
    if v is None or math.isnan(v):
        return "no value"
    ci = f" [{lo:{fmt}}, {hi:{fmt}}]" if lo is not None and hi is not None and not math.isnan(lo) else ""
    return f"{v:{fmt}}{ci}"


def _fidelity_text(r: dict[str, Any]) -> str:
    """`judge fidelity`'s row for one language as a sentence (CIs over texts)."""
    return (
        f"{r['variant']} against {r['base']} on {r['n_texts']} texts ({r['n_tokens']} tokens, {r['source']}): "
        f"mean KLD {_ci_text(r['mean_kld'], r['mean_kld_lo'], r['mean_kld_hi'], '.3g')}, "
        f"p99 KLD {_ci_text(r['p99_kld'], r['p99_kld_lo'], r['p99_kld_hi'], '.3g')}, "
        f"top-1 agreement {_ci_text(r['top1'], r['top1_lo'], r['top1_hi'], '.1%')}, "
        f"perplexity ratio {_ci_text(r['ppl_ratio'], r['ppl_ratio_lo'], r['ppl_ratio_hi'], '.4f')} "
        "(llama.cpp's scale: Q8_0 mean KLD ≈ 0.0002, Q3_K_M ≈ 0.05)"
    )


def _signed(d: Diff) -> str:
    if d.diff is None:
        return "no value"
    if d.lo is None or d.hi is None:
        return f"{d.diff:+.2f}"
    return f"{d.diff:+.2f} [{d.lo:+.2f}, {d.hi:+.2f}]"


def _lang_text(lang: str) -> str:
    return {"all": "both languages", "ru": "Russian", "en": "English"}.get(lang, lang)


class _Builder:
    def __init__(
        self,
        cmp: Comparer,
        trust: Trust,
        infos: list[ModelInfo],
        flips: list[FlipRow],
        cost: list[CostRow],
        fidelity: list[dict[str, Any]] | None = None,
    ) -> None:
        self.cmp, self.trust = cmp, trust
        self.info = {m.model: m for m in infos}
        self.fidelity: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in fidelity or []:
            self.fidelity[r["base"], r["variant"]].append(r)
        self.flips = {(f.model_a, f.model_b, f.lang): f for f in flips}
        self.tokens = {c.model: c.reasoning_tokens for c in cost if c.lang == "all"}
        judges: dict[str, set[str]] = defaultdict(set)
        for judge, rubric in cmp.cells():
            judges[rubric].add(judge)
        self.multi = {r for r, js in judges.items() if len(js) > 1}

    # -- one comparison -----------------------------------------------------------------------
    def _line(
        self,
        question: Any,
        subject: str,
        cell: Cell,
        d: Diff | None,
        text: str,
        langs: list[str],
        plain: tuple[str, str] | None = None,
    ) -> AnswerLine:
        """One compared line: decided only where the CI excludes 0 and the gate trusts the judge.

        `plain` words the decided result, `{x}` the size of the difference: (when it is positive, when negative).
        """
        judge, rubric = cell
        if d is None:
            decided = "not decided (no prompts answered by both)"
        else:
            decided = self.trust.refusal(judge, rubric, langs) or (DECIDED if d.excludes_zero else CI_CROSSES)
        expected = self.cmp.expected(cell)
        if expected:
            text += " (logprob-weighted expected scores)"
        if d is not None and decided == CI_CROSSES and d.mde is not None:
            text += f"; no difference shown: a true one below {d.mde:.2f} would usually go unseen"
        elif decided == DECIDED and d is not None and d.diff is not None and plain:
            text += "; " + plain[d.diff < 0].format(x=f"{abs(d.diff):.2f}")
        return AnswerLine(
            question=question,
            subject=subject + (f", judge {judge}" if rubric in self.multi else ""),
            verdict=text,
            decided=decided,
            mde=d.mde if d else None,
            judges=[judge],
            rubric=rubric,
            lang=langs[0] if len(langs) == 1 else None,
            model_a=d.model_a if d else None,
            model_b=d.model_b if d else None,
            diff=d.diff if d else None,
            lo=d.lo if d else None,
            hi=d.hi if d else None,
            n=d.n if d else 0,
            p_value=d.p_value if d else None,
            expected_scores=expected,
        )

    def _variant_lines(
        self, question: Any, a: ModelInfo, b: ModelInfo, step: str, extra: str, plain: tuple[str, str]
    ) -> list[AnswerLine]:
        """A − B of two variants on every rubric (languages pooled where a rubric has several); `extra`
        (tokens, flips: facts of the pair, not of a rubric) goes on the first line only."""
        out = []
        for cell in self.cmp.cells():
            langs = self.cmp.langs(cell)
            lang = "all" if "all" in langs else (langs[0] if langs else None)
            d = self.cmp.diff(cell, lang, a.model, b.model) if lang else None
            if d is None or lang is None:
                continue
            text = f"{a.model} − {b.model} {_signed(d)} on {cell[1]} ({_lang_text(lang)}){extra}"
            extra = ""
            out.append(self._line(question, f"{step}, {cell[1]}", cell, d, text, [lang], plain))
        return out

    def _family_note(self, a: str, b: str) -> str:
        """`; different families: family and precision are mixed` for a cross-family pair, else ''."""
        ia, ib = self.info.get(a), self.info.get(b)
        if ia is None or ib is None or family(ia) == family(ib):
            return ""
        rest = sorted(variant_differences(ia, ib), key=lambda x: x.what != "precision")
        whats = [family_difference(ia, ib).what] + [x.what for x in rest]
        whats = list(dict.fromkeys(w for w in whats if w != "model id"))
        mixed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " and " + whats[-1]
        return f"; different families: {mixed} {'is' if len(whats) == 1 else 'are'} mixed"

    def _flip_text(self, a: str, b: str) -> str:
        """`; check:answer correctness flips on 12.0 % [9.8, 14.3] of 240 items (...)`, oriented a → b."""
        f = self.flips.get((a, b, "all")) or self.flips.get((b, a, "all"))
        if f is None or f.rate is None:
            return ""
        a_only, b_only = (f.a_only, f.b_only) if f.model_a == a else (f.b_only, f.a_only)
        ci = f" [{100 * f.lo:.1f}, {100 * f.hi:.1f}]" if f.lo is not None and f.hi is not None else ""
        return (
            f"; check:answer correctness flips on {100 * f.rate:.1f} %{ci} of {f.n} items "
            f"({a_only} right only under {a}, {b_only} only under {b})"
        )

    def _nothing(self, question: Any, subject: str, verdict: str) -> AnswerLine:
        return AnswerLine(question=question, subject=subject, verdict=verdict, decided=NOTHING, mde=None)

    # -- (a) precision ------------------------------------------------------------------------
    def precision(self) -> list[AnswerLine]:
        out = []
        fams: dict[str, list[ModelInfo]] = defaultdict(list)
        scored = {m for cell in self.cmp.cells() for lang in self.cmp.langs(cell) for m in self.cmp.models(cell, lang)}
        for m in sorted(self.info.values(), key=lambda m: m.model):
            if m.model in scored:
                fams[family(m)].append(m)
        for base, ms in sorted(fams.items()):
            pairs = [
                (a, c) for a, c in itertools.combinations(ms, 2) if (a.quantization or "") != (c.quantization or "")
            ]
            if not pairs:
                out.append(self._one_precision(base, ms))
            for a, c in pairs:
                hi, lo = sorted((a, c), key=lambda m: (-(_bits(m.quantization) or 0), m.model))
                others = [x.what for x in variant_differences(hi, lo) if x.what != "precision"]
                extra = f"; precision and {' and '.join(others)} are mixed" if others else ""
                step = f"{base} {hi.quantization or '?'} → {lo.quantization or '?'}"
                plain = ("lower precision scores {x} higher", "lower precision costs {x}")
                out += self._variant_lines(
                    "precision", lo, hi, step, extra + self._flip_text(hi.model, lo.model), plain
                )
                out += self._fidelity_lines(hi.name, lo.name) + self._fidelity_lines(lo.name, hi.name)
        for base, variant in sorted(self.fidelity):  # measured without judge verdicts of the pair
            out += self._fidelity_lines(base, variant)
        return out

    def _fidelity_lines(self, base: str, variant: str) -> list[AnswerLine]:
        """The token-distribution measure of `judge fidelity` beside the judge deltas: one line per
        language (each once: taken out of `self.fidelity`)."""
        rows = self.fidelity.pop((base, variant), [])
        langs = [r for r in rows if r["lang"] != "all"] or rows
        return [
            AnswerLine(
                question="precision",
                subject=f"{r['base_model']} {r['base_quantization'] or '?'} → {r['variant_quantization'] or '?'}, "
                f"token distributions ({_lang_text(r['lang'])})",
                verdict=_fidelity_text(r),
                decided=MEASURED,
                mde=None,
                lang=r["lang"],
                model_a=variant,
                model_b=base,
                n=r["n_texts"] or 0,
            )
            for r in langs
        ]

    def _one_precision(self, base: str, ms: list[ModelInfo]) -> AnswerLine:
        q = ms[0].quantization
        if not q:
            text = f"{base}: no precision recorded for it (set quantization in judge.toml): nothing to compare"
        else:
            bits = _bits(q)
            other = "lower-precision" if bits is not None and bits >= 16 else "full-precision"
            text = f"{base} exists here only in {q.upper()}: no {other} variant to compare"
        return self._nothing("precision", base, text)

    # -- (b) reasoning effort and thinking ----------------------------------------------------
    def reasoning(self) -> list[AnswerLine]:
        out = []
        for a, c in itertools.combinations(sorted(self.info.values(), key=lambda m: m.model), 2):
            if family(a) != family(c) or not any(x.what in _REASONING for x in variant_differences(a, c)):
                continue
            more, less = sorted((a, c), key=lambda m: (-_effort(m), m.model))
            label = "; ".join(f"{x.what} {x.a} → {x.b}" for x in variant_differences(more, less))
            extra = ""
            ta, tb = self.tokens.get(more.model), self.tokens.get(less.model)
            if ta is not None and tb is not None:
                extra = f"; reasoning tokens {ta:.0f} → {tb:.0f} per answer"
            extra += self._flip_text(more.model, less.model)
            step = f"{more.model} → {less.model} ({label})"
            plain = ("more thinking scores {x} higher", "more thinking scores {x} lower")
            out += self._variant_lines("reasoning", more, less, step, extra, plain)
        if not out:
            out.append(
                self._nothing(
                    "reasoning",
                    "reasoning effort and thinking",
                    "no two variants of one base model differ in reasoning effort or thinking: nothing to compare "
                    "(give one base_model several [[models]] entries with another reasoning_effort or enable_thinking)",
                )
            )
        return out

    # -- (c), (d) the leader in one language --------------------------------------------------
    def leaders(self, lang: str, question: Any) -> list[AnswerLine]:
        out = []
        for cell in self.cmp.cells():
            models = self.cmp.models(cell, lang)
            if len(models) < 2:
                continue
            top, second = sorted(models, key=lambda m: (-(self.cmp.mean(cell, lang, m) or float("-inf")), m))[:2]
            d = self.cmp.diff(cell, lang, top, second)
            text = f"{top} leads on {cell[1]}: {top} − {second} {_signed(d) if d else 'no value'}"
            text += self._family_note(top, second)
            plain = (f"{top} is ahead by {{x}}", f"{second} is ahead by {{x}}")
            out.append(self._line(question, f"{cell[1]}, {_lang_text(lang)}", cell, d, text, [lang], plain))
        if not out:
            why = f"fewer than two models have scored answers in {_lang_text(lang)}: nothing to compare"
            out.append(self._nothing(question, _lang_text(lang), why))
        return out

    # -- (e) RU − EN per model ----------------------------------------------------------------
    def gaps(self) -> list[AnswerLine]:
        out = []
        for cell in self.cmp.cells():
            for model in sorted(set(self.cmp.models(cell, "ru")) & set(self.cmp.models(cell, "en"))):
                d = self.cmp.gap(cell, model)
                if d is None:
                    continue
                text = f"{model}: RU − EN {_signed(d)} on {cell[1]} over {d.n} task pairs"
                plain = ("{x} better in Russian", "{x} worse in Russian")
                line = self._line("ru_en_gap", f"{model}, {cell[1]}", cell, d, text, ["ru", "en"], plain)
                line.model_a, line.model_b = model, model
                out.append(line)
        if not out:
            why = "no rubric has one model's scores in both languages of a task pair: no gap to measure"
            out.append(self._nothing("ru_en_gap", "RU − EN", why))
        return out

    # -- (f) the recommendation ---------------------------------------------------------------
    def recommendation(self, leaders: list[AnswerLine]) -> AnswerLine:
        """Run the model that leads on every rubric and language where the judge is trusted; else say why not."""
        measured = [x for x in leaders if x.rubric is not None]
        untrusted = [x for x in measured if x.decided.startswith(NOT_TRUSTED)]
        trusted = [x for x in measured if x not in untrusted]
        mdes = [x.mde for x in trusted if x.mde is not None]
        line = AnswerLine(
            question="recommendation",
            subject="which model to run",
            verdict="",
            decided=DECIDED,
            mde=max(mdes) if mdes else None,
            judges=sorted({j for x in measured for j in x.judges}),
        )
        left_out = f"; left out, the judge not being trusted there: {', '.join(x.subject for x in untrusted)}"
        open_ = [x for x in trusted if x.decided != DECIDED]
        if not measured:
            line.verdict, line.decided = "cannot tell: fewer than two models were scored on the same prompts", NOTHING
        elif not trusted:
            line.verdict = "cannot tell: the judge is not trusted for any rubric and language compared"
            line.decided = untrusted[0].decided
        elif open_:
            line.verdict = f"cannot tell: {open_[0].subject} is {open_[0].decided}" + (left_out if untrusted else "")
            line.decided = open_[0].decided
        else:
            tops: dict[str, list[str]] = defaultdict(list)
            for x in trusted:
                tops[x.model_a or "?"].append(x.subject)
            if len(tops) == 1:
                ((top, where),) = tops.items()
                line.verdict = f"run {top}: it leads wherever the judge is trusted ({'; '.join(where)})"
                line.model_a = top
            else:
                line.verdict = "no single model: " + "; ".join(f"{m} leads on {', '.join(w)}" for m, w in tops.items())
            if untrusted:
                line.verdict += left_out
                line.decided = untrusted[0].decided
        return line


def _holm(lines: list[AnswerLine]) -> None:
    """Holm-adjust the p-values of the lines that could be decided; undo a decision the adjustment does not bear."""
    family = [x for x in lines if x.decided in (DECIDED, CI_CROSSES) and x.p_value is not None]
    for x, p in zip(family, stats.holm_correction([x.p_value for x in family])):
        x.p_holm = p
        if x.decided == DECIDED and not p < ALPHA:
            x.decided = f"not decided (p {p:.2f} after Holm over the answers)"
            x.verdict = (
                x.verdict.rsplit("; ", 1)[0] + "; the CI excludes 0 but not after correcting for the other lines"
            )


def _effort(m: ModelInfo) -> int:
    """How much a variant thinks: reasoning effort first, thinking on over off."""
    params = {**m.params, **m.extra_body}
    effort = params.get("reasoning_effort") or (m.extra_body.get("reasoning") or {}).get("effort")
    thinking = (m.extra_body.get("chat_template_kwargs") or {}).get("enable_thinking")
    return 10 * _EFFORT.get(str(effort), 2) + (0 if thinking is False else 1)


def answers(
    cmp: Comparer,
    trust: Trust,
    infos: list[ModelInfo],
    flips: list[FlipRow],
    cost: list[CostRow],
    fidelity: list[dict[str, Any]] | None = None,
) -> Answers:
    """The answers section (see the module docstring); `fidelity`: rows of the `fidelity` view, shown
    in the precision answer beside the judge deltas."""
    s = Answers(title="Answers")
    s.judge_trusted, s.reasons = trust.reasons()
    if not cmp.cells():
        s.skipped = "no judge verdicts in scope (run `judge grade`)"
        return s
    b = _Builder(cmp, trust, infos, flips, cost, fidelity)
    ru, en = b.leaders("ru", "russian"), b.leaders("en", "english")
    lines = [*b.precision(), *b.reasoning(), *ru, *en, *b.gaps()]
    _holm(lines)
    s.questions = [*lines, b.recommendation(ru + en)]
    s.notes = [
        "Each line is a paired difference of weighted rubric totals, A − B with its 95 % CI, on the prompts "
        "both answered (RU − EN: on the task pairs scored in both languages). It is decided only when the CI "
        "excludes 0 and the validity gate trusts the judge for that rubric and language (see Judge reliability).",
        "MDE: the smallest true difference the comparison finds 80 % of the time (two-sided, 5 % level); a "
        "difference smaller than its MDE is usually missed, so an undecided line does not mean no difference.",
        "So that many lines do not make chance differences look decided, a line also needs its Wilcoxon p, "
        "Holm-adjusted over the lines the judge is trusted for, below 0.05.",
    ]
    if fidelity:
        s.notes.append(
            "Token distributions (`judge fidelity`, the `fidelity` view): the variant's next-token distributions "
            "against its base's on the same texts, no judge involved — KL divergence (mean, 99th percentile; "
            "over the tokens both sides returned plus one bucket for the rest, a lower bound), top-1 agreement "
            "and perplexity ratio, "
            "95 % CIs over texts."
        )
    return s
