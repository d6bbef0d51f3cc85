"""`judge labels export`: a blind, stratified, shuffled sample of graded answers for linguists to label.

Blind: a row carries the prompt, the answer, the criterion's text and the rubric's anchors, and an
opaque `label_id` — never the model, the judge's score or anything derived from them. The id is
random; `label_items` in the database maps it back to (answer, rubric version, criterion), so the
file alone leads to no model. Texts are in the language the rubric instructs the judge in for that
item (`Rubric.judge_lang`), so the linguist reads what the judge read.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.config import Config
from judge.errors import InputError, JudgeError, StoreError
from judge.rubric import Rubric
from judge.store import Store
from judge.store import labels as sql

from .files import out_paths, write_csv, write_jsonl
from .sample import Stratum, draw

DEFAULT_PER_STRATUM = 20


@dataclass
class ExportSummary:
    export_id: str
    files: list[Path]
    rows: int = 0
    answers: int = 0
    strata: int = 0
    short: list[tuple[Stratum, int, int]] = field(default_factory=list)
    """Strata with fewer items than asked: (stratum, asked, found)."""
    naming: int = 0
    """Exported answers whose own text names a model (self-identification); exported as written."""


def export_labels(
    cfg: Config,
    out: Path,
    *,
    rubrics: list[str] | None = None,
    per_stratum: int | None = None,
    total: int | None = None,
    seed: int = 0,
    skip_exported: bool = False,
    force: bool = False,
    argv: list[str] | None = None,
) -> ExportSummary:
    """Sample, write the files (CSV and/or JSONL, see `files.out_paths`) and record the label ids."""
    if per_stratum is not None and total is not None:
        raise InputError(["--n and --total: give one of them (labels per stratum, or in all)"])
    if total is None and per_stratum is None:
        per_stratum = DEFAULT_PER_STRATUM
    for name, v in (("--n", per_stratum), ("--total", total)):
        if v is not None and v < 1:
            raise InputError([f"{name}: must be at least 1, got {v}"])
    paths = out_paths(out)
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise InputError(
            [f"{p}: exists (a linguist may be filling it)" for p in existing],
            hints=["choose another --out, or pass --force to overwrite"],
        )
    if not cfg.db_path.exists():
        raise StoreError(f"{cfg.db_path}: no database yet", hints=["run `judge generate` and `judge grade` first"])
    with Store.open(cfg.db_path) as store:
        known = sql.rubric_names(store)
        wanted = None if not rubrics or "all" in rubrics else sorted(set(rubrics))
        unknown = sorted(set(wanted or []) - set(known))
        if unknown:
            raise InputError(
                [
                    f"--rubric: no current rubric {u!r} in {cfg.db_path} (known: {', '.join(known) or 'none'})"
                    for u in unknown
                ]
            )
        candidates = sql.candidates(store, wanted)
        ids = sql.label_ids(store)
        if skip_exported:
            candidates = [c for c in candidates if _key(c) not in ids]
        if not candidates:
            raise JudgeError(
                f"{cfg.db_path}: nothing to export: no LLM verdict scored an answer on a current rubric version"
                + (" that was not exported before" if skip_exported else ""),
                hints=["run `judge grade` first"],
            )
        parsed = _rubrics(sql.rubric_json(store, {(c["rubric"], c["rubric_version"]) for c in candidates}))
        order = {k: [c.id for c in r.criteria] for k, r in parsed.items() if r is not None}
        d = draw(candidates, per_stratum=per_stratum, total=total, seed=seed, criteria_order=order)
        texts = sql.texts(store, sorted({k[0] for k in d.keys}))
        taken = set(ids.values())
        rows, items = [], []
        for gen, rubric, version, criterion in d.keys:
            label_id = ids.get((gen, rubric, version, criterion)) or _new_id(taken)
            t = texts[gen]
            r = parsed.get((rubric, version))
            text_lang = r.judge_lang(t["lang"]) if r is not None else t["lang"]
            rows.append({"label_id": label_id, "lang": t["lang"], **_texts(r, rubric, criterion, text_lang, t)})
            items.append(
                {
                    "label_id": label_id,
                    "generation_id": gen,
                    "rubric": rubric,
                    "rubric_version": version,
                    "criterion": criterion,
                    "text_lang": text_lang,
                }
            )
        summary = ExportSummary(export_id=uuid.uuid4().hex[:16], files=paths, rows=len(rows))
        summary.answers = len({k[0] for k in d.keys})
        summary.strata = len(d.wanted)
        summary.short = [(s, d.wanted[s], d.got[s]) for s in sorted(d.wanted) if d.got[s] < d.wanted[s]]
        names = sql.model_names(store)
        summary.naming = sum(1 for g in {k[0] for k in d.keys} if _names_a_model(texts[g]["answer"] or "", names))
        options = {"rubrics": wanted, "n": per_stratum, "total": total, "skip_exported": skip_exported}
        # The ids are recorded before the files exist: a file whose ids the database lacks could
        # never be imported, while ids without a file cost nothing.
        sql.record_export(
            store,
            {
                "export_id": summary.export_id,
                "seed": seed,
                "options": {**options, "argv": argv or []},
                "n_items": len(items),
                "files": [str(p) for p in paths],
            },
            items,
        )
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        (write_csv if p.suffix.lower() == ".csv" else write_jsonl)(p, rows)
    return summary


def _key(c: dict[str, Any]) -> tuple[str, str, str, str]:
    return (c["generation_id"], c["rubric"], c["rubric_version"], c["criterion"])


def _new_id(taken: set[str]) -> str:
    """A random id: nothing about the answer or its model can be read or guessed from it."""
    while True:
        i = "L" + secrets.token_hex(6)
        if i not in taken:
            taken.add(i)
            return i


def _rubrics(js: dict[tuple[str, str], str]) -> dict[tuple[str, str], Rubric | None]:
    """Each stored version's content as a Rubric (None where the stored JSON is not one: the rows then
    carry the criterion id alone)."""
    out: dict[tuple[str, str], Rubric | None] = {}
    for key, text in js.items():
        try:
            out[key] = Rubric.model_validate_json(text)
        except ValueError:
            out[key] = None
    return out


def _texts(r: Rubric | None, rubric: str, criterion: str, lang: str, t: dict[str, Any]) -> dict[str, Any]:
    """The row's texts in `lang`: the criterion, its anchors and scale, and the item."""
    row: dict[str, Any] = {"rubric": rubric, "criterion": criterion, "prompt": t["prompt"], "answer": t["answer"]}
    if r is None:
        return row
    try:
        c = r.criterion(criterion)
    except KeyError:
        return row
    row.update(
        criterion_title=c.title.get(lang),
        criterion_description=c.description.get(lang) if c.description else None,
        scale={"min": r.scale.min, "max": r.scale.max},
        anchors={str(k): v.get(lang) for k, v in sorted(c.anchors.items())},
        not_applicable_when=c.not_applicable_when.get(lang) if c.not_applicable_when else None,
        # The judge sees the reference only where the rubric shows it; the linguist sees what the judge saw.
        reference=t["reference"] if r.include_reference else None,
    )
    return row


def _names_a_model(answer: str, names: list[str]) -> bool:
    """Whether the answer's text contains a model's name or id (or the id's last part, e.g. `gpt-oss-120b`)."""
    low = answer.lower()
    parts = {n.lower() for n in names} | {n.rsplit("/", 1)[-1].lower() for n in names}
    return any(len(p) >= 4 and re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", low) for p in parts)


def describe(s: Stratum) -> str:
    model, lang, rubric, _version, criterion = s
    return f"{model} × {lang} × {rubric}.{criterion}"
