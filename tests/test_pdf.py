"""PDF text extraction (PDFium), the demo PDF writer, and code links read from generated papers."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scraper.pdf
from scraper.demo.pdfwriter import make_pdf
from scraper.errors import FwcensusError
from scraper.links import links_from_pdf
from scraper.pdf import PdfError, extract_pages

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pdf"

PAPER = [
    [
        "Fast Things: Learning Faster",
        "Ann Author  Bob Builder",
        "Abstract",
        "We learn fast things. Code and models are available at https://github.com/open-",
        "mmlab-research/fast_things.",
    ],
    [
        "4. Experiments",
        "Our detector is built upon https://github.com/facebookresearch/detectron2 and",
        "we compare with the results in [2].",
    ],
    [
        "References",
        "[1] A. Paszke et al. PyTorch: an imperative style library. https://github.com/pytorch/",
        "pytorch, 2019.",
        "[2] C. Dee. Slow things. https://github.com/slow/things",
    ],
]
FOOTNOTES = [[], ["1Baseline code: https://github.com/baseline-lab/slow_base"], []]


def test_round_trip_text_and_footnotes() -> None:
    pages = extract_pages(make_pdf(PAPER, footnotes=FOOTNOTES))
    assert len(pages) == 3
    # PDFium gives a run of spaces inside a line as one space ("Ann Author  Bob Builder")
    assert pages[0].splitlines() == [" ".join(line.split()) for line in PAPER[0]]
    assert pages[1].splitlines() == [*PAPER[1], *FOOTNOTES[1]]  # footnotes below the body
    assert pages[2].splitlines() == PAPER[2]


def test_max_pages() -> None:
    data = make_pdf(PAPER)
    assert len(extract_pages(data, max_pages=2)) == 2
    assert len(extract_pages(data, max_pages=10)) == 3
    with pytest.raises(ValueError, match="max_pages"):
        extract_pages(data, max_pages=0)


def test_special_characters_round_trip() -> None:
    lines = ["(parens) and \\backslash\\", "Zollhöfer and Nießner – “quoted” €5"]
    assert extract_pages(make_pdf([lines])) == ["\n".join(lines)]


def test_runs_of_spaces_become_one_space() -> None:
    # PDFium's text page merges consecutive spaces of a line (CPDF_TextPage::CloseTempLine).
    assert extract_pages(make_pdf([["Ann Author  Bob Builder", "a   b    c"]])) == [
        "Ann Author Bob Builder\na b c"
    ]


def test_a_hyphen_at_the_end_of_a_line_is_kept_with_its_line_break() -> None:
    # PDFium joins a word hyphenated at a line end and marks the join with U+FFFE; the text
    # keeps the hyphen and the line break, as written (links.py rejoins URLs across them).
    lines = ["state-of-the-", "art results of pre-", "trained models and x-", "1 or -", "y"]
    assert extract_pages(make_pdf([lines])) == ["\n".join(lines)]


# PDFium guesses each page's writing direction from its layout: a page whose text is narrower
# than about two line heights (say, lines of one to five characters and nothing else) is taken
# for vertical text and its lines run together. A paper's page always has full-width lines, as
# this running header.
HEADER = "Proceedings of the Conference on Things, page text below"

_LINE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=70
).filter(lambda s: s == s.strip() and "  " not in s and s != "")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_LINE, min_size=1, max_size=8), min_size=1, max_size=3))
def test_round_trip_any_printable_text(pages: list[list[str]]) -> None:
    pages = [[HEADER, *lines] for lines in pages]
    assert extract_pages(make_pdf(pages)) == ["\n".join(lines) for lines in pages]


def test_writer_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        make_pdf([[f"line {i}" for i in range(200)]])
    with pytest.raises(ValueError, match="at least one page"):
        make_pdf([])
    with pytest.raises(ValueError, match="footnote lists"):
        make_pdf([["a"]], footnotes=[["1"], ["2"]])


def test_code_links_from_a_generated_paper() -> None:
    pages = extract_pages(make_pdf(PAPER, footnotes=FOOTNOTES))
    links = {link.repo.repo_id: link for link in links_from_pdf("cvpr:2031:x", pages) if link.repo}
    assert set(links) == {
        "github:open-mmlab-research/fast_things",  # rejoined across the line break
        "github:facebookresearch/detectron2",
        "github:baseline-lab/slow_base",
        "github:pytorch/pytorch",  # rejoined after "pytorch/"
        "github:slow/things",
    }
    assert links["github:open-mmlab-research/fast_things"].official is True
    assert links["github:open-mmlab-research/fast_things"].url == (
        "https://github.com/open-mmlab-research/fast_things"
    )
    assert links["github:facebookresearch/detectron2"].official is False  # "built upon"
    assert links["github:baseline-lab/slow_base"].official is True  # a footnote
    assert links["github:pytorch/pytorch"].official is False  # references
    assert links["github:slow/things"].official is False  # references


# ----------------------------------------------------------------------------- bad input


def test_html_error_page_instead_of_pdf() -> None:
    data = (FIXTURES / "error_page_instead_of_pdf.html").read_bytes()
    with pytest.raises(PdfError, match="HTML page instead of a PDF") as info:
        extract_pages(data)
    assert info.value.reason == "html"
    assert isinstance(info.value, FwcensusError)


@pytest.mark.parametrize(
    ("data", "reason", "message"),
    [
        (b"", "empty", "empty"),
        (b"  \n", "empty", "empty"),
        (b"PK\x03\x04\x14\x00\x00\x00", "not_pdf", "not a PDF"),
        (b"%PDF-1.4\n1 0 obj garbage", "broken", "damaged"),
        (b"%PDF-1.4\n1 0 obj garbage\n%%EOF\n", "broken", "damaged.*PDFium: data format error"),
    ],
)
def test_non_pdf_input(data: bytes, reason: str, message: str) -> None:
    with pytest.raises(PdfError, match=message) as info:
        extract_pages(data)
    assert info.value.reason == reason


def test_truncated_download_is_broken() -> None:
    data = make_pdf(PAPER)
    with pytest.raises(PdfError, match="damaged") as info:
        extract_pages(data[: len(data) // 2])
    assert info.value.reason == "broken"
    assert "looks truncated" in str(info.value)


def test_every_truncation_is_refused_even_those_pdfium_could_read() -> None:
    # PDFium rebuilds a damaged cross-reference table: it reads all three pages of this file
    # cut anywhere after its trailer dictionary (before "startxref"). A file without %%EOF
    # near its end is a cut-off download, so every cut is refused the same way.
    data = make_pdf(PAPER)
    before_startxref = data.rindex(b"startxref")
    with scraper.pdf._PDFIUM_LOCK:  # PDFium alone, without the %%EOF check
        assert len(scraper.pdf._read_locked(data[:before_startxref], None)) == 3
    cuts = [9, 100, len(data) // 4, len(data) // 2, before_startxref, len(data) - 7, len(data) - 3]
    for cut in cuts:
        with pytest.raises(PdfError, match="looks truncated") as info:
            extract_pages(data[:cut])
        assert info.value.reason == "broken", cut
    assert len(extract_pages(data[:-1])) == 3  # only the final newline missing: complete


def test_trailing_bytes_after_eof_are_accepted_up_to_acrobats_1024() -> None:
    data = make_pdf(PAPER)
    assert data.endswith(b"%%EOF\n")
    for tail in [b"\r\n", b"\x00" * 500, b"<html>a server's footer</html>\n", b" " * 1018]:
        assert extract_pages(data + tail) == extract_pages(data)
    with pytest.raises(PdfError, match="looks truncated"):
        extract_pages(data + b" " * 1019)  # %%EOF no longer in the last 1024 bytes


def test_real_pdf_layout_ending_with_eof_and_a_line_break() -> None:
    # Papers end "%%EOF\n" or "%%EOF\r\n", often after an incremental update (two %%EOF).
    data = make_pdf(PAPER)
    assert extract_pages(data[:-1] + b"\r\n") == extract_pages(data)
    assert extract_pages(data + b"% an empty incremental update\n%%EOF\r\n")[0].startswith("Fast")


def _encrypted(user_password: str, algorithm: str = "RC4-128") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(make_pdf([["secret text"]]))))
    writer.encrypt(user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_with_password_is_refused() -> None:
    with pytest.raises(PdfError, match="encrypted") as info:
        extract_pages(_encrypted("letmein"))
    assert info.value.reason == "encrypted"


def test_encrypted_with_empty_password_is_read() -> None:
    assert extract_pages(_encrypted("")) == ["secret text"]


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_with_empty_password_is_read(algorithm: str) -> None:
    pytest.importorskip("cryptography", reason="pypdf needs it to write AES-encrypted PDFs")
    assert extract_pages(_encrypted("", algorithm)) == ["secret text"]
    with pytest.raises(PdfError) as info:
        extract_pages(_encrypted("letmein", algorithm))
    assert info.value.reason == "encrypted"


def test_unsupported_security_handler_is_encrypted() -> None:
    data = make_pdf(PAPER).replace(
        b"trailer\n<< /Size",
        b"trailer\n<< /Encrypt << /Filter /SomeVendorLock /V 9 /R 9 >> "
        b"/ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] /Size",
    )
    with pytest.raises(PdfError, match="security handler PDFium does not support") as info:
        extract_pages(data)
    assert info.value.reason == "encrypted"


def test_a_pdf_without_pages_is_broken() -> None:
    import pypdf

    out = io.BytesIO()
    pypdf.PdfWriter().write(out)
    with pytest.raises(PdfError, match="no pages") as info:
        extract_pages(out.getvalue())
    assert info.value.reason == "broken"


THREE = make_pdf([["page one"], ["page two"], ["page three"]])
_PAGE_TWO = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
    b"/Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>"
)


def _without_page_objects(data: bytes, *numbers: int) -> bytes:
    """``data`` with the page objects ``numbers`` overwritten by ``null`` (same length, so the
    cross-reference table stays right): the page tree names pages that are not there."""
    for number in numbers:
        start = data.index(b"\n%d 0 obj\n<< /Type /Page " % number) + len(b"\n%d 0 obj\n" % number)
        end = data.index(b"\nendobj", start)
        data = data[:start] + b"null".ljust(end - start) + data[end:]
    return data


def test_one_unreadable_page_gives_an_empty_string_and_the_rest_are_read() -> None:
    assert _PAGE_TWO in THREE  # page objects 5, 7, 9
    assert extract_pages(_without_page_objects(THREE, 7)) == ["page one", "", "page three"]


def test_no_readable_page_is_broken() -> None:
    with pytest.raises(PdfError, match="no page of the PDF could be read") as info:
        extract_pages(_without_page_objects(THREE, 5, 7, 9))
    assert info.value.reason == "broken"


def test_a_wrong_xref_offset_is_recovered_quietly(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    # An xref table pointing at wrong offsets is recoverable (PDFium rebuilds it), silently.
    data = make_pdf(PAPER)
    start = data.rindex(b"startxref\n") + len(b"startxref\n")
    damaged = data[:start] + str(int(data[start:].split(b"\n")[0]) + 7).encode() + b"\n%%EOF\n"
    with caplog.at_level("DEBUG"):
        pages = extract_pages(damaged)
    assert pages == extract_pages(data)
    assert pages[0].startswith("Fast Things")
    assert [r for r in caplog.records if r.levelname != "DEBUG"] == []
    assert len(recwarn) == 0


# ----------------------------------------------------------------------------- threads


def _outcome(data: bytes) -> tuple[str, Any]:
    try:
        return ("ok", extract_pages(data, max_pages=40))
    except PdfError as exc:
        return ("error", exc.reason)


def _mixed_pdfs() -> list[bytes]:
    big = make_pdf(
        [
            [f"Page {n}, line {i}: https://github.com/lab{n}/repo{i}" for i in range(40)]
            for n in range(12)
        ]
    )
    return [
        make_pdf(PAPER, footnotes=FOOTNOTES),
        make_pdf([["(parens) and \\backslash\\", "Zollhöfer and Nießner – “quoted” €5"]]),
        big,
        _without_page_objects(THREE, 7),
        _encrypted(""),
        _encrypted("letmein"),
        b"%PDF-1.4\n1 0 obj garbage\n%%EOF\n",
    ]


def test_eight_threads_reading_different_pdfs_get_the_sequential_results() -> None:
    pdfs = _mixed_pdfs()
    expected = [_outcome(data) for data in pdfs]
    assert [kind for kind, _ in expected] == ["ok"] * 5 + ["error"] * 2
    order = [i % len(pdfs) for i in range(40 * len(pdfs))]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: _outcome(pdfs[i]), order))
    assert got == [expected[i] for i in order]
    assert not scraper.pdf._PDFIUM_LOCK.locked()


class _OwnedLock:
    """A lock that knows which thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None

    def __enter__(self) -> None:
        self._lock.acquire()
        self.owner = threading.get_ident()

    def __exit__(self, *exc: object) -> None:
        self.owner = None
        self._lock.release()


