"""Answer files written elsewhere: plain JSONL, or Arena-Hard / MT-Bench model-answer files.

- `jsonl`: `{"prompt_id": "...", "answer": "...", "reasoning": "..."?}` one a line; `prompt_id` is the
  id of an item of the dataset.
- `arena-hard` / `mtbench`: `{"question_id", "model_id"?, "choices": [{"turns": [{"content"}]}]}`
  (the answer files of both harnesses); the prompt is the item `arena-<question_id>` or
  `mtbench-<question_id>`, the ids that `judge dataset import` gives those questions. Only the first
  turn is read, as the importers read only the first turn of a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from judge.errors import DatasetError, problem

from .jsonl import read_objects

AnswerFormat = Literal["jsonl", "arena-hard", "mtbench"]
FORMATS: tuple[str, ...] = ("jsonl", "arena-hard", "mtbench")
_PREFIX = {"arena-hard": "arena-", "mtbench": "mtbench-"}


@dataclass(frozen=True)
class ExternalAnswer:
    """One answer read from a file, and where it was read."""

    line: int
    prompt_id: str
    answer: str
    reasoning: str | None = None
    model_id: str | None = None
    """The model the file names (Arena-Hard `model_id`), kept as provenance."""


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _plain(obj: dict[str, Any], line: int, path: Path, problems: list[str]) -> ExternalAnswer | None:
    pid, answer, reasoning = obj.get("prompt_id"), obj.get("answer"), obj.get("reasoning")
    bad = False
    if not _text(pid):
        problems.append(problem(path, line, "prompt_id", "missing or not a non-empty string"))
        bad = True
    if not isinstance(answer, str):
        problems.append(problem(path, line, "answer", "missing or not a string"))
        bad = True
    if reasoning is not None and not isinstance(reasoning, str):
        problems.append(problem(path, line, "reasoning", "must be a string when given"))
        bad = True
    return None if bad else ExternalAnswer(line, str(pid), str(answer), reasoning)


def _harness(obj: dict[str, Any], line: int, path: Path, problems: list[str], prefix: str) -> ExternalAnswer | None:
    qid = obj.get("question_id", obj.get("uid"))
    if not (isinstance(qid, int) and not isinstance(qid, bool)) and not _text(qid):
        problems.append(problem(path, line, "question_id", "missing (expected `question_id` or `uid`)"))
        return None
    choices = obj.get("choices")
    try:
        content = choices[0]["turns"][0]["content"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        content = obj.get("answer") if isinstance(obj.get("answer"), str) else None
    if not isinstance(content, str):
        problems.append(problem(path, line, "choices.0.turns.0.content", "missing or not a string"))
        return None
    model_id = obj.get("model_id") if _text(obj.get("model_id")) else None
    return ExternalAnswer(line, f"{prefix}{qid}", content, None, model_id)


def read_answers(path: str | Path, fmt: AnswerFormat = "jsonl") -> list[ExternalAnswer]:
    """Every answer of the file; DatasetError listing each bad line (`file:line: field: message`)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise DatasetError([f"--format: unknown answer format {fmt!r} (known: {', '.join(FORMATS)})"])
    problems: list[str] = []
    out: list[ExternalAnswer] = []
    seen: dict[str, int] = {}
    for line, obj in read_objects(path, problems):
        a = _plain(obj, line, path, problems) if fmt == "jsonl" else _harness(obj, line, path, problems, _PREFIX[fmt])
        if a is None:
            continue
        if a.prompt_id in seen:
            field = "prompt_id" if fmt == "jsonl" else "question_id"
            problems.append(
                problem(path, line, field, f"a second answer to {a.prompt_id!r} (first on line {seen[a.prompt_id]})")
            )
            continue
        seen[a.prompt_id] = line
        out.append(a)
    if not out and not problems:
        problems.append(problem(path, None, None, "no answers in the file"))
    if problems:
        raise DatasetError(problems)
    return out
