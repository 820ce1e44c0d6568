"""Benchmark: PDF text extraction with PDFium (``scraper.pdf.extract_pages``) vs pypdf.

pypdf (pure Python) read the papers' PDFs until PDFium replaced it; it is the baseline here,
measured in the same run, when it is installed (a test dependency now). Three parts:

1. **Per PDF.** PDFs generated with ``scraper.demo.pdfwriter.make_pdf`` (``--sizes`` pages
   each: full pages of text with code links, URLs broken across lines and footnotes) and every
   ``*.pdf`` in ``--dir`` are read by both, up to ``--max-pages`` pages as the crawl does. For
   each: CPU ms (best of ``--repeat``), pages/s, the ratio pypdf/PDFium, and whether
   ``scraper.links.links_from_pdf`` finds the same links in both texts. pypdf is read as
   ``scraper/pdf.py`` read it (``PdfReader(strict=False)``, the empty password,
   ``extract_text()`` per page).
2. **1 vs 2 threads reading PDFs.** PDFs/s with one thread, then two, each cell bounded by
   ``--seconds``. PDFium is serialised by a lock, so two threads read no faster than one;
   pypdf holds the GIL.
3. **The other thread's work.** A pure-Python loop (standing for the crawl's other threads:
   HTTP, parsing, the store) is timed while another thread reads PDFs with each library, and
   alone just before and after: PDFium releases the GIL during its calls, pypdf does not.

Run from the repository root:

    python benchmarks/pdf_speed.py                         # generated PDFs, 3 and 12 pages
    python benchmarks/pdf_speed.py --dir /path/to/pdfs     # ... and every PDF in a folder
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE.parent), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from benchtools import load_average, table  # noqa: E402

from scraper.demo.pdfwriter import MAX_BODY_LINES, make_pdf  # noqa: E402
from scraper.links import links_from_pdf  # noqa: E402
from scraper.pdf import PdfError, extract_pages  # noqa: E402

Reader = Callable[[bytes, int | None], list[str]]


# --- the two readers --------------------------------------------------------------------------


def pypdf_available() -> bool:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return False
    return True


def pypdf_pages(data: bytes, max_pages: int | None = None) -> list[str]:
    """The text of each page as the pypdf version of ``scraper.pdf`` read it (the baseline)."""
    import pypdf

    logger = logging.getLogger("pypdf")
    old_level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfError("the PDF is encrypted with a password", "encrypted")
            count = len(reader.pages)
            wanted = count if max_pages is None else min(count, max_pages)
            pages = []
            for number in range(wanted):
                try:
                    text = reader.pages[number].extract_text() or ""
                except Exception:
                    text = ""
                pages.append(text.replace("\x00", ""))
            return pages
    finally:
        logger.setLevel(old_level)


def pdfium_pages(data: bytes, max_pages: int | None = None) -> list[str]:
    return extract_pages(data, max_pages=max_pages)


# --- inputs -----------------------------------------------------------------------------------


def generated_pdf(pages: int) -> bytes:
    """A synthetic paper of ``pages`` full pages: body text, code links (one broken across two
    lines), a footnote with a link on every third page and a references page at the end."""
    body: list[list[str]] = []
    notes: list[list[str]] = []
    for n in range(pages):
        lines = [
            f"Section {n + 1}. We study learning of things at scale, line {i}: the model is "
            f"trained with SGD for {10 + i} epochs on {n + 2} GPUs."
            for i in range(MAX_BODY_LINES - 6)
        ]
        if n == 0:
            lines[3] = "Code and models are available at https://github.com/open-"
            lines[4] = "mmlab-research/fast_things. We implement everything in PyTorch."
        if n == pages - 1:
            lines[-2] = "[1] A. Paszke et al. PyTorch. https://github.com/pytorch/pytorch, 2019."
            lines[-1] = "[2] M. Abadi et al. TensorFlow. https://github.com/tensorflow/tensorflow"
        body.append(lines)
        notes.append(
            [f"{n + 1}Baseline code: https://github.com/lab{n}/base"] if n % 3 == 1 else []
        )
    return make_pdf(body, footnotes=notes)


def load_inputs(sizes: Sequence[int], directory: Path | None) -> list[tuple[str, bytes]]:
    pdfs = [(f"generated, {n} pages", generated_pdf(n)) for n in sizes]
    if directory is not None:
        pdfs += [(path.name, path.read_bytes()) for path in sorted(directory.glob("*.pdf"))]
    return pdfs


# --- per PDF ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    cpu_ms: float  # best of the repeats
    pages: list[str] | None  # None when the reader refused the PDF
    error: str | None = None


def time_reader(read: Reader, data: bytes, max_pages: int | None, repeat: int) -> Timing:
    best = float("inf")
    pages: list[str] | None = None
    for _ in range(repeat):
        start = time.process_time()
        try:
            pages = read(data, max_pages)
        except Exception as exc:  # PdfError from PDFium; pypdf raises many kinds
            what = exc.reason if isinstance(exc, PdfError) else type(exc).__name__
            return Timing(1000 * (time.process_time() - start), None, f"{what}: {exc}")
        best = min(best, time.process_time() - start)
    return Timing(1000 * best, pages)


@dataclass(frozen=True)
class Sample:
    name: str
    kb: int
    pdfium: Timing
    pypdf: Timing | None  # None when pypdf is not installed

    @property
    def pages(self) -> int:
        return len(self.pdfium.pages or [])

    @property
    def ratio(self) -> float | None:
        """pypdf's CPU time over PDFium's (how many times faster PDFium is)."""
        if self.pypdf is None or self.pypdf.pages is None or self.pdfium.pages is None:
            return None
        return self.pypdf.cpu_ms / self.pdfium.cpu_ms if self.pdfium.cpu_ms else None

    def links(self, timing: Timing | None) -> list[str]:
        if timing is None or timing.pages is None:
            return []
        return [
            f"{link.url} {'official' if link.official else 'cited'}"
            for link in links_from_pdf("bench:x:1", timing.pages)
        ]

    @property
    def same_links(self) -> bool | None:
        if self.pypdf is None or self.pypdf.pages is None or self.pdfium.pages is None:
            return None
        return self.links(self.pdfium) == self.links(self.pypdf)


def measure_pdf(
    name: str, data: bytes, repeat: int, max_pages: int | None, baseline: bool = True
) -> Sample:
    pdfium = time_reader(pdfium_pages, data, max_pages, repeat)
    pypdf = time_reader(pypdf_pages, data, max_pages, repeat) if baseline else None
    return Sample(name, len(data) // 1024, pdfium, pypdf)


# --- threads ----------------------------------------------------------------------------------


def pdfs_per_second(
    read: Reader, pdfs: Sequence[bytes], threads: int, seconds: float, max_pages: int | None
) -> float:
    """PDFs read per second by ``threads`` threads taking PDFs from ``pdfs`` in turn."""
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(slot: int) -> None:
        i = slot
        while time.perf_counter() < deadline:
            read(pdfs[i % len(pdfs)], max_pages)
            done[slot] += 1
            i += threads

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(work, slot) for slot in range(threads)]:
            future.result()
    return sum(done) / (time.perf_counter() - start)


def python_loop(stop: threading.Event) -> float:
    """Rounds per second of a small pure-Python workload until ``stop`` is set."""
    rounds, start = 0, time.perf_counter()
    while not stop.is_set():
        total = 0
        for i in range(2000):
            total += i * i % 7
        rounds += 1
    return rounds / (time.perf_counter() - start)


def loop_rate_beside(
    read: Reader | None, pdfs: Sequence[bytes], seconds: float, max_pages: int | None
) -> float:
    """The Python loop's rate while another thread reads PDFs with ``read`` (None: alone)."""
    stop = threading.Event()
    rate: list[float] = []
    loop = threading.Thread(target=lambda: rate.append(python_loop(stop)))
    loop.start()
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        if read is None:
            time.sleep(0.01)
        else:
            read(pdfs[i % len(pdfs)], max_pages)
            i += 1
    stop.set()
    loop.join()
    return rate[0]


