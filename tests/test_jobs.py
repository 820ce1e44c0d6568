"""Pipeline behaviour on a faulty web: sanity checks, per-item failures, retries, limits."""

from __future__ import annotations

import pytest

from scraper import jobs
from scraper.demo import world
from scraper.demo.server import Fault, FixtureWeb
from scraper.http import HttpClient
from scraper.reference import VenueSizes, load_venue_sizes
from scraper.store import Store


@pytest.fixture()
def web():
    with FixtureWeb(world.build()) as w:
        yield w


def client_for(web: FixtureWeb, **kw) -> HttpClient:
    return HttpClient(web.settings(backoff=0.0, **kw), sleep=lambda s: None)


def test_venue_sizes_file_loads_and_judges():
    sizes = load_venue_sizes()
    assert sizes.sizes[("cvpr", 2019)] == 1294
    assert sizes.check("cvpr", 2019, 1290) == (True, None)
    ok, msg = sizes.check("cvpr", 2019, 40)
    assert not ok and "expected about 1294" in msg
    ok, msg = sizes.check("cvpr", 2019, 5000)
    assert ok and "more than" in msg
    assert sizes.check("cvpr", 1999, 0)[0] is False
    assert sizes.check("cvpr", 1999, 12) == (True, None)


def test_a_parse_that_yields_far_too_few_papers_fails_loudly(tmp_path, web):
    sizes = VenueSizes({("cvpr", 2022): 1000})
    with Store.open(tmp_path / "db.duckdb") as store, client_for(web) as client:
        report = jobs.run(store, client, "cvpr", [2022], sizes=sizes)
        assert report.status == "failed"
        assert "expected about 1000" in report.errors[0]
        assert "openaccess.thecvf.com/CVPR2022" in report.errors[0]
        assert store.count("papers") == 0
        assert store.query("SELECT stage, item FROM failures").values.tolist() == [
            ["list", "cvpr:2022"]
        ]


def test_limit_takes_the_first_papers_only(tmp_path, web):
    with Store.open(tmp_path / "db.duckdb") as store, client_for(web) as client:
        report = jobs.run(store, client, "cvpr", [2023], limit=5, sizes=world.venue_sizes())
        assert report.status == "ok"
        assert store.count("papers") == 5
        assert store.count("paper_texts") == 5


def test_failed_pdfs_and_repos_are_recorded_and_retried_next_run(tmp_path, web):
    papers = [p for p in world.papers() if (p.venue, p.year) == ("iccv", 2021)]
    pdf_path = f"/cvf{papers[0].prefix}/papers/{papers[0].stem}.pdf"
    api_path = f"/api/repos/{world.DEMO_ORG}/{papers[1].repo}"
    web.faults[pdf_path] = Fault(500, times=2)  # one try + one retry: both fail
    web.faults[api_path] = Fault(502, times=2)
    sizes = world.venue_sizes()
    with Store.open(tmp_path / "db.duckdb") as store:
        with client_for(web) as client:
            first = jobs.run(store, client, "iccv", [2021], sizes=sizes)
        assert first.status == "partial"
        assert first.counts["items_failed"] == 2
        failures = store.query("SELECT stage, item, reason FROM failures ORDER BY stage")
        assert list(failures.stage) == ["pdf", "repo"]
        assert "HTTP 500" in failures.reason[0] and "HTTP 502" in failures.reason[1]
        status = store.query("SELECT status FROM paper_texts WHERE status = 'error'")
        assert len(status) == 1
        # the faults are spent: the next run picks up exactly the two failed items
        with client_for(web) as client:
            second = jobs.run(store, client, "iccv", [2021], sizes=sizes)
        assert second.status == "ok"
        assert second.counts["pdfs_read"] == 1 and second.counts["repos_scanned"] == 2
        counts = store.query("SELECT * FROM venue_year_counts").iloc[0]
        assert (counts.papers, counts.with_code_link, counts.with_framework) == (10, 8, 7)


