"""What a run does: list papers -> read PDFs for code links -> fetch and scan repositories.

Each stage reads what the previous one stored, so any stage can be re-run alone and a crash
loses at most the items in flight. Network work runs in small thread pools, one per stage
(:mod:`scraper.lanes`; the client keeps each host polite); all database writes happen on the
calling thread. PDFs and repositories run at once: the proceedings site and GitHub have their
own politeness intervals, so the repositories the first PDFs link are fetched while later PDFs
are still being read (:meth:`Pipeline.read_and_scan`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from datetime import time as time_of_day
from typing import Any, Generic, TypeVar

from scraper import github
from scraper.archive import ScanLimits
from scraper.detect import DETECTOR_VERSION, ScanResult, scan_tar_stream
from scraper.errors import (
    ConfigError,
    FetchError,
    FwcensusError,
    NetworkError,
    ParseError,
    RateLimited,
)
from scraper.http import HttpClient
from scraper.lanes import Lane, bounded_map, drive
from scraper.links import normalize_repo_url
from scraper.matching import match_records
from scraper.models import CodeLink, Paper, RepoMeta, RepoRef
from scraper.pdf import PdfError
from scraper.pdfwork import POOL_THRESHOLD, PdfReaders, PdfResult, default_processes
from scraper.reference import VenueSizes, framework_repos, load_venue_dates, load_venue_sizes
from scraper.sources import lists_papers, load_source, source_for
from scraper.store import PdfRecord, Store, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# A batch of results is written at least this often (the writer then releases the database
# so readers in other processes get a turn).
RELEASE_SECONDS = 2.0

# While the repository lane has less work than threads, PDF results are written (and the
# repositories they link queued) at least this often, instead of every RELEASE_SECONDS.
FEED_SECONDS = 0.2

# The progress label of the batched publication-commit lookups (GraphQL, with a token).
COMMIT_LOOKUPS = "as of publication: commits"

# A progress wrapper: (items, description, total) -> the same items, reporting as they pass.
Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]


def no_progress(items: Iterable[T], desc: str, total: int) -> Iterable[T]:
    return items


class Tap:
    """A progress wrapper fed one item at a time, for a stage whose results arrive mixed with
    another stage's (see :meth:`Pipeline.read_and_scan`): ``progress`` wraps a source that
    yields each :meth:`passed` item once, and ends at :meth:`close`."""

    def __init__(self, progress: Progress, desc: str, total: int) -> None:
        self._item: Any = None
        self._done = False
        self.bar = progress(self._source(), desc, total)
        self._it = iter(self.bar)

    def _source(self) -> Iterator[Any]:
        while not self._done:
            yield self._item

    def passed(self, item: Any) -> None:
        self._item = item
        next(self._it)

    def grow(self, more: int) -> None:
        """``more`` items joined the stage (a tqdm bar's total grows; others ignore it)."""
        total = getattr(self.bar, "total", None)
        if isinstance(total, int) and hasattr(self.bar, "refresh"):
            self.bar.total = total + more
            self.bar.refresh()

    def close(self) -> None:
        """End the source, so the wrapper counts the last item and finishes as after a loop."""
        if not self._done:
            self._done = True
            next(self._it, None)


@dataclass
class RunReport:
    """What a run did, for the summary and the runs table."""

    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # run-level problems (a venue-year failed)
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None  # why a stage stopped early (rate limit, network down)

    @property
    def status(self) -> str:
        if self.errors:
            return "failed" if not self.counts.get("papers_listed") else "partial"
        if self.stopped or self.counts.get("items_failed"):
            return "partial"
        return "ok"


def _starving(repos: Lane[Any, Any], pdfs: Batch[PdfRecord]) -> bool:
    """True when the repository lane has less work than threads while PDF results that link
    repositories wait in their batch, and the batch was last written ``FEED_SECONDS`` ago or
    more (writing each PDF alone would cost a transaction per paper)."""
    return (
        len(repos.queue) + len(repos.pending) < repos.workers
        and time.monotonic() - pdfs.since >= FEED_SECONDS
        and any(link.repo for record in pdfs.items for link in record.links)
    )


def page_code_links(papers: Iterable[Paper], source: str) -> list[CodeLink]:
    """CodeLinks from the code URLs a source publishes with each paper (its own code)."""
    links = []
    for paper in papers:
        for url in paper.code_urls:
            repo, reason = normalize_repo_url(url)
            links.append(
                CodeLink(
                    paper.paper_id,
                    url,
                    source,
                    repo,
                    official=True,
                    rejected=reason if repo is None else None,
                )
            )
    return links


class Batch(Generic[T]):
    """Collects per-item results and writes them in one transaction every ``size`` items or
    ``seconds``, when the network stalls (:meth:`idle`) and on exit. The database is released
    at most every ``seconds`` (closing costs a checkpoint and reconnecting tens of
    milliseconds), and whenever the run only waits on the network, so readers in other
    processes get a turn. Not on exit: the next stage reads the database at once, so a reader
    would hardly ever get in, and each stage would pay a reconnect (~50 ms; a third of a small
    run's time outside its stages). A crash loses at most the unwritten batch; the next run
    fetches those items again."""

    size = 50
    seconds = RELEASE_SECONDS

    def __init__(self, write: Callable[[list[T]], object], store: Store) -> None:
        self.write = write
        self.store = store
        self.items: list[T] = []
        self.since = self.released = time.monotonic()

    def add(self, item: T) -> None:
        self.items.append(item)
        if len(self.items) >= self.size or time.monotonic() - self.since >= self.seconds:
            self.flush()

    def flush(self, *, release: bool = False) -> None:
        if self.items:
            self.write(self.items)
            self.items = []
        self.since = now = time.monotonic()
        if release or now - self.released >= self.seconds:
            self.store.release()
            self.released = now

    def idle(self) -> None:
        """Nothing arrived for a while: write what is pending and let readers in."""
        self.flush(release=True)

    def __enter__(self) -> Batch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


@dataclass
class VenueWork:
    """One venue's share of :meth:`Pipeline.read_and_scan`: the years whose PDFs it reads,
    the years whose repositories it scans (None: none), and the run it reports to."""

    venue: str
    pdf_years: Sequence[int]
    scan_years: Sequence[int] | None
    report: RunReport
    run_id: int


def years_label(years: Sequence[int]) -> str:
    """``2019-2024`` for consecutive years, else ``2019,2021``."""
    years = list(years)
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ",".join(map(str, years))


class Pipeline:
    def __init__(
        self,
        store: Store,
        client: HttpClient,
        *,
        progress: Progress = no_progress,
        workers: int = 4,
        sizes: VenueSizes | None = None,
    ) -> None:
        if sizes is None:
            path = client.settings.venue_sizes
            sizes = load_venue_sizes(path) if path is not None else VenueSizes()
        self.sizes = sizes
        # the alias table's version goes with the detector's: a changed table re-labels
        self.detector_version = DETECTOR_VERSION
        self.dates = load_venue_dates()
        store.retry_backoff = client.settings.retry_backoff
        store.max_attempts = client.settings.max_attempts
        self.store = store
        self.client = client
        self.progress = progress
        self.workers = workers
        self._pdf_pool: PdfReaders | None = None
        self.limits = ScanLimits(
            max_file_bytes=client.settings.max_file_bytes,
            max_total_bytes=client.settings.max_scan_bytes,
        )

    # -- stage 1: paper lists ------------------------------------------------------------------

    def collect_papers(
        self,
        venue: str,
        year: int,
        report: RunReport,
        run_id: int,
        limit: int | None,
        source: str | None = None,
        force: bool = False,
    ) -> bool:
        module = source_for(venue, source)
        if year not in module.years(venue):
            # no edition that year (ECCV is biennial, ICCV odd years, ICLR has gaps): say so,
            # but it is not a failure and it is not retried
            report.warnings.append(f"{venue.upper()} {year}: {module.NAME} has no such edition")
            report.counts["years_without_edition"] += 1
            return False
        if not force and not self.store.listing_due(
            venue, year, module.NAME, self.client.settings.relist_days
        ):
            report.counts["listings_current"] += 1  # listed, stable: no request needed
            return True
        try:
            papers = module.fetch_papers(self.client, venue, year)
        except (ParseError, FetchError, ConfigError) as exc:
            msg = f"{venue.upper()} {year}: could not list papers: {exc}"
            report.errors.append(msg)
            self.store.add_failure(run_id, "list", f"{venue}:{year}", str(exc))
            return False
        if limit is not None:
            papers = papers[:limit]
        else:
            ok, message = self.sizes.check(venue, year, len(papers))
            if message:
                page = getattr(module, "listing_url", None)
                where = f" (page: {page(venue, year)})" if page else ""
                if not ok:
                    report.errors.append(message + where)
                    self.store.add_failure(run_id, "list", f"{venue}:{year}", message + where)
                    return False
                report.warnings.append(message)
        report.counts["papers_listed"] += len(papers)
        page_links = page_code_links(papers, module.NAME)
        report.counts["papers_new"] += self.store.record_listing(papers, page_links, module.NAME)
        self.store.release()
        report.counts["code_links"] += sum(1 for link in page_links if link.repo)
        return True

    # -- stage 1b: aggregators -> more code links -------------------------------------------------

    def collect_links(
        self,
        venue: str,
        year: int,
        name: str,
        report: RunReport,
        run_id: int,
        force: bool = False,
    ) -> None:
        """Code links an aggregator records for the stored papers of a venue-year (asked
        again only while its answer changes, like a listing: see Store.listing_due)."""
        module = load_source(name)
        if venue not in module.VENUES or year not in module.years(venue):
            return
        state_key = f"{name}:links"  # apart from the same source's paper listing
        if not force and not self.store.listing_due(
            venue, year, state_key, self.client.settings.relist_days
        ):
            report.counts["links_current"] += 1
            return
        papers = self.store.papers_of({(venue, year)})
        if not papers:
            return
        options: dict[str, Any] = {}
        arxiv_ids = {p.arxiv_id for p in papers if p.arxiv_id}
        if name == "pwc":
            options = {
                "cache_dir": self.client.settings.cache_dir,
                "arxiv_ids": arxiv_ids,
                "titles": [p.title for p in papers],
            }
        elif name == "arxiv":
            if not arxiv_ids:
                return
            options = {"arxiv_ids": sorted(arxiv_ids)}
        try:
            records = module.fetch_records(self.client, venue, year, **options)
        except FetchError as exc:
            if exc.status == 404:  # the aggregator has nothing for this venue-year
                report.counts[f"links_{name}_absent"] += 1
                with self.store.transaction():
                    self.store.record_listed(venue, year, state_key, 0)
                return
            self.store.add_failure(run_id, f"links:{name}", f"{venue}:{year}", str(exc))
            report.counts["items_failed"] += 1
            return
        except (ParseError, FwcensusError) as exc:
            self.store.add_failure(run_id, f"links:{name}", f"{venue}:{year}", str(exc))
            report.counts["items_failed"] += 1
            return
        links = []
        for paper, record, _how in match_records(papers, records):
            repo, reason = normalize_repo_url(record.url)
            links.append(
                CodeLink(
                    paper.paper_id,
                    record.url,
                    name,
                    repo,
                    official=record.official is True,
                    rejected=reason if repo is None else None,
                    source_framework=record.framework,
                )
            )
        with self.store.transaction():
            self.store.upsert_code_links(links)
            self.store.record_listed(venue, year, state_key, len(records))
        self.store.release()
        report.counts[f"links_{name}"] += sum(1 for link in links if link.repo)

    # -- stages 2 and 3: PDFs -> code links, and the repositories they link ----------------------

    def _read_pdf(self, readers: PdfReaders, item: tuple[str, str | None]) -> PdfResult:
        paper_id, pdf_url = item
        if not pdf_url:
            return PdfResult([], {}, 0, 0)
        resp = self.client.get(pdf_url)
        return readers.read(paper_id, resp.content, self.client.settings.pdf_max_pages)

    def _pdf_readers(self, count: int) -> PdfReaders:
        """Readers for ``count`` PDFs: in the fetching threads for a few, else the run's pool
        of processes (started once, closed by :meth:`close`; no more processes than workers)."""
        wanted = min(self.client.settings.pdf_processes or default_processes(), self.workers)
        if count < POOL_THRESHOLD or wanted <= 1:
            return PdfReaders(1)
        if self._pdf_pool is None:
            self._pdf_pool = PdfReaders(wanted)
        return self._pdf_pool

    def close(self) -> None:
        """Stop the PDF reader processes, if any were started."""
        if self._pdf_pool is not None:
            self._pdf_pool.close()
            self._pdf_pool = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_and_scan(self, work: Sequence[VenueWork], limit: int | None) -> None:
        """Read the PDFs of every venue's ``pdf_years`` and, at the same time, scan the due
        repositories of its ``scan_years`` (None: none): those known before the PDFs, then
        each one a PDF reveals, as soon as its batch is written.

        Every venue's PDFs have their own lane, the repositories one shared lane, each with
        ``workers`` threads, all driven from this thread (which does every write). Venues on
        different sites and GitHub each wait on their own host's politeness interval, so the
        whole takes about as long as its busiest host needs instead of the sum of the stages.
        A venue whose site keeps failing stops its own lane; a spent GitHub quota stops the
        repository lane (``report.stopped``: the next run resumes); the rest goes on.
        """
        rescan = self.client.settings.rescan_days
        repos: Lane[RepoRef, tuple[RepoMeta, ScanResult | None]] = Lane(
            "repositories", self._scan_repo, self.workers
        )
        owner: dict[RepoRef, VenueWork] = {}  # the venue each repository is scanned for
        scanning = [w for w in work if w.scan_years is not None]
        for w in scanning:
            assert w.scan_years is not None
            for repo in self.store.repos_to_scan(w.venue, w.scan_years, rescan):
                owner.setdefault(repo, w)
        repos.put(list(owner))
        repo_batch = Batch(self._write_repos, self.store)

        with ExitStack() as stack:
            stack.enter_context(repos)  # (exits last: its threads stop first)
            stack.enter_context(repo_batch)
            repo_tap = None
            if scanning:
                repo_tap = Tap(self.progress, "repositories", len(owner))
                stack.callback(repo_tap.close)

            def linked(w: VenueWork, found: list[RepoRef]) -> None:
                """Queue the due repositories among those a batch of ``w``'s PDFs linked."""
                if w.scan_years is None or repo_tap is None or repos.closed:
                    return
                due = self.store.repos_to_scan(w.venue, w.scan_years, rescan, among=found)
                new = [repo for repo in due if repo not in owner]
                if new:
                    owner.update((repo, w) for repo in new)
                    repos.put(new)
                    repo_tap.grow(len(new))

            pdf_lanes = {}
            for w in work:
                lane = self._pdf_lane(w, limit, linked, stack)
                if lane is not None:
                    pdf_lanes[lane[0]] = lane
            batches = [batch for _, _, batch, _ in pdf_lanes.values()]

            def idle() -> None:
                for batch in batches:
                    batch.idle()
                repo_batch.idle()

            lanes: list[Lane[Any, Any]] = [*pdf_lanes, repos]
            for lane, item, result, exc in drive(lanes, until=list(pdf_lanes), on_idle=idle):
                if lane is repos:
                    assert repo_tap is not None
                    repo_tap.passed(item)
                    self._repo_done(item, result, exc, owner[item], repo_batch, scanning, repos)
                    continue
                _, w, batch, tap = pdf_lanes[lane]
                tap.passed(item)
                if self._on_pdf(item, result, exc, batch, w.report, w.run_id):
                    lane.stop()  # this venue's site: the other lanes go on
                elif w.scan_years is not None and _starving(repos, batch):
                    batch.flush()  # write now: the links it holds feed the repositories
            for batch in batches:
                batch.flush()  # the last PDFs' repositories join the lane
            if repo_tap is None or repos.closed:
                return
            repos.close()
            for _, repo, result, exc in drive([repos], on_idle=repo_batch.idle):
                repo_tap.passed(repo)
                self._repo_done(repo, result, exc, owner[repo], repo_batch, scanning, repos)

    def _pdf_lane(
        self,
        w: VenueWork,
        limit: int | None,
        linked: Callable[[VenueWork, list[RepoRef]], None],
        stack: ExitStack,
    ) -> tuple[Lane[tuple[str, str | None], PdfResult], VenueWork, Batch[PdfRecord], Tap] | None:
        """A venue's lane of unread PDFs (every year, in order), its batch and its progress
        (closed by ``stack``), or None when it has no PDFs to read."""
        if not w.pdf_years or w.report.stopped:
            return None
        todo: list[tuple[str, str | None]] = []
        for year in w.pdf_years:
            unread = self.store.papers_without_text(w.venue, year)
            todo += unread[:limit] if limit is not None else unread
        readers = self._pdf_readers(len(todo))

        def write(records: list[PdfRecord]) -> None:
            self.store.record_pdfs(records)
            linked(w, [link.repo for r in records for link in r.links if link.repo])

        lane: Lane[tuple[str, str | None], PdfResult] = Lane(
            f"{w.venue}-pdfs", lambda item: self._read_pdf(readers, item), self.workers
        )
        lane.put(todo)
        lane.close()
        tap = Tap(self.progress, f"{w.venue.upper()} {years_label(w.pdf_years)} PDFs", len(todo))
        batch = Batch(write, self.store)
        stack.callback(tap.close)
        stack.enter_context(batch)
        stack.enter_context(lane)  # (exits first: its threads stop before the batch is written)
        return lane, w, batch, tap

    def _repo_done(
        self,
        repo: RepoRef,
        result: tuple[RepoMeta, ScanResult | None] | None,
        exc: BaseException | None,
        w: VenueWork,
        batch: Batch[tuple[RepoMeta, ScanResult | None]],
        scanning: Sequence[VenueWork],
        repos: Lane[Any, Any],
    ) -> None:
        """Record one repository for the venue it is scanned for; on a spent quota or a host
        that keeps failing, stop the lane and tell every venue still scanning."""
        if self._on_repo(repo, result, exc, batch, w.report, w.run_id):
            repos.stop()
            for other in scanning:
                other.report.stopped = other.report.stopped or w.report.stopped

    def _on_pdf(
        self,
        item: tuple[str, str | None],
        result: PdfResult | None,
        exc: BaseException | None,
        batch: Batch[PdfRecord],
        report: RunReport,
        run_id: int,
    ) -> bool:
        """Record one PDF's result; True when the run must stop."""
        paper_id, pdf_url = item
        if exc is None and result is not None:
            if not pdf_url:
                batch.add(PdfRecord(paper_id, "no_pdf"))
                return False
            status = "ok" if result.chars else "empty"
            batch.add(
                PdfRecord(
                    paper_id, status, result.links, result.mentions, result.pages, result.chars
                )
            )
            report.counts["pdfs_read"] += 1
            report.counts["code_links"] += sum(1 for link in result.links if link.repo)
        elif isinstance(exc, (FwcensusError, PdfError)):
            batch.add(PdfRecord(paper_id, "error", detail=str(exc)))
            return self._item_failed("pdf", pdf_url or paper_id, exc, report, run_id)
        elif exc is not None:
            raise exc
        return False

    def _item_failed(
        self, stage: str, item: str, exc: BaseException, report: RunReport, run_id: int
    ) -> bool:
        """Record a failed item of a stage; True when its host is down or its quota spent
        (the lane must stop)."""
        self.store.add_failure(run_id, stage, item, str(exc))
        report.counts["items_failed"] += 1
        return isinstance(exc, RateLimited | NetworkError) and self._host_down(exc, report)

    def _host_down(self, exc: BaseException, report: RunReport) -> bool:
        """Stop a stage on a spent quota; note unreachable hosts (counted per run)."""
        if isinstance(exc, RateLimited):
            report.stopped = f"rate limit spent ({exc}); the next run resumes here"
            return True
        report.counts["network_errors"] += 1
        if report.counts["network_errors"] >= 5:
            report.stopped = f"giving up after repeated network errors: {exc}"
            return True
        return False

    # -- stage 4: the same repositories as of publication ----------------------------------------

    def scan_snapshots(
        self, venue: str, years: Sequence[int], report: RunReport, run_id: int
    ) -> None:
        tasks = []
        for due in self.store.snapshots_due(venue, years):
            fetch_as = due.repo
            if due.full_name and due.full_name.count("/") == 1:
                fetch_as = RepoRef(due.repo.host, *due.full_name.split("/"))
            tasks.append(
                SnapshotTask(
                    due.repo,
                    venue,
                    due.year,
                    fetch_as,
                    due.head_commit,
                    due.created_at,
                    due.pushed_at,
                    due.head_label,
                )
            )
        self.store.release()
        if self.client.settings.github_token:
            tasks = self._look_up_commits(tasks, report)
        batch = Batch(self.store.record_snapshots, self.store)
        results = bounded_map(lambda t: _snapshot(self, t), tasks, self.workers, on_idle=batch.idle)
        with closing(results), batch:
            for task, row, exc in self.progress(results, "as of publication", len(tasks)):
                if exc is None and row is not None:
                    batch.add(row)
                    report.counts[f"snapshots_{row['status']}"] += 1
                elif isinstance(exc, FwcensusError):
                    self.store.add_failure(run_id, "snapshot", task.repo.repo_id, str(exc))
                    report.counts["items_failed"] += 1
                    if isinstance(exc, RateLimited | NetworkError) and self._host_down(exc, report):
                        return
                elif exc is not None:
                    raise exc

    def _look_up_commits(self, tasks: list[SnapshotTask], report: RunReport) -> list[SnapshotTask]:
        """The publication commits of the tasks that need one, fifty repositories per GraphQL
        request (a token is required) instead of one REST request each. A batch that fails
        as a whole (GraphQL refused or unavailable) leaves its tasks to the REST lookup."""
        need = [i for i, t in enumerate(tasks) if _without_fetch(self, t) is None]
        chunks = [
            need[k : k + github.GRAPHQL_BATCH] for k in range(0, len(need), github.GRAPHQL_BATCH)
        ]

        def look_up(chunk: list[int]) -> list[github.CommitFound]:
            items = [(tasks[i].fetch_as, _until(self, tasks[i])) for i in chunk]
            return github.commits_before_many(self.client, items)

        out = list(tasks)
        results = bounded_map(look_up, chunks, self.workers)
        with closing(results):
            for chunk, found, exc in self.progress(results, COMMIT_LOOKUPS, len(chunks)):
                if isinstance(exc, RateLimited):
                    break  # the REST path meets the same limit and stops the stage
                if exc is not None:
                    if not isinstance(exc, FwcensusError):
                        raise exc
                    report.counts["graphql_fallbacks"] += 1
                    log.warning("GraphQL commit lookup failed (%s); using the REST API", exc)
                    continue
                for i, answer in zip(chunk, found or [], strict=True):
                    out[i] = replace(tasks[i], looked_up=True, found=answer)
        return out

    # -- the frameworks' own repositories (stars), at most once a day ---------------------------

    def fetch_framework_stars(self, report: RunReport, run_id: int) -> None:
        if self.store.stars_fetched_since(utcnow() - timedelta(days=1)):
            return
        rows = []
        for slug in framework_repos():
            owner, name = slug.split("/")
            try:
                meta = github.fetch_repo_meta(self.client, RepoRef("github", owner, name))
            except FwcensusError as exc:
                self.store.add_failure(run_id, "stars", slug, str(exc))
                report.counts["items_failed"] += 1
                continue
            if meta.status == "ok":
                rows.append((slug, meta.stars, meta.forks))
        self.store.record_framework_repos(rows)
        report.counts["framework_repos"] += len(rows)

    # -- stage 3: one repository (run in the repository lane of read_and_scan) ---------------

    def _scan_repo(self, repo: RepoRef) -> tuple[RepoMeta, ScanResult | None]:
        if repo.host != "github":
            return RepoMeta(
                repo, "unsupported", f"{repo.host} repositories are not scanned yet"
            ), None
        meta = github.fetch_repo_meta(self.client, repo)
        if meta.status != "ok":
            return meta, None
        if meta.size_kb is not None and meta.size_kb > self.client.settings.max_repo_kb:
            detail = (
                f"{meta.size_kb} KB on GitHub, over the {self.client.settings.max_repo_kb} KB cap"
            )
            return replace(meta, status="too_large", status_detail=detail), None
        # A renamed or transferred repository: fetch the tarball under its current name.
        target = repo
        if meta.full_name and meta.full_name.count("/") == 1:
            owner, name = meta.full_name.split("/")
            target = RepoRef(repo.host, owner, name)
        resp = github.open_tarball(self.client, target, "HEAD")
        try:
            result = scan_tar_stream(resp.raw, self.limits, strip_top=True)
        finally:
            resp.close()
        return meta, result

    def _write_repos(self, items: list[tuple[RepoMeta, ScanResult | None]]) -> None:
        self.store.record_repos(items, "HEAD", self.detector_version)

    def _on_repo(
        self,
        repo: RepoRef,
        result: tuple[RepoMeta, ScanResult | None] | None,
        exc: BaseException | None,
        batch: Batch[tuple[RepoMeta, ScanResult | None]],
        report: RunReport,
        run_id: int,
    ) -> bool:
        """Record one repository's fetch and scan; True when the run must stop."""
        if exc is None and result is not None:
            meta, scan = result
            batch.add((meta, scan))
            if scan is None:
                report.counts[f"repos_{meta.status}"] += 1
            elif scan.status in ("ok", "empty"):
                report.counts["repos_scanned"] += 1
            else:
                report.counts[f"repos_{scan.status}"] += 1
                if scan.status == "error":  # e.g. a truncated download: retried later
                    self.store.add_failure(run_id, "repo", repo.repo_id, scan.detail or "")
                    report.counts["items_failed"] += 1
        elif isinstance(exc, FwcensusError):
            if not isinstance(exc, RateLimited):  # a spent quota is not the repo's fault
                self.store.record_repo_failure(repo, "error", str(exc))
            return self._item_failed("repo", repo.repo_id, exc, report, run_id)
        elif exc is not None:
            raise exc
        return False


@dataclass(frozen=True)
class SnapshotTask:
    repo: RepoRef
    venue: str
    year: int
    fetch_as: RepoRef  # the current name (after renames)
    head_commit: str | None
    created_at: datetime | None = None  # GitHub metadata, UTC
    pushed_at: datetime | None = None  # last push to any branch (GitHub metadata, UTC)
    head_label: tuple[str | None, list[str], float | None] | None = None
    looked_up: bool = False  # the publication commit was found in a batch (``found``)
    found: github.CommitFound = None


def _until(pipe: Pipeline, task: SnapshotTask) -> str:
    as_of, _ = pipe.dates.end(task.venue, task.year)
    return f"{as_of.isoformat()}T23:59:59Z"


def _snapshot_row(pipe: Pipeline, task: SnapshotTask) -> dict[str, Any]:
    as_of, exact = pipe.dates.end(task.venue, task.year)
    return {
        "repo_id": task.repo.repo_id,
        "venue": task.venue,
        "year": task.year,
        "as_of": as_of,
        "as_of_exact": exact,
        "status": "ok",
        "status_detail": None,
        "commit": None,
        "commit_date": None,
        "primary_fw": None,
        "frameworks": [],
        "confidence": None,
        "detector_version": pipe.detector_version,
        "scanned_at": utcnow(),
    }


def _without_fetch(pipe: Pipeline, task: SnapshotTask) -> dict[str, Any] | None:
    """The snapshot row when the metadata alone settles it: created after the conference
    (the code was not public then), or nothing pushed since (the HEAD scan is that state)."""
    row = _snapshot_row(pipe, task)
    as_of = row["as_of"]
    end_of_day = datetime.combine(as_of, time_of_day.max)
    if task.created_at is not None and task.created_at > end_of_day:
        row.update(
            status="created_after",
            status_detail=f"created on GitHub {task.created_at:%Y-%m-%d}, after {as_of}",
        )
        return row
    if (
        task.pushed_at is not None
        and task.pushed_at <= end_of_day
        and task.head_commit
        and task.head_label is not None
    ):
        row["commit"] = task.head_commit
        row["primary_fw"], row["frameworks"], row["confidence"] = task.head_label
        row["status_detail"] = "nothing pushed since the conference: the HEAD scan"
        return row
    return None


def _snapshot(pipe: Pipeline, task: SnapshotTask) -> dict[str, Any]:
    """Scan a repository as of its paper's conference: nothing to fetch when the metadata
    settles it (:func:`_without_fetch`); else the commit before the conference's end (looked
    up in a batch already, or one REST request), and a tarball only when that commit is not
    the HEAD commit already scanned."""
    settled = _without_fetch(pipe, task)
    if settled is not None:
        return settled
    row = _snapshot_row(pipe, task)
    as_of = row["as_of"]
    if task.looked_up:
        if isinstance(task.found, FetchError):
            raise task.found
        found = task.found
    else:
        found = github.commit_before(pipe.client, task.fetch_as, _until(pipe, task))
    if found is None:
        row.update(status="created_after", status_detail=f"no commit on or before {as_of}")
        return row
    row["commit"], row["commit_date"] = found
    if found[0] == task.head_commit and task.head_label is not None:
        row["primary_fw"], row["frameworks"], row["confidence"] = task.head_label
        row["status_detail"] = "same commit as HEAD"
        return row
    resp = github.open_tarball(pipe.client, task.fetch_as, found[0])
    try:
        scan = scan_tar_stream(resp.raw, pipe.limits, strip_top=True)
    finally:
        resp.close()
    if scan.status not in ("ok", "empty"):
        row.update(status=scan.status, status_detail=scan.detail)
        return row
    row.update(
        primary_fw=scan.primary, frameworks=list(scan.frameworks), confidence=scan.confidence
    )
    return row


def run(
    store: Store, client: HttpClient, venue: str, years: Sequence[int], **options: Any
) -> RunReport:
    """Collect, read and scan one venue over some years; record the run: a plan of one (see
    :func:`run_plan` for the options). Never raises for per-item problems (they are stored as
    failures); raises only for broken set-up."""
    return run_plan(store, client, [(venue, years)], **options)[0]


def run_plan(
    store: Store,
    client: HttpClient,
    plan: Sequence[tuple[str, Sequence[int]]],
    *,
    limit: int | None = None,
    source: str | None = None,
    progress: Progress = no_progress,
    workers: int = 4,
    command: str = "run",
    sizes: VenueSizes | None = None,
    aggregators: Sequence[str] | None = None,
    refresh: bool = False,
) -> list[RunReport]:
    """Collect, read and scan several venues, each over some years; one recorded run (and
    report) per venue, in the plan's order.

    Each venue's paper lists and aggregator links come first, one venue after the other (a
    few requests each). Then every venue's PDFs and all their repositories are read at once
    (:meth:`Pipeline.read_and_scan`): venues on different sites wait on different hosts, so
    the plan takes about as long as its busiest site needs. Then each venue's scan as of
    publication, and the frameworks' own star counts (at most once a day). Never raises for
    per-item problems; raises only for broken set-up (every run is then recorded failed).
    """
    pipe = Pipeline(store, client, progress=progress, workers=workers, sizes=sizes)
    if aggregators is None:
        aggregators = client.settings.aggregators
    chosen = load_source(source) if source else None
    aggregator_only = chosen is not None and not lists_papers(chosen)
    read_pdfs = chosen is None or "aggregator" not in getattr(chosen, "KIND", "venue")
    link_sources = [source] if aggregator_only else ([] if source else list(aggregators))
    work: list[VenueWork] = []
    listed_any = False
    try:
        for venue, years in plan:
            report = RunReport()
            args = {
                "venue": venue,
                "years": list(years),
                "limit": limit,
                "source": source,
                "aggregators": list(aggregators),
            }
            w = VenueWork(venue, [], list(years), report, store.start_run(command, args))
            work.append(w)
            if aggregator_only:
                listed = list(years)  # links for the papers already stored
            else:
                listed = [
                    y
                    for y in years
                    if pipe.collect_papers(venue, y, report, w.run_id, limit, source, refresh)
                ]
            for year in listed:
                for name in link_sources:
                    pipe.collect_links(venue, year, name, report, w.run_id, force=refresh)
            w.pdf_years = listed if read_pdfs else []
            listed_any = listed_any or bool(listed)
        # PDFs and repositories at once: repositories are scanned as PDFs reveal them
        pipe.read_and_scan(work, limit)
        for w in work:
            if not w.report.stopped and client.settings.publication_snapshots:
                assert w.scan_years is not None
                pipe.scan_snapshots(w.venue, w.scan_years, w.report, w.run_id)
        first = next((w for w in work if not w.report.stopped), None)
        if listed_any and first is not None and not source:
            pipe.fetch_framework_stars(first.report, first.run_id)
    except BaseException as exc:
        for w in work:
            store.finish_run(w.run_id, "failed", dict(w.report.counts), error=str(exc) or repr(exc))
        raise
    finally:
        pipe.close()
    for w in work:
        report = w.report
        store.finish_run(
            w.run_id,
            report.status,
            dict(report.counts),
            error="; ".join(report.errors + ([report.stopped] if report.stopped else [])) or None,
        )
        report.counts["run_id"] = w.run_id
    return [w.report for w in work]
