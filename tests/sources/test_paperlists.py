"""papercopilot/paperlists: URLs, cleaning of the messy code fields, status filtering, ids."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.links import normalize_repo_url
from scraper.sources import paperlists as pl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "paperlists"
RAW = "https://raw.githubusercontent.com/papercopilot/paperlists/main"


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
        return FakeResponse(value, url)


def parse(name: str, venue: str, year: int) -> pl.PaperlistsFile:
    return pl.parse_file(fixture(name), venue, year, pl.file_url(venue, year))


# ----------------------------------------------------------------------------- URLs and years


def test_file_url_maps_neurips_to_the_nips_directory() -> None:
    assert pl.file_url("neurips", 2018) == f"{RAW}/nips/nips2018.json"
    assert pl.file_url("NIPS", 2018) == f"{RAW}/nips/nips2018.json"
    assert pl.file_url("cvpr", 2019) == f"{RAW}/cvpr/cvpr2019.json"
    assert pl.file_url("coling", 2025) == f"{RAW}/coling/coling2025.json"


def test_unknown_venue_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown paperlists venue 'eacl'"):
        pl.file_url("eacl", 2024)


def test_years() -> None:
    assert list(pl.years("iccv", last=2019)) == [2013, 2015, 2017, 2019]
    assert list(pl.years("eccv", last=2024)) == [2018, 2020, 2022, 2024]
    assert list(pl.years("wacv", last=2021)) == [2020, 2021]
    assert pl.years("neurips", last=1990) == range(1987, 1991)
    assert list(pl.years("acl", last=2020)) == []


# ----------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "https://github.com/littlewhitesea/360PanT",
            ["https://github.com/littlewhitesea/360PanT"],
        ),
        # ICLR 2018 badge + Papers with Code community link (not the paper's code)
        (
            "[![github](/images/github_icon.svg) tkarras/progressive_growing_of_gans]"
            "(https://github.com/tkarras/progressive_growing_of_gans) + [![Papers with Code]"
            "(/images/pwc_icon.svg) 22 community implementations]"
            "(https://paperswithcode.com/paper/?openreview=Hk99zCeAb)",
            ["https://github.com/tkarras/progressive_growing_of_gans"],
        ),
        (
            "[![Papers with Code](/images/pwc_icon.svg) 3 community implementations]"
            "(https://paperswithcode.com/paper/?openreview=ByS1VpgRZ)",
            [],
        ),
        ("github.com/otkupjnoz/c2ae", ["https://github.com/otkupjnoz/c2ae"]),
        ("GitHub.com/JLiangLab/LeADER", ["https://github.com/JLiangLab/LeADER"]),
        ("https://www.github.com/yuntaeyang/TelME", ["https://github.com/yuntaeyang/TelME"]),
        ("http://github.com/somethingx1202/VADet", ["https://github.com/somethingx1202/VADet"]),
        (
            "https://github.com/microsoft/FLAML/tree/main/flaml/nlp/",
            ["https://github.com/microsoft/FLAML"],
        ),
        ("https://github.com/Alibaba-NLP/KB-NER/ITA", ["https://github.com/Alibaba-NLP/KB-NER"]),
        ("https://github.com/o/r.git", ["https://github.com/o/r"]),
        ("https://github.com/o/r#readme", ["https://github.com/o/r"]),
        (
            "https://github.com/Etdihatthoc/Multi-VSL WACV 2025",
            ["https://github.com/Etdihatthoc/Multi-VSL"],
        ),
        (
            "https://github.com/modestyachts/CIFAR-10;https://github.com/modestyachts/ImageNetV2",
            [
                "https://github.com/modestyachts/CIFAR-10",
                "https://github.com/modestyachts/ImageNetV2",
            ],
        ),
        (
            "https://github.com/a/one; https://github.com/a/two, https://github.com/a/one",
            ["https://github.com/a/one", "https://github.com/a/two"],
        ),
        ("(https://github.com/a/b).", ["https://github.com/a/b"]),
        (  # a PDF ligature inside the URL
            "https://github.com/Christina200/Online-LoRA-of\ufb01cial.git",
            ["https://github.com/Christina200/Online-LoRA-official"],
        ),
        ("https://gitlab.com/group/sub/proj/-/tree/main/x", ["https://gitlab.com/group/sub/proj"]),
        ("https://bitbucket.org/ws/repo/src/master/", ["https://bitbucket.org/ws/repo"]),
        ("sanketsans.github.io/wacv24", ["https://sanketsans.github.io/wacv24"]),
        ("https://Compvis.GitHub.io/Vunet", ["https://compvis.github.io/Vunet"]),
        ("https://arxiv.org/abs/1708.02105", []),
        ("PAANTH", []),
        ("", []),
        (None, []),
        (["github.com/a/b", "https://github.com/a/b"], ["https://github.com/a/b"]),
    ],
)
def test_clean_code_field(value: object, expected: list[str]) -> None:
    assert pl.clean_code_field(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Lijun Zhang; Zhi-Hua Zhou", ("Lijun Zhang", "Zhi-Hua Zhou")),
        ("Bin Yan;  Haojie Zhao;  Dong Wang", ("Bin Yan", "Haojie Zhao", "Dong Wang")),
        ("Mo Yu;Xiaoxiao Guo", ("Mo Yu", "Xiaoxiao Guo")),
        (
            "Sara Sabour;\u00a0Nicholas Frosst ; G Hinton",
            ("Sara Sabour", "Nicholas Frosst", "G Hinton"),
        ),
        ("Scott M Lundberg, Su-In Lee", ("Scott M Lundberg", "Su-In Lee")),
        ("Yoshua Bengio", ("Yoshua Bengio",)),
        ("", ()),
        (None, ()),
    ],
)
def test_split_authors(value: object, expected: tuple[str, ...]) -> None:
    assert pl.split_authors(value) == expected


def test_title_hash_is_stable_and_ignores_formatting() -> None:
    a = pl.title_hash("Deep Residual Learning for Image Recognition")
    assert a == pl.title_hash("Deep residual learning for image recognition.")
    assert a != pl.title_hash("Deep Residual Learning for Image Segmentation")
    assert a.startswith("t") and len(a) == 11


# ----------------------------------------------------------------------------- parsing


def test_iclr_keeps_accepted_papers_only() -> None:
    parsed = parse("iclr2018.json", "iclr", 2018)
    assert parsed.total == 9
    assert parsed.skipped == 1  # the entry with an empty title
    # Withdraw, Reject, Active (under review), Workshop (invited to the workshop track),
    # and an OpenReview record with no status at all
    assert parsed.not_accepted == 5
    assert [(p.native_id, p.status) for p in parsed.papers] == [
        ("Hk99zCeAb", "Oral"),
        ("rJXMpikCZ", "Poster"),
        ("ByS1VpgRZ", "Poster"),
    ]
    gan = parsed.papers[0]
    assert gan.paper_id == "iclr:2018:Hk99zCeAb"
    assert gan.source == "paperlists" and gan.track == "main"
    assert gan.openreview_id == "Hk99zCeAb"
    assert gan.page_url == "https://openreview.net/forum?id=Hk99zCeAb"
    assert gan.authors == ("Tero Karras", "Timo Aila", "Samuli Laine", "Jaakko Lehtinen")
    assert gan.code_urls == ("https://github.com/tkarras/progressive_growing_of_gans",)
    assert parsed.papers[1].authors[0] == "Petar Veličković"
    assert parsed.papers[2].code_urls == ()  # only a community-implementations badge

    # records only for accepted papers: the rejected paper's repository is not reported
    assert [(r.url, r.native_id) for r in parsed.records] == [
        ("https://github.com/tkarras/progressive_growing_of_gans", "Hk99zCeAb"),
        ("https://github.com/PetarV-/GAT", "rJXMpikCZ"),
    ]
    record = parsed.records[1]
    assert record.source == "paperlists" and record.official is True
    assert record.title == "Graph Attention Networks"
    assert (record.venue, record.year) == ("iclr", 2018)
    assert record.framework is None and record.mentioned_in_paper is None


def test_cvpr_2019_pid_ids_and_messy_links() -> None:
    parsed = parse("cvpr2019.json", "cvpr", 2019)
    assert parsed.not_accepted == 0 and parsed.skipped == 0
    by_id = {p.native_id: p for p in parsed.papers}
    assert list(by_id) == ["2154", "1034", "3321", "877", "1411"]
    ddip = by_id["2154"]
    assert ddip.title.startswith('"Double-DIP": Unsupervised')  # real quotes inside stay
    assert ddip.authors == ("Yosef Gandelsman", "Assaf Shocher", "Michal Irani")
    assert ddip.page_url is not None and ddip.page_url.endswith(
        "/content_CVPR_2019/html/Gandelsman_Double-DIP_Unsupervised_Image_Decomposition_via"
        "_Coupled_Deep-Image-Priors_CVPR_2019_paper.html"
    )
    assert ddip.pdf_url is not None and ddip.pdf_url.endswith("_CVPR_2019_paper.pdf")
    assert ddip.supp_url is None and ddip.arxiv_id is None and ddip.openreview_id is None
    assert ddip.code_urls == ()
    assert by_id["1034"].authors[-1] == "Piotr Dollár"
    assert by_id["1034"].code_urls == ("https://github.com/facebookresearch/detectron2",)
    assert by_id["3321"].code_urls == ("https://github.com/facebookresearch/DeepSDF",)
    assert by_id["877"].code_urls == ("https://github.com/facebookresearch/VideoPose3D",)

    urls = [(r.native_id, r.url) for r in parsed.records]
    assert urls == [
        ("1034", "https://github.com/facebookresearch/detectron2"),
        ("3321", "https://github.com/facebookresearch/DeepSDF"),
        ("877", "https://github.com/facebookresearch/VideoPose3D"),  # not the github.io page
        ("1411", "https://github.com/alexsax/midlevel-reps"),
        ("1411", "https://github.com/StanfordVL/taskonomy"),
        ("1411", "https://gitlab.com/perception-lab/mid-level"),  # a repository in `project`
    ]
    for record in parsed.records:
        repo, reason = normalize_repo_url(record.url)
        assert repo is not None, reason


def test_cvpr_2016_repeated_pid_falls_back_to_title_hash() -> None:
    parsed = parse("cvpr2016.json", "cvpr", 2016)
    ids = [p.native_id for p in parsed.papers]
    assert ids == [
        pl.title_hash("Deep Residual Learning for Image Recognition"),
        pl.title_hash("3D Action Recognition From Novel Viewpoints"),
        "7",  # a pid that is unique in the file is used
        "e1b7ad1797",
    ]
    again = parse("cvpr2016.json", "cvpr", 2016)
    assert [p.native_id for p in again.papers] == ids  # stable across runs
    zhang = parsed.papers[3]
    assert zhang.status is None and zhang.track is None  # proceedings record: kept
    assert zhang.page_url is not None and zhang.page_url.endswith(
        "Zhang_Fast_Zero-Shot_Image_CVPR_2016_paper.html"
    )
    assert parsed.records[0].native_id == ids[0]


def test_neurips_2017_duplicate_oral_entry_is_merged() -> None:
    parsed = parse("nips2017.json", "neurips", 2017)
    assert [p.native_id for p in parsed.papers] == ["9253", "8955", "9161"]
    shap = parsed.papers[0]
    assert shap.status == "Poster"
    assert shap.venue == "neurips"
    assert shap.code_urls == ("https://github.com/slundberg/shap",)
    assert shap.page_url == (
        "https://papers.nips.cc/paper_files/paper/2017/hash/8a20a8621978632d76c43dfd28b67767"
        "-Abstract.html"
    )  # the proceedings page (oa), not the virtual-site poster
    attention = parsed.papers[1]
    assert attention.authors[-2:] == ("Łukasz Kaiser", "Illia Polosukhin")
    capsules = parsed.papers[2]
    assert capsules.authors == ("Sara Sabour", "Nicholas Frosst", "Geoffrey E Hinton")
    assert capsules.code_urls == ("https://github.com/Sarasra/models",)


def test_wacv_2025_arxiv_ids_and_project_links() -> None:
    parsed = parse("wacv2025.json", "wacv", 2025)
    by_id = {p.native_id: p for p in parsed.papers}
    assert by_id["ca6d1b4547"].arxiv_id == "2409.08397"
    assert by_id["5b1e0f3c2a"].arxiv_id == "2411.05663"  # version dropped
    assert by_id["0d6c2a8e11"].arxiv_id == "2410.01234"  # "arXiv:" dropped
    assert by_id["9a8b7c6d5e"].arxiv_id is None
    assert by_id["ca6d1b4547"].supp_url is not None
    assert by_id["0d6c2a8e11"].supp_url is None
    assert by_id["5b1e0f3c2a"].code_urls == (
        "https://github.com/Christina200/Online-LoRA-official",
    )
    assert by_id["7f3e2c1b90"].code_urls == ("https://ben0919.github.io/ORFormer",)
    records = {r.native_id: r.url for r in parsed.records}
    assert records == {
        "ca6d1b4547": "https://github.com/littlewhitesea/360PanT",
        "5b1e0f3c2a": "https://github.com/Christina200/Online-LoRA-official",
        "0d6c2a8e11": "https://github.com/JLiangLab/LeADER",
        # a project page in `github` is kept as found: the pipeline records why it is rejected
        "7f3e2c1b90": "https://ben0919.github.io/ORFormer",
        "9a8b7c6d5e": "https://github.com/Etdihatthoc/Multi-VSL",
        "1c2d3e4f5a": "https://gitlab.com/ssdg-lab/ssdg-mix",
    }
    arxiv = {r.native_id: r.arxiv_id for r in parsed.records}
    assert arxiv["5b1e0f3c2a"] == "2411.05663"


def test_eccv_2022_wrapping_quotes_are_removed() -> None:
    parsed = parse("eccv2022.json", "eccv", 2022)
    titles = [p.title for p in parsed.papers]
    assert titles == [
        "A Simple Approach and Benchmark for 21,000-Category Object Detection",
        "Teaching Where to Look: Attention Similarity Knowledge Distillation for Low "
        "Resolution Face Recognition",
    ]
    assert parsed.papers[0].abstract is not None
    assert not parsed.papers[0].abstract.startswith('"')
    assert parsed.records == []


def test_acl_ids_and_repeated_urls() -> None:
    parsed = parse("acl2022.json", "acl", 2022)
    assert [p.native_id for p in parsed.papers] == [
        "2022.acl-short.96",
        "2022.acl-long.1",
        "2022.findings-acl.3",
    ]
    assert [p.status for p in parsed.papers] == ["Short", "Long", "Findings"]
    assert parsed.papers[0].title.endswith("Models’ Performance")
    assert parsed.papers[2].code_urls == (
        "https://github.com/google-research/deduplicate-text-datasets",
    )
    assert len(parsed.records) == 3


def test_parse_accepts_an_already_decoded_list() -> None:
    data = json.loads(fixture("acl2022.json"))
    assert len(pl.parse_papers(data, "acl", 2022, "x")) == 3
    assert len(pl.parse_records(data, "acl", 2022, "x")) == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lfs_pointer.json", "Git LFS pointer"),
        ("error_page.html", "not a JSON file"),
    ],
)
def test_parse_rejects_what_is_not_a_paper_list(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        pl.parse_file(fixture(name), "iclr", 2024, pl.file_url("iclr", 2024))


def test_parse_rejects_a_json_object() -> None:
    with pytest.raises(ParseError, match="expected a JSON list of papers, got dict"):
        pl.parse_file(b'{"papers": []}', "icml", 2024, "u")


# ----------------------------------------------------------------------------- fetching


def test_fetch_papers_and_records() -> None:
    url = f"{RAW}/nips/nips2017.json"
    client = FakeClient({url: fixture("nips2017.json")})
    papers = pl.fetch_papers(client, "neurips", 2017)
    records = pl.fetch_records(client, "neurips", 2017)
    assert len(papers) == 3 and papers[0].paper_id == "neurips:2017:9253"
    assert [r.url for r in records] == [
        "https://github.com/slundberg/shap",
        "https://github.com/tensorflow/tensor2tensor",
        "https://github.com/Sarasra/models",
    ]
    assert client.calls == [url, url]


def test_fetch_missing_file_says_so() -> None:
    with pytest.raises(FetchError, match="paperlists has no file for ICLR 2015") as info:
        pl.fetch_papers(FakeClient({}), "iclr", 2015)
    assert info.value.status == 404
    assert info.value.url == f"{RAW}/iclr/iclr2015.json"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", r"no papers found for ICLR 2018 \(0 entries"),
        (fixture("all_rejected.json"), r"\(2 entries, 2 not accepted, 0 malformed\)"),
    ],
)
def test_fetch_without_accepted_papers_is_a_parse_error(body: bytes, message: str) -> None:
    client = FakeClient({f"{RAW}/iclr/iclr2018.json": body})
    with pytest.raises(ParseError, match=message):
        pl.fetch_records(client, "iclr", 2018)


def test_fetch_passes_other_errors_through() -> None:
    url = f"{RAW}/icml/icml2019.json"
    for error in (FetchError(url, 503, "Service Unavailable"), NetworkError(url, "x", "down")):
        with pytest.raises(type(error)) as info:
            pl.fetch_papers(FakeClient({url: error}), "icml", 2019)
        assert info.value is error