def test_spent_github_quota_stops_the_run_resumably(tmp_path, web):
    papers = [p for p in world.papers() if (p.venue, p.year) == ("iccv", 2021)]
    for p in papers:
        if p.repo:
            web.faults[f"/api/repos/{world.DEMO_ORG}/{p.repo}"] = Fault(
                403,
                times=1,
                headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4000000000"},
            )
    sizes = world.venue_sizes()
    with Store.open(tmp_path / "db.duckdb") as store:
        with client_for(web) as client:
            report = jobs.run(store, client, "iccv", [2021], sizes=sizes)
        assert report.status == "partial" and "rate limit" in (report.stopped or "")
        assert store.count("repo_frameworks") == 0
        for path in list(web.faults):
            web.faults.pop(path)
        with client_for(web) as client:
            again = jobs.run(store, client, "iccv", [2021], sizes=sizes)
        assert again.status == "ok" and again.counts["repos_scanned"] == 8


def test_rerunning_an_unchanged_venue_year_costs_304s_then_nothing(tmp_path, web):
    settings = web.settings(http_cache=True, cache_dir=tmp_path / "cache")
    sizes = world.venue_sizes()
    with Store.open(tmp_path / "db.duckdb") as store:
        with HttpClient(settings) as client:
            jobs.run(store, client, "cvpr", [2021], sizes=sizes)
        web.hits.clear()
        with HttpClient(settings) as client:  # a new process: only the disk cache is shared
            second = jobs.run(store, client, "cvpr", [2021], sizes=sizes)
            requests, hits = dict(client.requests_by_host), dict(client.cache_hits)
        # the list is confirmed once (it is not yet known to be stable): every listing page
        # and the aggregator file come back 304 Not Modified, nothing is downloaded again
        listing = requests["openaccess.thecvf.com"] - 1  # robots.txt is fetched per process
        assert hits["openaccess.thecvf.com"] == listing == 4  # day=all, base, two day pages
        assert set(requests) <= {"openaccess.thecvf.com", "raw.githubusercontent.com"}
        assert second.counts["pdfs_read"] == 0 and second.counts["repos_scanned"] == 0
        with HttpClient(settings) as client:  # stable now: no request at all
            third = jobs.run(store, client, "cvpr", [2021], sizes=sizes)
            assert sum(client.requests_by_host.values()) == 0
        assert third.counts["listings_current"] == 1


def test_pdfs_read_in_worker_processes_give_the_same_rows(tmp_path, web):
    """The same venue-year with PDFs read in the threads and in a pool of two processes."""
    tables = {}
    for processes in (1, 2):
        path = tmp_path / f"p{processes}.duckdb"
        with Store.open(path) as store, client_for(web, pdf_processes=processes) as client:
            report = jobs.run(store, client, "cvpr", [2023], sizes=world.venue_sizes())
            assert report.status == "ok" and report.counts["pdfs_read"] >= jobs.POOL_THRESHOLD
            tables[processes] = [
                store.con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
                for table, cols in (
                    ("paper_texts", "paper_id, status, pages, chars"),
                    ("paper_mentions", "*"),
                    ("code_links", "paper_id, url, found_in, repo_id, official"),
                )
            ]
    assert tables[1] == tables[2] and tables[1][0]


