"""Smoke tests of the benchmark scripts (benchmarks/crawl.py, ingest.py, memory.py) at tiny
sizes, so the scripts keep working as the pipeline and the store change."""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from pathlib import Path

import duckdb
import requests
from benchload import load_benchmark

ROOT = Path(__file__).resolve().parents[1]


crawl = load_benchmark("crawl")
ingest = load_benchmark("ingest")
memory = load_benchmark("memory")
plan = load_benchmark("plan")


def _web(listings: list[tuple[int, int]], mode: str = "thread"):
    return crawl.LocalWeb(functools.partial(crawl.world_resources, listings), mode)


# --- crawl.py -----------------------------------------------------------------------------------


def test_a_crawl_run_reads_every_paper_and_counts_requests_per_stage(tmp_path):
    with _web([(2019, 6)]) as web:
        web.set_latency(0.01)
        run = crawl.run_crawl(web.settings(db_path=tmp_path / "db.duckdb"), 2019, 3, 0.01)
        seen = web.arrivals()
    assert run.status == "ok"
    assert (run.papers, run.repos) == (6, 6)
    # robots.txt + one listing page + one request per PDF
    assert run.requests[crawl.CVF_HOST] == 8
    assert run.requests_per_paper == 8 / 6
    assert 2.0 <= run.requests_per_repo <= 3.0 and run.meets_request_targets()
    pdfs, repos = run.stage("PDFs"), run.stage("repositories")
    assert (pdfs.items, pdfs.requests) == (6, 6)
    assert (repos.items, repos.requests) == (6, 12)  # metadata + tarball each
    # the client's counters and what the server saw agree
    assert len(seen) == sum(run.requests.values())
    # PDFs and repositories ran at once: one group; its ideal is the longer stage (2 rounds
    # of 3 workers, 2 requests each) plus one PDF before the first repository
    assert [sorted(s.name for s in g) for g in run.groups] == [
        ["CVPR 2019 PDFs", "repositories"],
        ["as of publication"],
    ]
    assert abs(run.group_ideal(run.groups[0]) - 0.01 * (2 * 2 + 1)) < 1e-9
    assert run.ideal_seconds >= run.outside_ideal + 0.05
    assert 0 < run.efficiency <= 1.05
    assert run.seconds > run.outside_stages >= 0


def test_the_naive_baseline_fetches_the_urls_of_a_run_once_in_order(tmp_path):
    with _web([(2019, 3)]) as web:
        crawl.run_crawl(web.settings(db_path=tmp_path / "db.duckdb"), 2019, 1, 0.0)
        paths = [path for path, _when in web.arrivals()]
        seconds = crawl.naive_fetch([web.base_url + path for path in paths])
        again = [path for path, _when in web.arrivals()]
    assert again == paths and seconds > 0
    assert "/cvf/CVPR2019?day=all" in paths and sum(p.endswith(".pdf") for p in paths) == 3


def test_politeness_gaps_are_measured_per_host():
    arrivals = [
        ("/cvf/robots.txt", 10.0),
        ("/api/repos/a/b", 10.1),
        ("/cvf/CVPR2019?day=all", 11.0),
        ("/api/repos/a/c", 10.2),
        ("/cvf/content/x.pdf", 11.5),
        ("/codeload/a/b/tar.gz/HEAD", 12.0),
    ]
    gaps = {g.host: g for g in crawl.politeness_gaps(arrivals, {"api.github.com": 0.25}, 1.0)}
    assert gaps["openaccess.thecvf.com"].requests == 3
    assert abs(gaps["openaccess.thecvf.com"].min_gap - 0.5) < 1e-9
    assert abs(gaps["openaccess.thecvf.com"].mean_gap - 0.75) < 1e-9
    assert not gaps["openaccess.thecvf.com"].ok  # 0.5 s apart, 1 s asked
    assert abs(gaps["api.github.com"].min_gap - 0.1) < 1e-9 and not gaps["api.github.com"].ok
    assert gaps["codeload.github.com"].min_gap is None and gaps["codeload.github.com"].ok
    assert crawl.Gap("h", 2, 1.0, 0.91, 0.91).ok and not crawl.Gap("h", 2, 1.0, 0.89, 1.0).ok


