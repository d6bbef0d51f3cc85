"""`judge fidelity`: what a lower-precision variant changes in the base model's token distributions.

The stage: for each text (references, a model's answers or a file), the prompt log-probabilities of
the base and of each variant are requested through their endpoints (request.py), compared token
by token (compare.py) and kept per text in `fidelity_texts`; at the end the per-language
statistics with bootstrap CIs (stats.py) replace the pair's rows of `fidelity_stats`, which the
`fidelity` view shows. Before anything is written, every endpoint is asked for one text: a server
without prompt log-probabilities, or a variant that tokenizes differently from its base, stops the
command with exit 2 and nothing stored. A call that fails after the retry policy is an error row
(left out of the statistics, never a value); an endpoint whose breaker opens leaves its texts
pending for the next run. Texts are keyed by content, so a rerun requests only what is missing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.config import Config, ModelConfig
from judge.errors import ConfigError, EndpointError
from judge.grade.record import recorded
from judge.keys import stable_hash
from judge.model import BadResponse, CallFailed, CircuitOpen, Endpoint, storable
from judge.store import BatchWriter, Store, now
from judge.store.fidelity import stored_texts, write_stats, write_texts
from judge.store.progress import track
from judge.store.summary import StageSummary

from .compare import APPROXIMATION, TextResult, TokenizerMismatch, compare
from .request import Mode, TextLogprobs, detect, fetch
from .stats import by_language
from .texts import REFERENCES, Text, answer_texts, answers_of, file_texts, per_lang, reference_texts

__all__ = ["FidelitySummary", "family_of", "fidelity"]

Progress = Callable[[str, bool], None]
MAX_TOP_K = 100


@dataclass
class FidelitySummary(StageSummary):
    base: str = ""
    variants: list[str] = field(default_factory=list)
    texts: int = 0
    modes: dict[str, str] = field(default_factory=dict)
    """Model name -> the wire format that gave its prompt log-probabilities."""
    stats: list[dict[str, Any]] = field(default_factory=list)
    """The rows written to `fidelity_stats` (what the `fidelity` view shows)."""


def family_of(m: ModelConfig) -> str:
    """The base model a [[models]] entry is a variant of: its `base_model`, else its own name."""
    return m.base_model or m.name


def _models(cfg: Config, base: str, variants: list[str]) -> tuple[ModelConfig, list[ModelConfig]]:
    if not variants:
        raise ConfigError(["--variants: name at least one [[models]] entry to compare with the base"])
    if base in variants or len(set(variants)) != len(variants):
        raise ConfigError([f"--variants: {', '.join(variants)}: each once, and not the base {base!r}"])
    b, *vs = cfg.select([base, *variants])
    fam = family_of(b)
    bad = [f"--variants: {v.name!r} has base_model {family_of(v)!r}, not {fam!r} like {b.name!r}" for v in vs]
    bad = [x for v, x in zip(vs, bad) if family_of(v) != fam]
    if bad:
        raise ConfigError(
            bad,
            hints=[
                "variants of one base model share `base_model` in judge.toml's [[models]] "
                f'(e.g. base_model = "{fam}" on each); only they share a tokenizer'
            ],
        )
    return b, vs


def _texts(cfg: Config, spec: str, base: str, limit: int | None) -> tuple[list[Text], str | None]:
    """The texts (references or a file), or the model whose stored answers are wanted (read later)."""
    model = answers_of(spec, base)
    if model is not None:
        if not cfg.db_path.exists():
            raise ConfigError(
                [f"{cfg.db_path}: no database yet, so no answers of {model!r} to compare on"],
                hints=[f"use --texts {REFERENCES} or a file, or run `judge generate` first"],
            )
        return [], model
    if spec == REFERENCES:
        texts = reference_texts(cfg)
    else:
        path = cfg.resolve(spec)
        if not path.is_file():
            raise ConfigError(
                [f"--texts: {spec!r} is neither `references`, `answers`, `answers:MODEL` nor a file ({path})"]
            )
        texts = file_texts(Path(path))
    if not texts:
        raise ConfigError([f"--texts {spec}: no texts (no item of {cfg.dataset} has a reference)"])
    return per_lang(texts, limit), None


def _key(base: ModelConfig, variant: ModelConfig, t: Text, k: int) -> str:
    return stable_hash({"base": base.variant(), "variant": variant.variant(), "text": t.text_hash, "k": k})


@dataclass
class _Setup:
    base: ModelConfig
    variants: list[ModelConfig]
    endpoints: dict[str, Endpoint]
    modes: dict[str, Mode]
    k: int
    run_id: str
    first: dict[str, TextLogprobs]
    """The first text's log-probabilities from every endpoint (fetched while checking them)."""
    first_text: str | None = None