def test_a_repository_not_pushed_since_the_conference_needs_no_request_for_its_snapshot(
    tmp_path, web
):
    import json

    from scraper.demo.server import Resource

    # half the repositories: last push before the conference (CVPR 2023 ended June 22)
    api = {
        path: res
        for path, res in web.resources.items()
        if path.startswith("/api/repos/") and "/commits" not in path and res.status == 200
    }
    for path, res in sorted(api.items())[::2]:
        if path.endswith("paper03-p"):
            continue
        body = json.loads(res.body)
        if body.get("created_at", "9999") < "2023-06-01":
            body["pushed_at"] = "2023-06-01T12:00:00Z"
            web.resources[path] = Resource(json.dumps(body).encode(), res.content_type)
    # and one created on GitHub after the conference: its code was not public then
    young_path = f"/api/repos/{world.DEMO_ORG}/cvpr2023-paper03-p"
    young = web.resources[young_path]
    body = json.loads(young.body) | {"created_at": "2023-09-01T00:00:00Z"}
    web.resources[young_path] = Resource(json.dumps(body).encode(), young.content_type)
    with Store.open(tmp_path / "db.duckdb") as store, client_for(web) as client:
        report = jobs.run(store, client, "cvpr", [2023], sizes=world.venue_sizes())
        assert report.status == "ok"
        rows = store.query(
            "SELECT s.status, s.status_detail, s.commit = r.scanned_commit AS same, "
            "s.primary_fw IS NOT DISTINCT FROM f.primary_fw AS same_label "
            "FROM repo_snapshots s JOIN repos r USING (repo_id) "
            "JOIN repo_frameworks f USING (repo_id)"
        )
    young_rows = rows[rows.status_detail.str.startswith("created on GitHub 2023-09-01", na=False)]
    assert young_rows.status.tolist() == ["created_after"]
    skipped = rows[rows.status_detail.str.startswith("nothing pushed", na=False)]
    assert 0 < len(skipped) < len(rows) and skipped.same.all() and skipped.same_label.all()
    commits = [p for p in web.hits if "/commits?" in p and "2023-06-22" in p]
    # none for the repositories left alone or created after
    assert len(commits) == len(rows) - len(skipped) - 1


def test_a_batch_writes_every_fifty_but_releases_the_database_on_time_or_when_idle():
    class FakeStore:
        releases = 0

        def release(self):
            self.releases += 1

    written = []
    store = FakeStore()
    with jobs.Batch(written.append, store) as batch:
        for i in range(120):
            batch.add(i)
        assert [len(w) for w in written] == [50, 50]
        assert store.releases == 0  # a reconnect per 50 items would cost more than the writes
        batch.idle()  # the network stalls: write what is pending, let readers in
        assert [len(w) for w in written] == [50, 50, 20] and store.releases == 1
        batch.released -= jobs.Batch.seconds  # two seconds later
        batch.add(1)
        batch.flush()
        assert store.releases == 2
        batch.add(2)
    # on exit: what is pending is written; released only when due (the next stage reads on)
    assert written[-1] == [2] and store.releases == 2
    with jobs.Batch(written.append, store) as batch:
        batch.add(3)
        batch.released -= jobs.Batch.seconds
    assert written[-1] == [3] and store.releases == 3


def test_repositories_are_scanned_while_the_pdfs_are_still_being_read(tmp_path, web):
    """The proceedings site allows one request per 0.25 s, GitHub is not limited here: the
    repositories the first PDFs link are fetched before the last PDF is, and every one of the
    venue-year's repositories is scanned once."""
    settings = web.settings(backoff=0.0, host_intervals={"openaccess.thecvf.com": 0.25})
    with Store.open(tmp_path / "db.duckdb") as store, HttpClient(settings) as client:
        report = jobs.run(store, client, "iccv", [2021], sizes=world.venue_sizes(), workers=2)
        assert report.status == "ok", report.errors
        order = list(web.hits)  # paths in the order they were first asked for
        pdfs = [i for i, path in enumerate(order) if path.endswith(".pdf")]
        repo_requests = [i for i, path in enumerate(order) if path.startswith("/codeload/")]
        assert len(pdfs) == 10 and repo_requests
        assert repo_requests[0] < pdfs[-1]  # overlap: a tarball before the last PDF
        statuses = store.query(
            "SELECT r.status FROM repos r WHERE r.repo_id IN "
            "(SELECT repo_id FROM code_links WHERE repo_id IS NOT NULL)"
        ).status.tolist()
        assert statuses and "pending" not in statuses  # every linked repository was fetched
        tarballs = [path for path in order if path.endswith("/tar.gz/HEAD")]
        assert len(tarballs) == report.counts["repos_scanned"]
        assert all(web.hits[path] == 1 for path in tarballs)  # each once


