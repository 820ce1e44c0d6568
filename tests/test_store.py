"""The DuckDB store: schema creation, idempotent upserts, runs, locking."""

from __future__ import annotations

import duckdb
import pytest

from scraper.errors import ConfigError, StoreLocked
from scraper.models import CodeLink, Paper, RepoMeta, RepoRef
from scraper.store import SCHEMA_VERSION, Store


def paper(i: int, **kw) -> Paper:
    return Paper(
        "cvpr",
        2023,
        f"P{i}_CVPR_2023_paper",
        f"Title {i}",
        ("A. B", "C. D"),
        source="cvf",
        pdf_url=f"https://openaccess.thecvf.com/p{i}.pdf",
        **kw,
    )


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every table's rows without the timestamps that legitimately move."""
    out = {}
    for table, cols in {
        "papers": "paper_id, venue, year, title, authors, pdf_url, source",
        "code_links": "paper_id, url, found_in, repo_id, official, rejected",
        "repos": "repo_id, status, attempts",
    }.items():
        out[table] = store.con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
    return out


def test_creates_schema_and_views(tmp_path):
    with Store.open(tmp_path / "sub" / "f.duckdb") as store:
        assert store.schema_version() == SCHEMA_VERSION
        tables = {
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables"
            ).fetchall()
        }
    assert {
        "papers",
        "code_links",
        "repos",
        "repo_evidence",
        "repo_frameworks",
        "runs",
        "failures",
        "paper_texts",
        "paper_frameworks",
        "adoption",
    } <= tables


def test_upserts_are_idempotent_and_keep_first_seen(tmp_path):
    with Store.open(tmp_path / "f.duckdb") as store:
        papers = [paper(i) for i in range(5)]
        links = [
            CodeLink(
                papers[0].paper_id, "https://github.com/a/b", "pdf", RepoRef("github", "a", "b")
            ),
            CodeLink(papers[1].paper_id, "https://github.com/u", "pdf", None, rejected="user page"),
        ]
        assert store.upsert_papers(papers) == 5
        assert store.upsert_code_links(links) == 2
        first = snapshot(store)
        seen = store.con.execute("SELECT min(first_seen) FROM papers").fetchall()[0][0]
        assert store.upsert_papers([*papers, papers[0]]) == 0
        assert store.upsert_code_links(links + links) == 0
        assert snapshot(store) == first
        assert store.con.execute("SELECT min(first_seen) FROM papers").fetchall()[0][0] == seen
        # a changed title is an update, not a new row
        store.upsert_papers([Paper(**{**papers[0].__dict__, "title": "New title"})])
        assert store.count("papers") == 5
        assert (
            store.query("SELECT title FROM papers WHERE paper_id = ?", [papers[0].paper_id]).title[
                0
            ]
            == "New title"
        )
        assert first["repos"] == [("github:a/b", "pending", 0)]


def test_repo_lifecycle_and_retry_of_errors(tmp_path):
    with Store.open(tmp_path / "f.duckdb") as store:
        p = paper(1)
        store.upsert_papers([p])
        repo = RepoRef("github", "a", "b")
        store.upsert_code_links([CodeLink(p.paper_id, "https://github.com/a/b", "pdf", repo)])
        assert store.repos_to_scan("cvpr", [2023]) == [repo]
        assert store.repos_to_scan("iccv", [2023]) == []
        store.record_repo_failure(repo, "error", "HTTP 502")
        assert store.repos_to_scan() == []  # backing off: due again in an hour
        waits = store.query("SELECT next_attempt_at - now()::TIMESTAMP AS w FROM repos").w[0]
        assert 3500 < waits.total_seconds() <= 3600
        store.retry_backoff, store.max_attempts = 0.0, 3
        store.record_repo_failure(repo, "error", "HTTP 502")
        assert store.repos_to_scan() == [repo]  # retried while attempts < 3
        store.record_repo_failure(repo, "error", "HTTP 502")
        assert store.repos_to_scan() == []  # given up after 3
        store.record_repo_meta(RepoMeta(repo, "not_found", "gone"))
        assert store.query("SELECT status, status_detail FROM repos").values.tolist() == [
            ["not_found", "gone"]
        ]


def test_runs_and_failures(tmp_path):
    with Store.open(tmp_path / "f.duckdb") as store:
        run_id = store.start_run("run", {"venue": "cvpr"})
        store.add_failure(run_id, "pdf", "https://x/y.pdf", "HTTP 500")
        store.finish_run(run_id, "partial", {"pdfs_read": 3})
        row = store.query("SELECT status, counts FROM runs").iloc[0]
        assert row.status == "partial" and '"pdfs_read": 3' in row.counts
        assert store.count("failures") == 1


def test_reopen_keeps_data_and_read_only_cannot_write(tmp_path):
    path = tmp_path / "f.duckdb"
    with Store.open(path) as store:
        store.upsert_papers([paper(1)])
    with Store.open(path, read_only=True) as store:
        assert store.count("papers") == 1
        with pytest.raises(duckdb.Error):
            store.upsert_papers([paper(2)])


def test_missing_database_for_reading_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="fwcensus run"):
        Store.open(tmp_path / "none.duckdb", read_only=True)


