"""Build small fwcensus databases for analysis tests: schema + views, papers made in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "scraper" / "schema.sql"
VIEWS = ROOT / "scraper" / "views.sql"


def new_db(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh database file with the project's schema and views."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    con.execute(VIEWS.read_text(encoding="utf-8"))
    return con


def add_papers(
    con: duckdb.DuckDBPyConnection,
    venue: str,
    year: int,
    count: int,
    *,
    frameworks: list[str] | None = None,
    link: bool = True,
    official: bool = True,
    repo_status: str | None = "ok",
    rejected: str | None = None,
    tag: str | None = None,
    detector_version: str = "det-1",
) -> None:
    """Insert ``count`` identical papers of ``venue``/``year``, each with its own repository.

    - ``link=False``: no code link at all (only in D3).
    - ``repo_status=None``: a linked repo not yet in ``repos``; a status other than "ok": a
      repo that was not scanned (in D2, not D1).
    - ``frameworks=None``: repo not classified; ``[]``: scanned, no DL framework (not D1);
      a list: the repo's frameworks, primary first (in D1 when official and ok).
    - ``rejected``: the paper's only link was rejected for this reason (only in D3).
    """
    if tag is None:
        row = con.execute("SELECT count(*) FROM papers").fetchone()
        tag = f"t{row[0] if row else 0}"
    prefix = f"{venue}:{year}:{tag}-"
    repo = f"'github:org/{venue}-{year}-{tag}-' || i"
    con.execute(
        """
        INSERT INTO papers (paper_id, venue, year, native_id, title, source, first_seen,
                            last_seen)
        SELECT $prefix || i, $venue, $year, $tag || '-' || i, 'Paper ' || i, 'test',
               TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01'
        FROM range($count) t(i)
        """,
        {"prefix": prefix, "venue": venue, "year": year, "tag": tag, "count": count},
    )
    if not link:
        return
    if rejected is not None:
        con.execute(
            """
            INSERT INTO code_links (paper_id, url, found_in, repo_id, official, rejected,
                                    first_seen, last_seen)
            SELECT $prefix || i, 'http://10.0.0.1/code', 'pdf', NULL, TRUE, $reason,
                   TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01'
            FROM range($count) t(i)
            """,
            {"prefix": prefix, "reason": rejected, "count": count},
        )
        return
    con.execute(
        f"""
        INSERT INTO code_links (paper_id, url, found_in, repo_id, official, rejected,
                                first_seen, last_seen)
        SELECT $prefix || i, 'https://github.com/org/' || i, 'page', {repo}, $official, NULL,
               TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01'
        FROM range($count) t(i)
        """,
        {"prefix": prefix, "official": official, "count": count},
    )
    if repo_status is None:
        return
    con.execute(
        f"""
        INSERT INTO repos (repo_id, host, owner, name, status)
        SELECT {repo}, 'github', 'org', $venue || '-' || i, $status FROM range($count) t(i)
        """,
        {"venue": venue, "status": repo_status, "count": count},
    )
    if frameworks is None:
        return
    con.execute(
        f"""
        INSERT INTO repo_frameworks (repo_id, primary_fw, frameworks, confidence, reasons,
                                     detector_version, classified_at)
        SELECT {repo}, $primary, $fws::VARCHAR[], 1.0, 'test', $version,
               TIMESTAMP '2024-02-01'
        FROM range($count) t(i)
        """,
        {
            "primary": frameworks[0] if frameworks else None,
            "fws": frameworks,
            "version": detector_version,
            "count": count,
        },
    )


def add_run(con: duckdb.DuckDBPyConnection, ended_at: str) -> None:
    """Record a finished run ending at ``ended_at`` (ISO timestamp)."""
    con.execute(
        """
        INSERT INTO runs (run_id, command, started_at, ended_at, status)
        VALUES (nextval('run_ids'), 'run', CAST($end AS TIMESTAMP) - INTERVAL 1 HOUR,
                CAST($end AS TIMESTAMP), 'ok')
        """,
        {"end": ended_at},
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty database with schema and views."""
    con = new_db(tmp_path / "t.duckdb")
    yield con
    con.close()


def populate(con: duckdb.DuckDBPyConnection) -> None:
    """The hand-built database most tests use (numbers in the comments are what tests expect).

    cvpr 2022: 11 papers (D3); 6 with an accepted official code link (D2); 4 with a scanned official
      repo; 3 with a framework (D1): 2 PyTorch, 1 TensorFlow. Linked official repos: 6
      (4 ok, 1 not_found, 1 pending). One paper's only link was rejected.
    cvpr 2023: 8 papers; 5 with an official code link (one more paper links only an unofficial
      PyTorch repo: in neither D2 nor D1); 5 in D1:
      3 PyTorch, 1 PyTorch+TensorFlow, 1 JAX.
    neurips 2023: 2 papers, no code link.
    """
    add_papers(con, "cvpr", 2022, 2, frameworks=["pytorch"])
    add_papers(con, "cvpr", 2022, 1, frameworks=["tensorflow"])
    add_papers(con, "cvpr", 2022, 1, frameworks=[])
    add_papers(con, "cvpr", 2022, 1, repo_status="not_found")
    add_papers(con, "cvpr", 2022, 1, repo_status=None)
    add_papers(con, "cvpr", 2022, 4, link=False)
    add_papers(con, "cvpr", 2022, 1, rejected="unknown host")
    add_papers(con, "cvpr", 2023, 3, frameworks=["pytorch"])
    add_papers(con, "cvpr", 2023, 1, frameworks=["pytorch", "tensorflow"])
    add_papers(con, "cvpr", 2023, 1, frameworks=["jax"], detector_version="det-2")
    add_papers(con, "cvpr", 2023, 2, link=False)
    add_papers(con, "cvpr", 2023, 1, frameworks=["pytorch"], official=False)
    add_papers(con, "neurips", 2023, 2, link=False)


class DbTools:
    """The helpers above, handed to tests as the ``tools`` fixture (no conftest imports)."""

    new_db = staticmethod(new_db)
    add_papers = staticmethod(add_papers)
    add_run = staticmethod(add_run)
    populate = staticmethod(populate)


@pytest.fixture
def tools() -> DbTools:
    return DbTools()


@pytest.fixture
def populated(db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    populate(db)
    return db