@pytest.fixture
def pdfium_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every PDFium function watched: each call must be made by the thread holding the module's
    lock, and no two may overlap (each waits a little, GIL released, to give an overlap a
    chance). Yields the count of calls by function."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    lock = _OwnedLock()
    monkeypatch.setattr(scraper.pdf, "_PDFIUM_LOCK", lock)
    calls: Counter[str] = Counter()
    problems: list[str] = []
    state = threading.Lock()
    active = [0]

    def watch(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any) -> Any:
            with state:
                calls[name] += 1
                active[0] += 1
                if active[0] > 1:
                    problems.append(f"{name} overlapped another PDFium call")
                if lock.owner != threading.get_ident():
                    problems.append(f"{name} called without holding the lock")
            try:
                time.sleep(0.0002)
                return function(*args)
            finally:
                with state:
                    active[0] -= 1

        return watched

    for name in dir(pdfium_c):
        function = getattr(pdfium_c, name)
        if isinstance(function, ctypes._CFuncPtr):
            monkeypatch.setattr(pdfium_c, name, watch(name, function))
    yield calls
    assert problems == []


def test_pdfium_is_only_called_under_the_lock_and_every_handle_is_closed(
    pdfium_calls: Counter[str],
) -> None:
    pdfs = _mixed_pdfs()
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(_outcome, pdfs * 4))
    assert [kind for kind, _ in outcomes] == (["ok"] * 5 + ["error"] * 2) * 4
    opened = pdfium_calls["FPDF_LoadMemDocument64"]
    assert opened == 7 * 4
    # the two PDFs that do not open have nothing to close
    assert pdfium_calls["FPDF_CloseDocument"] == opened - 2 * 4
    assert pdfium_calls["FPDF_ClosePage"] == pdfium_calls["FPDF_LoadPage"] - 4  # one null page
    assert pdfium_calls["FPDFText_ClosePage"] == pdfium_calls["FPDFText_LoadPage"] > 0


# ----------------------------------------------------------------------------- imports


def test_importing_the_module_and_the_scan_command_do_not_load_pdfium(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\n")
    code = (
        "import sys\nimport scraper.pdf\nloaded = 'pypdfium2' in sys.modules\n"
        "from analysis.cli import cli\n"
        f"cli.main(['scan', {str(tmp_path)!r}, '--json'], standalone_mode=False)\n"
        "print(loaded, 'pypdfium2' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False False"
