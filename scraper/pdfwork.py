"""Reading papers' PDFs for code links and framework mentions, on every core.

PDFium (:mod:`scraper.pdf`) releases the GIL while it parses, so the fetching threads keep
working while one of them reads a PDF; but PDFium is not thread-safe, and a process-wide lock
lets only one thread at a time read a PDF. On a machine with cores to spare, :class:`PdfReaders`
hands the downloaded bytes to a small pool of worker processes instead, each with its own
PDFium, so several PDFs are read at once (the fetching thread waits on the result with the GIL
released). Small batches are read in the calling thread: a pool costs about half a second to
start.

Only bytes go to the workers and only text-derived results come back; the workers are
started with ``spawn`` (never ``fork``: the parent holds DuckDB's and the HTTP client's
threads).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from scraper.links import links_from_pdf
from scraper.mentions import count_mentions
from scraper.models import CodeLink
from scraper.pdf import PdfError, extract_pages

# Fewer PDFs than this are read in the fetching threads (a pool would cost more than it saves).
POOL_THRESHOLD = 16


@dataclass(frozen=True)
class PdfResult:
    """What one PDF gave: code links, framework mention counts, pages and characters read."""

    links: list[CodeLink]
    mentions: dict[str, int]
    pages: int
    chars: int


def read_pdf(paper_id: str, data: bytes, max_pages: int | None) -> PdfResult:
    """Pure: a PDF's bytes -> its code links and mention counts (raises :class:`PdfError`)."""
    pages = extract_pages(data, max_pages=max_pages)
    return PdfResult(
        links_from_pdf(paper_id, pages),
        count_mentions("\n".join(pages)),
        len(pages),
        sum(len(p) for p in pages),
    )


def default_processes() -> int:
    """Worker processes when the setting is 0 (auto): the usable cores, at most 8, from four
    cores up, so that several PDFs are read at once (within one process, PDFium's lock reads
    them one at a time). Below that, 1 (no pool): PDFium releases the GIL, so a thread reading
    a PDF no longer stalls the others, and on two cores the crawl's own threads (HTTP,
    scanning, the database) already need the second core; a pool measured slower there
    (docs/benchmarks-crawl.md, measured with pypdf)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, 8) if cores >= 4 else 1


class PdfReaders:
    """Reads PDFs with :func:`read_pdf`, in ``processes`` worker processes when that is more
    than 1 (started on first use), else in the calling thread. Thread-safe; use as a context
    manager so the workers are shut down."""

    def __init__(
        self,
        processes: int,
        *,
        read: Callable[[str, bytes, int | None], PdfResult] = read_pdf,
    ) -> None:
        self.processes = processes
        self._read = read
        self._pool: Executor | None = None
        self.pool_restarts = 0

    def _executor(self) -> Executor | None:
        if self.processes <= 1:
            return None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def read(self, paper_id: str, data: bytes, max_pages: int | None) -> PdfResult:
        pool = self._executor()
        if pool is None:
            return self._read(paper_id, data, max_pages)
        try:
            return pool.submit(self._read, paper_id, data, max_pages).result()
        except BrokenProcessPool as exc:
            # A worker died (out of memory on a hostile PDF, killed): this paper fails, the
            # next one gets a fresh pool.
            self._restart(pool)
            raise PdfError(
                "the PDF reader process died while reading this PDF (out of memory?); "
                "it is retried on a later run",
                "broken",
            ) from exc

    def _restart(self, broken: Executor) -> None:
        if self._pool is broken:
            self._pool = None
            self.pool_restarts += 1
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PdfReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
