"""CVF Open Access: URL building, listing parsing for every page era, and the fetch fallbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.sources import cvf

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cvf"
BASE = "https://openaccess.thecvf.com"


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


# ----------------------------------------------------------------------------- URLs and years


def test_listing_url_forms() -> None:
    assert cvf.listing_url("cvpr", 2023) == f"{BASE}/CVPR2023"
    assert cvf.listing_url("CVPR", 2023, "all") == f"{BASE}/CVPR2023?day=all"
    assert cvf.listing_url("iccv", 2019, "2019-10-29") == f"{BASE}/ICCV2019?day=2019-10-29"
    assert cvf.listing_url("wacv", 2024) == f"{BASE}/WACV2024"


def test_listing_url_rejects_bad_venue_and_day() -> None:
    with pytest.raises(ValueError, match="unknown CVF venue 'eccv'"):
        cvf.listing_url("eccv", 2018)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        cvf.listing_url("cvpr", 2019, "monday")


def test_years_per_venue() -> None:
    assert list(cvf.years("cvpr", last=2016)) == [2013, 2014, 2015, 2016]
    assert list(cvf.years("iccv", last=2021)) == [2013, 2015, 2017, 2019, 2021]
    assert list(cvf.years("wacv", last=2022)) == [2020, 2021, 2022]
    assert list(cvf.years("wacv", last=2019)) == []
    assert 2024 in cvf.years("cvpr")  # default: up to the current year


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("arXiv:1802.09232", "1802.09232"),
        ("1612.00496v2", "1612.00496"),
        ("http://arxiv.org/abs/2409.08397", "2409.08397"),
        ("https://arxiv.org/pdf/1610.02391v3.pdf", "1610.02391"),
        ("https://arxiv.org/abs/cs/0601001v1", "cs/0601001"),
        ("arXiv:math.AG/0601001", "math.AG/0601001"),
        ("http://arxiv.org/abs/", None),
        ("not an id 12345", None),
    ],
)
def test_normalize_arxiv_id(value: str, expected: str | None) -> None:
    assert cvf.normalize_arxiv_id(value) == expected


# ----------------------------------------------------------------------------- parsing


def test_parse_2023_day_all_page() -> None:
    url = f"{BASE}/CVPR2023?day=all"
    listing = cvf.parse_listing(fixture("cvpr2023_day_all.html"), url, "cvpr", 2023)

    assert len(listing.papers) == 6
    assert listing.skipped == 1  # the entry whose title link lost its text and target
    assert listing.day_urls == []
    first = listing.papers[0]
    assert first.native_id == "Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_paper"
    assert first.paper_id == "cvpr:2023:Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_paper"
    assert first.venue == "cvpr" and first.year == 2023 and first.source == "cvf"
    assert first.title == "Planning-Oriented Autonomous Driving"
    assert len(first.authors) == 16
    assert first.authors[:3] == ("Yihan Hu", "Jiazhi Yang", "Li Chen")
    assert first.authors[-1] == "Hongyang Li"
    assert first.page_url == (
        f"{BASE}/content/CVPR2023/html/Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_paper.html"
    )
    assert first.pdf_url == (
        f"{BASE}/content/CVPR2023/papers/Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_paper.pdf"
    )
    assert first.supp_url == (
        f"{BASE}/content/CVPR2023/supplemental/"
        "Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_supplemental.pdf"
    )
    assert first.arxiv_id == "2212.10156"

    by_title = {p.title: p for p in listing.papers}
    visual = by_title["Visual Programming: Compositional Visual Reasoning Without Training"]
    assert visual.supp_url is None  # no [supp] link
    assert visual.arxiv_id == "2211.11559"  # "v1" stripped
    assert visual.authors == ("Tanmay Gupta", "Aniruddha Kembhavi")
    assert by_title["On Distillation of Guided Diffusion Models"].arxiv_id is None
    assert "What Can Human Sketches Do for Object Detection?" in by_title
    long_title = next(t for t in by_title if t.startswith("MobileNeRF"))
    assert "  " not in long_title and "\n" not in long_title


def test_parse_2019_base_page_lists_day_pages_only() -> None:
    url = f"{BASE}/CVPR2019"
    listing = cvf.parse_listing(fixture("cvpr2019.html"), url, "cvpr", 2019)
    assert listing.papers == []
    assert listing.day_urls == [
        f"{BASE}/CVPR2019?day=2019-06-18",
        f"{BASE}/CVPR2019?day=2019-06-19",
        f"{BASE}/CVPR2019?day=2019-06-20",
    ]  # not ?day=all, not the workshops menu


def test_parse_2019_day_page_relative_links_and_anchor_authors() -> None:
    url = f"{BASE}/CVPR2019?day=2019-06-18"
    listing = cvf.parse_listing(fixture("cvpr2019_day_2019-06-18.html"), url, "cvpr", 2019)
    assert [p.native_id for p in listing.papers] == [
        "Pavllo_3D_Human_Pose_Estimation_in_Video_With_Temporal_Convolutions_and_CVPR_2019_paper",
        "Kirillov_Panoptic_Feature_Pyramid_Networks_CVPR_2019_paper",
    ]
    pavllo, kirillov = listing.papers
    assert pavllo.authors == (
        "Dario Pavllo",
        "Christoph Feichtenhofer",
        "David Grangier",
        "Michael Auli",
    )
    assert pavllo.page_url is not None and pavllo.page_url.startswith(
        f"{BASE}/content_CVPR_2019/html/Pavllo_"
    )
    assert pavllo.supp_url == (
        f"{BASE}/content_CVPR_2019/supplemental/Pavllo_3D_Human_Pose_CVPR_2019_supplemental.zip"
    )
    assert kirillov.authors[-1] == "Piotr Dollár"  # from &aacute;
    assert kirillov.supp_url is None


def test_parse_2016_page_windows_1252_and_plain_text_authors() -> None:
    url = f"{BASE}/CVPR2016"
    raw = fixture("cvpr2016.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is windows-1252
    listing = cvf.parse_listing(raw, url, "cvpr", 2016)

    assert len(listing.papers) == 5
    assert listing.skipped == 1  # "Convolutional Pose Machines" has no page link
    assert listing.day_urls == []
    resnet = listing.papers[0]
    assert resnet.title == "Deep Residual Learning for Image Recognition"
    assert resnet.authors == ("Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun")
    assert (
        resnet.page_url
        == f"{BASE}/content_cvpr_2016/html/He_Deep_Residual_Learning_CVPR_2016_paper.html"
    )
    assert (
        resnet.pdf_url
        == f"{BASE}/content_cvpr_2016/papers/He_Deep_Residual_Learning_CVPR_2016_paper.pdf"
    )
    by_id = {p.native_id: p for p in listing.papers}
    face2face = by_id["Thies_Face2Face_Real-Time_Face_CVPR_2016_paper"]
    assert "Michael Zollhöfer" in face2face.authors
    assert face2face.authors[-1] == "Matthias Nießner"
    assert by_id["Zhou_Learning_Deep_Features_CVPR_2016_paper"].authors[2] == "Àgata Lapedriza"
    yolo = by_id["Redmon_You_Only_Look_CVPR_2016_paper"]
    assert yolo.title == "You Only Look Once: Unified, Real-Time Object Detection"
    assert yolo.supp_url is not None and yolo.supp_url.endswith("_2016_CVPR_supplemental.zip")


def test_parse_iccv_2017_page() -> None:
    url = f"{BASE}/ICCV2017"
    listing = cvf.parse_listing(fixture("iccv2017.html"), url, "ICCV", 2017)
    assert [p.arxiv_id for p in listing.papers] == [
        "1703.06870",
        "1708.02002",
        "1703.10593",
        "1610.02391",
    ]
    mask = listing.papers[0]
    assert mask.venue == "iccv"
    assert mask.paper_id == "iccv:2017:He_Mask_R-CNN_ICCV_2017_paper"
    assert mask.authors == ("Kaiming He", "Georgia Gkioxari", "Piotr Dollár", "Ross Girshick")
    assert mask.pdf_url == f"{BASE}/content_iccv_2017/papers/He_Mask_R-CNN_ICCV_2017_paper.pdf"


def test_parse_pairs_each_title_with_its_own_dds() -> None:
    # The second entry has no pdf link, only a BibTeX block: its neighbours must not shift.
    html = """<div id="content"><dl>
    <dt class="ptitle"><br><a href="/content/WACV2024/html/A_One_WACV_2024_paper.html">One</a></dt>
    <dd><form class="authsearch"><input type="hidden" name="query_author" value="Ann A"></form></dd>
    <dd>[<a href="/content/WACV2024/papers/A_One_WACV_2024_paper.pdf">pdf</a>]</dd>
    <dt class="ptitle"><br><a href="/content/WACV2024/html/B_Two_WACV_2024_paper.html">Two</a></dt>
    <dd><form class="authsearch"><input type="hidden" name="query_author" value="Bob B"></form></dd>
    <dd><div class="link2">[<a class="fakelink">bibtex</a>]<div class="bibref">@X{}</div></div></dd>
    <dt class="ptitle"><br><a href="/content/WACV2024/html/C_Three_WACV_2024_paper.html"
      >Three</a></dt>
    <dd><form class="authsearch"><input type="hidden" name="query_author" value="Cy C"></form></dd>
    <dd>[<a href="/content/WACV2024/papers/C_Three_WACV_2024_paper.pdf">pdf</a>]
        [<a href="http://arxiv.org/abs/2310.01234">arXiv</a>]</dd>
    <dt class="ptitle"><br><a href="/content/WACV2024/html/A_One_WACV_2024_paper.html">One</a></dt>
    </dl></div>"""
    listing = cvf.parse_listing(html, f"{BASE}/WACV2024", "wacv", 2024)
    one, two, three = listing.papers  # the repeated "One" is dropped
    assert (one.authors, two.authors, three.authors) == (("Ann A",), ("Bob B",), ("Cy C",))
    assert one.pdf_url is not None and one.pdf_url.endswith("A_One_WACV_2024_paper.pdf")
    assert two.pdf_url is None and two.arxiv_id is None
    assert three.arxiv_id == "2310.01234"


def test_parse_page_without_papers_is_empty_not_an_error() -> None:
    listing = cvf.parse_listing(
        fixture("error_1525.html"), f"{BASE}/CVPR2019?day=all", "cvpr", 2019
    )
    assert listing == cvf.Listing(papers=[], day_urls=[], skipped=0)


# ----------------------------------------------------------------------------- fetching


def test_fetch_uses_day_all_when_it_works() -> None:
    client = FakeClient({f"{BASE}/CVPR2023?day=all": fixture("cvpr2023_day_all.html")})
    papers = cvf.fetch_papers(client, "cvpr", 2023)
    assert len(papers) == 6
    assert client.calls == [f"{BASE}/CVPR2023?day=all"]


def _cvpr2019_routes(day_all: bytes | Exception) -> dict[str, bytes | Exception]:
    return {
        f"{BASE}/CVPR2019?day=all": day_all,
        f"{BASE}/CVPR2019": fixture("cvpr2019.html"),
        f"{BASE}/CVPR2019?day=2019-06-18": fixture("cvpr2019_day_2019-06-18.html"),
        f"{BASE}/CVPR2019?day=2019-06-19": fixture("cvpr2019_day_2019-06-19.html"),
        f"{BASE}/CVPR2019?day=2019-06-20": fixture("cvpr2019_day_2019-06-20.html"),
    }


@pytest.mark.parametrize(
    "day_all",
    [
        fixture("error_1525.html"),  # served with 200 but no papers
        FetchError(f"{BASE}/CVPR2019?day=all", 500, "Internal Server Error"),
    ],
    ids=["error-page", "http-500"],
)
def test_fetch_falls_back_to_day_pages_and_merges_them(day_all: bytes | Exception) -> None:
    client = FakeClient(_cvpr2019_routes(day_all))
    papers = cvf.fetch_papers(client, "cvpr", 2019)
    ids = [p.native_id for p in papers]
    assert len(ids) == 6 == len(set(ids))  # Kirillov is listed on two days, kept once
    assert ids[0].startswith("Pavllo_") and ids[-1].startswith("Park_DeepSDF")
    assert client.calls[:2] == [f"{BASE}/CVPR2019?day=all", f"{BASE}/CVPR2019"]
    assert len(client.calls) == 5


def test_fetch_old_layout_uses_base_page() -> None:
    client = FakeClient({f"{BASE}/CVPR2016": fixture("cvpr2016.html")})  # day=all is a 404
    papers = cvf.fetch_papers(client, "cvpr", 2016)
    assert len(papers) == 5
    assert client.calls == [f"{BASE}/CVPR2016?day=all", f"{BASE}/CVPR2016"]


def test_fetch_missing_venue_year_is_a_fetch_error() -> None:
    with pytest.raises(FetchError) as info:
        cvf.fetch_papers(FakeClient({}), "iccv", 2018)
    assert info.value.status == 404
    assert info.value.url == f"{BASE}/ICCV2018"


def test_fetch_no_papers_anywhere_is_a_parse_error() -> None:
    client = FakeClient(
        {
            f"{BASE}/CVPR2031?day=all": fixture("error_1525.html"),
            f"{BASE}/CVPR2031": fixture("error_1525.html"),
        }
    )
    with pytest.raises(ParseError, match="no papers found for CVPR 2031: the page layout"):
        cvf.fetch_papers(client, "cvpr", 2031)


def test_fetch_day_page_without_papers_is_a_parse_error() -> None:
    routes = _cvpr2019_routes(fixture("error_1525.html"))
    routes[f"{BASE}/CVPR2019?day=2019-06-19"] = fixture("error_1525.html")
    with pytest.raises(ParseError, match="day page of CVPR 2019 lists no papers") as info:
        cvf.fetch_papers(FakeClient(routes), "cvpr", 2019)
    assert info.value.url == f"{BASE}/CVPR2019?day=2019-06-19"


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    down = NetworkError(f"{BASE}/CVPR2023?day=all", "openaccess.thecvf.com", "connection refused")
    client = FakeClient({f"{BASE}/CVPR2023?day=all": down})
    with pytest.raises(NetworkError):
        cvf.fetch_papers(client, "cvpr", 2023)
    assert client.calls == [f"{BASE}/CVPR2023?day=all"]
