"""ACL Anthology: collection ids, volume tracks for old- and new-style files, paper records,
code links (pwccode and software attachments), Findings, and the fetch errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import ConfigError, FetchError, NetworkError, ParseError
from scraper.sources import acl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "acl"
RAW = "https://raw.githubusercontent.com/acl-org/acl-anthology/master/data/xml"
SITE = "https://aclanthology.org"


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
        return FakeResponse(value, url)


def parse(name: str, venue: str, year: int, **kw: object) -> acl.ParsedCollection:
    return acl.parse_collection(fixture(name), f"{RAW}/{name}", venue, year, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- ids and URLs


@pytest.mark.parametrize(
    ("venue", "year", "expected"),
    [
        ("acl", 2019, "P19"),
        ("emnlp", 2019, "D19"),
        ("naacl", 2019, "N19"),
        ("eacl", 2017, "E17"),
        ("coling", 2018, "C18"),
        ("acl", 2015, "P15"),
        ("acl", 2020, "2020.acl"),
        ("EMNLP", 2020, "2020.emnlp"),
        ("naacl", 2022, "2022.naacl"),
        ("eacl", 2023, "2023.eacl"),
        ("coling", 2022, "2022.coling"),
        ("coling", 2024, "2024.lrec"),
    ],
)
def test_collection_id(venue: str, year: int, expected: str) -> None:
    assert acl.collection_id(venue, year) == expected


def test_urls() -> None:
    assert acl.collection_url("2022.acl") == f"{RAW}/2022.acl.xml"
    assert acl.listing_url("acl", 2019) == f"{RAW}/P19.xml"
    assert acl.paper_urls("P19-1002") == (f"{SITE}/P19-1002/", f"{SITE}/P19-1002.pdf")


def test_years_and_findings_volumes() -> None:
    assert list(acl.years("naacl", last=2017)) == [2015, 2016, 2017]
    assert acl.findings_volume("emnlp", 2020) == "emnlp"
    assert acl.findings_volume("acl", 2019) is None
    assert acl.findings_volume("coling", 2022) is None


def test_unknown_venue_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown ACL Anthology venue 'icml'"):
        acl.collection_id("icml", 2022)


@pytest.mark.parametrize(
    ("collection", "volume", "number", "url_text", "expected"),
    [
        ("P19", "1", "2", "", "P19-1002"),
        ("P19", "1", "2", "P19-1002", "P19-1002"),
        ("D19", "55", "1", "", "D19-5501"),
        ("2022.acl", "long", "1", "", "2022.acl-long.1"),
        ("2022.coling", "1", "7", "2022.coling-1.7", "2022.coling-1.7"),
        ("E17", "1", "3", "http://www.aclweb.org/anthology/E17-1003", "E17-1003"),
        ("E17", "x", "3", "", None),
    ],
)
def test_anthology_paper_id(
    collection: str, volume: str, number: str, url_text: str, expected: str | None
) -> None:
    assert acl.anthology_paper_id(collection, volume, number, url_text) == expected


@pytest.mark.parametrize(
    ("volume", "booktitle", "expected"),
    [
        ("long", "", "long"),
        ("demos", "", "demo"),
        ("1", "Proceedings of the 57th Annual Meeting of the ACL", "main"),
        ("1", "Proceedings of NAACL-HLT 2019, Volume 1 (Long and Short Papers)", "main"),
        ("2", "Proceedings of NAACL-HLT 2019, Volume 2 (Industry Papers)", "industry"),
        ("1", "Proceedings of EACL 2017: Volume 1, Long Papers", "long"),
        ("2", "Proceedings of EACL 2017: Volume 2, Short Papers", "short"),
        ("3", "Proceedings of the Software Demonstrations of EACL 2017", "demo"),
        ("4", "Proceedings of the Student Research Workshop at EACL 2017", "srw"),
        ("5", "Proceedings of ACL 2019: Tutorial Abstracts", "tutorials"),
        ("55", "Proceedings of the 5th Workshop on Noisy User-generated Text", "workshop"),
        ("60", "Proceedings of FEVER", "workshop"),
    ],
)
def test_volume_track(volume: str, booktitle: str, expected: str) -> None:
    assert acl.volume_track(volume, booktitle) == expected


# ----------------------------------------------------------------------------- parsing


def test_parse_old_style_p19() -> None:
    result = parse("P19.xml", "acl", 2019)
    assert result.collection == "P19"
    assert result.volumes == {"1": "main"}  # SRW, demos and tutorials left out
    assert result.removed == 1 and result.skipped == 0
    ids = [p.native_id for p in result.papers]
    assert ids == ["P19-1003", "P19-1002", "P19-1004", "P19-1005"]
    rewriter = result.papers[0]
    assert rewriter.paper_id == "acl:2019:P19-1003"
    assert rewriter.title == "Improving Multi-turn Dialogue Modelling with Utterance ReWriter"
    assert rewriter.authors == ("Hui Su", "Xiaoyu Shen", "Lluís Màrquez")  # not the variant
    assert rewriter.abstract is not None and "\n" not in rewriter.abstract
    assert rewriter.abstract.startswith("Recent research has achieved impressive results")
    assert (rewriter.track, rewriter.source, rewriter.status) == ("main", "acl", None)
    assert rewriter.page_url == f"{SITE}/P19-1003/"
    assert rewriter.pdf_url == f"{SITE}/P19-1003.pdf"
    assert rewriter.code_urls == ()  # datasets only
    by_id = {p.native_id: p for p in result.papers}
    assert by_id["P19-1002"].code_urls == ("https://github.com/lizekang/ITDD",)
    assert by_id["P19-1002"].supp_url == f"{SITE}/attachments/P19-1002.Supplementary.pdf"
    assert rewriter.supp_url is None
    assert by_id["P19-1004"].code_urls == (
        "https://github.com/chinnadhurai/ParlAI",
        f"{SITE}/attachments/P19-1004.Software.zip",  # the poster attachment is not code
    )
    assert by_id["P19-1005"].code_urls == ()  # url="" additional="true": community code only
    assert by_id["P19-1005"].abstract is None


def test_parse_old_style_workshop_volumes_and_odd_names() -> None:
    result = parse("D19.xml", "emnlp", 2019)
    assert result.volumes == {"1": "main"}
    learning = result.papers[1]
    assert learning.native_id == "D19-1010"
    assert learning.title == r"Learning k-Sparse Mappings with \ell_1 Penalties"
    assert learning.authors == ("Mausam", "Sumit")  # no first name, empty first name


def test_parse_long_and_short_volumes_e17() -> None:
    result = parse("E17.xml", "eacl", 2017)
    assert result.volumes == {"1": "long", "2": "short"}
    assert [(p.native_id, p.track) for p in result.papers] == [
        ("E17-1001", "long"),
        ("E17-1002", "long"),
        ("E17-2001", "short"),
    ]


def test_parse_new_style_2022_acl() -> None:
    result = parse("2022.acl.xml", "acl", 2022)
    assert result.volumes == {"long": "long", "short": "short"}
    assert result.skipped == 1  # the paper with an empty title
    by_id = {p.native_id: p for p in result.papers}
    assert list(by_id) == ["2022.acl-long.1", "2022.acl-long.3", "2022.acl-short.1"]
    adapler = by_id["2022.acl-long.1"]
    assert adapler.paper_id == "acl:2022:2022.acl-long.1"
    assert adapler.title == "AdapLeR: Speeding up Inference by Adaptive Length Reduction"
    assert adapler.authors[-1] == "Mohammad Taher Pilehvar"
    assert adapler.abstract is not None
    assert adapler.abstract.endswith("freely available at https://github.com/amodaresi/AdapLeR.")
    assert adapler.code_urls == (
        "https://github.com/amodaresi/adapler",
        f"{SITE}/attachments/2022.acl-long.1.software.zip",
    )
    assert adapler.pdf_url == f"{SITE}/2022.acl-long.1.pdf"
    retracted = by_id["2022.acl-long.3"]
    assert retracted.status == "retracted"
    assert retracted.code_urls == ()  # a dataset attachment is not code
    bitfit = by_id["2022.acl-short.1"]
    assert bitfit.track == "short"
    assert bitfit.authors[0] == "Elad Ben Zaken"


def test_parse_can_include_demos() -> None:
    result = parse("2022.acl.xml", "acl", 2022, tracks={"long", "demo"})
    assert result.volumes == {"long": "long", "demo": "demo"}
    demo = result.papers[-1]
    assert (demo.native_id, demo.track) == ("2022.acl-demo.1", "demo")
    assert demo.code_urls == (f"{SITE}/attachments/2022.acl-demo.1.Software.zip",)


def test_parse_findings_volume_of_one_venue() -> None:
    result = parse("2022.findings.xml", "acl", 2022, volume="acl")
    assert result.volumes == {"acl": "findings"}
    assert [p.native_id for p in result.papers] == ["2022.findings-acl.1", "2022.findings-acl.2"]
    first = result.papers[0]
    assert first.venue == "acl" and first.track == "findings"
    assert first.title.startswith("“Is Whole Word Masking Always Better for Chinese BERT?”")
    naacl = parse("2022.findings.xml", "naacl", 2022, volume="naacl")
    assert [p.native_id for p in naacl.papers] == ["2022.findings-naacl.1"]


def test_parse_coling_2022_numbered_main_volume() -> None:
    result = parse("2022.coling.xml", "coling", 2022)
    assert result.volumes == {"1": "main"}
    assert [p.native_id for p in result.papers] == ["2022.coling-1.1", "2022.coling-1.2"]


def test_parse_2023_layout_with_affiliations_awards_and_markup() -> None:
    result = parse("2023.eacl.xml", "eacl", 2023)
    assert result.volumes == {"main": "main"}
    (pcc,) = result.papers
    assert pcc.native_id == "2023.eacl-main.5"
    assert pcc.authors == ("Hongyuan Lu", "Wai Lam")  # affiliations are not part of names
    assert pcc.abstract is not None and pcc.abstract.startswith(
        "This paper presents PCC: Paraphrasing with Bottom-k Sampling and Cyclic Learning"
    )


def test_parse_refuses_doctype_and_entities() -> None:
    with pytest.raises(ParseError, match="DOCTYPE or entities"):
        parse("doctype.xml", "acl", 2019)


def test_parse_rejects_broken_and_foreign_xml() -> None:
    with pytest.raises(ParseError, match="not well-formed XML"):
        acl.parse_collection(fixture("P19.xml")[:900], "u", "acl", 2019)
    with pytest.raises(ParseError, match="not an ACL Anthology collection"):
        acl.parse_collection(b"<html><body/></html>", "u", "acl", 2019)


# ----------------------------------------------------------------------------- fetching


def test_fetch_old_style_year_reads_one_file() -> None:
    client = FakeClient({f"{RAW}/P19.xml": fixture("P19.xml")})
    papers = acl.fetch_papers(client, "acl", 2019)
    assert len(papers) == 4
    assert client.calls == [f"{RAW}/P19.xml"]  # no Findings before 2020


def test_fetch_adds_the_venue_findings_volume() -> None:
    client = FakeClient(
        {
            f"{RAW}/2022.acl.xml": fixture("2022.acl.xml"),
            f"{RAW}/2022.findings.xml": fixture("2022.findings.xml"),
        }
    )
    papers = acl.fetch_papers(client, "acl", 2022)
    assert [p.track for p in papers] == ["long", "long", "short", "findings", "findings"]
    assert client.calls == [f"{RAW}/2022.acl.xml", f"{RAW}/2022.findings.xml"]


def test_fetch_without_findings_track_does_not_ask_for_them() -> None:
    client = FakeClient({f"{RAW}/2022.acl.xml": fixture("2022.acl.xml")})
    papers = acl.fetch_papers(client, "acl", 2022, tracks={"long", "short"})
    assert len(papers) == 3
    assert client.calls == [f"{RAW}/2022.acl.xml"]


def test_fetch_missing_findings_file_is_not_an_error() -> None:
    client = FakeClient({f"{RAW}/2020.acl.xml": fixture("2020.acl.xml")})  # findings: 404
    papers = acl.fetch_papers(client, "acl", 2020)
    assert [p.native_id for p in papers] == ["2020.acl-main.1"]
    assert client.calls[-1] == f"{RAW}/2020.findings.xml"


def test_fetch_findings_server_error_is_not_hidden() -> None:
    broken = FetchError(f"{RAW}/2022.findings.xml", 503, "Service Unavailable")
    client = FakeClient({f"{RAW}/2022.acl.xml": fixture("2022.acl.xml"), broken.url: broken})
    with pytest.raises(FetchError) as info:
        acl.fetch_papers(client, "acl", 2022)
    assert info.value.status == 503


def test_fetch_year_without_an_edition_says_so() -> None:
    with pytest.raises(FetchError, match=r"NAACL was not held in 2023 \(editions since 2015"):
        acl.fetch_papers(FakeClient({}), "naacl", 2023)
    with pytest.raises(FetchError, match=r"no collection 2031\.emnlp for EMNLP 2031") as info:
        acl.fetch_papers(FakeClient({}), "emnlp", 2031)
    assert info.value.status == 404 and info.value.url == f"{RAW}/2031.emnlp.xml"


def test_fetch_collection_without_kept_papers_is_a_parse_error() -> None:
    only_demos = fixture("2020.acl.xml").replace(b'volume id="main"', b'volume id="demos2"')
    only_demos = only_demos.replace(
        b"Linguistics</booktitle>", b"Linguistics: System Demonstrations</booktitle>", 1
    )
    client = FakeClient({f"{RAW}/2020.acl.xml": only_demos})
    with pytest.raises(ParseError, match="no papers found for ACL 2020"):
        acl.fetch_papers(client, "acl", 2020)


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    down = NetworkError(f"{RAW}/P19.xml", "raw.githubusercontent.com", "connection refused")
    with pytest.raises(NetworkError):
        acl.fetch_papers(FakeClient({f"{RAW}/P19.xml": down}), "acl", 2019)