async def _check(s: _Setup, text: Text) -> None:
    """Every endpoint answers with prompt log-probabilities and every variant tokenizes like the base."""
    try:
        for m in [s.base, *s.variants]:
            got = await detect(s.endpoints[m.name], text.text, s.k)
            s.modes[m.name], s.first[m.name] = got.mode, got
    finally:
        await _close(s.endpoints)  # each event loop gets its own clients
    s.first_text = text.text
    for v in s.variants:
        try:
            compare(s.first[s.base.name], s.first[v.name])
        except TokenizerMismatch as e:
            raise EndpointError(
                f"model {v.name!r} does not tokenize like its base {s.base.name!r} ({text.source_id}: {e})",
                hints=["`judge fidelity` compares variants of one model that share its tokenizer"],
            ) from e


def _row(s: _Setup, v: ModelConfig, t: Text, key: str) -> dict[str, Any]:
    return {
        "text_key": key,
        "base": s.base.name,
        "base_variant": s.base.variant(),
        "variant": v.name,
        "variant_variant": v.variant(),
        "base_model": family_of(s.base),
        "top_k": s.k,
        "mode": s.modes.get(v.name),
        "source": t.source,
        "source_id": t.source_id,
        "lang": t.lang,
        "text_hash": t.text_hash,
        "run_id": s.run_id,
        "created_at": now(),
    }


def _failure(e: BaseException) -> tuple[str, int]:
    if isinstance(e, CallFailed):
        return str(e), e.attempts
    return f"{type(e).__name__}: {e}", 1


async def _one(s: _Setup, t: Text, todo: list[tuple[ModelConfig, str]]) -> list[dict[str, Any]]:
    """The rows of one text for the variants in `todo`: compared, or the error that prevented it."""

    async def get(m: ModelConfig) -> TextLogprobs:
        if t.text == s.first_text:
            return s.first[m.name]
        return await fetch(s.endpoints[m.name], t.text, s.k, s.modes[m.name])

    rows = []
    try:
        base = await get(s.base)
    except (CallFailed, BadResponse) as e:
        err, attempts = _failure(e)
        return [
            {**_row(s, v, t, key), "status": "error", "error": f"base: {err}", "attempts": attempts} for v, key in todo
        ]
    got = await asyncio.gather(*(get(v) for v, _ in todo), return_exceptions=True)
    for (v, key), lp in zip(todo, got):
        row = _row(s, v, t, key)
        if isinstance(lp, CircuitOpen):
            raise lp
        if isinstance(lp, BaseException):
            if not isinstance(lp, CallFailed | BadResponse):
                raise lp
            err, attempts = _failure(lp)
            rows.append({**row, "status": "error", "error": err, "attempts": attempts})
            continue
        try:
            r = compare(base, lp)
        except TokenizerMismatch as e:
            rows.append({**row, "status": "error", "error": f"tokenizer: {e}", "attempts": lp.attempts})
            continue
        rows.append({**row, "status": "ok", "attempts": lp.attempts, **_result_cols(r)})
    return rows


def _result_cols(r: TextResult) -> dict[str, Any]:
    return {
        "n_tokens": r.n,
        "kld": r.kld,
        "agree": r.agree,
        "nll_base": r.nll_base,
        "nll_variant": r.nll_variant,
        "tail_base": r.tail_base,
        "error": None,
    }


async def _run(
    s: _Setup,
    work: list[tuple[Text, list[tuple[ModelConfig, str]]]],
    store: Store,
    summary: FidelitySummary,
    on_done: Progress | None,
    limit: int,
) -> None:
    writer = BatchWriter(lambda batches: write_texts(store, [r for rows in batches for r in rows]))
    sem = asyncio.Semaphore(limit)

    async def handle(t: Text, todo: list[tuple[ModelConfig, str]]) -> None:
        async with sem:
            try:
                rows = await _one(s, t, todo)
            except CircuitOpen as e:
                summary.pending += len(todo)  # the endpoint is down: nothing stored, the next run does it
                summary.unreachable.setdefault(s.base.name, str(e))
                return
        writer.add([{**r, "error": storable(r["error"]) if r.get("error") else None} for r in rows])
        for r in rows:
            ok = r["status"] == "ok"
            summary.ok += ok
            summary.errors += not ok
        if on_done:
            on_done(t.lang, all(r["status"] == "ok" for r in rows))

    try:
        await asyncio.gather(*(handle(t, todo) for t, todo in work))
    finally:
        interrupted = writer.flush()
        await _close(s.endpoints)
        if interrupted:
            raise KeyboardInterrupt


