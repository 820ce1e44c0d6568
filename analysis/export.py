"""Parquet (and CSV) exports: the database's tables for other tools, the report's tables as files.

``export_parquet`` copies the main tables and views out of the database with DuckDB's own
``COPY ... (FORMAT parquet)``, partitioned by venue and year where a table has both columns, so
that ``read_parquet('out/papers/**/*.parquet', hive_partitioning = true)`` reads them back.
``write_table`` writes one report table (a DataFrame) as CSV and Parquet side by side.
Nothing here writes to the database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from analysis.trends import query_adoption

EXPORT_TABLES: tuple[str, ...] = (
    "papers",
    "code_links",
    "repos",
    "repo_evidence",
    "repo_frameworks",
    "paper_frameworks",
    "adoption",
)
"""What ``export_parquet`` writes. ``adoption`` is ``trends.query_adoption``: D1–D4 and M."""

PARTITION_COLUMNS = ("venue", "year")


def _sql_path(path: Path) -> str:
    """A path as a single-quoted SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _replace_dir(tmp: Path, final: Path) -> None:
    """Move a freshly written directory over the previous export of the same table."""
    if final.is_dir() and not final.is_symlink():
        shutil.rmtree(final)
    elif final.exists():
        final.unlink()
    os.replace(tmp, final)


def _copy(
    con: duckdb.DuckDBPyConnection, relation: str, out_dir: Path, name: str, partition: bool
) -> Path:
    """COPY ``relation`` (a table, view or registered frame) to ``out_dir/name[.parquet]``."""
    if not partition:
        final = out_dir / f"{name}.parquet"
        tmp = out_dir / f".{name}.parquet.tmp"
        con.execute(f"COPY (SELECT * FROM {relation}) TO {_sql_path(tmp)} (FORMAT parquet)")
        os.replace(tmp, final)
        return final
    final = out_dir / name
    tmp = out_dir / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()
    if rows and rows[0][0]:
        con.execute(
            f"COPY (SELECT * FROM {relation}) TO {_sql_path(tmp)} "
            "(FORMAT parquet, PARTITION_BY (venue, year))"
        )
    else:
        # PARTITION_BY writes no file for no rows; keep the schema in one empty file instead
        tmp.mkdir(parents=True)
        con.execute(
            f"COPY (SELECT * FROM {relation}) TO {_sql_path(tmp / 'empty.parquet')} "
            "(FORMAT parquet)"
        )
    _replace_dir(tmp, final)
    return final


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Export ``EXPORT_TABLES`` as Parquet into ``out_dir`` (created if needed).

    Tables with venue and year columns (papers, paper_frameworks, adoption) become
    hive-partitioned directories ``out_dir/<table>/venue=<v>/year=<y>/*.parquet`` (the
    partition columns live in the directory names); the others become ``out_dir/<table>.parquet``.
    A previous export of the same table is replaced. Returns the paths written, in
    ``EXPORT_TABLES`` order. Works on a read-only connection.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in EXPORT_TABLES:
        if name == "adoption":
            frame = query_adoption(con)
            relation = "__fwcensus_export_adoption"
            con.register(relation, frame)
            try:
                written.append(_copy(con, relation, out_dir, name, partition=True))
            finally:
                con.unregister(relation)
            continue
        partition = set(PARTITION_COLUMNS) <= set(_columns_of(con, name))
        written.append(_copy(con, name, out_dir, name, partition))
    return written


def read_export(con: duckdb.DuckDBPyConnection, path: Path) -> pd.DataFrame:
    """Read one exported table back (a partitioned directory or a single file)."""
    path = Path(path)
    pattern = path / "**" / "*.parquet" if path.is_dir() else path
    return con.execute(
        f"SELECT * FROM read_parquet({_sql_path(pattern)}, hive_partitioning = true)"
    ).df()


# ---------------------------------------------------------------- report tables


def write_table(df: pd.DataFrame, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``df`` as ``out_dir/name.csv`` and ``out_dir/name.parquet`` (atomically).

    The Parquet file is written by an in-memory DuckDB connection (no pyarrow needed), so the
    caller's database is never touched. Returns (csv path, parquet path).
    """
    out_dir = Path(out_dir)
    csv_path = out_dir / f"{name}.csv"
    tmp_csv = out_dir / f".{name}.csv.tmp"
    tmp_csv.write_bytes(df.to_csv(index=False).encode("utf-8"))
    os.replace(tmp_csv, csv_path)
    mem = duckdb.connect()
    try:
        mem.register("frame", _parquet_safe(df))
        _copy(mem, "frame", out_dir, name, partition=False)
    finally:
        mem.close()
    return csv_path, out_dir / f"{name}.parquet"


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Columns holding only NA (object dtype) get a concrete type so DuckDB can write them."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].isna().all():
            out[col] = out[col].astype("string")
    return out