def test_per_host_intervals_hold_in_a_real_run(tmp_path):
    intervals = {"api.github.com": 0.2, "codeload.github.com": 0.25}
    with _web([(2019, 2)]) as web:
        settings = web.settings(
            db_path=tmp_path / "db.duckdb", default_interval=0.3, host_intervals=intervals
        )
        run = crawl.run_crawl(settings, 2019, 4, 0.0)
        gaps = crawl.politeness_gaps(web.arrivals(), intervals, 0.3)
    assert run.papers == 2
    by_host = {g.host: g for g in gaps}
    assert by_host["openaccess.thecvf.com"].requests == 4  # robots, listing, 2 PDFs
    assert set(by_host) == {"openaccess.thecvf.com", "api.github.com", "codeload.github.com"}
    for gap in gaps:  # 4 workers, yet one request per interval and host (thread jitter aside)
        assert gap.min_gap >= 0.5 * gap.interval, gap
        assert gap.mean_gap >= 0.9 * gap.interval, gap
    assert run.seconds >= 3 * 0.3 - 0.05  # four requests to one host need three intervals
    # the ideal knows the limits: at least the proceedings site's three intervals, and never
    # (beyond thread jitter) more than the measured time
    assert run.limits == crawl.HostLimits(intervals, 0.3)
    assert run.site_seconds >= 3 * 0.3 and run.ideal_seconds >= run.site_seconds
    assert 0 < run.efficiency <= 1.05
    assert sum(sum(s.by_host.values()) for s in run.stages) + run.outside_requests == sum(
        run.requests.values()
    )
    # outside the stages: robots.txt and the listing; the frameworks' own star counts
    assert run.outside_by_host["openaccess.thecvf.com"] == 2
    assert set(run.outside_by_host) == {"openaccess.thecvf.com", "api.github.com"}
    table = crawl.limited_table([run]).splitlines()
    assert "sites/s" in table[0] and "requests by host" in table[0]
    assert "openaccess.thecvf.com:4" in table[2] and f"{run.site_seconds:.2f}" in table[2]


def test_the_ideal_under_per_host_limits_is_the_busiest_hosts_intervals():
    limits = crawl.HostLimits({"api.github.com": 0.25}, 1.0)
    assert limits.seconds({}, 0.05) == 0.0
    assert limits.seconds({"api.github.com": 9, "cvf": 1}, 0.05) == 2.05  # 8 gaps of 0.25
    assert limits.seconds({"api.github.com": 9, "cvf": 3}, 0.05) == 2.05
    assert limits.seconds({"api.github.com": 1, "cvf": 4}, 0.05) == 3.05  # 3 gaps of 1 s
    stage = crawl.Stage("repositories", 8, 16, 3.0, {"api.github.com": 8, "codeload": 8})
    assert stage.ideal(4, 0.2) == 2 * 2 * 0.2  # no limits: 2 rounds of 2 requests
    assert stage.ideal(4, 0.2, limits) == 7 * 1.0 + 0.2  # codeload's default interval rules
    assert stage.ideal(1, 0.5, crawl.HostLimits({}, 0.1)) == 8 * 2 * 0.5  # the network rules
    run = crawl.CrawlRun(
        "x",
        4,
        0.2,
        8,
        8,
        10.0,
        1.0,
        {"api.github.com": 8, "codeload": 8, "cvf": 2},
        stages=(stage,),
        limits=limits,
    )
    assert run.outside_by_host == {"cvf": 2} and run.outside_ideal == 1.2
    assert run.ideal_seconds == 1.2 + 7.2
    assert run.site_seconds == 7.2  # codeload's 8 requests; cvf's could overlap them
    assert crawl.CrawlRun("y", 4, 0.2, 8, 8, 10.0, 1.0, {"a": 18}).site_seconds == 18 * 0.2 / 4


