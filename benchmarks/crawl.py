"""Benchmark: crawl throughput of the real pipeline (``jobs.run``) against a local web.

A synthetic world shaped like the demo world (``scraper/demo/world.py``: CVF listing page, one
PDF per paper with its code link, GitHub API JSON and a small codeload tarball per repository)
is served on 127.0.0.1 by :class:`~scraper.demo.server.FixtureWeb` with injected latency. Each
run lists one venue-year, reads every PDF and scans every repository through the real
pipeline, with ``workers`` threads per stage and per-host politeness intervals of 0. Measured
per run: papers/s and repos/s, HTTP requests per paper and per repository
(``requests_by_host``), and each stage's time against the ideal
``ceil(items / workers) * requests * latency``. The PDF and repository stages run at once
(repositories are scanned as PDFs reveal them): stages whose times overlap form a group, whose
ideal is its longest stage's plus one item of the other (see ``CrawlRun.group_ideal``).

Also measured, in the same session (absolute times are noisy here; the ratios are the result):

* a naive baseline: ``requests.get`` on the URLs the 1-worker run fetched, one after the
  other;
* the same worker counts and latencies under the default per-host limits (1 s per site,
  0.25 s GitHub API, 0.5 s codeload; ``--limited-papers``), against the ideal those limits
  allow: per stage, the network ideal or the busiest host's intervals, whichever is longer
  (groups of overlapping stages as above), and the sites' bound (the busiest host over the
  whole run, as if every stage on a different host overlapped);
* a run with the default politeness on a few items, checking the gaps between requests as the
  server saw them;
* a re-run of an unchanged venue-year with the HTTP cache on (conditional requests, 304s).

The web runs in a forked child process by default, so the server does not compete with the
crawler for the GIL (``--server thread`` keeps it in-process). Run from the repository root:

    python benchmarks/crawl.py                                  # the documented default run
    python benchmarks/crawl.py --workers 1,16 --latencies 0.05 --max-papers 160

Results are recorded in docs/benchmarks-crawl.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import duckdb
import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchtools import load_average, table  # noqa: E402

from scraper import jobs, reference  # noqa: E402
from scraper.config import DEFAULT_HOST_INTERVALS, Settings  # noqa: E402
from scraper.demo import world  # noqa: E402
from scraper.demo.pdfwriter import make_pdf  # noqa: E402
from scraper.demo.server import BASES, FixtureWeb, Resource  # noqa: E402
from scraper.http import HttpClient  # noqa: E402
from scraper.reference import VenueSizes  # noqa: E402
from scraper.store import Store  # noqa: E402

VENUE = "cvpr"
# Synthetic venue-years, one listing per run size. Real CVPR years (the pipeline skips years a
# venue had no edition); each run writes a fresh database, so the demo's papers never mix in.
FIRST_YEAR = 2013
# Repository kinds cycled over the papers (letters of the demo world: P PyTorch, T TensorFlow,
# B both, J JAX, K Keras, N no framework). Every paper has a PDF and a repository.
KINDS = "PPPPTTBJKN"
HTML = "text/html; charset=utf-8"
ROBOTS = b"User-agent: *\nDisallow: /search\n"
# Constant quota headers: the demo's countdown would reach 0 (and hold the host) past 5k repos.
QUOTA = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "0"}
# Local path prefix -> the real host the client counts requests under.
PREFIX_HOSTS = {local: real.split("://", 1)[1] for real, local in BASES.items()}
CVF_HOST = PREFIX_HOSTS["/cvf"]
API_HOST = PREFIX_HOSTS["/api"]
CODELOAD_HOST = PREFIX_HOSTS["/codeload"]
# Stages whose requests are the repositories' (the rest: PDFs, and requests outside any stage:
# robots.txt, the listing page, the frameworks' own star counts).
REPO_STAGES = ("repositories", "as of publication: commits", "as of publication")
SETTING_NAMES = frozenset(f.name for f in dataclasses.fields(Settings))
SERVER_WAIT = 120.0  # seconds the parent waits for the web server to answer a command
SERVER_IDLE = 1800.0  # a child server with no command for this long exits on its own


# --- the synthetic world ----------------------------------------------------------------------


def synthetic_papers(year: int, count: int) -> list[world.DemoPaper]:
    """``count`` demo papers of one CVPR year, each with a PDF and an official repository."""
    return [world.DemoPaper(VENUE, year, i, KINDS[i % len(KINDS)]) for i in range(count)]


def pdf_path(paper: world.DemoPaper) -> str:
    return f"/cvf{paper.prefix}/papers/{paper.stem}.pdf"


def listing_path(year: int) -> str:
    return f"/cvf/{VENUE.upper()}{year}?day=all"


def add_repo(
    web: dict[str, Resource],
    paper: world.DemoPaper,
    files: Mapping[str, str],
    repo_id: int,
    snapshots: bool = True,
) -> None:
    """API JSON and a codeload tarball for ``paper``'s repository, and (``snapshots``) the
    demo world's answer to the "as of publication" stage when the demo world has one: the
    commit at the conference date, HEAD except for "B" repositories (a second tarball)."""
    name = paper.repo or ""
    web[f"/api/repos/{world.DEMO_ORG}/{name}"] = Resource(
        json.dumps(world.repo_json(paper, repo_id)).encode(),
        "application/json; charset=utf-8",
        headers=dict(QUOTA),
    )
    tar, sha = world.make_tarball(name, dict(files))
    web[f"/codeload/{world.DEMO_ORG}/{name}/tar.gz/HEAD"] = Resource(tar, "application/x-gzip")
    publication = getattr(world, "_publication_commit", None)
    if snapshots and publication is not None:
        web.update(publication(paper, sha))


def framework_resources() -> dict[str, Resource]:
    """API JSON of the frameworks' own repositories (the pipeline records their stars once a
    day), when the pipeline has that step."""
    slugs = getattr(reference, "framework_repos", lambda: [])()
    return {
        f"/api/repos/{slug}": Resource(
            json.dumps(
                {"full_name": slug, "stargazers_count": 50_000 + n, "forks_count": 9_000 + n}
            ).encode(),
            "application/json; charset=utf-8",
            headers=dict(QUOTA),
        )
        for n, slug in enumerate(slugs)
    }


def world_resources(listings: Sequence[tuple[int, int]]) -> dict[str, Resource]:
    """Every URL of a world with one listing of ``count`` papers per ``(year, count)``."""
    web = {"/cvf/robots.txt": Resource(ROBOTS, "text/plain"), **framework_resources()}
    repo_id = 700_000
    for year, count in listings:
        papers = synthetic_papers(year, count)
        title = f"{VENUE.upper()} {year} Open Access Repository"
        web[listing_path(year)] = Resource(world._listing(title, papers).encode(), HTML)
        for paper in papers:
            web[pdf_path(paper)] = Resource(make_pdf(world._pdf_pages(paper)), "application/pdf")
            add_repo(web, paper, world.repo_files(paper.kind, paper.repo or ""), repo_id)
            repo_id += 1
    return web


# --- the web server ---------------------------------------------------------------------------


class TimedWeb(FixtureWeb):
    """A FixtureWeb that notes when each request arrives (to check politeness gaps).

    With ``nodelay`` (the default) its sockets send without Nagle's delay, as real web servers
    do: FixtureWeb writes the headers and the body of an answer in two sends, and on a
    keep-alive connection the second one waits for the client's delayed ACK (about 40 ms on
    Linux), which would make every request of a pooled client cost 40 ms more than the
    injected latency. ``nodelay=False`` reproduces that (see docs/benchmarks-crawl.md).
    """

    def __init__(
        self, resources: Mapping[str, Resource], keep_arrivals: bool = True, nodelay: bool = True
    ) -> None:
        super().__init__(resources)
        # The handler class is made per FixtureWeb instance: this changes this server only.
        self._server.RequestHandlerClass.disable_nagle_algorithm = nodelay  # type: ignore[attr-defined]
        self.keep_arrivals = keep_arrivals
        self.arrivals: list[tuple[str, float]] = []

    def _arrive(self, handler: Any) -> Any:
        if self.keep_arrivals:  # every request, GET or POST (GraphQL)
            self.arrivals.append((unquote(handler.path), time.monotonic()))
        return super()._arrive(handler)


def _serve_child(
    conn: Connection, build: Callable[[], dict[str, Resource]], keep: bool, nodelay: bool
) -> None:
    """Body of the forked server process: build the world, serve it, obey the parent."""
    web = TimedWeb(build(), keep_arrivals=keep, nodelay=nodelay).start()
    try:
        conn.send(("ready", web.base_url))
        while conn.poll(SERVER_IDLE):
            command, arg = conn.recv()
            if command == "latency":
                web.latency = float(arg)
                conn.send(("ok", None))
            elif command == "arrivals":
                conn.send(("ok", list(web.arrivals)))
                web.arrivals.clear()
            else:  # "stop"
                break
    except (EOFError, OSError):
        pass  # the parent went away: stop serving
    finally:
        web.stop()
        conn.close()


class LocalWeb:
    """The synthetic world on 127.0.0.1: in a forked child process (``mode="process"``) or in
    a thread of this process (``mode="thread"``). Use as a context manager."""

    def __init__(
        self,
        build: Callable[[], dict[str, Resource]],
        mode: str = "process",
        keep_arrivals: bool = True,
        nodelay: bool = True,
        start_timeout: float = 600.0,
    ) -> None:
        if mode not in ("process", "thread"):
            raise ValueError(f"server mode must be 'process' or 'thread', not {mode!r}")
        self.mode = mode
        self._web: TimedWeb | None = None
        self._conn: Connection | None = None
        self._proc: Any = None
        if mode == "thread":
            self._web = TimedWeb(build(), keep_arrivals, nodelay).start()
            self.base_url = self._web.base_url
            return
        ctx = multiprocessing.get_context("fork")  # the world is built in the child only
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_child, args=(child, build, keep_arrivals, nodelay))
        self._proc.daemon = True
        self._proc.start()
        child.close()
        self.base_url = str(self._ask(None, None, start_timeout))

    def _ask(self, command: str | None, arg: object, timeout: float = SERVER_WAIT) -> Any:
        assert self._conn is not None
        if command is not None:
            self._conn.send((command, arg))
        if not self._conn.poll(timeout):
            raise RuntimeError(
                f"the benchmark web server (pid {self._proc.pid}) did not answer within "
                f"{timeout:.0f} s; try smaller sizes or --server thread"
            )
        return self._conn.recv()[1]

    def set_latency(self, seconds: float) -> None:
        if self._web is not None:
            self._web.latency = seconds
        else:
            self._ask("latency", seconds)

    def arrivals(self) -> list[tuple[str, float]]:
        """Requests seen since the last call: (local path, monotonic arrival time)."""
        if self._web is not None:
            out = list(self._web.arrivals)
            self._web.arrivals.clear()
            return out
        return list(self._ask("arrivals", None))

    def settings(self, **overrides: Any) -> Settings:
        """Settings sending the real sites here; no politeness delays unless overridden."""
        values: dict[str, Any] = {
            "rewrite": tuple((real, f"{self.base_url}{local}") for real, local in BASES.items()),
            "default_interval": 0.0,
            "host_intervals": {},
            "retries": 1,
            "backoff": 0.01,
            "aggregators": (),
            "retry_backoff": 0.0,
            "http_cache": False,
            "venue_sizes": None,
        }
        values.update(overrides)
        return Settings(**{k: v for k, v in values.items() if k in SETTING_NAMES})

    def close(self) -> None:
        if self._web is not None:
            self._web.stop()
            self._web = None
        if self._proc is not None:
            assert self._conn is not None
            with contextlib.suppress(OSError):  # already gone
                self._conn.send(("stop", None))
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(5)
            self._conn.close()
            self._proc = None

    def __enter__(self) -> LocalWeb:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# --- measuring one run ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One pipeline stage of a run, as seen through the progress hook."""

    name: str  # the stage's progress description ("CVPR 2031 PDFs", "repositories", ...)
    items: int
    requests: int  # requests the client made while the stage ran
    seconds: float
    by_host: Mapping[str, int] = field(default_factory=dict)  # the requests, per real host
    start: float = 0.0  # perf_counter when the stage began (overlapping stages share time)

    def ideal(self, workers: int, latency: float, limits: HostLimits | None = None) -> float:
        """Seconds if every request took ``latency`` and nothing else took time: the stage's
        items in rounds of ``workers``, each item's requests one after the other; with
        ``limits``, at least the time the per-host intervals need for the stage's requests
        (:meth:`HostLimits.seconds`)."""
        if not self.items:
            return 0.0
        network = math.ceil(self.items / workers) * (self.requests / self.items) * latency
        if limits is None:
            return network
        return max(network, limits.seconds(self.by_host, latency))


