"""Models compared: what tells two variants of one base model apart, and two families.

`variant_differences` lists the settings that differ (precision, reasoning effort, thinking,
other parameters); `variant_pairs` pairs the variants of each base model; `pair_labels` labels
every pair of models, a cross-family pair starting with `family A → B`, so no comparison's
"what differs" is left empty.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from judge.report import legend
from judge.report.model import Difference, ModelInfo, VariantPair


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


_FRIENDLY = {
    "quantization": "precision",
    "params.reasoning_effort": "reasoning effort",
    "extra_body.reasoning_effort": "reasoning effort",
    "extra_body.reasoning.effort": "reasoning effort",
    "extra_body.chat_template_kwargs.enable_thinking": "thinking",
    "extra_body.chat_template_kwargs.thinking": "thinking",
    "extra_body.think": "thinking",
}


def _show(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "on" if v else "off"
    return str(v)


def variant_differences(a: ModelInfo, b: ModelInfo) -> list[Difference]:
    """What differs between two variants: precision, reasoning effort, thinking, other params."""
    fa = {"quantization": a.quantization, **_flat(a.params, "params."), **_flat(a.extra_body, "extra_body.")}
    fb = {"quantization": b.quantization, **_flat(b.params, "params."), **_flat(b.extra_body, "extra_body.")}
    diffs: dict[str, Difference] = {}
    for k in sorted(set(fa) | set(fb), key=lambda k: (k not in _FRIENDLY, k)):
        if fa.get(k) != fb.get(k):
            what = _FRIENDLY.get(k, k.split(".", 1)[-1] if k.startswith("params.") else k)
            va, vb = fa.get(k), fb.get(k)
            if what == "thinking":  # an absent switch means the template default (on for Qwen3)
                va, vb = (True if va is None else va), (True if vb is None else vb)
                if va == vb:
                    continue
            diffs.setdefault(what, Difference(what=what, a=_show(va), b=_show(vb)))
    if not diffs and a.model_id != b.model_id:
        diffs["model id"] = Difference(what="model id", a=a.model_id, b=b.model_id)
    return list(diffs.values())


def label(diffs: Iterable[Difference]) -> str:
    return (
        "; ".join(f"{d.what} {d.a or legend.MISSING} {legend.ARROW} {d.b or legend.MISSING}" for d in diffs)
        or "same configuration"
    )


def variant_pairs(models: list[ModelInfo]) -> list[VariantPair]:
    fam: dict[str, list[ModelInfo]] = defaultdict(list)
    for m in models:
        fam[m.base_model or m.name].append(m)
    out = []
    for base, ms in sorted(fam.items()):
        for a, c in itertools.combinations(sorted(ms, key=lambda m: m.model), 2):
            d = variant_differences(a, c)
            out.append(VariantPair(base_model=base, model_a=a.model, model_b=c.model, differs=d, label=label(d)))
    return out


def family(m: ModelInfo) -> str:
    """The model's family: its base_model, or its name when none is set."""
    return m.base_model or m.name


def family_difference(a: ModelInfo, b: ModelInfo) -> Difference:
    return Difference(what="family", a=family(a), b=family(b))


def pair_labels(models: list[ModelInfo]) -> dict[tuple[str, str], str]:
    """(model_a, model_b) in label order -> what differs, for every pair of models of different families."""
    out = {}
    for a, c in itertools.combinations(sorted(models, key=lambda m: m.model), 2):
        if family(a) != family(c):
            rest = sorted(variant_differences(a, c), key=lambda d: d.what != "precision")  # stable: precision first
            diffs = [family_difference(a, c)] + [d for d in rest if d.what != "model id"]
            out[(a.model, c.model)] = label(diffs)
    return out
