"""`[judge] models`: a jury of several judges, and the checks that hold across its entries.

Kept apart from judge.config, which calls these: `Config.judge_models()` and the cross-field checks
of `load_config`. Entries are [[models]] names or endpoint tables, like `[judge] model`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from judge.config import Config, JudgeConfig, ModelConfig

DEFAULT_JUDGE = "judge"
"""`[judge] model` when neither `model` nor `models` is given (a [[models]] entry of that name)."""


def entries(judge: JudgeConfig) -> list[str | ModelConfig]:
    """The jury as written: `models` when given, else the one `model`."""
    return list(judge.models) if judge.models else [judge.model]


def judge_models(cfg: Config) -> list[ModelConfig]:
    """Every judge's endpoint, in the order written (checked by `jury_issues` when the config loaded)."""
    assert cfg.judge is not None
    by = {m.name: m for m in cfg.models}
    return [e if not isinstance(e, str) else by[e] for e in entries(cfg.judge)]


def jury_issues(cfg: Config, known: dict[str, int]) -> list[tuple[tuple[Any, ...], str]]:
    """Problems of `[judge] model` / `models`, each with the path of the field to blame.

    Why the identity check: a verdict's key hashes the judge's model id and parameters, not its
    name, so two jury entries with the same ones would share every verdict and the second would
    never grade (change a parameter, e.g. the seed, to sample one model twice).
    """
    j = cfg.judge
    if j is None:
        return []
    out: list[tuple[tuple[Any, ...], str]] = []
    names = ", ".join(known) or "none"
    if j.models is not None and "model" in j.model_fields_set:
        out.append(
            (
                ("judge", "models"),
                "give either `model` (one judge) or `models` (a jury), not both",
            )
        )
        return out
    if j.models is None:
        if isinstance(j.model, str) and j.model not in known:
            out.append((("judge", "model"), f"judge.model {j.model!r} is not a [[models]] name (known: {names})"))
        return out
    by = {m.name: m for m in cfg.models}
    members: list[tuple[int, ModelConfig]] = []
    for i, e in enumerate(j.models):
        if isinstance(e, str) and e not in by:
            out.append((("judge", "models", i), f"{e!r} is not a [[models]] name (known: {names})"))
        else:
            members.append((i, by[e] if isinstance(e, str) else e))
    out += [(("judge", "models", i), msg) for i, msg in _same_judges(members)]
    return out


def _same_judges(members: list[tuple[int, ModelConfig]]) -> list[tuple[int, str]]:
    """Entries (by index) that repeat an earlier judge's name, or its model id and parameters."""
    out = []
    names: dict[str, int] = {}
    idents: dict[str, str] = {}
    for i, m in members:
        ident = m.content_variant()
        if m.name in names:
            out.append((i, f"judge {m.name!r} is listed twice"))
        elif ident in idents:
            out.append(
                (
                    i,
                    f"judge {m.name!r} has the same model id and parameters as {idents[ident]!r}: their verdicts "
                    "would share keys (change a parameter, e.g. the seed, to ask one model twice)",
                )
            )
        else:
            names[m.name], idents[ident] = i, m.name
    return out


def override(cfg: Config, names: list[str]) -> None:
    """Grade with the judges named (the CLI's `--judge`, repeatable) instead of the configured ones.

    A name is a [[models]] entry or a configured judge (an endpoint table of `[judge]`).
    """
    from judge.errors import ConfigError

    if cfg.judge is None:
        raise ConfigError([f"--judge: {cfg.path}: no [judge] table in the config"])
    known = {m.name: m for m in cfg.models} | {m.name: m for m in judge_models(cfg)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError([f"--judge: {n!r} is not a [[models]] name or judge in {cfg.path}" for n in unknown])
    chosen = [known[n] for n in dict.fromkeys(names)]
    same = _same_judges(list(enumerate(chosen)))
    if same:
        raise ConfigError([f"--judge: {msg}" for _, msg in same])
    if len(chosen) == 1:
        cfg.judge.model, cfg.judge.models = chosen[0], None
    else:
        cfg.judge.models = list(chosen)
