"""The JSONL reader's refusals (red-team pass, issue 12): numbers JSON lacks, duplicate keys, depth,
whitespace prompts, files that are not regular files, line sizes; and ids or pairs across files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from judge.dataset import MAX_DEPTH, MAX_LINE_BYTES, check_files, load_items
from judge.dataset.answers import read_answers
from judge.errors import DatasetError
from tests.helpers import make_items, write_jsonl

GOOD = {"id": "a-en", "pair": "a", "lang": "en", "category": "logic", "prompt": "Question?"}


def _problems(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as e:
        load_items(path)
    return e.value.problems


def _write(tmp_path: Path, *lines: str) -> Path:
    p = tmp_path / "d.jsonl"
    p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return p


def _with_answer(value: str) -> str:
    return json.dumps(GOOD)[:-1] + ', "answer": {"type": "number", "value": ' + value + "}}"


FINITE = "; use a finite number"
RANGE = " is out of range (at most about ±1.8e308)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "NaN is not a JSON number" + FINITE),
        ("Infinity", "Infinity is not a JSON number" + FINITE),
        ("-Infinity", "-Infinity is not a JSON number" + FINITE),
        ("1e400", "number 1e400" + RANGE),
        ("-1e400", "number -1e400" + RANGE),
        ("9" * 5000, "integer of 5000 digits" + RANGE),
        ("1" + "0" * 320, "integer 10000000000000000000..." + RANGE),
    ],
)
def test_numbers_json_does_not_have_are_refused_with_their_field(tmp_path: Path, value: str, message: str) -> None:
    p = _write(tmp_path, json.dumps({**GOOD, "id": "b-en", "pair": "b"}), _with_answer(value))
    assert _problems(p) == [f"{p}:2: answer.value: {message}"]


def test_large_finite_numbers_are_kept(tmp_path: Path) -> None:
    p = _write(tmp_path, _with_answer("1.5e308"))
    assert load_items(p)[0].answer.value == 1.5e308  # type: ignore[union-attr]
    p = _write(tmp_path, _with_answer("1" + "0" * 300))
    assert load_items(p)[0].answer.value == 10**300  # type: ignore[union-attr]


def test_a_bad_number_outside_the_item_fields_is_still_located(tmp_path: Path) -> None:
    p = _write(tmp_path, json.dumps(GOOD)[:-1] + ', "tags": ["x", NaN]}', "[NaN]")
    assert _problems(p) == [
        f"{p}:1: tags.1: NaN is not a JSON number" + FINITE,
        f"{p}:2: 0: NaN is not a JSON number" + FINITE,
    ]


def test_duplicate_keys_are_refused_at_any_level(tmp_path: Path) -> None:
    top = json.dumps(GOOD)[:-1] + ', "prompt": "Another?"}'
    inner = json.dumps(GOOD)[:-1] + ', "answer": {"type": "exact", "value": "a", "value": "b"}}'
    p = _write(tmp_path, top, inner.replace("a-en", "b-en").replace('"a"', '"b"', 1))
    assert _problems(p) == [
        f"{p}:1: prompt: duplicate key 'prompt' in one JSON object",
        f"{p}:2: value: duplicate key 'value' in one JSON object",
    ]


def test_nesting_up_to_the_limit_is_read_and_past_it_refused(tmp_path: Path) -> None:
    def nested(levels: int) -> str:  # the object itself is one level; the tags arrays the rest
        return json.dumps({**GOOD, "tags": []}).replace("[]", "[" * (levels - 1) + "]" * (levels - 1))

    ok = _write(tmp_path, nested(MAX_DEPTH))
    with pytest.raises(DatasetError) as e:  # a valid read: only the item check complains
        load_items(ok)
    assert all("nested" not in x for x in e.value.problems)
    for levels in (MAX_DEPTH + 1, 5000, 200_000):  # 5000 and more: Python's parser itself gives up
        p = _write(tmp_path, nested(levels))
        assert _problems(p) == [f"{p}:1: objects and arrays nested deeper than {MAX_DEPTH} levels"], levels


@pytest.mark.parametrize("field", ["prompt", "category"])
@pytest.mark.parametrize("blank", [" ", "\t\n", "\u00a0\u2003"])
def test_whitespace_only_prompt_or_category(tmp_path: Path, field: str, blank: str) -> None:
    p = _write(tmp_path, json.dumps({**GOOD, field: blank}))
    assert _problems(p) == [f"{p}:1: {field}: must contain text, not only whitespace"]


def test_prompt_with_surrounding_whitespace_is_kept_as_it_is(tmp_path: Path) -> None:
    p = _write(tmp_path, json.dumps({**GOOD, "prompt": "  Question?\n"}))
    assert load_items(p)[0].prompt == "  Question?\n"


def test_paths_that_are_not_regular_files(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert _problems(folder) == [f"{folder}: is a directory, not a file"]
    assert _problems(fifo) == [f"{fifo}: is a pipe (FIFO), not a regular file"]
    assert _problems(Path("/dev/zero")) == ["/dev/zero: is a device, not a regular file"]
    assert _problems(tmp_path / "missing.jsonl") == [f"{tmp_path / 'missing.jsonl'}: file not found"]
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")  # a link is judged by what it points at
    assert _problems(link) == [f"{link}: is a device, not a regular file"]


def test_line_size_limit_counts_content_only(tmp_path: Path) -> None:
    def line_of(size: int) -> bytes:
        head = json.dumps({**GOOD, "prompt": ""})[:-2]  # ends with the prompt's opening quote
        return (head + "x" * (size - len(head) - 2) + '"}').encode()

    at_limit, over = line_of(MAX_LINE_BYTES), line_of(MAX_LINE_BYTES + 1)
    assert len(at_limit) == MAX_LINE_BYTES
    p = tmp_path / "d.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + at_limit + b"\r\n")  # a BOM and CRLF do not count
    assert len(load_items(p)[0].prompt) > 999_000
    p.write_bytes(b"\xef\xbb\xbf" + over + b"\r\n" + json.dumps({**GOOD, "id": "b-en", "pair": "b"}).encode())
    assert _problems(p) == [f"{p}:1: line is {MAX_LINE_BYTES + 1} bytes, over the {MAX_LINE_BYTES} limit"]


def test_long_lines_are_skipped_and_the_next_line_read(tmp_path: Path) -> None:
    good = json.dumps(GOOD).encode()
    p = tmp_path / "d.jsonl"
    # 3 MB then CRLF, a good line, 2.5 MB (the newline in another chunk than the CR), no newline at the end
    p.write_bytes(b"x" * 3_000_000 + b"\r\n" + good + b"\n" + b"y" * (1 << 21) + b"y" * 400_000 + b"\r")
    with pytest.raises(DatasetError) as e:
        load_items(p)
    assert e.value.problems == [
        f"{p}:1: line is 3000000 bytes, over the {MAX_LINE_BYTES} limit",
        f"{p}:3: line is {(1 << 21) + 400_000} bytes, over the {MAX_LINE_BYTES} limit",
    ]
    p.write_bytes(b"x" * 3_000_000 + b"\n" + good + b"\n")
    with pytest.raises(DatasetError) as e:
        load_items(p)
    assert e.value.problems == [f"{p}:1: line is 3000000 bytes, over the {MAX_LINE_BYTES} limit"]


def test_an_endless_line_is_skipped_chunk_by_chunk(tmp_path: Path) -> None:
    """A sparse 1.5 GiB file without a newline: counted, never held (see also tests/cli/test_bad_input)."""
    p = tmp_path / "sparse.jsonl"
    size = 3 * 1024**3 // 2
    with p.open("wb") as f:
        f.truncate(size)
    assert _problems(p) == [f"{p}:1: line is {size} bytes, over the {MAX_LINE_BYTES} limit"]


def test_answer_files_share_the_reader(tmp_path: Path) -> None:
    p = tmp_path / "answers.jsonl"
    p.write_text('{"prompt_id": "a-en", "answer": "x", "score": NaN}\n', encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        read_answers(p)
    assert e.value.problems == [f"{p}:1: score: NaN is not a JSON number; use a finite number"]


# ---------------------------------------------------------------- several files as one set


def test_check_files_accepts_a_subset_or_a_copy(tmp_path: Path) -> None:
    rows = make_items(3)
    full = write_jsonl(tmp_path / "full.jsonl", rows)
    part = write_jsonl(tmp_path / "part.jsonl", rows[2:4])
    checks = check_files([full, part, full])
    assert [(c.path, len(c.items), c.ok) for c in checks] == [(full, 6, True), (part, 2, True), (full, 6, True)]


def test_check_files_refuses_one_id_for_two_tasks(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", make_items(2))
    changed = make_items(1)
    changed[0]["prompt"] = "A different task?"
    b = write_jsonl(tmp_path / "b.jsonl", changed)
    first, second = check_files([a, b])
    assert first.ok and len(second.items) == 2
    assert second.problems == [f"{b}:1: id: id 't000-en' is also in {a}:1 with different content"]


def test_check_files_refuses_one_pair_name_for_two_tasks(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{**GOOD, "id": "x-en", "pair": "t1"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{**GOOD, "id": "y-en", "pair": "t1"}])
    c = write_jsonl(tmp_path / "c.jsonl", [{**GOOD, "id": "z-ru", "lang": "ru", "pair": "t1", "category": "code"}])
    checks = check_files([a, b, c])
    assert checks[0].ok
    assert checks[1].problems == [f"{b}:1: pair: pair 't1' has 2 items in 'en' (also {a}:1)"]
    assert checks[2].problems == [f"{c}:1: category: pair 't1' mixes categories ['code', 'logic'] (also {a}:1)"]


def test_check_files_keeps_each_files_own_problems(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", make_items(1))
    bad = _write(tmp_path, "{oops")
    checks = check_files([good, bad, tmp_path / "missing.jsonl"])
    assert checks[0].ok
    assert checks[1].problems == [
        f"{bad}:1: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]
    assert checks[2].problems == [f"{tmp_path / 'missing.jsonl'}: file not found"]