def test_second_writer_is_refused_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "f.duckdb"
    with Store.open(path):
        code = (
            "import sys; from pathlib import Path; from scraper.store import Store\n"
            "from scraper.errors import StoreLocked\n"
            f"try:\n    Store.open(Path({str(path)!r}))\nexcept StoreLocked as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert "in use by another process" in proc.stdout
    assert StoreLocked.__doc__


def test_failed_pdf_reads_back_off_and_then_give_up(tmp_path):
    with Store.open(tmp_path / "f.duckdb") as store:
        p = paper(1)
        store.upsert_papers([p])
        assert store.papers_without_text("cvpr", 2023) == [(p.paper_id, p.pdf_url)]
        store.record_pdf(p.paper_id, "error", detail="HTTP 500")
        assert store.papers_without_text("cvpr", 2023) == []  # due in an hour
        store.retry_backoff, store.max_attempts = 0.0, 2
        store.record_pdf(p.paper_id, "error", detail="HTTP 500")
        assert store.papers_without_text("cvpr", 2023) == []  # 2 attempts: given up
        attempts = store.query("SELECT attempts FROM paper_texts").attempts[0]
        assert attempts == 2
        store.record_pdf(p.paper_id, "ok", pages=3, chars=100)
        assert store.query("SELECT attempts FROM paper_texts").attempts[0] == 0


def test_listing_is_due_until_stable(tmp_path):
    with Store.open(tmp_path / "f.duckdb") as store:
        assert store.listing_due("cvpr", 2019, "cvf", 30)
        store.record_listed("cvpr", 2019, "cvf", 1294)
        assert store.listing_due("cvpr", 2019, "cvf", 30)  # one listing proves nothing
        store.record_listed("cvpr", 2019, "cvf", 1294)
        assert not store.listing_due("cvpr", 2019, "cvf", 30)  # same twice: stable
        store.record_listed("cvpr", 2019, "cvf", 1300)
        assert store.listing_due("cvpr", 2019, "cvf", 30)  # changed: watch it again


def test_an_older_database_is_upgraded_when_first_read(tmp_path):
    path = tmp_path / "f.duckdb"
    with Store.open(path) as store:
        store.con.execute("DELETE FROM schema_version WHERE version = ?", [SCHEMA_VERSION])
        assert store.schema_version() == SCHEMA_VERSION - 1
    with Store.open(path, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION


def test_a_batch_of_repository_results_is_written_row_by_row_correctly(tmp_path):
    """record_repos writes a whole batch in one statement; each repository still gets exactly
    its own metadata, scan columns, attempts and backoff."""
    from scraper.detect import ScanResult

    with Store.open(tmp_path / "f.duckdb") as store:
        repos = [RepoRef("github", "o", f"r{i}") for i in range(4)]
        store.ensure_repos(r.repo_id for r in repos)
        ok = ScanResult(
            status="ok",
            commit="c" * 40,
            files_seen=3,
            files_scanned=2,
            bytes_scanned=90,
            primary="pytorch",
            frameworks=["pytorch"],
        )
        cut = ScanResult(status="error", detail="truncated tarball", files_seen=1)
        batch = [
            (
                RepoMeta(
                    repos[0], "ok", full_name="o/r0", stars=5, pushed_at="2023-01-02T00:00:00Z"
                ),
                ok,
            ),
            (RepoMeta(repos[1], "ok", full_name="O/R1", stars=7), cut),
            (RepoMeta(repos[2], "not_found", "gone"), None),
            (RepoMeta(repos[3], "error", "HTTP 502"), None),
        ]
        store.record_repos(batch, "HEAD", "1.1")
        rows = store.con.execute(
            "SELECT repo_id, status, status_detail, full_name, stars, pushed_at IS NOT NULL,"
            " scanned_commit, files_scanned, scanned_at IS NOT NULL, meta_fetched_at IS NOT NULL,"
            " attempts, next_attempt_at IS NOT NULL FROM repos ORDER BY repo_id"
        ).fetchall()
        assert rows == [
            ("github:o/r0", "ok", None, "o/r0", 5, True, "c" * 40, 2, True, True, 0, False),
            (
                "github:o/r1",
                "error",
                "truncated tarball",
                "O/R1",
                7,
                False,
                None,
                0,
                True,
                True,
                1,
                True,
            ),
            (
                "github:o/r2",
                "not_found",
                "gone",
                None,
                None,
                False,
                None,
                None,
                False,
                True,
                0,
                False,
            ),
            (
                "github:o/r3",
                "error",
                "HTTP 502",
                None,
                None,
                False,
                None,
                None,
                False,
                True,
                1,
                True,
            ),
        ]
        assert store.query("SELECT repo_id, primary_fw FROM repo_frameworks").values.tolist() == [
            ["github:o/r0", "pytorch"]
        ]
        # a second failure doubles the wait; a failure without metadata keeps the metadata
        store.record_repos(
            [(RepoMeta(repos[1], "ok", full_name="O/R1", stars=8), cut)], "HEAD", "1.1"
        )
        store.record_repo_failure(repos[0], "error", "HTTP 500")
        waits = dict(
            store.con.execute(
                "SELECT repo_id, epoch(next_attempt_at - now()::TIMESTAMP) FROM repos"
                " WHERE next_attempt_at IS NOT NULL"
            ).fetchall()
        )
        assert 7100 < waits["github:o/r1"] <= 7200 and 3500 < waits["github:o/r0"] <= 3600
        after = store.con.execute(
            "SELECT status, full_name, stars, scanned_commit, attempts FROM repos"
            " WHERE repo_id = 'github:o/r0'"
        ).fetchall()
        assert after == [("error", "o/r0", 5, "c" * 40, 1)]
