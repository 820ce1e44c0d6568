"""PDF text extraction, the demo PDF writer, and code links read from generated papers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert pages[0].splitlines() == PAPER[0]
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


_LINE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=70
).filter(lambda s: s == s.strip() and "  " not in s and s != "")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_LINE, min_size=1, max_size=8), min_size=1, max_size=3))
def test_round_trip_any_printable_text(pages: list[list[str]]) -> None:
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


def _encrypted(user_password: str) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(make_pdf([["secret text"]]))))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_with_password_is_refused() -> None:
    with pytest.raises(PdfError, match="encrypted") as info:
        extract_pages(_encrypted("letmein"))
    assert info.value.reason == "encrypted"


def test_encrypted_with_empty_password_is_read() -> None:
    assert extract_pages(_encrypted("")) == ["secret text"]


def test_pypdf_warnings_are_silenced(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    # An xref table pointing at wrong offsets is recoverable, but pypdf complains about it.
    data = make_pdf(PAPER)
    start = data.rindex(b"startxref\n") + len(b"startxref\n")
    damaged = data[:start] + str(int(data[start:].split(b"\n")[0]) + 7).encode() + b"\n%%EOF\n"
    with caplog.at_level("DEBUG"):
        pages = extract_pages(damaged)
    assert pages[0].startswith("Fast Things")
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
    assert len(recwarn) == 0