@dataclass(frozen=True)
class HostLimits:
    """Per-host politeness: at most one request per ``interval`` seconds to each host."""

    intervals: Mapping[str, float]
    default: float

    def interval(self, host: str) -> float:
        return self.intervals.get(host, self.default)

    def seconds(self, by_host: Mapping[str, int], latency: float) -> float:
        """The least time ``by_host`` requests can take under these limits: the busiest
        host's requests one interval apart, the last one answered after ``latency``."""
        return max(
            ((n - 1) * self.interval(host) + latency for host, n in by_host.items() if n > 0),
            default=0.0,
        )


class StageClock:
    """A ``jobs.Progress`` that notes, for each stage, its loop's time, items and requests."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.stages: list[Stage] = []

    def __call__(self, items: Iterable[Any], desc: str, total: int) -> Iterable[Any]:
        # the stage starts when the pipeline asks for its progress, before its first result
        return self._timed(items, desc, time.perf_counter(), self._requests())

    def _requests(self) -> dict[str, int]:
        return dict(self.client.requests_by_host)

    def _timed(
        self, items: Iterable[Any], desc: str, start: float, before: Mapping[str, int]
    ) -> Iterator[Any]:
        count = 0
        try:
            for item in items:
                count += 1
                yield item
        finally:
            seconds = time.perf_counter() - start
            after = self._requests()
            # Stages overlap (PDFs and repositories run at once): each counts its own hosts'
            # requests, the proceedings site's for the PDFs, the others' for the rest.
            by_host = {
                h: n - before.get(h, 0)
                for h, n in after.items()
                if n > before.get(h, 0) and (h == CVF_HOST) == desc.endswith("PDFs")
            }
            self.stages.append(Stage(desc, count, sum(by_host.values()), seconds, by_host, start))


class PoolDiscards(logging.Handler):
    """Counts urllib3's "Connection pool is full, discarding connection" while installed (a
    connection that cannot go back to the pool is closed; the next request opens a new one)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self._logger = logging.getLogger("urllib3.connectionpool")
        self._propagate = self._logger.propagate

    def emit(self, record: logging.LogRecord) -> None:
        if "pool is full" in record.getMessage():
            self.count += 1

    def __enter__(self) -> PoolDiscards:
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate


