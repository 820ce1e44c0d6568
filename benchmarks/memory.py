"""Benchmark: the crawler's memory stays flat over a run of 10,000 repositories.

A local web (see benchmarks/crawl.py) serves GitHub API JSON and a tiny codeload tarball for
each of ``--repos`` repositories, with no latency. The database is seeded with one paper and
one official code link per repository (as a listing would leave it), then the real repository
lane runs as a run drives it (``Pipeline.read_and_scan``, here with no PDF to read: metadata,
streamed tarball, scan, batched writes) with 16 workers. The resident set size of this process
is sampled every ``--every`` repositories (psutil when installed, else /proc/self/statm; the
peak from ``resource.getrusage``). The web server runs in a forked child, so its memory is not
counted.

Flat means: the RSS after the last repository is within ``--max-growth-mb`` of the RSS after
the first thousand. Run from the repository root:

    python benchmarks/memory.py                     # 10,000 repositories, 16 workers
    python benchmarks/memory.py --repos 2000 --every 250
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _path in (str(HERE.parent), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from benchtools import table  # noqa: E402
from crawl import LocalWeb, add_repo, machine  # noqa: E402

from scraper import jobs  # noqa: E402
from scraper.demo import world  # noqa: E402
from scraper.demo.server import Resource  # noqa: E402
from scraper.http import HttpClient  # noqa: E402
from scraper.models import CodeLink, Paper, RepoRef  # noqa: E402
from scraper.reference import VenueSizes  # noqa: E402
from scraper.store import Store  # noqa: E402

VENUE, YEAR = "cvpr", 2020
TINY_FILES = {"train.py": "import torch\n\nprint(torch.zeros(1))\n", "requirements.txt": "torch\n"}
MARKS = (1_000, 5_000, 10_000)


# --- measuring memory -------------------------------------------------------------------------


def rss_source() -> str:
    if importlib.util.find_spec("psutil") is not None:
        return "psutil"
    if Path("/proc/self/statm").exists():
        return "/proc/self/statm"
    return "getrusage (peak only)"


def rss_mb() -> float:
    """This process's resident set size now, in MiB."""
    if importlib.util.find_spec("psutil") is not None:
        import psutil  # optional: not a dependency of the project

        return float(psutil.Process().memory_info().rss) / 2**20
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """The largest resident set size so far, in MiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass(frozen=True)
class Sample:
    repos: int
    seconds: float
    rss_mb: float
    peak_mb: float


class RssSampler:
    """A ``jobs.Progress`` that samples RSS every ``every`` items (and at the end)."""

    def __init__(self, every: int) -> None:
        self.every = max(1, every)
        self.samples: list[Sample] = []
        self.start = time.perf_counter()

    def sample(self, count: int) -> None:
        self.samples.append(
            Sample(count, time.perf_counter() - self.start, rss_mb(), peak_rss_mb())
        )

    def __call__(self, items: Iterable[Any], desc: str, total: int) -> Iterable[Any]:
        return self._sampled(items)

    def _sampled(self, items: Iterable[Any]) -> Iterator[Any]:
        count = 0
        for item in items:
            yield item
            count += 1
            if count % self.every == 0:
                self.sample(count)
        if not self.samples or self.samples[-1].repos != count:
            self.sample(count)


# --- the run ----------------------------------------------------------------------------------


def repo_names(count: int) -> list[world.DemoPaper]:
    return [world.DemoPaper(VENUE, YEAR, i, "P") for i in range(count)]


def memory_world(count: int) -> dict[str, Resource]:
    web: dict[str, Resource] = {}
    for i, paper in enumerate(repo_names(count)):
        add_repo(web, paper, TINY_FILES, 800_000 + i, snapshots=False)
    return web


def seed(store: Store, count: int) -> None:
    """One paper and one official code link per repository, as a listing would store them."""
    papers, links = [], []
    for paper in repo_names(count):
        p = Paper(VENUE, YEAR, f"paper_{paper.index:06d}", f"Paper {paper.index}", source="cvf")
        repo = RepoRef("github", world.DEMO_ORG, paper.repo or "")
        url = f"https://github.com/{repo.slug}"
        papers.append(p)
        links.append(CodeLink(p.paper_id, url, "pdf", repo, official=True))
    with store.transaction():
        store.upsert_papers(papers)
        store.upsert_code_links(links)


@dataclass(frozen=True)
class MemoryRun:
    repos: int
    workers: int
    seconds: float
    before_mb: float  # RSS after seeding, before the first repository
    samples: list[Sample]
    requests: int
    scanned: int

    def at(self, repos: int) -> Sample | None:
        """The first sample taken at or after ``repos`` repositories."""
        return next((s for s in self.samples if s.repos >= repos), None)

    @property
    def growth_mb(self) -> float:
        """RSS after the last repository minus RSS after the first thousand (or first sample)."""
        first = self.at(min(1_000, self.samples[-1].repos)) or self.samples[0]
        return self.samples[-1].rss_mb - first.rss_mb


def run_memory(
    work: Path, repos: int, workers: int = 16, every: int = 500, mode: str = "process"
) -> MemoryRun:
    build = functools.partial(memory_world, repos)
    with LocalWeb(build, mode, keep_arrivals=False) as web:
        settings = web.settings(db_path=work / "memory.duckdb")
        with Store.open(settings.db_path) as store, HttpClient(settings) as client:
            seed(store, repos)
            store.release()  # as the pipeline leaves it between stages
            sampler = RssSampler(every)
            pipe = jobs.Pipeline(
                store, client, progress=sampler, workers=workers, sizes=VenueSizes()
            )
            report = jobs.RunReport()
            run_id = store.start_run("benchmark-memory", {"repos": repos})
            before = rss_mb()
            start = time.perf_counter()
            sampler.start = start
            pipe.read_and_scan([jobs.VenueWork(VENUE, [], [YEAR], report, run_id)], None)
            seconds = time.perf_counter() - start
            requests = sum(client.requests_by_host.values())
    return MemoryRun(
        repos,
        workers,
        seconds,
        before,
        sampler.samples,
        requests,
        report.counts["repos_scanned"],
    )


def report(run: MemoryRun, max_growth_mb: float) -> bool:
    print(f"RSS source: {rss_source()}; before the stage: {run.before_mb:.1f} MiB")
    rows = [
        [
            f"{s.repos:,}",
            f"{s.seconds:.1f}",
            f"{s.repos / s.seconds:.0f}" if s.seconds else "-",
            f"{s.rss_mb:.1f}",
            f"{s.peak_mb:.1f}",
        ]
        for s in run.samples
    ]
    print(table(["repos", "s", "repos/s", "RSS MiB", "peak RSS MiB"], rows))
    print()
    print("Ratios:")
    marks = [m for m in MARKS if m <= run.repos] or [run.samples[-1].repos]
    for mark in marks:
        s = run.at(mark)
        if s is not None:
            print(
                f"  after {mark:>6,} repositories: RSS {s.rss_mb:.1f} MiB, "
                f"peak {s.peak_mb:.1f} MiB ({s.rss_mb / run.before_mb:.2f}x before the stage)"
            )
    last = run.samples[-1]
    print(
        f"  growth from the first 1,000 to the last repository: {run.growth_mb:+.1f} MiB "
        f"({run.growth_mb * 1000 / max(1, last.repos - min(1000, last.repos)):+.2f} MiB per "
        f"1,000 repositories); {run.requests / max(1, run.scanned):.2f} requests per repository; "
        f"{run.scanned / run.seconds:.0f} repositories/s"
    )
    ok = run.scanned == run.repos and run.growth_mb <= max_growth_mb
    print(
        f"{'PASS' if ok else 'FAIL'}: {run.scanned:,}/{run.repos:,} scanned, growth "
        f"{run.growth_mb:+.1f} MiB (limit {max_growth_mb:.0f} MiB)"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--every", type=int, default=500, help="sample RSS every N repositories")
    parser.add_argument("--max-growth-mb", type=float, default=25.0)
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--keep", type=Path, default=None, help="keep the database here")
    args = parser.parse_args(argv)
    if args.repos < 1 or args.workers < 1:
        parser.error("--repos and --workers must be at least 1")
    print(f"machine: {machine()}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="fwcensus-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run = run_memory(work, args.repos, args.workers, args.every, args.server)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{run.repos:,} repositories, {run.workers} workers, no latency: {run.seconds:.1f}s")
    return 0 if report(run, args.max_growth_mb) else 1


if __name__ == "__main__":
    raise SystemExit(main())
