"""Benchmark: a plan of venues on different sites, read at once vs one venue after the other.

A census is a plan of many venues (``fwcensus run`` with ``[[track]]`` entries), most on
their own proceedings site, each site allowing one request per second. Read one after the
other, the census takes the sum of the sites' times; read at once (``jobs.run_plan``: one
PDF lane per venue and one repository lane, see scraper/lanes.py), it takes about as long as
its busiest site. This script serves two synthetic venues on two sites on 127.0.0.1 with
injected latency (CVPR on the CVF site, as in crawl.py, and NeurIPS on its proceedings site,
in their real page layouts) and runs, in the same session and under the default per-host
limits (1 s per site, GitHub API 0.25 s, codeload 0.5 s):

* ``one after the other``: ``jobs.run`` for CVPR, then for NeurIPS (what ``fwcensus run`` did
  before plans ran at once);
* ``at once``: one ``jobs.run_plan`` over both.

For each: seconds, papers and repositories done, requests per host, and the sites' bound (the
busiest host's requests one interval apart: no schedule can beat it). Results are in
docs/benchmarks-crawl.md. Run from the repository root:

    python benchmarks/plan.py                  # 20 papers per venue, 50 ms, 4 workers
    python benchmarks/plan.py --papers 40 --latency 0.2
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import crawl  # noqa: E402  (benchmarks/crawl.py: the synthetic CVF world, the local web)
from benchtools import table  # noqa: E402

from scraper import jobs  # noqa: E402
from scraper.config import DEFAULT_HOST_INTERVALS, Settings  # noqa: E402
from scraper.demo import world  # noqa: E402
from scraper.demo.pdfwriter import make_pdf  # noqa: E402
from scraper.demo.server import Resource  # noqa: E402
from scraper.http import HttpClient  # noqa: E402
from scraper.reference import VenueSizes  # noqa: E402
from scraper.store import Store  # noqa: E402

NEURIPS_BASE = "https://proceedings.neurips.cc"
NEURIPS_HOST = "proceedings.neurips.cc"
YEAR = 2019  # a real year of both venues (NeurIPS's classic page layout, no separate D&B host)
SITE_INTERVAL = 1.0  # seconds between two requests to a proceedings site (the default)


# --- the NeurIPS site --------------------------------------------------------------------------


def neurips_hash(paper: world.DemoPaper) -> str:
    """The 32-hex-digit id in the paper's proceedings URLs."""
    return hashlib.md5(f"{paper.venue}{paper.year}-{paper.index}".encode()).hexdigest()


def neurips_listing(year: int, papers: Sequence[world.DemoPaper]) -> bytes:
    """``/paper_files/paper/{year}`` in the classic layout: one ``li`` per paper with its
    abstract page's link and the authors."""
    items = "\n".join(
        f'<li><a title="paper title" href="/paper_files/paper/{year}/hash/'
        f'{neurips_hash(p)}-Abstract.html">{p.title}</a> <i>{", ".join(p.authors)}</i></li>'
        for p in papers
    )
    return (
        "<!doctype html><html><head><title>NeurIPS Proceedings</title></head><body>"
        f'<div class="container-fluid"><h4>Advances in Neural Information Processing Systems '
        f'{year - 1987}</h4><ul class="paper-list">\n{items}\n</ul></div></body></html>'
    ).encode()


def world_resources(count: int) -> dict[str, Resource]:
    """CVPR ``YEAR`` on the CVF site (crawl.py's world) and NeurIPS ``YEAR`` on its own site,
    ``count`` papers each, every paper with a PDF linking its own repository."""
    web = crawl.world_resources([(YEAR, count)])
    web["/neurips/robots.txt"] = Resource(crawl.ROBOTS, "text/plain")
    papers = [
        world.DemoPaper("neurips", YEAR, i, crawl.KINDS[i % len(crawl.KINDS)]) for i in range(count)
    ]
    web[f"/neurips/paper_files/paper/{YEAR}"] = Resource(neurips_listing(YEAR, papers), crawl.HTML)
    repo_id = 900_000
    for paper in papers:
        pdf = f"/neurips/paper_files/paper/{YEAR}/file/{neurips_hash(paper)}-Paper.pdf"
        web[pdf] = Resource(make_pdf(world._pdf_pages(paper)), "application/pdf")
        files = world.repo_files(paper.kind, paper.repo or "")
        crawl.add_repo(web, paper, files, repo_id, snapshots=False)
        repo_id += 1
    return web


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    """One way of running the plan: its time, work done and requests per host."""

    mode: str
    seconds: float
    papers: int
    repos: int
    requests: dict[str, int]
    limits: crawl.HostLimits
    latency: float
    statuses: tuple[str, ...]

    @property
    def site_seconds(self) -> float:
        """The sites' bound: the busiest host's requests one interval apart."""
        return self.limits.seconds(self.requests, self.latency)

    @property
    def efficiency(self) -> float:
        return self.site_seconds / self.seconds if self.seconds else 0.0