@dataclass(frozen=True)
class CrawlRun:
    """What one ``jobs.run`` over a synthetic listing did, and how fast."""

    label: str
    workers: int
    latency: float
    papers: int  # PDFs read
    repos: int  # repositories scanned (HEAD)
    seconds: float
    cpu_seconds: float
    requests: dict[str, int]
    stages: tuple[Stage, ...] = ()
    cache_hits: dict[str, int] = field(default_factory=dict)
    pool_discards: int = 0
    status: str = "ok"
    limits: HostLimits | None = None  # the per-host intervals of the run (None: all 0)

    @property
    def papers_per_s(self) -> float:
        return self.papers / self.seconds if self.seconds else 0.0

    @property
    def repos_per_s(self) -> float:
        return self.repos / self.seconds if self.seconds else 0.0

    @property
    def requests_per_paper(self) -> float:
        """Requests to the proceedings site per paper (robots.txt, listing page, PDFs)."""
        return self.requests.get(CVF_HOST, 0) / self.papers if self.papers else 0.0

    @property
    def requests_per_repo(self) -> float:
        """Requests of the repository stages (HEAD scan, scan as of publication) per
        repository."""
        used = sum(s.requests for s in self.stages if s.name in REPO_STAGES)
        return used / self.repos if self.repos else 0.0

    @property
    def outside_requests(self) -> int:
        """Requests made outside the stages' loops, one after the other: robots.txt, the
        listing page, the frameworks' own star counts (once a day)."""
        return sum(self.requests.values()) - sum(s.requests for s in self.stages)

    def stage(self, suffix: str) -> Stage | None:
        return next((s for s in self.stages if s.name.endswith(suffix)), None)

    @property
    def outside_by_host(self) -> dict[str, int]:
        """Per host, the requests made outside the stages' loops."""
        out = dict(self.requests)
        for stage in self.stages:
            for host, n in stage.by_host.items():
                out[host] = out.get(host, 0) - n
        return {host: n for host, n in out.items() if n > 0}

    @property
    def outside_ideal(self) -> float:
        """The requests outside the stages, one after the other: each takes the latency, and
        the next request to the same host waits for the rest of its interval (the pipeline
        makes them host by host: robots.txt and the listing, later the star counts)."""
        limits = self.limits or HostLimits({}, 0.0)
        return sum(
            (n - 1) * max(limits.interval(host), self.latency) + self.latency
            for host, n in self.outside_by_host.items()
        )

    @property
    def groups(self) -> list[list[Stage]]:
        """The stages, grouped where they ran at the same time (PDFs and repositories), in
        the order they began."""
        out: list[list[Stage]] = []
        end = -math.inf
        for stage in sorted(self.stages, key=lambda s: s.start):
            if out and stage.start < end:
                out[-1].append(stage)
                end = max(end, stage.start + stage.seconds)
            else:
                out.append([stage])
                end = stage.start + stage.seconds
        return out

    def group_ideal(self, group: Sequence[Stage]) -> float:
        """Stages that run at once, at best: the longest at its ideal (see Stage.ideal), plus
        one item of each other one (the PDF that links the first repository comes before it;
        the last PDF's repository after it)."""
        ideals = [s.ideal(self.workers, self.latency, self.limits) for s in group]
        items = [s.requests / s.items * self.latency if s.items else 0.0 for s in group]
        return max(
            (ideal + sum(items) - item for ideal, item in zip(ideals, items, strict=True)),
            default=0.0,
        )

    @property
    def ideal_seconds(self) -> float:
        """The requests outside the stages, then every group of stages at its ideal (see
        :meth:`group_ideal`): groups run one after the other. Never below
        :attr:`site_seconds` (a host's intervals also separate its last request of one stage
        from its first of the next)."""
        stages = sum(self.group_ideal(group) for group in self.groups)
        return max(self.outside_ideal + stages, self.site_seconds)

    @property
    def site_seconds(self) -> float:
        """The least time the sites allow for all of the run's requests, whatever their
        order: the busiest host's requests one interval apart (per-host limits), and never
        faster than ``workers`` requests per latency per stage running at once. Lower than
        :attr:`ideal_seconds` when the per-host limits would let more stages overlap."""
        lanes = max((len(group) for group in self.groups), default=1)
        network = sum(self.requests.values()) * self.latency / (self.workers * lanes)
        if self.limits is None:
            return network
        return max(network, self.limits.seconds(self.requests, self.latency))

    @property
    def efficiency(self) -> float:
        return self.ideal_seconds / self.seconds if self.seconds else 0.0

    @property
    def outside_stages(self) -> float:
        """Seconds spent outside the stages' loops: listing, parsing it, database set-up."""
        inside = 0.0
        for group in self.groups:
            start = min(s.start for s in group)
            inside += max(s.start + s.seconds for s in group) - start
        return self.seconds - inside

    @property
    def cpu_ms_per_paper(self) -> float:
        """Crawler CPU (all threads) per paper, PDF and repository included."""
        return 1000 * self.cpu_seconds / self.papers if self.papers else 0.0

    def meets_paper_target(self, listing_pages: int = 1) -> bool:
        """<= 1 request per listing page + 1 per PDF (+ robots.txt, once per process)."""
        return self.requests.get(CVF_HOST, 0) <= self.papers + listing_pages + 1

    def meets_request_targets(self, listing_pages: int = 1) -> bool:
        """The paper target and <= 3 requests per repository."""
        return self.meets_paper_target(listing_pages) and self.requests_per_repo <= 3