def test_stages_that_ran_at_once_count_once_in_the_ideal_and_in_the_time():
    pdfs = crawl.Stage("CVPR 2019 PDFs", 10, 10, 10.5, {"cvf": 10}, start=100.01)
    repos = crawl.Stage("repositories", 10, 30, 11.0, {"api": 20, "codeload": 10}, start=100.0)
    later = crawl.Stage("as of publication", 10, 10, 1.0, {"api": 10}, start=112.0)
    limits = crawl.HostLimits({"api": 0.25, "codeload": 0.5}, 1.0)
    run = crawl.CrawlRun(
        "x", 4, 0.1, 10, 10, 14.0, 1.0, {"cvf": 12, "api": 31, "codeload": 10},
        stages=(later, repos, pdfs), limits=limits,
    )  # fmt: skip
    assert run.groups == [[repos, pdfs], [later]]  # in the order they began
    # PDFs: 9 intervals of 1 s + 0.1; repositories: codeload's 9 of 0.5 s + 0.1 (api's 19
    # of 0.25 s: 4.85); the longer (9.1 s) plus one repository (3 requests, 0.3 s) after it
    assert abs(run.group_ideal([repos, pdfs]) - (9.1 + 0.3)) < 1e-9
    assert abs(run.group_ideal([later]) - (9 * 0.25 + 0.1)) < 1e-9
    assert abs(run.outside_stages - (14.0 - 11.0 - 1.0)) < 1e-9  # the union of the windows
    # no limits: the network term counts the two lanes' workers
    free = dataclasses.replace(run, limits=None)
    assert abs(free.site_seconds - 53 * 0.1 / (4 * 2)) < 1e-9


def test_an_unchanged_rerun_with_the_cache_costs_one_304_then_nothing(tmp_path):
    with _web([(2019, 3)]) as web:
        settings = web.settings(
            db_path=tmp_path / "db.duckdb", http_cache=True, cache_dir=tmp_path / "cache"
        )
        first, second, third = (crawl.run_crawl(settings, 2019, 2, 0.0) for _ in range(3))
    assert first.papers == 3 and first.cache_hits == {}
    assert second.requests == {crawl.CVF_HOST: 2}  # robots.txt and the listing page
    assert second.cache_hits == {crawl.CVF_HOST: 1} and second.papers == 0
    assert third.requests == {}


def test_the_forked_server_serves_sets_latency_and_stops():
    with _web([(2019, 1)], mode="process") as web:
        web.set_latency(0.05)
        start = time.perf_counter()
        with requests.get(web.base_url + "/cvf/robots.txt", timeout=10) as resp:
            assert resp.status_code == 200 and b"User-agent" in resp.content
        assert time.perf_counter() - start >= 0.05
        assert [p for p, _ in web.arrivals()] == ["/cvf/robots.txt"]
        proc = web._proc
    assert not proc.is_alive()


