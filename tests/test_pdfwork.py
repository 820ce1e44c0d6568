"""Reading PDFs in worker processes gives what reading them in the thread gives."""

from __future__ import annotations

import os
import pickle

import pytest

from scraper.demo.pdfwriter import make_pdf
from scraper.pdf import PdfError
from scraper.pdfwork import PdfReaders, PdfResult, default_processes, read_pdf

PAPER = make_pdf(
    [
        [
            "Deep Nets for Things",
            "Code: https://github.com/alice/things",
            "We implement our model in PyTorch.",
        ],
        ["Experiments", "Unlike the TensorFlow baseline, PyTorch ..."],
    ]
)


def crash_on_doomed(paper_id: str, data: bytes, max_pages: int | None) -> PdfResult:
    """A reader whose process dies on one paper (as on a PDF that exhausts memory)."""
    if paper_id == "doomed":
        os._exit(3)
    return read_pdf(paper_id, data, max_pages)


def test_a_pool_reads_exactly_what_the_thread_reads():
    inline = read_pdf("cvpr:2023:x", PAPER, 40)
    assert [link.repo.slug for link in inline.links if link.repo] == ["alice/things"]
    assert inline.mentions["pytorch"] == 2 and inline.pages == 2
    with PdfReaders(2) as readers:
        pooled = [readers.read("cvpr:2023:x", PAPER, 40) for _ in range(3)]
        assert readers._pool is not None  # really in processes
    assert pooled == [inline] * 3
    with PdfReaders(1) as readers:
        assert readers.read("cvpr:2023:x", PAPER, 40) == inline
        assert readers._pool is None


def test_errors_cross_the_process_boundary_with_their_reason():
    error = PdfError("got an HTML page", "html")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.reason) == ("got an HTML page", "html")
    with PdfReaders(2) as readers, pytest.raises(PdfError) as info:
        readers.read("p", b"<!doctype html><html>login</html>", 40)
    assert info.value.reason == "html" and "HTML page instead of a PDF" in str(info.value)


def test_a_dead_reader_process_fails_one_paper_and_the_next_gets_a_fresh_pool():
    with PdfReaders(2, read=crash_on_doomed) as readers:
        assert readers.read("a", PAPER, 40).pages == 2
        with pytest.raises(PdfError, match="reader process died") as info:
            readers.read("doomed", PAPER, 40)
        assert info.value.reason == "broken"
        assert readers.read("b", PAPER, 40).pages == 2
        assert readers.pool_restarts == 1


def test_default_processes_follow_the_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert default_processes() == 1  # two cores: no pool (measured slower)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    assert default_processes() == 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert default_processes() == 8


def test_a_run_starts_one_pool_for_all_its_years_and_only_for_enough_pdfs(tmp_path):
    from scraper.config import Settings
    from scraper.http import HttpClient
    from scraper.jobs import Pipeline
    from scraper.store import Store

    settings = Settings(pdf_processes=2, venue_sizes=None)
    with Store.open(tmp_path / "f.duckdb") as store, HttpClient(settings) as client:
        with Pipeline(store, client, workers=4) as pipe:
            assert pipe._pdf_readers(5).processes == 1  # a few PDFs: in the threads
            pool = pipe._pdf_readers(100)
            assert pool.processes == 2 and pipe._pdf_readers(300) is pool
        assert pipe._pdf_pool is None  # closed with the pipeline
        one_worker = Pipeline(store, client, workers=1)
        assert one_worker._pdf_readers(100).processes == 1  # never more processes than workers