def mount_pool(client: HttpClient, size: int) -> None:
    """Experiment: let the client's session keep ``size`` connections per host (requests'
    default is 10). Touches the client's private session; the benchmark's ``--pool-size``."""
    adapter = HTTPAdapter(pool_connections=10, pool_maxsize=size)
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)


def run_crawl(
    settings: Settings,
    year: int,
    workers: int,
    latency: float,
    label: str = "",
    pool_size: int = 0,
    store_class: type[Store] = Store,
) -> CrawlRun:
    """One real ``jobs.run`` over the synthetic listing of ``year`` (database: settings.db_path).
    ``store_class``: the store to write with."""
    with (
        store_class.open(settings.db_path) as store,
        HttpClient(settings) as client,
        PoolDiscards() as discards,
    ):
        clock = StageClock(client)
        if pool_size:
            mount_pool(client, pool_size)
        start, cpu = time.perf_counter(), time.process_time()
        report = jobs.run(
            store,
            client,
            VENUE,
            [year],
            workers=workers,
            progress=clock,
            sizes=VenueSizes(),
            aggregators=(),
            command="benchmark",
        )
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        requests_by_host = dict(client.requests_by_host)
        hits = dict(client.cache_hits)
    return CrawlRun(
        label=label or f"w{workers}",
        workers=workers,
        latency=latency,
        papers=report.counts["pdfs_read"],
        repos=report.counts["repos_scanned"],
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        requests=requests_by_host,
        stages=tuple(clock.stages),
        cache_hits=hits,
        pool_discards=discards.count,
        status=report.status,
        limits=host_limits(settings),
    )