@dataclass(frozen=True)
class ThreadResult:
    reader: str
    one: float  # PDFs/s with one thread
    two: float  # ... with two
    loop_share: float  # the Python loop's rate beside this reader / alone


def measure_threads(
    pdfs: Sequence[bytes], seconds: float, max_pages: int | None, baseline: bool
) -> list[ThreadResult]:
    readers: list[tuple[str, Reader]] = [("PDFium", pdfium_pages)]
    if baseline:
        readers.append(("pypdf", pypdf_pages))
    out = []
    for name, read in readers:
        one = pdfs_per_second(read, pdfs, 1, seconds, max_pages)
        two = pdfs_per_second(read, pdfs, 2, seconds, max_pages)
        # the loop alone just before and just after (other work on a shared machine drifts)
        before = loop_rate_beside(None, pdfs, seconds, max_pages)
        beside = loop_rate_beside(read, pdfs, seconds, max_pages)
        after = loop_rate_beside(None, pdfs, seconds, max_pages)
        out.append(ThreadResult(name, one, two, beside / ((before + after) / 2)))
    return out


# --- the whole benchmark ----------------------------------------------------------------------


def machine() -> str:
    """CPUs, versions and the load average (crawl.py's line, with the PDF libraries)."""
    from pypdfium2.version import PDFIUM_INFO, PYPDFIUM_INFO

    try:
        import pypdf

        pypdf_version = f"pypdf {pypdf.__version__}"
    except ImportError:
        pypdf_version = "pypdf not installed"
    load = load_average()
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs (nproc), Python "
        f"{platform.python_version()}, pypdfium2 {PYPDFIUM_INFO} (PDFium "
        f"{PDFIUM_INFO.build}), {pypdf_version}, {platform.system()} {platform.release()}; "
        f"{load}"
    )


