"""`judge labels import`: filled files round-trip exactly; a bad file is refused whole, each problem named."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from judge.config import Config
from judge.errors import InputError
from judge.grade.plan import rubric_row
from judge.labels import COLUMNS, export_labels, import_labels
from judge.rubric import load_rubric
from judge.store import Store
from tests.helpers import ROOT
from tests.inproc import run_judge
from tests.test_labels_export import RD, RF, graded_db, read_csv, read_jsonl

NA_CRITERIA = {c.id for c in load_rubric(ROOT / "rubrics" / f"{RD}.yaml").criteria if c.not_applicable_when}


def cli(cfg: Config, *args: str) -> subprocess.CompletedProcess[str]:
    return run_judge("labels", *args, "-c", str(cfg.path))


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> list[int]:
    """Write rows as a spreadsheet saves them; return the line each record starts on (header: line 1)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(COLUMNS)
    starts = []
    for r in rows:
        starts.append(buf.getvalue().count("\n") + 1)
        w.writerow([r.get(c) or "" for c in COLUMNS])
    path.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    return starts


def fill(rows: list[dict[str, Any]], seed: int, annotator: str | None = None) -> dict[str, dict[str, Any]]:
    """A scripted linguist: a score for most rows (n/a now and then where allowed), a Cyrillic comment
    with a line break on some, a few left empty. Returns label_id -> what was filled."""
    rng = random.Random(seed)
    filled = {}
    for i, r in enumerate(rows):
        if i % 7 == 6:
            continue  # not labelled yet
        if r["criterion"] in NA_CRITERIA and rng.random() < 0.2:
            r["score"] = "n/a"
        else:
            r["score"] = str(rng.randint(1, 5))
        r["comment"] = f"Замечание №{i}:\nсогласование «ок»" if i % 3 == 0 else ""
        if annotator:
            r["annotator"] = annotator
        filled[r["label_id"]] = {
            "score": None if r["score"] == "n/a" else float(r["score"]),
            "not_applicable": r["score"] == "n/a",
            "comment": r["comment"] or None,
        }
    return filled


def stored(cfg: Config, annotator: str | None = None) -> dict[str, dict[str, Any]]:
    with Store.open_readonly(cfg.db_path) as store:
        rows = store.records(
            "SELECT l.*, i.rubric_version AS exported_version FROM labels l JOIN label_items i USING (label_id)"
            + (" WHERE l.annotator = ?" if annotator else ""),
            [annotator] if annotator else [],
        )
    return {r["label_id"]: r for r in rows}


def table(cfg: Config) -> list[tuple[Any, ...]]:
    with Store.open_readonly(cfg.db_path) as store:
        return store.query("SELECT * FROM human_labels ORDER BY ALL")[1]


@pytest.fixture
def project(tmp_path: Path) -> Config:
    return graded_db(tmp_path, n_pairs=4)


def test_export_fill_import_round_trips(project: Config, tmp_path: Path) -> None:
    r = cli(project, "export", "--out", str(tmp_path / "batch"), "--n", "2", "--seed", "3")
    assert r.returncode == 0, r.stderr
    rows = read_csv(tmp_path / "batch.csv")
    filled = fill(rows, seed=1)
    assert len(filled) < len(rows) and any(f["not_applicable"] for f in filled.values())
    write_csv(tmp_path / "anna.csv", rows)
    r = cli(project, "import", str(tmp_path / "anna.csv"), "--annotator", "anna")
    assert r.returncode == 0, r.stderr
    assert f"stored {len(filled)} labels ({len(filled)} new, 0 replaced)" in r.stdout
    got = stored(project)
    assert {k: {c: v[c] for c in ("score", "not_applicable", "comment")} for k, v in got.items()} == filled
    assert {v["annotator"] for v in got.values()} == {"anna"}
    with Store.open_readonly(project.db_path) as store:
        versions = dict(store.query("SELECT name, version FROM rubrics WHERE retired_at IS NULL")[1])
        # the version stored is the one the judge's verdict on that item carries
        agree = store.query(
            """SELECT count(*) FROM labels l JOIN label_items i USING (label_id)
               JOIN verdicts v ON v.generation_id = l.generation_id AND v.rubric = l.rubric
                AND v.criterion = l.criterion AND v.rubric_version = l.rubric_version"""
        )[1][0][0]
    assert agree == len(filled)
    assert all(v["rubric_version"] == versions[v["rubric"]] == v["exported_version"] for v in got.values())
    # importing the same file again replaces, never duplicates
    before = table(project)
    r = cli(project, "import", str(tmp_path / "anna.csv"), "--annotator", "anna")
    assert r.returncode == 0 and f"(0 new, {len(filled)} replaced)" in r.stdout
    assert len(table(project)) == len(before)
    # a second linguist on the same items, through JSONL with the annotator column filled
    objs = read_jsonl(tmp_path / "batch.jsonl")
    ben = fill(objs, seed=2, annotator="ben")
    (tmp_path / "ben.jsonl").write_text(
        "".join(json.dumps({**o, "score": o.get("score") or None}, ensure_ascii=False) + "\n" for o in objs),
        encoding="utf-8",
    )
    s = import_labels(project, [tmp_path / "ben.jsonl"])
    assert (s.new, s.replaced) == (len(ben), 0)
    got_ben = stored(project, "ben")
    assert {k: {c: v[c] for c in ("score", "not_applicable", "comment")} for k, v in got_ben.items()} == ben
    assert stored(project, "anna").keys() == got.keys()


