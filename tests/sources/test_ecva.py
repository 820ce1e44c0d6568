"""ECVA papers.php (ECCV): year sections, link quoting, author forms, and the fetch paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.sources import ecva

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ecva"
PAGE = "https://www.ecva.net/papers.php"
ROOT = "https://www.ecva.net/papers"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeResponse:
    content: bytes
    url: str
    status_code: int = 200


@dataclass
class FakeClient:
    """Serves fixture bytes by URL; unknown URLs are a 404, exceptions are raised as given."""

    routes: dict[str, bytes | Exception]
    calls: list[str] = field(default_factory=list)

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_status: tuple[int, ...] = (),
    ) -> FakeResponse:
        self.calls.append(url)
        if url not in self.routes:
            raise FetchError(url, 404, "Not Found")
        value = self.routes[url]
        if isinstance(value, Exception):
            raise value
        return FakeResponse(value, "http://127.0.0.1:8765/rewritten")


# ----------------------------------------------------------------------------- contract


def test_module_contract() -> None:
    assert ecva.NAME == "ecva" and ecva.KIND == "venue" and ecva.POLITENESS
    assert ecva.VENUES == {"eccv": "ECCV"}
    assert ecva.listing_url("ECCV", 2020) == PAGE == ecva.listing_url("eccv", 2024)
    assert list(ecva.years("eccv", last=2024)) == [2018, 2020, 2022, 2024]
    assert list(ecva.years("eccv", last=2017)) == []
    with pytest.raises(ValueError, match="unknown ECVA venue 'cvpr'"):
        ecva.years("cvpr")


@pytest.mark.parametrize(
    ("text", "year", "names"),
    [
        ("Alice Smith*, Bob Lee", 2024, ("Alice Smith", "Bob Lee")),
        ("\n  Carol White* \n", 2022, ("Carol White",)),
        ("Mei Shan\u2020, Lukas Dorn\u00b9\u00b2", 2024, ("Mei Shan", "Lukas Dorn")),
        ("Ling, Yong and Bao, Lin and Jie, Zequn", 2018, ("Yong Ling", "Lin Bao", "Zequn Jie")),
        ("Alvarez, Sara", 2018, ("Sara Alvarez",)),  # a lone BibTeX name, 2018 only
        ("Alvarez, Sara", 2024, ("Alvarez", "Sara")),
        ("Ann Lee, Bo Chen", 2018, ("Ann Lee", "Bo Chen")),  # two full names are two authors
        ("Ann Lee, Bo Chen and Cy Dow", 2020, ("Ann Lee", "Bo Chen", "Cy Dow")),
        ("", 2020, ()),
    ],
)
def test_split_authors(text: str, year: int, names: tuple[str, ...]) -> None:
    assert ecva.split_authors(text, year) == names


# ----------------------------------------------------------------------------- parsing


def test_parse_2024_section() -> None:
    listing = ecva.parse_papers(fixture("papers.html"), PAGE, 2024)

    assert [p.native_id for p in listing.papers] == [
        "4_ECCV_2024_paper",
        "1129_ECCV_2024_paper",  # double-quoted link
        "8171_ECCV_2024_paper",  # unquoted link
    ]  # the repeated entry is dropped
    assert listing.skipped == 1  # "Camera Calibration from Shadows" has no link
    assert listing.years == [2018, 2020, 2022, 2024]
    first = listing.papers[0]
    assert first.paper_id == "eccv:2024:4_ECCV_2024_paper"
    assert (first.venue, first.year, first.source) == ("eccv", 2024, "ecva")
    assert first.title == "Forgetting Without Retraining: Unlearning with Synthetic Images"
    assert first.authors == ("Giulia Bonetti", "Marco Cattaneo", "Luisa Serra")
    assert first.page_url == f"{ROOT}/eccv_2024/papers_ECCV/html/4_ECCV_2024_paper.php"
    assert first.pdf_url == f"{ROOT}/eccv_2024/papers_ECCV/papers/00004.pdf"
    assert first.supp_url == f"{ROOT}/eccv_2024/papers_ECCV/papers/00004-supp.pdf"
    assert first.code_urls == () and first.arxiv_id is None
    assert listing.papers[1].supp_url is None
    assert listing.papers[2].authors == ("Mei Shan", "Lukas Dorn", "Yuto Han", "Ife Nwosu")


def test_parse_2022_ignores_the_doi_link() -> None:
    listing = ecva.parse_papers(fixture("papers.html"), PAGE, 2022)

    depth, fog = listing.papers
    assert depth.pdf_url == f"{ROOT}/eccv_2022/papers_ECCV/papers/136610001.pdf"
    assert depth.supp_url == f"{ROOT}/eccv_2022/papers_ECCV/papers/136610001-supp.pdf"
    assert fog.supp_url is None  # the Springer DOI link is neither pdf nor supplement
    assert fog.title == '"Seeing Through Fog": Adverse-Weather Detection Benchmarks'
    assert fog.authors == ("Noah Fischer", "Selin Aydin", "Pedro Alves")
    assert listing.skipped == 0


def test_parse_2020_numbered_pdfs() -> None:
    listing = ecva.parse_papers(fixture("papers.html"), PAGE, 2020)
    assert [(p.native_id, p.pdf_url) for p in listing.papers] == [
        ("267_ECCV_2020_paper", f"{ROOT}/eccv_2020/papers_ECCV/papers/123460001.pdf"),
        ("832_ECCV_2020_paper", f"{ROOT}/eccv_2020/papers_ECCV/papers/123460205.pdf"),
    ]
    assert len(listing.papers[0].authors) == 6
    assert listing.papers[1].authors[1] == "Felix Massé"


def test_parse_2018_bibtex_authors_and_named_files() -> None:
    listing = ecva.parse_papers(fixture("papers.html"), PAGE, 2018)

    ling, alvarez = listing.papers
    assert ling.native_id == "Yong_Ling_Modeling_Varying_Camera-IMU_ECCV_2018_paper"
    assert ling.authors == ("Yong Ling", "Lin Bao", "Zequn Jie", "Feng Zhu")
    assert ling.pdf_url == (
        f"{ROOT}/eccv_2018/papers_ECCV/papers/"
        "Yong_Ling_Modeling_Varying_Camera-IMU_ECCV_2018_paper.pdf"
    )
    assert alvarez.authors == ("Sara Alvarez",)


def test_parse_takes_entries_by_link_even_without_year_headings() -> None:
    page = """<dl>
    <dt class="ptitle"><br><a href='papers/eccv_2022/papers_ECCV/html/7_ECCV_2022_paper.php'>
    Seven</a></dt><dd>Ann Lee</dd>
    <dd>[<a href='papers/eccv_2022/papers_ECCV/papers/136610070.pdf'>pdf</a>]</dd>
    <dt class="ptitle"><br><a href='papers/eccv_2020/papers_ECCV/html/9_ECCV_2020_paper.php'>
    Nine</a></dt><dd>Bo Chen</dd>
    <dt class="ptitle"><br></dt><dd>Nobody</dd>
    </dl>"""
    listing = ecva.parse_papers(page, PAGE, 2022)
    assert [p.title for p in listing.papers] == ["Seven"]
    assert listing.skipped == 0  # without headings an entry without a link belongs to no year


def test_parse_unpublished_year_is_empty_but_names_the_listed_years() -> None:
    listing = ecva.parse_papers(fixture("papers.html"), PAGE, 2026)
    assert listing == ecva.Listing(papers=[], skipped=0, years=[2018, 2020, 2022, 2024])


# ----------------------------------------------------------------------------- fetching


def test_fetch_reads_the_single_page() -> None:
    client = FakeClient({PAGE: fixture("papers.html")})
    papers = ecva.fetch_papers(client, "eccv", 2020)
    assert [p.native_id for p in papers] == ["267_ECCV_2020_paper", "832_ECCV_2020_paper"]
    assert client.calls == [PAGE]


def test_fetch_logs_skipped_entries(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient({PAGE: fixture("papers.html")})
    with caplog.at_level(logging.WARNING, logger="scraper.sources.ecva"):
        assert len(ecva.fetch_papers(client, "eccv", 2024)) == 3
    assert any("skipped 1 malformed ECCV 2024 entries" in r.getMessage() for r in caplog.records)


def test_fetch_unpublished_year_is_a_parse_error_that_says_so() -> None:
    client = FakeClient({PAGE: fixture("papers.html")})
    with pytest.raises(
        ParseError, match="the page lists 2018, 2020, 2022, 2024; ECCV 2026 may not"
    ):
        ecva.fetch_papers(client, "eccv", 2026)


def test_fetch_new_layout_is_a_parse_error() -> None:
    client = FakeClient({PAGE: fixture("papers_new_layout.html")})
    with pytest.raises(ParseError, match="no papers found for ECCV 2024: the page layout") as info:
        ecva.fetch_papers(client, "eccv", 2024)
    assert info.value.url == PAGE


def test_fetch_missing_page_is_a_fetch_error() -> None:
    with pytest.raises(FetchError) as info:
        ecva.fetch_papers(FakeClient({}), "eccv", 2024)
    assert info.value.status == 404 and info.value.url == PAGE


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    down = NetworkError(PAGE, "www.ecva.net", "connection refused")
    with pytest.raises(NetworkError):
        ecva.fetch_papers(FakeClient({PAGE: down}), "eccv", 2024)