def host_limits(settings: Settings) -> HostLimits | None:
    """The run's per-host intervals, or None when every interval is 0."""
    if not settings.default_interval and not any(settings.host_intervals.values()):
        return None
    return HostLimits(dict(settings.host_intervals), settings.default_interval)


def naive_fetch(urls: Sequence[str], timeout: float = 60.0) -> float:
    """Seconds for ``requests.get`` on each URL, one after the other, reading every body."""
    start = time.perf_counter()
    for url in urls:
        with requests.get(url, timeout=timeout) as resp:
            resp.raise_for_status()
            _ = resp.content
    return time.perf_counter() - start


@dataclass(frozen=True)
class Gap:
    host: str
    requests: int
    interval: float
    min_gap: float | None  # None: fewer than two requests
    mean_gap: float | None

    @property
    def ok(self) -> bool:
        """The client spaces its *sends* by the interval; what arrives at the server jitters
        with thread wake-ups on a busy machine, so 10% (at least 20 ms) is allowed."""
        slack = max(0.02, 0.1 * self.interval)
        return self.min_gap is None or self.min_gap >= self.interval - slack


def politeness_gaps(
    arrivals: Iterable[tuple[str, float]],
    intervals: Mapping[str, float],
    default_interval: float,
) -> list[Gap]:
    """Per real host: requests seen and the smallest gap between two consecutive arrivals."""
    times: dict[str, list[float]] = {}
    for path, when in arrivals:
        prefix = "/" + path.lstrip("/").split("/", 1)[0]
        host = PREFIX_HOSTS.get(prefix, prefix)
        times.setdefault(host, []).append(when)
    out = []
    for host, seen in sorted(times.items()):
        seen.sort()
        gaps = [b - a for a, b in itertools.pairwise(seen)]
        mean = sum(gaps) / len(gaps) if gaps else None
        interval = intervals.get(host, default_interval)
        out.append(Gap(host, len(seen), interval, min(gaps, default=None), mean))
    return out


# --- the whole benchmark ----------------------------------------------------------------------


@dataclass
class Plan:
    workers: list[int]
    latencies: list[float]
    per_worker: int
    min_papers: int
    max_papers: int
    polite_papers: int
    cache_papers: int
    limited_papers: int = 0  # papers per run under the default per-host limits (0: no such runs)

    def papers_for(self, workers: int) -> int:
        """Every run gets about ``per_worker`` rounds of work per worker (bounded)."""
        return max(self.min_papers, min(self.max_papers, workers * self.per_worker))

    def listings(self) -> dict[str, tuple[int, int]]:
        """name -> (year, papers): one venue-year listing per run size, plus the extra runs."""
        sizes = sorted({self.papers_for(w) for w in self.workers})
        out = {f"n{n}": (FIRST_YEAR + i, n) for i, n in enumerate(sizes)}
        year = FIRST_YEAR + len(sizes)
        out["warmup"] = (year + 2, 2)
        if self.polite_papers:
            out["polite"] = (year, self.polite_papers)
        if self.cache_papers:
            out["cache"] = (year + 1, self.cache_papers)
        if self.limited_papers:
            out["limited"] = (year + 3, self.limited_papers)
        return out


def machine() -> str:
    """CPUs, memory, versions and the load average (other work on the machine skews times)."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "unknown memory"
    load = load_average()
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs (nproc), {memory}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"requests {requests.__version__}, {platform.system()} {platform.release()}; {load}"
    )


# the columns every run table starts with
RUN_HEADERS = ("lat ms", "workers", "papers", "repos", "s", "papers/s", "repos/s")


def _run_cells(r: CrawlRun, rate: str = ".1f") -> list[str]:
    return [
        f"{r.latency * 1000:.0f}",
        str(r.workers),
        str(r.papers),
        str(r.repos),
        f"{r.seconds:.2f}",
        f"{r.papers_per_s:{rate}}",
        f"{r.repos_per_s:{rate}}",
        f"{r.ideal_seconds:.2f}",
        f"{r.efficiency:.0%}",
    ]


def crawl_table(runs: Sequence[CrawlRun], baselines: Mapping[float, float]) -> str:
    rows = []
    for r in runs:
        base = baselines.get(r.latency)
        rows.append(
            [
                *_run_cells(r),
                f"{r.requests_per_paper:.3f}",
                f"{r.requests_per_repo:.2f}",
                f"{r.cpu_ms_per_paper:.1f}",
                str(r.pool_discards),
                f"{r.papers_per_s / base:.1f}x" if base else "-",
            ]
        )
    headers = [
        *RUN_HEADERS,
        "ideal s",
        "ideal/s",
        "req/paper",
        "req/repo",
        "CPU ms/paper",
        "pool discards",
        "vs naive",
    ]
    return table(headers, rows)


def limited_table(runs: Sequence[CrawlRun]) -> str:
    """Runs under per-host limits: throughput against the stage-by-stage ideal and against
    the sites' bound (every host busy for the whole run)."""
    rows = [
        [
            *_run_cells(r, rate=".2f"),
            f"{r.site_seconds:.2f}",
            f"{r.site_seconds / r.seconds:.0%}" if r.seconds else "-",
            " ".join(f"{host}:{n}" for host, n in sorted(r.requests.items())),
        ]
        for r in runs
    ]
    headers = [*RUN_HEADERS, "ideal s", "ideal/s", "sites s", "sites/s", "requests by host"]
    return table(headers, rows)