def test_crawl_main_prints_the_tables_and_the_ratios(capsys):
    code = crawl.main(
        [
            "--workers=1,2",
            "--latencies=0.01",
            "--per-worker=2",
            "--min-papers=2",
            "--max-papers=4",
            "--polite-papers=0",
            "--cache-papers=2",
            "--limited-papers=0",
            "--server=thread",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Crawl throughput" in out and "Per stage" in out and "Re-runs" in out
    assert "papers/s vs naive loop: w1 " in out and ", w2 " in out
    assert out.rstrip().endswith("PASS: request counts, politeness and cache targets")


# --- plan.py ------------------------------------------------------------------------------------


def test_the_plan_world_serves_a_neurips_listing_the_real_parser_reads():
    from scraper.sources import neurips

    web = plan.world_resources(3)
    url = f"https://proceedings.neurips.cc/paper_files/paper/{plan.YEAR}"
    listing = neurips.parse_listing(web[f"/neurips/paper_files/paper/{plan.YEAR}"].body, url, 2019)
    assert len(listing.papers) == 3 and listing.skipped == 0
    for paper in listing.papers:
        pdf = neurips.pdf_url_for(paper.page_url or "")
        assert pdf and pdf.removeprefix("https://proceedings.neurips.cc") in {
            path.removeprefix("/neurips") for path in web if path.endswith(".pdf")
        }


def test_plan_main_reads_both_venues_both_ways_and_at_once_is_faster(capsys):
    code = plan.main(["--papers=3", "--latency=0.01", "--server=thread", "--scale=0.2"])
    out = capsys.readouterr().out
    assert code == 0, out
    found = dict(
        (mode, (int(papers), int(repos), float(seconds)))
        for mode, papers, repos, seconds in re.findall(
            r"  (one after the other|at once): (\d+) papers, (\d+) repos in ([\d.]+)s", out
        )
    )
    after, together = found["one after the other"], found["at once"]
    assert after[:2] == together[:2] == (6, 6)
    assert together[2] < after[2]  # venues on two sites: their intervals overlap
    assert "speed-up" in out and "sites/s" in out
    assert out.rstrip().endswith("every PDF read and every repository scanned both ways")


# --- ingest.py ----------------------------------------------------------------------------------


def test_each_load_writes_its_rows_in_every_mode(tmp_path):
    records = ingest.make_records("record_pdfs", 20)  # 18 read (2 mentions each), 2 failed
    cell = ingest.measure_store(tmp_path / "0.duckdb", "record_pdfs", 8, records, 60)
    assert (cell.records, cell.batch) == (20, 8) and cell.per_second > 0
    naive = ingest.measure_naive(tmp_path / "naive.duckdb", "record_pdfs", records, 60)
    assert naive.records == 20 and naive.method == "naive"
    for name in ("0.duckdb", "naive.duckdb"):
        con = duckdb.connect(str(tmp_path / name), read_only=True)
        try:
            counts = [
                con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("paper_texts", "paper_mentions", "code_links", "repos")
            ]
        finally:
            con.close()
        assert counts == [20, 36, 18, 18], name


def test_the_ingest_benchmark_stops_at_its_time_budget(tmp_path):
    cell = ingest.measure_store(
        tmp_path / "db.duckdb", "upsert_papers", 1, ingest.make_papers(5000), 0.2
    )
    assert 0 < cell.records < 5000 and cell.seconds < 5


def test_ingest_run_prints_a_cell_per_load_batch_and_writer(tmp_path, capsys):
    cells = ingest.run_benchmark(tmp_path, 12, [1, 5], 30, ["upsert_papers", "record_repos"])
    out = capsys.readouterr().out
    kinds = sorted((c.load, c.method, c.batch) for c in cells)
    expected = [("upsert_papers", "naive", 0), ("record_repos", "naive", 0)]
    expected += [(load, "store", b) for load in ("upsert_papers", "record_repos") for b in (1, 5)]
    assert kinds == sorted(expected)
    assert all(c.records == 12 for c in cells)
    assert "record_repos vs naive loop: batch 1: " in out
    assert "Store.release() after a write" in out


# --- memory.py ----------------------------------------------------------------------------------


def test_the_rss_sampler_samples_every_n_items_and_at_the_end():
    sampler = memory.RssSampler(10)
    assert list(sampler(range(25), "repositories", 25)) == list(range(25))
    assert [s.repos for s in sampler.samples] == [10, 20, 25]
    assert all(s.rss_mb > 1 and s.peak_mb > 1 for s in sampler.samples)


def test_a_memory_run_scans_every_repository_and_reports(tmp_path, capsys):
    run = memory.run_memory(tmp_path, repos=30, workers=4, every=10, mode="thread")
    assert run.scanned == 30 and run.requests == 60
    assert [s.repos for s in run.samples] == [10, 20, 30]
    assert run.at(15).repos == 20 and run.at(31) is None
    assert memory.report(run, max_growth_mb=1e6)
    out = capsys.readouterr().out
    assert "PASS: 30/30 scanned" in out
    assert not memory.report(run, max_growth_mb=-1e6)  # a limit no run can meet fails


def test_two_venues_on_one_site_read_at_once_still_share_its_interval(tmp_path):
    """CVPR and ICCV are both on the CVF site: their lanes run at once, but the client's
    per-host limiter keeps one request per interval to that site across both."""
    from scraper import jobs
    from scraper.demo import world
    from scraper.http import HttpClient
    from scraper.store import Store

    intervals = {"openaccess.thecvf.com": 0.1, "api.github.com": 0.0, "codeload.github.com": 0.0}
    with crawl.LocalWeb(world.build, mode="thread") as web:
        settings = web.settings(
            db_path=tmp_path / "db.duckdb", default_interval=0.0, host_intervals=intervals
        )
        plan = [("cvpr", [2021]), ("iccv", [2021])]
        with Store.open(settings.db_path) as store, HttpClient(settings) as client:
            reports = jobs.run_plan(store, client, plan, sizes=world.venue_sizes(), workers=8)
        arrivals = web.arrivals()
    assert [r.status for r in reports] == ["ok", "ok"]
    assert [r.counts["pdfs_read"] for r in reports] == [13, 10]
    cvf = {g.host: g for g in crawl.politeness_gaps(arrivals, intervals, 0.0)}[
        "openaccess.thecvf.com"
    ]
    assert cvf.requests >= 23 and cvf.ok, cvf  # 16 workers in two lanes, one site's pace
