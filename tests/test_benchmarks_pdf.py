"""Smoke test of benchmarks/pdf_speed.py on one tiny generated PDF, so the script keeps working
as scraper.pdf changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchload import load_benchmark

ROOT = Path(__file__).resolve().parents[1]


pdf_speed = load_benchmark("pdf_speed")


def test_one_generated_pdf_is_read_by_both_readers_with_the_same_links() -> None:
    pytest.importorskip("pypdf")
    data = pdf_speed.generated_pdf(1)
    sample = pdf_speed.measure_pdf("tiny", data, repeat=1, max_pages=40)
    assert sample.pages == 1 and sample.pdfium.error is None
    assert sample.pypdf is not None and sample.pypdf.pages is not None
    assert sample.same_links is True
    assert sample.links(sample.pdfium) == [
        "https://github.com/open-mmlab-research/fast_things official",
        "https://github.com/pytorch/pytorch cited",
        "https://github.com/tensorflow/tensorflow cited",
    ]
    assert sample.ratio is not None and sample.ratio > 0


def test_the_whole_run_prints_machine_tables_and_ratios(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "paper.pdf").write_bytes(pdf_speed.generated_pdf(2))
    (tmp_path / "not-a-paper.pdf").write_bytes(b"<!doctype html><html>login</html>")
    argv = ["--sizes", "1", "--dir", str(tmp_path), "--repeat", "1", "--seconds", "0.05"]
    assert pdf_speed.main(argv) == 1  # a PDF PDFium refused
    out = capsys.readouterr().out
    assert out.startswith("machine: ") and "pypdfium2" in out
    assert "generated, 1 pages" in out and "paper.pdf" in out
    assert "not-a-paper.pdf: PDFium refused it (html:" in out
    assert "PDFs/s with 1 and 2 threads" in out and "loop speed" in out
    assert "Ratios:" in out and "PDFium: 2 threads read" in out
    assert pdf_speed.main(["--sizes", "1", "--repeat", "1", "--seconds", "0.05"]) == 0


def test_without_the_baseline_pdfium_is_measured_alone(capsys: pytest.CaptureFixture[str]) -> None:
    samples, threads = pdf_speed.run_benchmark(
        [("tiny", pdf_speed.generated_pdf(1))], 1, 0.05, 40, baseline=False
    )
    assert samples[0].pypdf is None and samples[0].ratio is None
    assert [t.reader for t in threads] == ["PDFium"] and threads[0].one > 0
    assert "PDFium alone" in capsys.readouterr().out