def stage_table(runs: Sequence[CrawlRun]) -> str:
    """Per run and stage: items, requests per item, seconds, the ideal and the ratio."""
    rows = []
    for r in runs:
        for s in r.stages:
            ideal = s.ideal(r.workers, r.latency, r.limits)
            rows.append(
                [
                    f"{r.latency * 1000:.0f}",
                    str(r.workers),
                    s.name.rsplit(" ", 1)[-1] if s.name.endswith("PDFs") else s.name,
                    str(s.items),
                    f"{s.requests / s.items:.2f}" if s.items else "-",
                    f"{s.seconds:.2f}",
                    f"{s.items / s.seconds:.1f}" if s.seconds else "-",
                    f"{r.workers / (r.latency * s.requests / s.items):.1f}"
                    if s.items and s.requests and r.latency
                    else "-",
                    f"{ideal:.2f}",
                    f"{ideal / s.seconds:.0%}" if s.seconds else "-",
                ]
            )
        rows.append(
            [
                f"{r.latency * 1000:.0f}",
                str(r.workers),
                "(outside stages)",
                "",
                f"{r.outside_requests} req",
                f"{r.outside_stages:.2f}",
                "",
                "",
                f"{r.outside_ideal:.2f}",
                f"{r.outside_ideal / r.outside_stages:.0%}" if r.outside_stages > 0 else "-",
            ]
        )
    headers = [
        "lat ms",
        "workers",
        "stage",
        "items",
        "req/item",
        "s",
        "items/s",
        "ideal items/s",
        "ideal s",
        "ideal/s",
    ]
    return table(headers, rows)


