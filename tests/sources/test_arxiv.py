"""arXiv API: feed parsing (current and older layouts), code links, batching, errors, search."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.sources import arxiv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"
API = "https://export.arxiv.org/api/query"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeResponse:
    content: bytes
    url: str
    status_code: int = 200


@dataclass
class FakeClient:
    """Serves ``(status, body)`` by URL like HttpClient: statuses >= 400 not in
    ``allow_status`` raise FetchError; unknown URLs are a 404."""

    routes: dict[str, tuple[int, bytes] | Exception]
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
        value = self.routes.get(url, (404, b"Not Found"))
        if isinstance(value, Exception):
            raise value
        status, body = value
        if status >= 400 and status not in allow_status:
            raise FetchError(url, status, "error")
        return FakeResponse(body, url, status)


# ----------------------------------------------------------------------------- URLs


def test_id_list_url() -> None:
    assert arxiv.id_list_url(["1605.08386", "cs/0601001"]) == (
        f"{API}?id_list=1605.08386,cs/0601001&max_results=2"
    )


def test_title_query_url_searches_the_title_words_as_a_phrase() -> None:
    url = arxiv.title_query_url("Planning-Oriented Autonomous Driving: Zürich {Edition}")
    assert url == (
        f"{API}?search_query=ti:%22planning%20oriented%20autonomous%20driving%20zurich"
        "%20edition%22&start=0&max_results=10"
    )
    assert arxiv.title_query_url("  ?! ") is None


def test_clean_ids() -> None:
    good, bad = arxiv.clean_ids(
        ["2212.10156v2", "arXiv:1512.03385", "2212.10156", "cs/0112017v1", "", "n/a", "12345"]
    )
    assert good == ["2212.10156", "1512.03385", "cs/0112017"]
    assert bad == ["n/a", "12345"]


def test_years() -> None:
    assert arxiv.years("cvpr", last=1992) == range(1991, 1993)


# ----------------------------------------------------------------------------- parsing


def test_parse_current_feed() -> None:
    page = arxiv.parse_feed_page(fixture("id_list_batch.xml"))
    assert page.total_results == 6
    assert page.skipped == 1  # the entry without an arxiv.org/abs/ id
    ids = [e.arxiv_id for e in page.entries]
    assert ids == ["2212.10156", "1512.03385", "2304.02643", "2105.06810", "2010.11929"]
    uniad = page.entries[0]
    assert uniad.version == 2
    assert uniad.title == "Planning-oriented Autonomous Driving"
    assert uniad.comment == "CVPR 2023 award candidate. Code: https://github.com/OpenDriveLab/UniAD"
    assert uniad.summary.endswith("public at https://github.com/OpenDriveLab/UniAD.")
    assert uniad.pdf_url == "https://arxiv.org/pdf/2212.10156v2"
    assert uniad.links[0] == "https://arxiv.org/abs/2212.10156v2"
    assert uniad.authors[:2] == ("Yihan Hu", "Jiazhi Yang")
    assert uniad.primary_category == "cs.CV"
    assert uniad.published == "2022-12-20T18:59:06Z"
    noisy = page.entries[3]
    assert noisy.journal_ref == "Proceedings of EMNLP 2021"
    assert noisy.doi == "10.18653/v1/2021.emnlp-main.437"
    assert "https://doi.org/10.18653/v1/2021.emnlp-main.437" in noisy.links
    vit = page.entries[4]
    assert vit.title == (
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"
    )  # the line break inside the title is gone


def test_parse_older_feed_layout() -> None:
    attention, crf = arxiv.parse_feed(fixture("legacy_feed.xml"))
    assert (attention.arxiv_id, attention.version) == ("1706.03762", 7)
    assert attention.summary.startswith("The dominant sequence transduction models")
    assert "\n" not in attention.summary
    assert attention.comment == "15 pages, 5 figures"
    assert attention.primary_category == "cs.CL"
    assert attention.pdf_url == "http://arxiv.org/pdf/1706.03762v7"
    assert attention.authors == ("Ashish Vaswani", "Noam Shazeer")
    assert (crf.arxiv_id, crf.version) == ("cs/0112017", 1)
    assert crf.title == "A Conditional Random Field Approach"
    assert crf.journal_ref == "Proc. ICML 2001"


def test_parse_empty_feed() -> None:
    page = arxiv.parse_feed_page(fixture("title_search_empty.xml"))
    assert page.entries == [] and page.total_results == 0


def test_error_feed_raises_with_arxivs_message() -> None:
    with pytest.raises(FetchError, match="arXiv API error: max_results must be less than"):
        arxiv.parse_feed(fixture("error_max_results.xml"), "https://x")


def test_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not an Atom feed"):
        arxiv.parse_feed(fixture("unavailable.html"))
    with pytest.raises(ParseError, match="root element"):
        arxiv.parse_feed(b"<rss><channel/></rss>")


# ----------------------------------------------------------------------------- code links


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Accepted at CVPR 2023. Code: https://github.com/OpenDriveLab/UniAD",
            [("https://github.com/OpenDriveLab/UniAD", True)],
        ),
        ("Our code is available at github.com/me/mine.", [("github.com/me/mine", True)]),
        (
            "Our implementation is based on https://github.com/pytorch/fairseq.",
            [("https://github.com/pytorch/fairseq", None)],
        ),
        (
            "We build on https://github.com/facebookresearch/detectron2; code will be released"
            " at https://gitlab.com/lab/proj",
            [
                ("https://github.com/facebookresearch/detectron2", None),
                ("https://gitlab.com/lab/proj", True),
            ],
        ),
        (
            "Code and models: https://github.com/x/y and https://github.com/x/z",
            [("https://github.com/x/y", True), ("https://github.com/x/z", True)],
        ),
        ("12 pages. https://github.com/x/q", [("https://github.com/x/q", None)]),
        ("Project page: https://x.github.io/p", []),  # not a repository
        (
            "Code: https://github.com/a/b. See also https://github.com/a/b/tree/dev",
            [("https://github.com/a/b", True)],  # one record per repository
        ),
        (None, []),
    ],
)
def test_code_links(text: str | None, expected: list[tuple[str, bool | None]]) -> None:
    assert arxiv.code_links(text) == expected


def test_entry_records_from_comment_and_abstract() -> None:
    entries = arxiv.parse_feed(fixture("id_list_batch.xml"))
    by_id = {e.arxiv_id: arxiv.entry_records(e, "emnlp", 2021) for e in entries}
    uniad = by_id["2212.10156"]  # the same repository in comment and abstract: one record
    assert [(r.url, r.official) for r in uniad] == [("https://github.com/OpenDriveLab/UniAD", True)]
    assert uniad[0].source == "arxiv" and uniad[0].arxiv_id == "2212.10156"
    assert uniad[0].title == "Planning-oriented Autonomous Driving"
    assert (uniad[0].venue, uniad[0].year) == ("emnlp", 2021)
    assert by_id["1512.03385"] == []
    assert by_id["2304.02643"] == []  # only a project web page
    assert [(r.url, r.official) for r in by_id["2105.06810"]] == [
        ("https://gitlab.com/nlp-lab/noisy-ie", True),
        ("https://github.com/wzhouad/NLL-IE", None),
        ("https://github.com/huggingface/transformers", None),
    ]
    assert [(r.url, r.official) for r in by_id["2010.11929"]] == [
        ("https://github.com/google-research/vision_transformer", True)
    ]


# ----------------------------------------------------------------------------- fetching


def test_fetch_records_in_one_batch() -> None:
    ids = ["2212.10156", "1512.03385", "2304.02643", "2105.06810", "2010.11929", "0000.00000"]
    url = arxiv.id_list_url(ids)
    client = FakeClient({url: (200, fixture("id_list_batch.xml"))})
    records = arxiv.fetch_records(
        client, "CVPR", 2023, arxiv_ids=[*ids, "2212.10156v1", "not-an-id"]
    )
    assert client.calls == [url]  # duplicates and junk never reach the API
    assert [r.arxiv_id for r in records] == [
        "2212.10156",
        "2105.06810",
        "2105.06810",
        "2105.06810",
        "2010.11929",
    ]
    assert {r.venue for r in records} == {"cvpr"}


def test_fetch_asks_for_at_most_100_ids_at_a_time() -> None:
    ids = [f"2101.{n:05d}" for n in range(101)]
    first, second = arxiv.id_list_url(ids[:100]), arxiv.id_list_url(ids[100:])
    client = FakeClient(
        {first: (200, fixture("id_list_batch.xml")), second: (200, fixture("legacy_feed.xml"))}
    )
    entries = arxiv.fetch_entries(client, ids)
    assert client.calls == [first, second]
    assert first.endswith("&max_results=100") and second.endswith(
        "id_list=2101.00100&max_results=1"
    )
    assert len(entries) == 5 + 2


def test_fetch_drops_an_id_arxiv_rejects_and_asks_again() -> None:
    ids = ["1706.03762", "foo-bar/0601001", "cs/0112017"]
    client = FakeClient(
        {
            arxiv.id_list_url(ids): (400, fixture("error_bad_id.xml")),
            arxiv.id_list_url(["1706.03762", "cs/0112017"]): (200, fixture("legacy_feed.xml")),
        }
    )
    records = arxiv.fetch_records(client, "neurips", 2017, arxiv_ids=ids)
    assert len(client.calls) == 2
    assert [(r.url, r.official) for r in records] == [
        ("https://github.com/tensorflow/tensor2tensor", True)
    ]


def test_fetch_other_api_errors_carry_the_message_and_status() -> None:
    url = arxiv.id_list_url(["1706.03762"])
    client = FakeClient({url: (400, fixture("error_max_results.xml"))})
    with pytest.raises(FetchError, match="max_results must be less") as info:
        arxiv.fetch_entries(client, ["1706.03762"])
    assert info.value.status == 400 and info.value.url == url


def test_fetch_400_without_an_error_feed_is_an_error() -> None:
    url = arxiv.id_list_url(["1706.03762"])
    client = FakeClient({url: (400, fixture("title_search_empty.xml"))})
    with pytest.raises(FetchError, match="refused") as info:
        arxiv.fetch_entries(client, ["1706.03762"])
    assert info.value.status == 400


def test_fetch_passes_http_and_network_errors_through() -> None:
    url = arxiv.id_list_url(["1706.03762"])
    with pytest.raises(FetchError) as info:
        arxiv.fetch_entries(FakeClient({url: (503, b"")}), ["1706.03762"])
    assert info.value.status == 503
    down = NetworkError(url, "export.arxiv.org", "timed out")
    with pytest.raises(NetworkError):
        arxiv.fetch_entries(FakeClient({url: down}), ["1706.03762"])


def test_fetch_without_ids_makes_no_request() -> None:
    client = FakeClient({})
    assert arxiv.fetch_records(client, "iclr", 2020, arxiv_ids=[]) == []
    assert client.calls == []


# ----------------------------------------------------------------------------- title search


def test_search_title_picks_the_same_paper_not_the_similar_ones() -> None:
    title = "Planning-Oriented Autonomous Driving"
    url = arxiv.title_query_url(title)
    assert url is not None
    client = FakeClient({url: (200, fixture("title_search.xml"))})
    found = arxiv.search_title(client, title)
    assert found is not None and found.arxiv_id == "2212.10156"
    assert client.calls == [url]


def test_search_title_without_a_close_result() -> None:
    title = "Planning Oriented Driving Benchmarks"
    url = arxiv.title_query_url(title)
    assert url is not None
    client = FakeClient({url: (200, fixture("title_search.xml"))})
    assert arxiv.search_title(client, title) is None
    empty = arxiv.title_query_url("A title nobody wrote")
    assert empty is not None
    client = FakeClient({empty: (200, fixture("title_search_empty.xml"))})
    assert arxiv.search_title(client, "A title nobody wrote") is None


def test_search_title_error_feed() -> None:
    url = arxiv.title_query_url("x y")
    assert url is not None
    client = FakeClient({url: (400, fixture("error_max_results.xml"))})
    with pytest.raises(FetchError, match="arXiv API error") as info:
        arxiv.search_title(client, "x y")
    assert info.value.status == 400
