"""Documentation that runs: every SQL example in docs/sql.md works on the demo database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.store import Store

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = re.findall(r"```sql\n(.*?)```", (DOCS / "sql.md").read_text(), flags=re.S)


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("sql", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_sql_example_runs_and_returns_rows(sql, demo_database):
    path = demo_database[0]
    with Store.open(path, read_only=True) as store:
        frame = store.con.execute(sql).df()
    assert len(frame) > 0


def test_every_table_and_view_is_documented(demo_database):
    text = (DOCS / "sql.md").read_text()
    with Store.open(demo_database[0], read_only=True) as store:
        names = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_name <> 'schema_version'"
            ).fetchall()
        ]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/sql.md does not document {missing}"