def run_benchmark(
    plan: Plan,
    work: Path,
    mode: str = "process",
    pool_size: int = 0,
    budget: float = 900.0,
    nagle: bool = False,
    snapshots: bool = True,
    store_class: type[Store] = Store,
    pdf_processes: int | None = None,
    token: bool = True,
) -> int:
    """Run every measurement, print the tables and the closing ratios; 0 when the request and
    politeness targets hold (throughput vs ideal is reported, not enforced)."""
    listings = plan.listings()
    print(f"machine: {machine()}")
    delay = "Nagle on (as FixtureWeb ships)" if nagle else "TCP_NODELAY"
    print(f"server: FixtureWeb in a {mode}, 127.0.0.1, {delay}; (year, papers) listed:")
    print(f"  {sorted(listings.values())}; writes through {store_class.__name__}")
    built = time.perf_counter()
    started = time.monotonic()
    runs: list[CrawlRun] = []
    baselines: dict[float, float] = {}  # latency -> naive papers/s
    skipped: list[str] = []
    db_count = 0

    def fresh(**overrides: Any) -> Settings:
        nonlocal db_count
        db_count += 1
        path = work / f"run{db_count}.duckdb"
        if pdf_processes is not None:
            overrides.setdefault("pdf_processes", pdf_processes)
        if token:  # a census runs with a token (publication commits then go by GraphQL)
            overrides.setdefault("github_token", "benchmark-token")
        return web.settings(db_path=path, publication_snapshots=snapshots, **overrides)

    build = functools.partial(world_resources, list(listings.values()))
    with LocalWeb(build, mode, nodelay=not nagle) as web:
        print(f"world built and served in {time.perf_counter() - built:.1f}s at {web.base_url}")
        # the first run in a process pays the imports (bs4, pypdfium2, every source module)
        run_crawl(fresh(), *listings["warmup"][:1], workers=2, latency=0.0, label="warmup")
        web.arrivals()
        for latency in plan.latencies:
            web.set_latency(latency)
            print(f"latency {latency * 1000:.0f} ms:")
            for workers in sorted(plan.workers):
                if time.monotonic() - started > budget:
                    skipped.append(f"latency {latency}, workers {workers}")
                    continue
                year, _count = listings[f"n{plan.papers_for(workers)}"]
                web.arrivals()  # forget earlier requests
                run = run_crawl(
                    fresh(), year, workers, latency, pool_size=pool_size, store_class=store_class
                )
                runs.append(run)
                print(
                    f"  workers {workers:>3}: {run.papers} papers, {run.repos} repos in "
                    f"{run.seconds:.2f}s ({run.efficiency:.0%} of ideal)",
                    flush=True,
                )
                if latency not in baselines and run.papers:
                    # the baseline: the very URLs this run fetched, one requests.get after
                    # the other (the GraphQL POSTs, a few per run, are not replayed)
                    urls = [
                        web.base_url + path
                        for path, _when in web.arrivals()
                        if not path.endswith("/graphql")
                    ]
                    seconds = naive_fetch(urls)
                    baselines[latency] = run.papers / seconds
                    print(
                        f"  naive requests.get loop over the same {len(urls)} URLs: "
                        f"{seconds:.2f}s = {run.papers / seconds:.2f} papers/s"
                    )

        limited: list[CrawlRun] = []
        if plan.limited_papers:
            year, _count = listings["limited"]
            for latency in plan.latencies:
                web.set_latency(latency)
                for workers in sorted(plan.workers):
                    if time.monotonic() - started > budget:
                        skipped.append(f"per-host limits, latency {latency}, workers {workers}")
                        continue
                    settings = fresh(
                        default_interval=1.0, host_intervals=dict(DEFAULT_HOST_INTERVALS)
                    )
                    run = run_crawl(settings, year, workers, latency, label="limited")
                    limited.append(run)
                    print(
                        f"  default per-host limits, latency {latency * 1000:.0f} ms, workers "
                        f"{workers:>3}: {run.papers} papers in {run.seconds:.2f}s "
                        f"({run.efficiency:.0%} of what the limits allow)",
                        flush=True,
                    )

        polite_gaps: list[Gap] = []
        polite: CrawlRun | None = None
        if plan.polite_papers:
            web.set_latency(0.0)
            year, _count = listings["polite"]
            intervals = dict(DEFAULT_HOST_INTERVALS)
            settings = fresh(default_interval=1.0, host_intervals=intervals)
            web.arrivals()  # forget earlier requests
            polite = run_crawl(settings, year, 4, 0.0, label="polite")
            polite_gaps = politeness_gaps(web.arrivals(), intervals, 1.0)

        cache_runs: list[CrawlRun] = []
        if plan.cache_papers:
            web.set_latency(min(plan.latencies))
            year, _count = listings["cache"]
            settings = fresh(http_cache=True, cache_dir=work / "http-cache")
            for label in ("first", "second", "third"):
                # a new client each time: only the on-disk cache carries over
                cache_runs.append(run_crawl(settings, year, 4, min(plan.latencies), label=label))

    print()
    print("Crawl throughput (per-host intervals 0; ideal/s = ideal seconds / measured seconds):")
    print(crawl_table(runs, baselines))
    print()
    print("Per stage (ideal items/s = workers / (latency x requests per item)):")
    print(stage_table(runs))
    if limited:
        print()
        print(
            "Under the default per-host limits (1 s per site, GitHub API 0.25 s, codeload "
            "0.5 s); ideal = each stage at its network ideal or the time its busiest host's\n"
            "interval needs, whichever is longer, stages that ran at once (PDFs, repositories) "
            "as their longest plus one item of the other; sites = the busiest host's requests "
            "over the whole run:"
        )
        print(limited_table(limited))
        print()
        print("Per stage, under the default per-host limits:")
        print(stage_table(limited))
    checks: list[tuple[str, bool]] = []
    expected = {(r.workers, r.latency): plan.papers_for(r.workers) for r in runs}
    complete = all(r.papers == r.repos == expected[(r.workers, r.latency)] for r in runs)
    complete = complete and all(r.papers == r.repos == plan.limited_papers for r in limited)
    complete = complete and all(r.status == "ok" for r in [*runs, *limited])
    checks.append(("every run ok, every PDF read, every repository scanned", complete))
    per_paper = max((r.requests_per_paper for r in runs), default=0.0)
    checks.append(
        (
            f"requests per paper <= 1 per PDF + 1 per listing page (+ robots.txt): max "
            f"{per_paper:.3f}",
            all(r.meets_paper_target() for r in runs),
        )
    )
    per_repo = max((r.requests_per_repo for r in runs), default=0.0)
    split = " + ".join(
        f"{name} {max((_per_repo(r, name) for r in runs), default=0.0):.2f}" for name in REPO_STAGES
    )
    checks.append((f"requests per repository <= 3: max {per_repo:.2f} ({split})", per_repo <= 3))
    if polite is not None:
        print()
        print(
            f"Default politeness (1 s per host, API 0.25 s, codeload 0.5 s), {polite.papers}"
            f" papers, 4 workers, no latency: {polite.seconds:.2f}s, "
            f"{polite.papers_per_s:.2f} papers/s"
        )
        print(
            table(
                ["host", "requests", "interval s", "min gap s", "mean gap s", "holds"],
                [
                    [
                        g.host,
                        str(g.requests),
                        f"{g.interval:.2f}",
                        "-" if g.min_gap is None else f"{g.min_gap:.3f}",
                        "-" if g.mean_gap is None else f"{g.mean_gap:.3f}",
                        "yes" if g.ok else "NO",
                    ]
                    for g in polite_gaps
                ],
            )
        )
        checks.append(
            (
                "politeness: one request per interval and host",
                polite.status == "ok" and all(g.ok for g in polite_gaps),
            )
        )
    if cache_runs:
        print()
        print(f"Re-runs of an unchanged venue-year, HTTP cache on ({cache_runs[0].papers} papers):")
        rows = []
        for r in cache_runs:
            listing = r.requests.get(CVF_HOST, 0) - 1  # minus robots.txt (read per process)
            rows.append(
                [
                    r.label,
                    str(sum(r.requests.values())),
                    json.dumps(r.requests, sort_keys=True),
                    str(sum(r.cache_hits.values())),
                    str(r.papers),
                    str(r.repos),
                    str(max(listing, 0)),
                ]
            )
        headers = ["run", "requests", "by host", "304s", "PDFs", "repos", "listing req"]
        print(table(headers, rows))
        second = cache_runs[1]
        listing_requests = second.requests.get(CVF_HOST, 0) - 1
        checks.append(
            (
                "unchanged re-run: one request per listing page, answered 304; then none",
                listing_requests == second.cache_hits.get(CVF_HOST, 0) == 1
                and sum(second.requests.values()) == 2
                and sum(cache_runs[2].requests.values()) == 0,
            )
        )
    if skipped:
        print(f"\nskipped (over the {budget:.0f}s budget): {'; '.join(skipped)}")

    print()
    print("Ratios:")
    for latency in plan.latencies:
        chosen = [r for r in runs if r.latency == latency]
        if not chosen:
            continue
        speed = ", ".join(
            f"w{r.workers} {r.papers_per_s / baselines[latency]:.1f}x" for r in chosen
        )
        ideal = ", ".join(f"w{r.workers} {r.efficiency:.0%}" for r in chosen)
        print(f"  latency {latency * 1000:.0f} ms: papers/s vs naive loop: {speed}")
        print(f"  latency {latency * 1000:.0f} ms: run time ideal/measured: {ideal}")
    for latency in plan.latencies:
        chosen = [r for r in limited if r.latency == latency]
        if chosen:
            staged = ", ".join(f"w{r.workers} {r.efficiency:.0%}" for r in chosen)
            sites = ", ".join(f"w{r.workers} {r.site_seconds / r.seconds:.0%}" for r in chosen)
            print(
                f"  latency {latency * 1000:.0f} ms, default per-host limits: run time "
                f"ideal/measured: {staged}; sites' bound/measured: {sites}"
            )
    if runs:
        cpu = sorted(r.cpu_ms_per_paper for r in runs)[len(runs) // 2]
        print(
            f"  crawler CPU: median {cpu:.1f} ms per paper -> CPU-bound ceiling about "
            f"{1000 / cpu:.0f} papers/s on one GIL"
        )
    if polite_gaps:
        ratio = min((g.min_gap or g.interval) / g.interval for g in polite_gaps)
        print(
            f"  politeness: smallest gap / interval = {ratio:.2f} (target >= 1, less 10% "
            "for arrival jitter)"
        )
    if cache_runs:
        second = cache_runs[1]
        print(
            f"  unchanged re-run: {sum(second.requests.values())} requests, "
            f"{sum(second.cache_hits.values())} answered 304; then "
            f"{sum(cache_runs[2].requests.values())} once the listing is stable"
        )
    print("Targets:")
    for text, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {text}")
    verdict = all(passed for _text, passed in checks)
    print(f"{'PASS' if verdict else 'FAIL'}: request counts, politeness and cache targets")
    return 0 if verdict else 1


def _per_repo(run: CrawlRun, stage: str) -> float:
    found = next((s for s in run.stages if s.name == stage), None)
    return found.requests / run.repos if found and run.repos else 0.0


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=_ints, default=[1, 4, 16, 64], help="e.g. 1,4,16,64")
    parser.add_argument("--latencies", type=_floats, default=[0.05, 0.2], help="seconds")
    parser.add_argument("--per-worker", type=int, default=10, help="papers per worker per run")
    parser.add_argument("--min-papers", type=int, default=20)
    parser.add_argument("--max-papers", type=int, default=640)
    parser.add_argument("--polite-papers", type=int, default=4, help="0 skips the run")
    parser.add_argument("--cache-papers", type=int, default=10, help="0 skips the re-runs")
    parser.add_argument(
        "--limited-papers",
        type=int,
        default=10,
        help="papers per run under the default per-host limits, at every latency and worker "
        "count (0 skips these runs)",
    )
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--pool-size", type=int, default=0, help="experiment: connections/host")
    parser.add_argument(
        "--no-snapshots", action="store_true", help="skip the 'as of publication' stage"
    )
    parser.add_argument(
        "--pdf-processes",
        type=int,
        default=None,
        help="processes reading PDFs (default: the setting's, one per core; 1: in the threads)",
    )
    parser.add_argument(
        "--no-token", action="store_true", help="no GitHub token: REST lookups only"
    )
    parser.add_argument("--nagle", action="store_true", help="server without TCP_NODELAY")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds; later runs skip")
    parser.add_argument("--keep", type=Path, default=None, help="keep the databases here")
    args = parser.parse_args(argv)
    if not args.workers or not args.latencies or min(args.workers) < 1:
        parser.error("--workers and --latencies need at least one value; workers >= 1")
    plan = Plan(
        args.workers,
        args.latencies,
        args.per_worker,
        args.min_papers,
        args.max_papers,
        args.polite_papers,
        args.cache_papers,
        args.limited_papers,
    )
    work = args.keep or Path(tempfile.mkdtemp(prefix="fwcensus-crawl-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run_benchmark(
            plan,
            work,
            args.server,
            args.pool_size,
            args.budget,
            args.nagle,
            not args.no_snapshots,
            pdf_processes=args.pdf_processes,
            token=not args.no_token,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
