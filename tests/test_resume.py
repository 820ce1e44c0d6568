"""A scheduled run killed at any moment (SIGKILL included) and run again ends in the same
database as one uninterrupted run. The runs are real `fwcensus run` processes against the
fixture web; the kill points are random (seeded) and land in every stage."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scraper.store import Store

CONFIG = """
[[track]]
venue = "cvpr"
years = "2022"

[[track]]
venue = "iccv"
years = "2023"

[refresh]
retry_backoff_hours = 0

[run]
aggregators = ["paperlists"]
venue_sizes = false

[network]
interval = 0
retries = 1
"""

TABLES = {
    "papers": "paper_id, title, authors, pdf_url, arxiv_id, source",
    "paper_sources": "paper_id, source, native_id, matched_by",
    "paper_texts": "paper_id, status, pages, chars",
    "paper_mentions": "paper_id, framework, mentions",
    "code_links": "paper_id, url, found_in, repo_id, official, rejected",
    "repos": "repo_id, status, status_detail, stars, scanned_commit, files_scanned",
    "repo_evidence": "repo_id, framework, kind, files, occurrences",
    "repo_frameworks": "repo_id, primary_fw, frameworks, confidence",
}


def fwcensus(tmp_path: Path, web, db: Path) -> subprocess.Popen:
    cfg = tmp_path / "fwcensus.toml"
    cfg.write_text(CONFIG)
    env = {**os.environ, "FWCENSUS_REWRITE": web.rewrite_map(), "FWCENSUS_DB": str(db)}
    env.pop("GITHUB_TOKEN", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from analysis.cli import main; main()",
            "--config",
            str(cfg),
            "run",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def snapshot(db: Path) -> dict[str, list]:
    with Store.open(db, read_only=True) as store:
        return {
            t: store.con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall()
            for t, c in TABLES.items()
        }


@pytest.fixture()
def slow_web(demo_web):
    demo_web.latency = 0.01  # spread the run out so kills land inside every stage
    yield demo_web
    demo_web.latency = 0.0


def test_killed_runs_resume_to_the_same_database(tmp_path, slow_web):
    reference = tmp_path / "ref.duckdb"
    proc = fwcensus(tmp_path, slow_web, reference)
    start = time.monotonic()
    _, err = proc.communicate(timeout=300)
    full = time.monotonic() - start
    assert proc.returncode == 0, err

    killed = tmp_path / "killed.duckdb"
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        proc = fwcensus(tmp_path, slow_web, killed)
        time.sleep(rng.uniform(0.2, full * 0.8))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
    assert kills >= 2
    # the lock died with the killed process: a new run starts at once and completes
    proc = fwcensus(tmp_path, slow_web, killed)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert snapshot(killed) == snapshot(reference)
    with Store.open(killed, read_only=True) as store:
        statuses = store.query("SELECT status, count(*) AS n FROM runs GROUP BY ALL")
    # killed runs stay visible as 'running' with no end: the status command says so
    assert set(statuses.status) <= {"running", "ok", "partial"}


def test_run_with_no_arguments_does_only_what_is_due(tmp_path, demo_web):
    db = tmp_path / "x.duckdb"
    for _ in range(3):
        proc = fwcensus(tmp_path, demo_web, db)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    # first run: everything; second: re-lists once (a list is stable after two equal listings);
    # third: nothing to list, read or scan
    assert "papers listed 0" in out and "repositories scanned 0" in out
    with Store.open(db, read_only=True) as store:
        runs = store.query("SELECT counts FROM runs ORDER BY run_id").counts.tolist()
    assert len(runs) == 6  # two tracks x three runs
    assert '"listings_current": 1' in runs[4] and '"listings_current": 1' in runs[5]
    assert '"pdfs_read"' not in runs[4] and '"repos_scanned"' not in runs[4]


def test_one_writer_while_readers_keep_working(tmp_path, slow_web):
    db = tmp_path / "w.duckdb"
    writer = fwcensus(tmp_path, slow_web, db)
    env = {**os.environ, "FWCENSUS_DB": str(db)}
    cli = [sys.executable, "-c", "from analysis.cli import main; main()"]
    try:
        deadline = time.monotonic() + 60
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert writer.poll() is None, "the run ended before the test could overlap it"
        second = subprocess.run(
            [*cli, "--config", str(tmp_path / "fwcensus.toml"), "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 75
        assert "another fwcensus run" in second.stderr
        counts = []
        for _ in range(3):
            reader = subprocess.run(
                [*cli, "sql", "--format", "csv", "SELECT count(*) AS n FROM papers"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert reader.returncode == 0, reader.stderr
            counts.append(int(reader.stdout.splitlines()[1]))
        assert counts == sorted(counts)  # a consistent, growing view while the run goes on
    finally:
        _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
