"""A run against a web that fails in every way the real one does completes what it can, records
what it could not, and the next run finishes the job: no crash, no silent zero, no duplicates."""

from __future__ import annotations

import pytest

from scraper import jobs
from scraper.demo import world
from scraper.demo.server import Fault, FixtureWeb, Resource
from scraper.http import HttpClient
from scraper.store import Store

CHANGED_LAYOUT = (
    b"<html><body><div id='main'><ul class='papers'><li>New design, no dt.ptitle</li></ul>"
    b"</div></body></html>"
)


@pytest.fixture()
def web():
    with FixtureWeb(world.build()) as w:
        yield w


def items(venue: str, year: int) -> list[world.DemoPaper]:
    return [p for p in world.papers() if (p.venue, p.year) == (venue, year)]


def snapshot(store: Store) -> dict[str, list]:
    cols = {
        "papers": "paper_id, title",
        "code_links": "paper_id, url, found_in, repo_id, official",
        "repos": "repo_id, status, scanned_commit",
        "repo_frameworks": "repo_id, primary_fw, frameworks",
        "paper_texts": "paper_id, status",
    }
    return {
        t: store.con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall()
        for t, c in cols.items()
    }


def test_a_faulty_web_is_survived_recorded_and_caught_up(tmp_path, web):
    cvpr = items("cvpr", 2022)
    pdf = lambda p: f"/cvf{p.prefix}/papers/{p.stem}.pdf"  # noqa: E731
    api = lambda p: f"/api/repos/{world.DEMO_ORG}/{p.repo}"  # noqa: E731
    tar = lambda p: f"/codeload/{world.DEMO_ORG}/{p.repo}/tar.gz/HEAD"  # noqa: E731
    faults = {
        pdf(cvpr[0]): Fault(500, times=5),  # a PDF that keeps failing this run
        pdf(cvpr[1]): Fault(kind="reset", times=5),  # connection resets
        pdf(cvpr[2]): Fault(429, times=1, headers={"Retry-After": "0"}),  # recovers on retry
        pdf(cvpr[3]): Fault(kind="slow", delay=1.5, times=5),  # slower than the read timeout
        api(cvpr[4]): Fault(
            403, times=1, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
        ),  # waits, recovers
        api(cvpr[5]): Fault(502, times=5),
        tar(cvpr[6]): Fault(kind="truncate", times=5),  # truncated gzip body
        tar(cvpr[7]): Fault(kind="reset", times=5),
    }
    web.faults.update(faults)
    # ICCV 2023's listing has changed its layout: an error for that venue-year, not a zero
    web.resources["/cvf/ICCV2023?day=all"] = Resource(CHANGED_LAYOUT, "text/html")
    web.resources["/cvf/ICCV2023"] = Resource(CHANGED_LAYOUT, "text/html")

    settings = web.settings(venue_sizes=None, read_timeout=0.5)
    db = tmp_path / "db.duckdb"
    with Store.open(db) as store, HttpClient(settings, sleep=lambda s: None) as client:
        first = jobs.run(store, client, "cvpr", [2022])
        broken = jobs.run(store, client, "iccv", [2023])
        assert broken.status == "failed"
        assert "no papers found" in broken.errors[0] and "ICCV2023" in broken.errors[0]
        assert store.query("SELECT count(*) AS n FROM papers WHERE venue = 'iccv'").n[0] == 0

        assert first.status == "partial"
        failures = store.query(
            "SELECT stage, item, reason FROM failures WHERE run_id = ?", [first.counts["run_id"]]
        )
        reasons = dict(
            zip(failures.item.str.rsplit("/", n=1).str[-1], failures.reason, strict=False)
        )
        assert len(failures) >= 6
        assert any("HTTP 500" in r for r in reasons.values())
        assert any("connection failed" in r or "timed out" in r for r in reasons.values())
        assert store.count("papers") == 28  # every paper listed once, nothing duplicated
        texts = dict(
            store.con.execute("SELECT status, count(*) FROM paper_texts GROUP BY ALL").fetchall()
        )
        assert texts["ok"] == 25 and texts["error"] == 3  # the 429 one recovered
        statuses = dict(
            store.con.execute("SELECT status, count(*) FROM repos GROUP BY ALL").fetchall()
        )
        assert statuses.get("error", 0) >= 3  # 502 API, truncated and reset tarballs

        # the web heals; the next run retries exactly what failed and catches up
        web.faults.clear()
        web.resources.update(world.build())
        second = jobs.run(store, client, "cvpr", [2022])
        assert second.status == "ok"
        caught_up = snapshot(store)

    clean_db = tmp_path / "clean.duckdb"
    with Store.open(clean_db) as store, HttpClient(settings) as client:
        jobs.run(store, client, "cvpr", [2022])
        assert snapshot(store) == caught_up