def _ms(timing: Timing | None) -> str:
    if timing is None:
        return "-"
    return f"{timing.cpu_ms:.1f}" if timing.pages is not None else "refused"


def _pages_per_s(sample: Sample, timing: Timing | None) -> str:
    if timing is None or timing.pages is None or not timing.cpu_ms:
        return "-"
    return f"{len(timing.pages) / timing.cpu_ms * 1000:,.0f}"


def format_samples(samples: Sequence[Sample]) -> str:
    rows = []
    for s in samples:
        ratio = s.ratio
        same = {None: "-", True: "same", False: "DIFFER"}[s.same_links]
        rows.append(
            [
                s.name[:40],
                str(s.kb),
                str(s.pages),
                _ms(s.pypdf),
                _ms(s.pdfium),
                _pages_per_s(s, s.pypdf),
                _pages_per_s(s, s.pdfium),
                f"{ratio:.1f}x" if ratio else "-",
                f"{same} ({len(s.links(s.pdfium))})",
            ]
        )
    headers = ["PDF", "KB", "pages", "pypdf ms", "PDFium ms", "pypdf p/s", "PDFium p/s"]
    return table([*headers, "PDFium vs pypdf", "links (n)"], rows)


def run_benchmark(
    pdfs: Sequence[tuple[str, bytes]],
    repeat: int,
    seconds: float,
    max_pages: int | None,
    baseline: bool | None = None,
) -> tuple[list[Sample], list[ThreadResult]]:
    """Measure and print all three parts; returns the per-PDF samples and the thread results."""
    installed = pypdf_available()
    wanted, baseline = baseline, installed and baseline is not False
    print(f"machine: {machine()}")
    if wanted is False:
        print("pypdf baseline skipped: PDFium alone")
    elif not installed:
        print("pypdf is not installed: PDFium alone (pip install pypdf for the baseline)")
    print(f"\n1. per PDF: CPU ms, best of {repeat}; at most {max_pages} pages, as the crawl reads")
    samples = [measure_pdf(name, data, repeat, max_pages, baseline) for name, data in pdfs]
    print(format_samples(samples))
    for s in samples:
        for label, timing in (("PDFium", s.pdfium), ("pypdf", s.pypdf)):
            if timing is not None and timing.error:
                print(f"  {s.name}: {label} refused it ({timing.error})")
        if s.same_links is False:
            only_pdfium = sorted(set(s.links(s.pdfium)) - set(s.links(s.pypdf)))
            only_pypdf = sorted(set(s.links(s.pypdf)) - set(s.links(s.pdfium)))
            print(f"  {s.name}: links only with PDFium {only_pdfium}, only with pypdf {only_pypdf}")

    readable = [data for (_name, data), s in zip(pdfs, samples, strict=True) if s.pdfium.pages]
    threads = measure_threads(readable, seconds, max_pages, baseline) if readable else []
    if threads:
        print(
            f"\n2. PDFs/s with 1 and 2 threads over the {len(readable)} PDFs ({seconds:.1f} s each)"
        )
        rows = [
            [t.reader, f"{t.one:.1f}", f"{t.two:.1f}", f"{t.two / t.one:.2f}x"] for t in threads
        ]
        print(table(["reader", "1 thread", "2 threads", "2 vs 1"], rows))
        print("\n3. a pure-Python loop's speed while another thread reads PDFs (1.00 = unhindered)")
        print(table(["reader", "loop speed"], [[t.reader, f"{t.loop_share:.2f}"] for t in threads]))

    print("\nRatios:")
    ratios = [s.ratio for s in samples if s.ratio]
    if ratios:
        cpu = sum(s.pypdf.cpu_ms for s in samples if s.ratio and s.pypdf) / sum(
            s.pdfium.cpu_ms for s in samples if s.ratio
        )
        print(
            f"  PDFium vs pypdf, CPU per PDF: {min(ratios):.1f}x to {max(ratios):.1f}x faster "
            f"({cpu:.1f}x over all {len(ratios)} PDFs)"
        )
        same = sum(1 for s in samples if s.same_links)
        print(f"  same links with both: {same} of {len(ratios)} PDFs")
    for t in threads:
        print(
            f"  {t.reader}: 2 threads read {t.two / t.one:.2f}x the PDFs of 1; the other "
            f"thread keeps {t.loop_share:.0%} of its speed"
        )
    return samples, threads


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=_ints, default=[3, 12], help="pages of generated PDFs")
    parser.add_argument("--dir", type=Path, default=None, help="also read every *.pdf here")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    parser.add_argument("--seconds", type=float, default=3.0, help="per thread measurement")
    parser.add_argument("--max-pages", type=int, default=40, help="pages read per PDF (crawl: 40)")
    parser.add_argument("--no-baseline", action="store_true", help="skip pypdf")
    args = parser.parse_args(argv)
    if min(args.sizes, default=1) < 1 or args.repeat < 1 or args.max_pages < 1:
        parser.error("--sizes, --repeat and --max-pages take positive integers")
    if args.dir is not None and not args.dir.is_dir():
        parser.error(f"--dir {args.dir}: not a directory")
    pdfs = load_inputs(args.sizes, args.dir)
    if not pdfs:
        parser.error("no PDFs: give --sizes or a --dir with *.pdf files")
    baseline = False if args.no_baseline else None
    samples, _threads = run_benchmark(pdfs, args.repeat, args.seconds, args.max_pages, baseline)
    return 0 if all(s.pdfium.pages is not None for s in samples) else 1


if __name__ == "__main__":
    raise SystemExit(main())