def _stats_rows(
    s: _Setup, texts: list[Text], stored: dict[str, dict[str, Any]], source: str, n_boot: int, seed: int
) -> list[dict[str, Any]]:
    out = []
    for v in s.variants:
        results: list[tuple[str, TextResult]] = []
        errors: dict[str, int] = {}
        for t in texts:
            r = stored.get(_key(s.base, v, t, s.k))
            if r is None:
                continue
            if r["status"] != "ok":
                errors[t.lang] = errors.get(t.lang, 0) + 1
                continue
            res = TextResult(list(r["kld"]), r["agree"], r["nll_base"], r["nll_variant"], r["tail_base"])
            results.append((t.lang, res))
        for st in by_language(results, n_boot=n_boot, seed=seed):
            n_err = sum(errors.values()) if st.lang == "all" else errors.get(st.lang, 0)
            out.append(
                {
                    **vars(st),
                    "base_model": family_of(s.base),
                    "base": s.base.name,
                    "variant": v.name,
                    "base_quantization": s.base.quantization,
                    "variant_quantization": v.quantization,
                    "source": source,
                    "top_k": s.k,
                    "mode": s.modes.get(v.name),
                    "n_errors": n_err,
                    "approximation": APPROXIMATION,
                    "run_id": s.run_id,
                    "computed_at": now(),
                }
            )
    return out


def fidelity(
    cfg: Config,
    *,
    base: str,
    variants: list[str],
    texts: str = REFERENCES,
    limit: int | None = None,
    top_k: int = 20,
    concurrency: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    argv: list[str] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
) -> FidelitySummary:
    """Compare each variant's token distributions with the base's on the same texts; store the per-text
    comparisons and the per-language statistics (the `fidelity` view). Bad input, a server without
    prompt log-probabilities or a tokenizer mismatch raise before anything is written."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise ConfigError([f"--top-k: {top_k} is not between 1 and {MAX_TOP_K}"])
    b, vs = _models(cfg, base, variants)
    for m in (b, *vs):
        m.api_key()
    text_list, answers_model = _texts(cfg, texts, b.name, limit)
    run_id = uuid.uuid4().hex[:16]
    summary = FidelitySummary(run_id=run_id, base=b.name, variants=[v.name for v in vs])
    source = texts if answers_model is None else f"answers:{answers_model}"
    if answers_model is not None:  # the store holds the texts: read them before checking the servers
        with Store.open(cfg.db_path) as st:
            text_list = per_lang(answer_texts(st, answers_model), limit)
    s = _Setup(b, vs, _endpoints((b, *vs), concurrency), {}, top_k, run_id, {})
    # The shortest text: a long one could fail on the context length and read as "unsupported".
    asyncio.run(_check(s, min(text_list, key=lambda t: len(t.text))))
    summary.modes = dict(s.modes)
    summary.texts = len(text_list)
    store = Store.open(cfg.db_path)
    try:
        keys = {(t.text_hash, v.name): _key(b, v, t, top_k) for t in text_list for v in vs}
        stored = stored_texts(store, list(keys.values()))
        work = []
        for t in text_list:
            todo = [(v, keys[t.text_hash, v.name]) for v in vs]
            todo = [(v, k) for v, k in todo if stored.get(k, {}).get("status") != "ok"]
            summary.skipped += len(vs) - len(todo)
            if todo:
                work.append((t, todo))
        summary.planned = sum(len(todo) for _, todo in work)
        store.start_run(
            run_id,
            "fidelity",
            argv or [],
            {"base": b.name, "variants": [v.name for v in vs], "texts": source, "limit": limit, "top_k": top_k},
        )
        progress, hook = track(cfg.db_path, run_id, "fidelity", summary.planned, summary, on_done)
        if on_plan:
            on_plan(len(work))

        def counts() -> dict[str, Any]:
            return {"ok": summary.ok, "errors": summary.errors, "pending": summary.pending, "skipped": summary.skipped}

        with recorded(store, run_id, summary, counts, progress.close):
            if work:
                s.endpoints = _endpoints((b, *vs), concurrency)
                asyncio.run(_run(s, work, store, summary, hook, concurrency or b.concurrency))
            rows = _stats_rows(s, text_list, stored_texts(store, list(keys.values())), source, n_boot, seed)
            write_stats(store, [(b.name, v.name) for v in vs], rows)
            summary.stats = rows
    finally:
        store.close()
    return summary


def _endpoints(models: tuple[ModelConfig, ...], concurrency: int | None) -> dict[str, Endpoint]:
    return {m.name: Endpoint(m, concurrency=concurrency) for m in models}


async def _close(endpoints: dict[str, Endpoint]) -> None:
    for e in endpoints.values():
        await e.aclose()