def limits(scale: float = 1.0) -> crawl.HostLimits:
    """The default per-host limits, every interval times ``scale`` (a quick smoke run)."""
    intervals = {host: s * scale for host, s in DEFAULT_HOST_INTERVALS.items()}
    return crawl.HostLimits(intervals, SITE_INTERVAL * scale)


def settings_for(
    web: crawl.LocalWeb, db: Path, scale: float = 1.0, **overrides: object
) -> Settings:
    """Settings sending both sites and GitHub to ``web``, under the default per-host limits
    (times ``scale``) unless overridden."""
    hosts = limits(scale)
    values: dict[str, object] = {
        "rewrite": (
            *((real, f"{web.base_url}{local}") for real, local in crawl.BASES.items()),
            (NEURIPS_BASE, f"{web.base_url}/neurips"),
        ),
        "db_path": db,
        "default_interval": hosts.default,
        "host_intervals": dict(hosts.intervals),
        "publication_snapshots": False,  # this plan measures PDFs and repositories only
    }
    values.update(overrides)
    return web.settings(**values)


def run_plan(
    settings: Settings, workers: int, latency: float, together: bool, scale: float = 1.0
) -> PlanRun:
    """Both venues through the real pipeline: one ``run_plan``, or one ``run`` each."""
    plan = [("cvpr", [YEAR]), ("neurips", [YEAR])]
    with Store.open(settings.db_path) as store, HttpClient(settings) as client:
        start = time.perf_counter()
        common = {"workers": workers, "sizes": VenueSizes(), "aggregators": (), "command": "bench"}
        if together:
            reports = jobs.run_plan(store, client, plan, **common)  # type: ignore[arg-type]
        else:
            reports = [jobs.run(store, client, v, ys, **common) for v, ys in plan]  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        requests = dict(client.requests_by_host)
    return PlanRun(
        "at once" if together else "one after the other",
        seconds,
        sum(r.counts["pdfs_read"] for r in reports),
        sum(r.counts["repos_scanned"] for r in reports),
        requests,
        limits(scale),
        latency,
        tuple(r.status for r in reports),
    )


def plan_table(runs: Sequence[PlanRun]) -> str:
    base = next((r for r in runs if r.mode == "one after the other"), None)
    rows = [
        [
            r.mode,
            str(r.papers),
            str(r.repos),
            f"{r.seconds:.2f}",
            f"{r.site_seconds:.2f}",
            f"{r.efficiency:.0%}",
            f"{base.seconds / r.seconds:.2f}x" if base and r.seconds else "-",
            " ".join(f"{host}:{n}" for host, n in sorted(r.requests.items())),
        ]
        for r in runs
    ]
    headers = ["plan", "papers", "repos", "s", "sites s", "sites/s", "speed-up", "by host"]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20, help="papers per venue")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every per-host interval (smoke runs)"
    )
    args = parser.parse_args(argv)
    print(f"machine: {crawl.machine()}")
    print(
        f"plan: CVPR {YEAR} (CVF site) + NeurIPS {YEAR} (its proceedings site), {args.papers} "
        f"papers each, each paper one repository; latency {args.latency * 1000:.0f} ms, "
        f"{args.workers} workers per stage, default per-host limits"
        + (f" x {args.scale}" if args.scale != 1.0 else "")
    )
    build = functools.partial(world_resources, args.papers)
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="fwcensus-plan-") as tmp,
        crawl.LocalWeb(build, args.server) as web,
    ):
        web.set_latency(args.latency)
        # the first run in a process pays the imports: a tiny warm-up on a throwaway database
        warm = settings_for(web, Path(tmp) / "warm.duckdb", default_interval=0.0, host_intervals={})
        with Store.open(warm.db_path) as store, HttpClient(warm) as client:
            jobs.run(store, client, "cvpr", [YEAR], limit=1, sizes=VenueSizes(), aggregators=())
        for together in (False, True):
            db = Path(tmp) / f"plan-{int(together)}.duckdb"
            settings = settings_for(web, db, args.scale)
            run = run_plan(settings, args.workers, args.latency, together, args.scale)
            runs.append(run)
            print(f"  {run.mode}: {run.papers} papers, {run.repos} repos in {run.seconds:.2f}s")
    print()
    print("sites s = the busiest host's requests one interval apart (no schedule beats it):")
    print(plan_table(runs))
    expected = 2 * args.papers
    complete = all(r.papers == expected and r.repos == expected for r in runs)
    ok = complete and all(s == "ok" for r in runs for s in r.statuses)
    print(f"{'PASS' if ok else 'FAIL'}: every PDF read and every repository scanned both ways")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
