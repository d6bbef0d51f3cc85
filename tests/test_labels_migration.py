"""m006_labels on a database that already holds labels written by hand under m002."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from judge.store import Store
from judge.store.migrations import MIGRATIONS


def _up_to(path: Path, last: str) -> None:
    """A database migrated up to `last` only, as an older judge left it."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _judge_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for name, fn in MIGRATIONS:
        fn(con)
        con.execute("INSERT INTO _judge_migrations VALUES (?, now())", [name])
        if name == last:
            break
    con.execute(
        "INSERT INTO human_labels VALUES ('g1', 'russian_fluency', 'grammar', 'anna', 4, 'ок', now()),"
        " ('g1', 'russian_fluency', 'grammar', 'boris', 3, NULL, now())"
    )
    con.close()


def test_hand_written_labels_survive_with_no_version(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _up_to(path, "m005_probe")
    with Store.open(path) as store:
        assert "m006_labels" in store.applied()
        rows = store.query(
            "SELECT annotator, score, comment, rubric_version, rubric_current, not_applicable FROM labels ORDER BY 1"
        )[1]
        assert rows == [("anna", 4.0, "ок", None, None, False), ("boris", 3.0, None, None, None, False)]
        # the key now holds the rubric version: the same annotator may label a new version of the item
        store.con.execute(
            "INSERT INTO human_labels (generation_id, rubric, criterion, annotator, score, rubric_version)"
            " VALUES ('g1', 'russian_fluency', 'grammar', 'anna', 5, 'r1:new')"
        )
        with pytest.raises(duckdb.ConstraintException):
            store.con.execute(
                "INSERT INTO human_labels (generation_id, rubric, criterion, annotator, score, rubric_version)"
                " VALUES ('g1', 'russian_fluency', 'grammar', 'anna', 2, 'r1:new')"
            )
        assert store.query("SELECT count(*) FROM human_labels")[1] == [(3,)]