def test_a_spreadsheet_resave_with_semicolons_and_decimal_commas_imports(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "b.csv", per_stratum=1, seed=4)
    rows = read_csv(tmp_path / "b.csv")
    for r in rows:
        r["score"] = "3,0"  # a Russian-locale spreadsheet's number
        r["annotator"] = "Анна Петровна"
    write_csv(tmp_path / "resaved.csv", rows, delimiter=";")
    s = import_labels(project, [tmp_path / "resaved.csv"])
    assert s.new == len(rows) and any("';'" in n for n in s.notes)
    got = stored(project)
    assert {v["score"] for v in got.values()} == {3.0} and {v["annotator"] for v in got.values()} == {"Анна Петровна"}


def test_a_bad_file_names_every_problem_and_writes_nothing(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "b.csv", per_stratum=2, seed=5)
    rows = read_csv(tmp_path / "b.csv")
    good = [dict(r, score="4") for r in rows]
    write_csv(tmp_path / "good.csv", good)
    import_labels(project, [tmp_path / "good.csv"], annotator="anna")
    before = table(project)
    assert before

    rf_row = next(r for r in rows if r["rubric"] == RF)
    na_row = next(r for r in rows if r["criterion"] in NA_CRITERIA)
    others = [r for r in rows if r["label_id"] not in (rf_row["label_id"], na_row["label_id"])]
    bad = [
        dict(others[0], label_id="Lnope", score="3"),
        dict(others[1], score="7"),
        dict(others[2], score="4.5"),
        dict(others[3], score="хорошо"),
        dict(rf_row, score="n/a"),
        dict(na_row, score="n/a", annotator="anna"),  # allowed here, yet not stored: the file is refused
        dict(others[4], score="2", annotator=""),
        dict(others[5], score="2"),
        dict(others[5], score="3"),
        dict(others[6], score="", comment="не уверена"),
        dict(others[7], score="5", annotator="boris"),
    ]
    for r in bad:
        r.setdefault("annotator", "")
    for i in (1, 2, 3, 4, 7, 8, 9):
        bad[i]["annotator"] = "anna"
    lines = write_csv(tmp_path / "bad.csv", bad)
    r = cli(project, "import", str(tmp_path / "bad.csv"))
    assert r.returncode == 2, r.stderr
    f = tmp_path / "bad.csv"
    expected = [
        f"{f}:{lines[0]}: label_id: unknown label id 'Lnope'",
        f"{f}:{lines[1]}: score: 7 is outside the scale 1..5",
        f"{f}:{lines[2]}: score: '4.5' is not an integer",
        f"{f}:{lines[3]}: score: 'хорошо' is not a score",
        f"{f}:{lines[4]}: score: 'n/a' is not allowed for {RF}.{rf_row['criterion']}",
        f"{f}:{lines[6]}: annotator: missing",
        f"{f}:{lines[8]}: label_id: a second label of this item by 'anna' (first at {f}:{lines[7]})",
        f"{f}:{lines[9]}: score: empty, but the row has a comment",
    ]
    for e in expected:
        assert e in r.stderr, (e, r.stderr)
    assert f"{f}:{lines[5]}:" not in r.stderr and f"{f}:{lines[10]}:" not in r.stderr
    assert "Traceback" not in r.stderr and "nothing was stored" in r.stderr
    assert table(project) == before  # not one row written, changed or deleted
    # --annotator against a filled column is a problem too
    with pytest.raises(InputError) as e:
        import_labels(project, [tmp_path / "bad.csv"], annotator="anna")
    assert f"{f}:{lines[10]}: annotator: 'boris' in the file, but --annotator says 'anna'" in e.value.problems


def test_bad_jsonl_lines(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "b.jsonl", per_stratum=1, seed=6)
    objs = read_jsonl(tmp_path / "b.jsonl")
    lines = [
        json.dumps({**objs[0], "score": True, "annotator": "anna"}),
        json.dumps({**objs[1], "label_id": None, "score": 3, "annotator": "anna"}),
        "{not json",
        json.dumps({**objs[2], "score": 4, "annotator": "anna"}),
    ]
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        import_labels(project, [f])
    assert e.value.problems[:3] == [
        f"{f}:3: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{f}:1: score: True is not a score: give an integer 1..5, or n/a where the criterion allows it",
        f"{f}:2: label_id: missing (every row needs the label_id it was exported with)",
    ]
    assert len(e.value.problems) == 3 and not table(project)


def test_a_label_for_a_rubric_changed_since_the_export_is_refused(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "b.csv", rubrics=[RF], per_stratum=1, seed=7)
    rows = [dict(r, score="3") for r in read_csv(tmp_path / "b.csv")]
    write_csv(tmp_path / "filled.csv", rows)
    old = load_rubric(ROOT / "rubrics" / f"{RF}.yaml")
    edited = tmp_path / f"{RF}.yaml"
    text = (ROOT / "rubrics" / f"{RF}.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("Грамматика", "Грамматика и морфология", 1), encoding="utf-8")
    new = load_rubric(edited)
    assert new.version != old.version
    with Store.open(project.db_path) as store:
        store.register_rubrics([rubric_row(new)])  # the old version is retired
    with pytest.raises(InputError) as e:
        import_labels(project, [tmp_path / "filled.csv"], annotator="anna")
    assert len(e.value.problems) == len(rows)
    assert all(
        f"label_id: rubric {RF} changed since this item was exported (exported under {old.version}, "
        f"now {new.version}): export again" in p
        for p in e.value.problems
    )
    assert not table(project)
