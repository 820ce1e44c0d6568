"""NeurIPS proceedings: every listing layout, file-name eras, tracks, and the fetch paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.sources import neurips

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "neurips"
BASE = "https://proceedings.neurips.cc"
DB = "https://datasets-benchmarks-proceedings.neurips.cc"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeResponse:
    content: bytes
    url: str
    status_code: int = 200

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


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
        # what a rewriting client reports: a local address, never to be used for links
        return FakeResponse(value, "http://127.0.0.1:8765/rewritten")


def year_url(year: int) -> str:
    return f"{BASE}/paper_files/paper/{year}"


# ----------------------------------------------------------------------------- URLs and names


def test_module_contract() -> None:
    assert neurips.NAME == "neurips" and neurips.KIND == "venue"
    assert neurips.VENUES == {"neurips": "NeurIPS"}
    assert neurips.POLITENESS
    assert neurips.listing_url("NeurIPS", 2024) == f"{BASE}/paper_files/paper/2024"
    assert list(neurips.years("neurips", last=2017)) == [2015, 2016, 2017]
    assert 2024 in neurips.years("neurips")
    with pytest.raises(ValueError, match="unknown NeurIPS venue 'icml'"):
        neurips.listing_url("icml", 2024)


@pytest.mark.parametrize(
    ("page", "pdf"),
    [
        (
            f"{BASE}/paper_files/paper/2019/hash/{'a' * 32}-Abstract.html",
            f"{BASE}/paper_files/paper/2019/file/{'a' * 32}-Paper.pdf",
        ),
        (
            f"{BASE}/paper_files/paper/2023/hash/{'b' * 32}-Abstract-Conference.html",
            f"{BASE}/paper_files/paper/2023/file/{'b' * 32}-Paper-Conference.pdf",
        ),
        (
            f"{BASE}/paper_files/paper/2022/hash/{'c' * 32}-Abstract-Datasets_and_Benchmarks.html",
            f"{BASE}/paper_files/paper/2022/file/{'c' * 32}-Paper-Datasets_and_Benchmarks.pdf",
        ),
        (
            f"{BASE}/paper_files/paper/2024/hash/{'d' * 32}"
            "-Abstract-Datasets_and_Benchmarks_Track.html",
            f"{BASE}/paper_files/paper/2024/file/{'d' * 32}"
            "-Paper-Datasets_and_Benchmarks_Track.pdf",
        ),
        (
            f"{DB}/paper_files/paper/2021/hash/{'e' * 32}-Abstract-round2.html",
            f"{DB}/paper_files/paper/2021/file/{'e' * 32}-Paper-round2.pdf",
        ),
        (
            f"https://papers.nips.cc/paper/2020/hash/{'f' * 32}-Abstract.html",
            f"https://papers.nips.cc/paper/2020/file/{'f' * 32}-Paper.pdf",
        ),
        (f"{BASE}/paper_files/paper/2024/hash/abc-Abstract.html", None),  # not a 32-hex hash
        ("https://papers.nips.cc/paper/7286-some-old-slug", None),  # the pre-2020 site
    ],
)
def test_pdf_url_is_derived_from_the_page_link(page: str, pdf: str | None) -> None:
    assert neurips.pdf_url_for(page) == pdf


@pytest.mark.parametrize(
    ("token", "track"),
    [
        (None, "main"),
        ("Conference", "main"),
        ("none", "main"),
        ("Datasets_and_Benchmarks", "datasets_and_benchmarks"),
        ("Datasets_and_Benchmarks_Track", "datasets_and_benchmarks"),
        ("round1", "datasets_and_benchmarks"),
        ("Position_Paper_Track", "position"),
        ("Creative_AI_Track", "creative_ai"),
        ("Journal_Track", "journal_track"),  # a new track is kept apart, never taken for main
    ],
)
def test_track_of(token: str | None, track: str) -> None:
    assert neurips.track_of(token) == track


# ----------------------------------------------------------------------------- parsing


def test_parse_token_less_year_modern_theme() -> None:
    listing = neurips.parse_listing(fixture("year_2019.html"), year_url(2019), 2019)

    assert [p.title for p in listing.papers] == [
        "Sparse Coding with Learned Dictionaries for Audio",
        "Bandits with Delayed Feedback: A Tighter Analysis",
        "On the Convergence of Adam-Type Methods",  # whitespace collapsed
    ]
    assert listing.skipped == 2  # the entry without a link target, the one filed under 2018
    assert listing.stated == 1428 and listing.see_also == []
    first = listing.papers[0]
    assert first.native_id == "5da5ccd1a14e31a6eecfb575a5f26430"
    assert first.paper_id == "neurips:2019:5da5ccd1a14e31a6eecfb575a5f26430"
    assert (first.venue, first.year, first.source, first.track) == (
        "neurips",
        2019,
        "neurips",
        "main",
    )
    assert first.authors == ("Maria Schöne", "Luis Peña", "Chen Wei")
    assert first.page_url == (
        f"{BASE}/paper_files/paper/2019/hash/5da5ccd1a14e31a6eecfb575a5f26430-Abstract.html"
    )
    assert first.pdf_url == (
        f"{BASE}/paper_files/paper/2019/file/5da5ccd1a14e31a6eecfb575a5f26430-Paper.pdf"
    )
    assert first.code_urls == () and first.arxiv_id is None
    assert listing.papers[2].authors == ("Priya Raman", "Tomás Ortega", "Ana Lima", "Jun Park")


def test_parse_2024_tracks_from_file_names_and_double_escaped_text() -> None:
    listing = neurips.parse_listing(fixture("year_2024.html"), year_url(2024), 2024)

    assert [p.track for p in listing.papers] == [
        "main",
        "main",
        "datasets_and_benchmarks",
        "datasets_and_benchmarks",
    ]
    main, escaped, bench, _ = listing.papers
    assert main.native_id == "b64a6137de5e0a0d4a21cd6a42128d63"  # main papers: the bare hash
    assert main.pdf_url is not None and main.pdf_url.endswith(
        "/2024/file/b64a6137de5e0a0d4a21cd6a42128d63-Paper-Conference.pdf"
    )
    assert escaped.title == "Scaling Laws for Sparse Mixture-of-Experts & Dense Models"
    assert escaped.authors == ("Yuki Tanaka", 'Robert "Bob" Miller')
    assert bench.native_id == "caa40ccb04ee6523aaf4692401105af3-Datasets_and_Benchmarks_Track"
    assert bench.pdf_url == (
        f"{BASE}/paper_files/paper/2024/file/"
        "caa40ccb04ee6523aaf4692401105af3-Paper-Datasets_and_Benchmarks_Track.pdf"
    )
    assert bench.authors == ("Laura Fischer", "Tiago Santos", "Mei Lin")


def test_parse_2022_classic_theme_with_italic_authors() -> None:
    listing = neurips.parse_listing(fixture("year_2022_classic.html"), year_url(2022), 2022)

    assert [(p.track, p.authors) for p in listing.papers] == [
        ("main", ("Daniel Novak", "Aisha Bello")),
        ("main", ("Marco Rossi", "Eva Lindqvist", "Kofi Boateng")),
        ("datasets_and_benchmarks", ("Sara Haddad", "Jonas Berg")),
    ]
    bench = listing.papers[2]
    assert bench.native_id == "0be5469d4c7d7609028c5b4e9d42d7b2-Datasets_and_Benchmarks"
    assert bench.pdf_url is not None and bench.pdf_url.endswith(
        "-Paper-Datasets_and_Benchmarks.pdf"
    )
    assert listing.skipped == 0  # the navigation items before the list are not entries


def test_parse_2025_year_page_points_to_the_main_volume() -> None:
    listing = neurips.parse_listing(fixture("year_2025.html"), year_url(2025), 2025)

    assert {p.track for p in listing.papers} == {"creative_ai"}
    assert listing.see_also == [f"{BASE}/paper_files/paper/2025/vol38-main-conference"]
    assert listing.papers[0].native_id == "bd88099825308ef490658024e31f6cf9-Creative_AI_Track"


def test_parse_2025_main_volume_keeps_same_hash_papers_of_two_tracks() -> None:
    url = f"{BASE}/paper_files/paper/2025/vol38-main-conference"
    listing = neurips.parse_listing(fixture("year_2025_vol38_main.html"), url, 2025)

    assert [p.track for p in listing.papers] == [
        "main",
        "main",
        "position",
        "datasets_and_benchmarks",
        "datasets_and_benchmarks",
    ]
    ids = [p.native_id for p in listing.papers]
    assert "c56b3c9ad847104895ab3be8cc117e44" in ids
    assert "c56b3c9ad847104895ab3be8cc117e44-Datasets_and_Benchmarks_Track" in ids
    assert listing.see_also == [year_url(2025)]  # the link back to the year page
    # relative links resolve against the page requested, not the year page
    assert listing.papers[2].page_url == (
        f"{BASE}/paper_files/paper/2025/hash/"
        "49e12597002d427611d033b4dadcb766-Abstract-Position_Paper_Track.html"
    )


def test_parse_2021_db_host_round_suffixes() -> None:
    url = f"{DB}/paper_files/paper/2021"
    listing = neurips.parse_listing(fixture("db_2021.html"), url, 2021)

    assert [p.native_id for p in listing.papers] == [
        "2a9d90a8b1711b6dfea4ccb791274c5f-round1",
        "7f4d46f0019f9c82f8fed6266ad722ca-round2",
        "7f4d46f0019f9c82f8fed6266ad722ca-round1",  # same hash, other round: another paper
    ]
    assert {p.track for p in listing.papers} == {"datasets_and_benchmarks"}
    assert listing.papers[0].page_url is not None
    assert listing.papers[0].page_url.startswith(f"{DB}/paper_files/paper/2021/hash/")
    assert listing.papers[1].authors == ("Jakub Nowak",)


def test_parse_2020_papers_nips_cc_listing_without_list_class() -> None:
    url = "https://papers.nips.cc/paper/2020"
    listing = neurips.parse_listing(fixture("paper_2020_papers_nips_cc.html"), url, 2020)

    assert [p.title for p in listing.papers] == [
        "Denoising Diffusion for Speech",
        "Graph Transformers Without Positional Encodings",
    ]
    assert listing.skipped == 0  # navigation items are not counted without a paper list
    assert listing.papers[0].pdf_url == (
        "https://papers.nips.cc/paper/2020/file/dff68e75c6b7a8614028c9481f7a73a6-Paper.pdf"
    )


def test_parse_page_without_a_list_is_empty() -> None:
    listing = neurips.parse_listing(fixture("maintenance.html"), year_url(2023), 2023)
    assert listing == neurips.Listing(papers=[], see_also=[], skipped=0, stated=None)


def test_see_also_ignores_other_years_hosts_and_file_links() -> None:
    page = f"""<p class="book-see-also">See also:
      <a href="/paper_files/paper/2024/vol37-main-conference">other year</a>
      <a href="https://example.org/paper_files/paper/2025/vol38-x">other host</a>
      <a href='/paper_files/paper/2025/vol38-position/'>same year</a>
      <a href="/paper_files/paper/2025/hash/{"a" * 32}-Abstract-Conference.html">a paper</a></p>
      <ul class="paper-list"></ul>"""
    listing = neurips.parse_listing(page, year_url(2025), 2025)
    assert listing.see_also == [f"{BASE}/paper_files/paper/2025/vol38-position"]


# ----------------------------------------------------------------------------- fetching


def test_fetch_reads_one_page_and_keeps_main_and_db_by_default() -> None:
    client = FakeClient({year_url(2024): fixture("year_2024.html")})
    papers = neurips.fetch_papers(client, "neurips", 2024)
    assert len(papers) == 4
    assert client.calls == [year_url(2024)]
    only_main = neurips.fetch_papers(client, "neurips", 2024, tracks={"main"})
    assert [p.track for p in only_main] == ["main", "main"]


def test_fetch_2025_follows_the_main_volume() -> None:
    volume = f"{BASE}/paper_files/paper/2025/vol38-main-conference"
    client = FakeClient(
        {year_url(2025): fixture("year_2025.html"), volume: fixture("year_2025_vol38_main.html")}
    )
    papers = neurips.fetch_papers(client, "neurips", 2025)

    assert sorted(p.track or "" for p in papers) == [
        "datasets_and_benchmarks",
        "datasets_and_benchmarks",
        "main",
        "main",
    ]
    assert client.calls == [year_url(2025), volume]  # the link back is not fetched again
    everything = neurips.fetch_papers(FakeClient(client.routes), "neurips", 2025, tracks=None)
    assert len(everything) == 7  # 2 Creative AI + 5 in the main volume
    assert {p.track for p in everything} == {
        "main",
        "datasets_and_benchmarks",
        "position",
        "creative_ai",
    }


def test_fetch_2025_without_the_volume_link_is_a_parse_error() -> None:
    # Only the Creative AI book is reachable: the main track must not vanish silently.
    page = fixture("year_2025.html").replace(
        b'href="/paper_files/paper/2025/vol38-main-conference"', b'href="/"'
    )
    client = FakeClient({year_url(2025): page})
    with pytest.raises(ParseError, match=r"lists 2 papers but none in the tracks") as info:
        neurips.fetch_papers(client, "neurips", 2025)
    assert "found: creative_ai" in str(info.value)
    assert info.value.url == year_url(2025)


def test_fetch_2021_adds_the_db_host() -> None:
    client = FakeClient(
        {
            year_url(2021): fixture("year_2021.html"),
            f"{DB}/paper_files/paper/2021": fixture("db_2021.html"),
        }
    )
    papers = neurips.fetch_papers(client, "neurips", 2021)
    assert [p.track for p in papers] == ["main", "main"] + ["datasets_and_benchmarks"] * 3
    assert client.calls == [year_url(2021), f"{DB}/paper_files/paper/2021"]

    main_only = FakeClient({year_url(2021): fixture("year_2021.html")})
    assert len(neurips.fetch_papers(main_only, "neurips", 2021, tracks=["main"])) == 2
    assert main_only.calls == [year_url(2021)]  # the D&B host is not asked


def test_fetch_2021_db_host_falls_back_to_its_older_path() -> None:
    client = FakeClient(
        {
            year_url(2021): fixture("year_2021.html"),
            f"{DB}/paper/2021": fixture("db_2021.html"),
        }
    )
    papers = neurips.fetch_papers(client, "neurips", 2021)
    assert len(papers) == 5
    assert client.calls[-2:] == [f"{DB}/paper_files/paper/2021", f"{DB}/paper/2021"]


def test_fetch_2021_db_host_missing_is_an_error_not_a_silent_gap() -> None:
    client = FakeClient({year_url(2021): fixture("year_2021.html")})
    with pytest.raises(FetchError) as info:
        neurips.fetch_papers(client, "neurips", 2021)
    assert info.value.status == 404 and info.value.url == f"{DB}/paper/2021"


def test_fetch_unpublished_year_is_a_fetch_error() -> None:
    with pytest.raises(FetchError) as info:
        neurips.fetch_papers(FakeClient({}), "neurips", 2031)
    assert info.value.status == 404 and info.value.url == year_url(2031)


def test_fetch_page_without_papers_is_a_parse_error() -> None:
    client = FakeClient({year_url(2023): fixture("maintenance.html")})
    with pytest.raises(ParseError, match="no papers found for NeurIPS 2023: the page layout"):
        neurips.fetch_papers(client, "neurips", 2023)


def test_fetch_logs_skipped_entries_and_a_short_list(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient({year_url(2019): fixture("year_2019.html")})
    with caplog.at_level(logging.WARNING, logger="scraper.sources.neurips"):
        papers = neurips.fetch_papers(client, "neurips", 2019)
    assert len(papers) == 3
    messages = [r.getMessage() for r in caplog.records]
    assert any("skipped 2 malformed entries" in m for m in messages)
    assert any("says 1428 papers but lists 5" in m for m in messages)


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    down = NetworkError(year_url(2024), "proceedings.neurips.cc", "connection refused")
    with pytest.raises(NetworkError):
        neurips.fetch_papers(FakeClient({year_url(2024): down}), "neurips", 2024)
