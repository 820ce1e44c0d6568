from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from analysis.export import EXPORT_TABLES, export_parquet, read_export, write_table
from analysis.trends import query_adoption


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def _hive_count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    glob = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    return _count(con, f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)")


def test_export_round_trip_on_the_demo_database(demo_database: Any, tmp_path: Path) -> None:
    con = duckdb.connect(str(demo_database[0]), read_only=True)
    try:
        paths = export_parquet(con, tmp_path / "out")
        assert [p.name.removesuffix(".parquet") for p in paths] == list(EXPORT_TABLES)
        partitioned = {p.name for p in paths if p.is_dir()}
        assert partitioned == {"papers", "paper_frameworks", "adoption"}
        for path in paths:
            name = path.name.removesuffix(".parquet")
            expected = (
                len(query_adoption(con))
                if name == "adoption"
                else _count(con, f"SELECT count(*) FROM {name}")
            )
            assert expected > 0, name
            assert _hive_count(con, path) == expected, name
        # hive layout: venue=<v>/year=<y>/, and the partition columns come back as columns
        assert (tmp_path / "out" / "papers" / "venue=cvpr" / "year=2023").is_dir()
        back = read_export(con, tmp_path / "out" / "papers")
        per_vy = back.groupby(["venue", "year"]).size().to_dict()
        assert per_vy == {
            (v, int(y)): n
            for v, y, n in con.execute(
                "SELECT venue, year, count(*) FROM papers GROUP BY ALL"
            ).fetchall()
        }
        titles = set(back["title"])
        assert titles == {r[0] for r in con.execute("SELECT title FROM papers").fetchall()}
        adoption = read_export(con, tmp_path / "out" / "adoption")
        assert set(adoption["denominator"]) == {"D1", "D2", "D3", "D4", "M"}
    finally:
        con.close()


def test_export_replaces_a_previous_export_and_keeps_empty_tables(
    db: duckdb.DuckDBPyConnection, tools: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    paths = export_parquet(db, out)  # an empty database
    assert (out / "papers" / "empty.parquet").is_file()
    assert _hive_count(db, out / "papers") == 0
    assert "title" in read_export(db, out / "papers").columns
    tools.populate(db)
    paths = export_parquet(db, out)
    assert not (out / "papers" / "empty.parquet").exists()
    assert _hive_count(db, out / "papers") == 21
    assert _hive_count(db, out / "code_links.parquet") == _count(
        db, "SELECT count(*) FROM code_links"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_write_table_csv_and_parquet(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "claim_id": ["a", "b"],
            "numerator": pd.array([3, None], dtype="Int64"),
            "measured_at": [None, None],
            "share": [0.5, float("nan")],
        }
    )
    csv, parquet = write_table(df, tmp_path, "claims")
    assert csv.read_text().splitlines()[0] == "claim_id,numerator,measured_at,share"
    back = duckdb.connect().execute(f"SELECT * FROM read_parquet('{parquet}')").df()
    assert back["claim_id"].tolist() == ["a", "b"]
    assert back["numerator"].iloc[0] == 3 and pd.isna(back["numerator"].iloc[1])
    assert back["share"].iloc[0] == pytest.approx(0.5)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