def test_a_tap_shows_results_of_a_stage_mixed_with_another_on_its_own_progress():
    import io

    from tqdm import tqdm

    seen: list[tuple[str, int, list[object], bool]] = []

    def recording(items, desc, total):
        got: list[object] = []
        entry = (desc, total, got, False)
        seen.append(entry)
        for item in items:
            got.append(item)
            yield item
        seen[seen.index(entry)] = (desc, total, got, True)  # the loop ended normally

    tap = jobs.Tap(recording, "repositories", 2)
    for item in ("a", "b", "c"):
        tap.passed(item)
    tap.close()
    tap.close()  # twice is harmless
    assert seen == [("repositories", 2, ["a", "b", "c"], True)]

    out = io.StringIO()
    bar = jobs.Tap(
        lambda items, desc, total: tqdm(items, desc=desc, total=total, file=out, disable=False),
        "repositories",
        1,
    )
    bar.passed("a")
    bar.grow(2)  # two more repositories joined while it ran
    bar.passed("b")
    bar.passed("c")
    bar.close()
    assert (bar.bar.n, bar.bar.total) == (3, 3) and "3/3" in out.getvalue()


def test_a_plan_reads_its_venues_at_once_each_with_its_own_run(tmp_path, web):
    settings = web.settings(backoff=0.0, host_intervals={"openaccess.thecvf.com": 0.05})
    plan = [("cvpr", [2021]), ("iccv", [2021])]
    with Store.open(tmp_path / "db.duckdb") as store, HttpClient(settings) as client:
        reports = jobs.run_plan(store, client, plan, sizes=world.venue_sizes(), workers=2)
        runs = store.query("SELECT run_id, status, args FROM runs ORDER BY run_id")
    assert [r.status for r in reports] == ["ok", "ok"]
    assert [r.counts["pdfs_read"] for r in reports] == [13, 10]
    assert [r.counts["run_id"] for r in reports] == runs.run_id.tolist()
    assert ['"cvpr"' in a and '"iccv"' not in a for a in runs.args] == [True, False]
    order = [path for path in web.hits if path.endswith(".pdf")]
    cvpr = [i for i, path in enumerate(order) if "/CVPR2021/" in path]
    iccv = [i for i, path in enumerate(order) if "/ICCV2021/" in path]
    assert len(cvpr) == 13 and len(iccv) == 10
    assert iccv[0] < cvpr[-1]  # the second venue did not wait for the first
    # every repository once (its HEAD; the scan as of publication asks for commits), counted
    # for one venue
    tarballs = [path for path in web.hits if path.endswith("/tar.gz/HEAD")]
    assert sum(r.counts["repos_scanned"] for r in reports) == len(tarballs)
    assert all(web.hits[path] == 1 for path in tarballs)


def test_a_venue_whose_site_keeps_failing_stops_alone(tmp_path, web):
    """Every CVPR 2021 PDF resets the connection: after five network errors that venue's
    lane stops (resumable), while ICCV's PDFs and every repository known go on."""
    for p in world.papers():
        if (p.venue, p.year) == ("cvpr", 2021):
            web.faults[f"/cvf{p.prefix}/papers/{p.stem}.pdf"] = Fault(kind="reset", times=99)
    plan = [("cvpr", [2021]), ("iccv", [2021])]
    with Store.open(tmp_path / "db.duckdb") as store, client_for(web) as client:
        cvpr, iccv = jobs.run_plan(store, client, plan, sizes=world.venue_sizes(), workers=1)
    assert cvpr.status == "partial" and "repeated network errors" in (cvpr.stopped or "")
    assert cvpr.counts["pdfs_read"] == 0 and cvpr.counts["network_errors"] == 5
    assert iccv.status == "ok" and iccv.stopped is None
    assert iccv.counts["pdfs_read"] == 10 and iccv.counts["repos_scanned"] == 8
