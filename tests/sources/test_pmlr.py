"""PMLR volume pages (ICML): both theme variants, code links, PDF forms, and the fetch paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.sources import pmlr

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pmlr"
BASE = "https://proceedings.mlr.press"


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


# ----------------------------------------------------------------------------- volumes


def test_module_contract_and_volume_table() -> None:
    assert pmlr.NAME == "pmlr" and pmlr.KIND == "venue" and pmlr.POLITENESS
    assert pmlr.VENUES == {"icml": "ICML"}
    assert pmlr.volume("ICML", 2019) == 97
    assert pmlr.volume("icml", 2013) == 28
    assert pmlr.volume("icml", 2025) == 267
    assert pmlr.listing_url("icml", 2024) == f"{BASE}/v235/"
    assert list(pmlr.years("icml", last=2015)) == [2013, 2014, 2015]
    assert max(pmlr.years("icml", last=2100)) == max(pmlr.VOLUMES["icml"])  # only known volumes
    volumes = list(pmlr.VOLUMES["icml"].values())
    assert volumes == sorted(volumes) and len(set(volumes)) == len(volumes)


def test_unknown_year_and_venue_say_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"no PMLR volume known for ICML 2012 .*add it to VOLUMES"):
        pmlr.volume("icml", 2012)
    with pytest.raises(ValueError, match="unknown PMLR venue 'neurips'"):
        pmlr.listing_url("neurips", 2019)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Code", True),
        ("Software", True),
        ("Source code", True),
        ("GitHub", True),
        ("Code and data", True),
        ("Implementation", True),
        ("Paper Source Files", False),  # the LaTeX source
        ("Supplementary PDF", False),
        ("Video", False),
        ("Decoder details", False),  # "code" inside a word is not a label for code
    ],
)
def test_is_code_label(label: str, code: bool) -> None:
    assert pmlr.is_code_label(label) is code


def test_code_urls_dedupes_repeats_and_keeps_first_form() -> None:
    links = [
        ("abs", f"{BASE}/v97/x19a.html"),
        ("Download PDF", "https://github.com/someone/paper-pdfs/raw/main/x.pdf"),  # standard link
        ("Code", "https://github.com/gaberg/ares-sde"),
        ("Code", "https://github.com/gaberg/ares-sde"),
        ("Source code", "http://github.com/gaberg/ares-sde/tree/master/"),  # same repository
        ("Project page", "https://gitlab.com/lab/tool"),  # code host, any label
        ("Website", "https://lab.example.org/tool"),
        ("Software", "https://example.org/tool-1.0.zip"),
    ]
    assert pmlr.code_urls(links) == (
        "https://github.com/gaberg/ares-sde",
        "https://gitlab.com/lab/tool",
        "https://example.org/tool-1.0.zip",
    )


# ----------------------------------------------------------------------------- parsing


def test_parse_2019_volume_extras_code_and_supplements() -> None:
    listing = pmlr.parse_volume(fixture("v97.html"), f"{BASE}/v97/", "icml", 2019)

    assert [p.native_id for p in listing.papers] == [
        "aberg19a",
        "baptiste19a",
        "chen19c",
        "dunn19a",
    ]
    assert listing.skipped == 1  # the entry with neither title nor links
    first = listing.papers[0]
    assert first.paper_id == "icml:2019:aberg19a"
    assert (first.venue, first.year, first.source) == ("icml", 2019, "pmlr")
    assert first.title == "Adversarial Regression for Stochastic Differential Equations"
    assert first.authors == ("Greta Aberg", "Pavel Wenzel", "Michael A. Ostrow")
    assert first.page_url == f"{BASE}/v97/aberg19a.html"
    assert first.pdf_url == "http://proceedings.mlr.press/v97/aberg19a/aberg19a.pdf"  # as linked
    assert first.supp_url == "http://proceedings.mlr.press/v97/aberg19a/aberg19a-supp.pdf"
    assert first.code_urls == ("https://github.com/gaberg/ares-sde",)  # listed twice on the page

    by_id = {p.native_id: p for p in listing.papers}
    assert by_id["baptiste19a"].code_urls == ()
    assert by_id["chen19c"].authors[-1] == "François-Xavier Briol"
    assert by_id["chen19c"].code_urls == ("https://github.com/wchen/stein-mcmc/tree/master",)
    assert by_id["dunn19a"].code_urls == ("https://www.github.com/kdunn/mf-bo",)
    assert by_id["dunn19a"].supp_url is not None and by_id["dunn19a"].supp_url.endswith(".zip")


def test_parse_2025_volume_software_openreview_arxiv_and_github_pdfs() -> None:
    listing = pmlr.parse_volume(fixture("v267.html"), f"{BASE}/v267/", "icml", 2025)

    assert listing.skipped == 0
    first, second, third = listing.papers
    assert first.native_id == "aaltonen25a"
    assert first.pdf_url == (
        "https://raw.githubusercontent.com/mlresearch/v267/main/assets/aaltonen25a/aaltonen25a.pdf"
    )
    assert first.openreview_id == "zL6kQvPzZa"
    assert first.code_urls == ("https://github.com/fbonetti/private-median",)
    assert second.code_urls == ()  # video and supplement are not code
    assert second.arxiv_id == "2502.01234"  # version dropped
    assert second.supp_url == (
        "https://raw.githubusercontent.com/mlresearch/v267/main/assets/bauer25b/bauer25b.zip"
    )
    assert third.authors == ("Inês Costa",)
    # Software and a "Code" extra naming the same repository (with .git) count once
    assert third.code_urls == ("https://gitlab.com/icosta/repro-audit",)


def test_parse_2013_older_paper_list_variant() -> None:
    listing = pmlr.parse_volume(fixture("v28_paper_list.html"), f"{BASE}/v28/", "icml", 2013)

    assert [p.native_id for p in listing.papers] == ["kumar13", "lopez13a", "mori13"]
    kumar, lopez, mori = listing.papers
    assert kumar.authors == ("Anil Kumar", "Nora Feld")
    assert kumar.pdf_url == "http://proceedings.mlr.press/v28/kumar13.pdf"
    assert kumar.supp_url == "http://proceedings.mlr.press/v28/kumar13-supp.pdf"
    assert lopez.authors == ("Marta López",)
    assert lopez.code_urls == ("http://mloss.org/software/view/999/",)
    assert mori.code_urls == ("https://bitbucket.org/kmori/spectral-hmm",)


def test_parse_resolves_relative_links_against_the_requested_page() -> None:
    page = """<div class="paper"><p class="title">A Title</p>
      <p class="details"><span class="authors">Ann Lee,&nbsp;Bo Chen</span>;</p>
      <p class="links">[<a href="x24a.html">abs</a>][<a href="x24a/x24a.pdf">Download PDF</a>]
      [<a href="https://openreview.net/forum?id=">OpenReview</a>]</p></div>
      <div class="paper"><p class="title">Only a PDF</p>
      <p class="links">[<a href="/v235/y24b/y24b.pdf">Download PDF</a>]</p></div>"""
    listing = pmlr.parse_volume(page, f"{BASE}/v235/", "icml", 2024)
    x, y = listing.papers
    assert x.page_url == f"{BASE}/v235/x24a.html"
    assert x.pdf_url == f"{BASE}/v235/x24a/x24a.pdf"
    assert x.openreview_id is None  # an empty id is no id
    assert y.native_id == "y24b" and y.page_url is None  # id from the PDF when abs is missing


def test_parse_page_without_entries_is_empty() -> None:
    listing = pmlr.parse_volume(fixture("v306_empty.html"), f"{BASE}/v306/", "icml", 2026)
    assert listing == pmlr.Listing(papers=[], skipped=0)


# ----------------------------------------------------------------------------- fetching


def test_fetch_reads_the_volume_page() -> None:
    client = FakeClient({f"{BASE}/v97/": fixture("v97.html")})
    papers = pmlr.fetch_papers(client, "icml", 2019)
    assert len(papers) == 4
    assert client.calls == [f"{BASE}/v97/"]


def test_fetch_logs_skipped_entries(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient({f"{BASE}/v97/": fixture("v97.html")})
    with caplog.at_level(logging.WARNING, logger="scraper.sources.pmlr"):
        pmlr.fetch_papers(client, "icml", 2019)
    assert any("skipped 1 malformed entries" in r.getMessage() for r in caplog.records)


def test_fetch_unpublished_volume_is_a_fetch_error() -> None:
    with pytest.raises(FetchError) as info:
        pmlr.fetch_papers(FakeClient({}), "icml", 2026)
    assert info.value.status == 404 and info.value.url == f"{BASE}/v306/"


def test_fetch_page_without_papers_is_a_parse_error() -> None:
    client = FakeClient({f"{BASE}/v306/": fixture("v306_empty.html")})
    with pytest.raises(ParseError, match=r"no papers found for ICML 2026 \(PMLR volume 306\)"):
        pmlr.fetch_papers(client, "icml", 2026)


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    down = NetworkError(f"{BASE}/v97/", "proceedings.mlr.press", "connection refused")
    with pytest.raises(NetworkError):
        pmlr.fetch_papers(FakeClient({f"{BASE}/v97/": down}), "icml", 2019)
