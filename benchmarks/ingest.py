"""Benchmark: records/s into DuckDB through the store's loads, by batch size, vs a naive loop.

The four loads the pipeline uses (``Store.upsert_papers``, ``upsert_code_links``,
``record_pdfs``, ``record_repos``) are fed synthetic records in batches of 1, 50 (the
pipeline's ``Batch.size``) and 1000, one transaction per batch, each into a fresh database
file. The baseline is the naive way: one ``INSERT`` (or ``UPDATE``) statement per table row,
autocommitted, writing the same rows.

Every load writes a batch with a fixed number of set-based statements, whatever the batch
size (``record_pdfs``: links, mentions and one ``paper_texts`` upsert; ``record_repos``:
evidence, labels and one ``UPDATE repos ... FROM``). Also measured: what ``Store.release()``
and the reconnect after it cost (the pipeline releases every 2 s).

Every measurement is bounded by a record count and by a time budget. Run from the repository
root:

    python benchmarks/ingest.py                         # the documented default run
    python benchmarks/ingest.py --records 5000 --budget 20 --batch-sizes 1,50,1000,5000
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
for _path in (str(HERE.parent), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from benchtools import table  # noqa: E402
from crawl import machine  # noqa: E402

from scraper.detect import DETECTOR_VERSION, ScanResult  # noqa: E402
from scraper.models import CodeLink, FrameworkEvidence, Paper, RepoMeta, RepoRef  # noqa: E402
from scraper.store import PdfRecord, Store, utcnow  # noqa: E402

LOADS = ("upsert_papers", "upsert_code_links", "record_pdfs", "record_repos")
# Table rows one record writes (the naive loop writes exactly these, one statement each).
ROWS_PER_RECORD = {
    "upsert_papers": 1,  # papers
    "upsert_code_links": 2,  # code_links + repos (an official link tracks its repository)
    "record_pdfs": 5,  # paper_texts + code_links + repos + 2 paper_mentions
    "record_repos": 4,  # repos (update) + 2 repo_evidence + repo_frameworks
}
# Columns the clock sets: equal-ness of two stores is judged without them.


# --- synthetic records ------------------------------------------------------------------------


def make_papers(count: int) -> list[Paper]:
    return [
        Paper(
            venue="cvpr",
            year=2031,
            native_id=f"Author_Paper_{i:06d}_CVPR_2031_paper",
            title=f"Learning Synthetic Things number {i} at Scale",
            authors=(f"Wei Zhang{i % 97}", f"Anna Müller{i % 89}"),
            source="cvf",
            page_url=f"https://openaccess.thecvf.com/content/CVPR2031/html/p{i}.html",
            pdf_url=f"https://openaccess.thecvf.com/content/CVPR2031/papers/p{i}.pdf",
            arxiv_id=f"31{i % 12 + 1:02d}.{i:05d}" if i % 3 == 0 else None,
        )
        for i in range(count)
    ]


def _repo(i: int) -> RepoRef:
    return RepoRef("github", f"lab{i % 500}", f"repo-{i:06d}")


def _link(i: int, paper_id: str) -> CodeLink:
    repo = _repo(i)
    return CodeLink(paper_id, f"https://github.com/{repo.slug}", "pdf", repo, official=True)


def make_links(count: int) -> list[CodeLink]:
    papers = make_papers(count)
    return [_link(i, p.paper_id) for i, p in enumerate(papers)]


def make_pdf_records(count: int) -> list[PdfRecord]:
    """PDF results: nine in ten read (a link, two mentions), one in ten a failed download."""
    out = []
    for i, paper in enumerate(make_papers(count)):
        if i % 10 == 9:
            out.append(PdfRecord(paper.paper_id, "error", detail="HTTP 500 (synthetic)"))
        else:
            mentions = {"pytorch": 1 + i % 4, "tensorflow": i % 2 + 1}
            link = _link(i, paper.paper_id)
            out.append(PdfRecord(paper.paper_id, "ok", [link], mentions, 9, 41_000 + i))
    return out


def make_repo_results(count: int) -> list[tuple[RepoMeta, ScanResult | None]]:
    """Repository results: most scanned (two evidence rows and a label), some not found, some
    failed (metadata or download)."""
    out: list[tuple[RepoMeta, ScanResult | None]] = []
    for i in range(count):
        repo = _repo(i)
        if i % 20 == 19:
            out.append((RepoMeta(repo, "not_found", "not found on GitHub"), None))
            continue
        if i % 30 == 29:
            out.append((RepoMeta(repo, "error", "GitHub API answered non-JSON"), None))
            continue
        meta = RepoMeta(
            repo,
            "ok",
            full_name=repo.slug,
            default_branch="main",
            stars=i % 1000,
            forks=i % 50,
            created_at="2030-11-01T10:00:00Z",
            pushed_at="2031-07-01T12:00:00Z",
            archived=i % 7 == 0,
            fork=False,
            size_kb=120 + i % 400,
            language="Python",
        )
        scan = ScanResult(
            status="ok",
            commit=f"{i:040x}",
            files_seen=12,
            files_scanned=8,
            bytes_scanned=24_000,
            evidence=[
                FrameworkEvidence("pytorch", "import", 5, 14, ["train.py", "models/net.py"]),
                FrameworkEvidence("pytorch", "requirement", 1, 1, ["requirements.txt"]),
            ],
            primary="pytorch",
            frameworks=["pytorch"],
            confidence=0.95,
            reasons=["imports torch in 5 files"],
        )
        if i % 25 == 24:  # a download cut off mid-way: retried later
            scan = ScanResult(status="error", detail="truncated tarball", files_seen=3)
        out.append((meta, scan))
    return out


def make_records(load: str, count: int) -> list[Any]:
    makers: dict[str, Callable[[int], list[Any]]] = {
        "upsert_papers": make_papers,
        "upsert_code_links": make_links,
        "record_pdfs": make_pdf_records,
        "record_repos": make_repo_results,
    }
    return makers[load](count)


def prepare(store: Store, load: str, records: Sequence[Any]) -> None:
    """What must exist before a load (untimed): repository rows for ``record_repos``."""
    if load == "record_repos":
        store.ensure_repos(meta.repo.repo_id for meta, _scan in records)


# --- measuring --------------------------------------------------------------------------------


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def loader(store: Store, load: str) -> Callable[[Sequence[Any]], object]:
    """One batch of ``load`` in one transaction, as the pipeline writes it."""

    def papers(batch: Sequence[Any]) -> object:
        with store.transaction():
            return store.upsert_papers(batch)

    def links(batch: Sequence[Any]) -> object:
        with store.transaction():
            return store.upsert_code_links(batch)

    def repos(batch: Sequence[Any]) -> object:
        return store.record_repos(batch, "HEAD", DETECTOR_VERSION)

    return {
        "upsert_papers": papers,
        "upsert_code_links": links,
        "record_pdfs": store.record_pdfs,
        "record_repos": repos,
    }[load]


@dataclass(frozen=True)
class Cell:
    load: str
    method: str  # "store" or "naive"
    batch: int  # 0 for the naive loop
    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def rows_per_second(self) -> float:
        return self.per_second * ROWS_PER_RECORD[self.load]

    @property
    def ms_per_record(self) -> float:
        return 1000 * self.seconds / self.records if self.records else math.inf


def measure_store(path: Path, load: str, batch: int, records: Sequence[Any], budget: float) -> Cell:
    """Load ``records`` in batches until done or ``budget`` seconds have passed."""
    with Store.open(path) as store:
        prepare(store, load, records)
        write = loader(store, load)
        done, start = 0, time.perf_counter()
        for chunk in chunks(records, batch):
            write(chunk)
            done += len(chunk)
            if time.perf_counter() - start > budget:
                break
        seconds = time.perf_counter() - start
    return Cell(load, "store", batch, done, seconds)


def naive_statements(load: str, record: Any, now: datetime) -> list[tuple[str, list[Any]]]:
    """The table rows one record writes, as one plain statement each."""
    if load == "upsert_papers":
        p = record
        return [
            (
                "INSERT INTO papers (paper_id, venue, year, native_id, title, authors, source, "
                "page_url, pdf_url, arxiv_id, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    p.paper_id,
                    p.venue,
                    p.year,
                    p.native_id,
                    p.title,
                    list(p.authors),
                    p.source,
                    p.page_url,
                    p.pdf_url,
                    p.arxiv_id,
                    now,
                    now,
                ],
            )
        ]
    if load == "upsert_code_links":
        return _naive_link(record, now)
    if load == "record_pdfs":
        r = record
        out = [
            (
                "INSERT INTO paper_texts (paper_id, status, detail, pages, chars, processed_at, "
                "attempts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [r.paper_id, r.status, r.detail, r.pages, r.chars, now, int(r.status == "error")],
            )
        ]
        for link in r.links:
            out += _naive_link(link, now)
        for framework, count in sorted((r.mentions or {}).items()):
            out.append(
                ("INSERT INTO paper_mentions VALUES (?, ?, ?)", [r.paper_id, framework, count])
            )
        return out
    meta, scan = record
    scanned = scan is not None and scan.status in ("ok", "empty")
    status = "ok" if scanned else meta.status
    out = [
        (
            "UPDATE repos SET status = ?, status_detail = ?, full_name = ?, stars = ?, "
            "size_kb = ?, scanned_commit = ?, files_scanned = ?, scanned_at = ? "
            "WHERE repo_id = ?",
            [
                status,
                meta.status_detail,
                meta.full_name,
                meta.stars,
                meta.size_kb,
                scan.commit if scan else None,
                scan.files_scanned if scan else None,
                now,
                meta.repo.repo_id,
            ],
        )
    ]
    if scan is not None:
        for e in scan.evidence:
            out.append(
                (
                    "INSERT INTO repo_evidence VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        meta.repo.repo_id,
                        scan.commit,
                        e.framework,
                        e.kind,
                        e.files,
                        e.occurrences,
                        e.top_files,
                    ],
                )
            )
        out.append(
            (
                "INSERT INTO repo_frameworks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    meta.repo.repo_id,
                    scan.primary,
                    scan.frameworks,
                    scan.confidence,
                    "\n".join(scan.reasons),
                    DETECTOR_VERSION,
                    now,
                ],
            )
        )
    return out


def _naive_link(link: CodeLink, now: datetime) -> list[tuple[str, list[Any]]]:
    repo = link.repo
    out = [
        (
            "INSERT INTO code_links (paper_id, url, found_in, repo_id, official, rejected, "
            "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                link.paper_id,
                link.url,
                link.found_in,
                repo.repo_id if repo else None,
                link.official,
                link.rejected,
                now,
                now,
            ],
        )
    ]
    if repo is not None:
        out.append(
            (
                "INSERT OR IGNORE INTO repos (repo_id, host, owner, name, status, attempts) "
                "VALUES (?, ?, ?, ?, 'pending', 0)",
                [repo.repo_id, repo.host, repo.owner, repo.name],
            )
        )
    return out


def measure_naive(path: Path, load: str, records: Sequence[Any], budget: float) -> Cell:
    """One autocommitted statement per table row, record after record (bounded by budget)."""
    with Store.open(path) as store:
        prepare(store, load, records)
        con = store.con
        now = utcnow()
        done, start = 0, time.perf_counter()
        for record in records:
            for sql, params in naive_statements(load, record, now):
                con.execute(sql, params)
            done += 1
            if time.perf_counter() - start > budget:
                break
        seconds = time.perf_counter() - start
    return Cell(load, "naive", 0, done, seconds)


def measure_release(path: Path, cycles: int, rows: int) -> tuple[float, float]:
    """Milliseconds for ``Store.release()`` after a write, and for the reconnect that follows
    (the pipeline does both every ``jobs.RELEASE_SECONDS``), averaged over ``cycles``."""
    release_s = reconnect_s = 0.0
    with Store.open(path) as store:
        links = make_links(rows)
        for i in range(cycles):
            with store.transaction():
                store.upsert_code_links(links[i::cycles])
            start = time.perf_counter()
            store.release()
            middle = time.perf_counter()
            store.count("code_links")  # the next access reconnects
            release_s += middle - start
            reconnect_s += time.perf_counter() - middle
    return 1000 * release_s / cycles, 1000 * reconnect_s / cycles


# --- the whole benchmark ----------------------------------------------------------------------


def run_benchmark(
    work: Path,
    records: int,
    batch_sizes: Sequence[int],
    budget: float,
    loads: Sequence[str] = LOADS,
) -> list[Cell]:
    """Measure every cell, print the table and the ratios; returns the cells."""
    print(f"machine: {machine()}, pandas {pd.__version__}")
    cells: list[Cell] = []
    n = 0
    for load in loads:
        data = make_records(load, records)
        n += 1
        cells.append(measure_naive(work / f"{n}.duckdb", load, data, budget))
        for batch in batch_sizes:
            n += 1
            cells.append(measure_store(work / f"{n}.duckdb", load, batch, data, budget))
        print(f"  {load}: done", flush=True)
    release_ms, reconnect_ms = measure_release(work / "release.duckdb", 10, 2000)

    naive = {c.load: c for c in cells if c.method == "naive"}
    rows = [
        [
            c.load,
            {"store": "Store", "naive": "naive INSERT loop"}[c.method],
            str(c.batch) if c.batch else "1 row",
            str(c.records),
            f"{c.seconds:.2f}",
            f"{c.per_second:,.0f}",
            f"{c.rows_per_second:,.0f}",
            f"{c.ms_per_record:.3f}",
            f"{c.per_second / naive[c.load].per_second:.1f}x" if c.load in naive else "-",
        ]
        for c in cells
    ]
    print()
    print(f"DuckDB loads ({records} records per cell at most, {budget:.0f} s budget per cell):")
    headers = ["load", "writer", "batch", "records", "s", "records/s", "rows/s", "ms/rec"]
    print(table([*headers, "vs naive"], rows))
    print()
    print(
        f"Store.release() after a write: {release_ms:.1f} ms; the reconnect after it: "
        f"{reconnect_ms:.1f} ms (the pipeline pays both every 2 s while it writes)"
    )
    print()
    print("Ratios:")
    for load in loads:
        mine = {c.batch: c for c in cells if c.load == load and c.method == "store"}
        if load in naive and mine:
            text = ", ".join(
                f"batch {b}: {c.per_second / naive[load].per_second:.1f}x"
                for b, c in sorted(mine.items())
            )
            print(f"  {load} vs naive loop: {text}")
    return cells


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=3000, help="records per cell at most")
    parser.add_argument("--batch-sizes", type=_ints, default=[1, 50, 1000])
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per cell at most")
    parser.add_argument("--loads", default=",".join(LOADS), help="comma list of " + "/".join(LOADS))
    parser.add_argument("--keep", type=Path, default=None, help="keep the databases here")
    args = parser.parse_args(argv)
    loads = [x for x in args.loads.split(",") if x]
    unknown = sorted(set(loads) - set(LOADS))
    if unknown or not loads or not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error(f"--loads takes {', '.join(LOADS)}; --batch-sizes positive integers")
    work = args.keep or Path(tempfile.mkdtemp(prefix="fwcensus-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        cells = run_benchmark(work, args.records, sorted(args.batch_sizes), args.budget, loads)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if cells else 1


if __name__ == "__main__":
    raise SystemExit(main())
