"""OpenReview: the venue-year table, accepted-paper rules of each API era, code fields,
paging, duplicates and the refusals (browser check, rate limit, expired token)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.errors import ConfigError, FetchError, NetworkError, ParseError
from scraper.models import Paper
from scraper.sources import openreview as orv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openreview"
V1 = "https://api.openreview.net/notes"
V2 = "https://api2.openreview.net/notes"
JSON = "application/json; charset=utf-8"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeResponse:
    content: bytes
    url: str
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": JSON})

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


Route = bytes | FakeResponse | Exception


@dataclass
class FakeClient:
    """Serves fixture bytes by exact URL; unknown URLs get an empty ``{"notes": []}`` page."""

    routes: dict[str, Route]
    calls: list[str] = field(default_factory=list)
    sent_headers: list[dict[str, str]] = field(default_factory=list)
    allowed: list[tuple[int, ...]] = field(default_factory=list)

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_status: tuple[int, ...] = (),
    ) -> FakeResponse:
        self.calls.append(url)
        self.sent_headers.append(dict(headers or {}))
        self.allowed.append(allow_status)
        value = self.routes.get(url, b'{"notes": []}')
        if isinstance(value, Exception):
            raise value
        if isinstance(value, FakeResponse):
            return value
        return FakeResponse(value, url)


def v1_url(invitation: str, offset: int = 0, limit: int = 1000) -> str:
    return f"{V1}?invitation={invitation}&details=directReplies&offset={offset}&limit={limit}"


def v2_url(venueid: str, offset: int = 0, limit: int = 1000, base: str = V2) -> str:
    return f"{base}?content.venueid={venueid}&offset={offset}&limit={limit}"


def parse(name: str, venue: str, year: int, index: int = 0) -> orv.NotePage:
    query = orv.listing_queries(venue, year)[index]
    return orv.parse_notes(fixture(name), "https://api.example/notes", venue, year, query)


def by_id(page: orv.NotePage) -> dict[str, Paper]:
    return {item.paper.native_id: item.paper for item in page.accepted}


# ----------------------------------------------------------------------------- the table


def test_years_per_venue() -> None:
    assert list(orv.years("iclr", last=2019)) == [2017, 2018, 2019]
    assert list(orv.years("NeurIPS", last=2022)) == [2021, 2022]
    assert list(orv.years("icml", last=2023)) == [2023]
    assert list(orv.years("icml", last=2020)) == []


def test_listing_queries_cover_every_api_era() -> None:
    def shape(venue: str, year: int) -> list[tuple[int, str, str, str, bool]]:
        return [
            (q.api, q.by, q.target, q.track, q.required) for q in orv.listing_queries(venue, year)
        ]

    assert shape("iclr", 2017) == [
        (1, "invitation", "ICLR.cc/2017/conference/-/submission", "main", True)
    ]
    assert shape("iclr", 2020) == [
        (1, "invitation", "ICLR.cc/2020/Conference/-/Blind_Submission", "main", True)
    ]
    assert shape("iclr", 2023) == [(1, "venueid", "ICLR.cc/2023/Conference", "main", True)]
    assert shape("iclr", 2025) == [(2, "venueid", "ICLR.cc/2025/Conference", "main", True)]
    assert shape("neurips", 2021) == [
        (1, "invitation", "NeurIPS.cc/2021/Conference/-/Blind_Submission", "main", True),
        (
            1,
            "invitation",
            "NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round1/-/Submission",
            "datasets_and_benchmarks",
            True,
        ),
        (
            1,
            "invitation",
            "NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round2/-/Submission",
            "datasets_and_benchmarks",
            True,
        ),
    ]
    assert [q.target for q in orv.listing_queries("neurips", 2023)] == [
        "NeurIPS.cc/2023/Conference",
        "NeurIPS.cc/2023/Track/Datasets_and_Benchmarks",
    ]
    assert shape("neurips", 2025)[1:] == [
        (
            2,
            "venueid",
            "NeurIPS.cc/2025/Datasets_and_Benchmarks_Track",
            "datasets_and_benchmarks",
            True,
        ),
        (2, "venueid", "NeurIPS.cc/2025/Position_Paper_Track", "position", False),
    ]
    # A year not yet checked: the D&B track may be renamed, so neither name is required.
    later = shape("neurips", 2027)
    assert [
        t for _, _, t, track, req in later if track == "datasets_and_benchmarks" and not req
    ] == [
        "NeurIPS.cc/2027/Datasets_and_Benchmarks_Track",
        "NeurIPS.cc/2027/Evaluations_and_Datasets_Track",
    ]
    assert shape("icml", 2024) == [(2, "venueid", "ICML.cc/2024/Conference", "main", True)]
    assert shape("icml", 2025)[1] == (
        2,
        "venueid",
        "ICML.cc/2025/Position_Paper_Track",
        "position",
        False,
    )


def test_years_before_openreview_and_unknown_venues_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="covers NeurIPS from 2021; use the proceedings"):
        orv.listing_queries("neurips", 2020)
    with pytest.raises(ConfigError, match="covers ICML from 2023"):
        orv.fetch_papers(FakeClient({}), "icml", 2022)
    with pytest.raises(ConfigError, match="unknown OpenReview venue 'cvpr'"):
        orv.listing_queries("cvpr", 2024)


def test_notes_urls() -> None:
    v2 = orv.listing_queries("iclr", 2024)[0]
    assert orv.notes_url(v2, 2000) == v2_url("ICLR.cc/2024/Conference", 2000)
    v1 = orv.listing_queries("iclr", 2018)[0]
    assert orv.notes_url(v1) == v1_url("ICLR.cc/2018/Conference/-/Blind_Submission")
    icl23 = orv.listing_queries("iclr", 2023)[0]
    assert orv.notes_url(icl23) == v2_url("ICLR.cc/2023/Conference", base=V1)
    assert orv.listing_url("icml", 2024) == v2_url("ICML.cc/2024/Conference")
    assert orv.paper_urls("Ab3dEf9GhK") == (
        "https://openreview.net/forum?id=Ab3dEf9GhK",
        "https://openreview.net/pdf?id=Ab3dEf9GhK",
    )


# ----------------------------------------------------------------------------- API 2


def test_v2_page_iclr_2024() -> None:
    page = parse("iclr2024_accepted.json", "iclr", 2024)
    assert (page.notes, len(page.accepted), page.skipped) == (4, 3, 1)  # one note lost its title
    papers = by_id(page)
    fast = papers["Ab3dEf9GhK"]
    assert fast.paper_id == "iclr:2024:Ab3dEf9GhK"
    assert fast.title == "FastFlow: Normalising Flows in Linear Time"
    assert fast.authors == ("Ada Moreau", "Jun Park")
    assert (fast.status, fast.track, fast.source) == ("oral", "main", "openreview")
    assert fast.openreview_id == "Ab3dEf9GhK"
    assert fast.page_url == "https://openreview.net/forum?id=Ab3dEf9GhK"
    assert fast.pdf_url == "https://openreview.net/pdf?id=Ab3dEf9GhK"
    assert fast.supp_url == (
        "https://openreview.net/attachment?id=Ab3dEf9GhK&name=supplementary_material"
    )
    # "Code is available at" introduces the link; the code-of-ethics and author-guide URLs
    # in other fields are not code.
    assert fast.code_urls == ("https://github.com/fastflow-lab/FastFlow",)
    probing = papers["Zq9Rt2LmNp"]
    assert probing.title == "Probing Language Models for Arithmetic"  # whitespace collapsed
    assert probing.status == "poster"
    assert probing.code_urls == ()  # a tool they build on and a dataset link are not theirs
    assert probing.supp_url is None
    sparse = papers["Kp4Lm5Nb6V"]
    assert sparse.status == "spotlight"
    assert sparse.code_urls == ("github.com/kim-lab/sparse-attn",)  # bare link, as written


def test_v2_tracks_and_icml_status_words() -> None:
    icml = by_id(parse("icml2025_main_p1.json", "icml", 2025))
    assert icml["Hx1aaaaaaa"].status == "oral"
    assert icml["Hx1aaaaaaa"].code_urls == ("https://github.com/sato-lab/routing-laws",)
    assert icml["Hx2bbbbbbb"].status == "spotlight"  # "spotlightposter"
    position = by_id(parse("icml2025_position.json", "icml", 2025, 1))
    assert position["nDFpl2lhoH"].track == "position"
    assert position["nDFpl2lhoH"].status == "poster"
    assert position["nDFpl2lhoH"].code_urls == ()  # "Not applicable"
    db = by_id(parse("neurips2024_db.json", "neurips", 2024, 1))
    assert db["8kFctyli9H"].track == "datasets_and_benchmarks"
    assert db["8kFctyli9H"].status == "poster"


def test_v2_note_with_another_venueid_is_not_accepted() -> None:
    data = json.loads(fixture("neurips2024_main.json"))
    data["notes"][0]["content"]["venueid"]["value"] = (
        "NeurIPS.cc/2024/Conference/Rejected_Submission"
    )
    query = orv.listing_queries("neurips", 2024)[0]
    page = orv.parse_notes(data, "u", "neurips", 2024, query)
    assert (page.accepted, page.not_accepted) == ([], 1)


# ----------------------------------------------------------------------------- API 1


def test_iclr_2017_venue_strings_and_unsplit_authors() -> None:
    page = parse("iclr2017_submission.json", "iclr", 2017)
    assert (len(page.accepted), page.not_accepted, page.undecided) == (2, 2, 0)
    papers = by_id(page)
    assert papers["S1VaB4cex"].status == "oral"
    assert papers["S1VaB4cex"].authors == ("Ann Lee", "Bo Chen", "Carl Diaz")
    assert papers["B1Poster17"].status == "poster"
    assert "S1J0E-71l" not in papers  # Submitted to ICLR 2017
    assert "HyWorksh0p" not in papers  # Invite to Workshop


def test_iclr_2018_acceptance_decision_replies_and_badges() -> None:
    page = parse("iclr2018_blind.json", "iclr", 2018)
    assert (len(page.accepted), page.not_accepted, page.undecided) == (2, 2, 1)
    papers = by_id(page)
    counting = papers["SyAbc1-RW"]
    assert counting.status == "poster"
    # The github badge is kept; Papers with Code's "community implementations" link is not,
    # and a link in a review reply is not the paper's.
    assert counting.code_urls == ("https://github.com/vqa-lab/counting",)
    gans = papers["rJOral-AW"]
    assert gans.status == "oral"
    assert gans.code_urls == ()  # only a CatalyzeX "code implementations" badge
    assert "HkWork-AW" not in papers and "BkReje-AW" not in papers


def test_iclr_2019_decisions_come_from_meta_reviews() -> None:
    papers = by_id(parse("iclr2019_blind.json", "iclr", 2019))
    assert set(papers) == {"B1xsqj09Fm", "rkePoster9"}
    assert papers["B1xsqj09Fm"].status == "oral"
    assert papers["rkePoster9"].status == "poster"
    assert papers["rkePoster9"].code_urls == ("https://github.com/PetarV-/DGI",)  # "Code: URL"


def test_iclr_2020_decision_notes_and_code_field() -> None:
    papers = by_id(parse("iclr2020_blind.json", "iclr", 2020))
    assert set(papers) == {"BkgzMCVtPB", "SJgSpot20x"}  # the rejected one has code but is out
    agent = papers["BkgzMCVtPB"]
    assert agent.status == "oral"  # "Accept (Talk)"
    assert agent.code_urls == ("https://github.com/rl-group/agent57-lite",)
    assert papers["SJgSpot20x"].status == "spotlight"
    assert papers["SJgSpot20x"].code_urls == ()  # empty code field


def test_iclr_2023_venueid_is_not_acceptance_on_api_1() -> None:
    page = parse("iclr2023_venueid.json", "iclr", 2023)
    papers = by_id(page)
    assert set(papers) == {"DeepTop5aa", "PosterY23a"}
    assert page.not_accepted == 1  # "Submitted to ICLR 2023" carries the venueid too
    assert papers["DeepTop5aa"].status == "notable top 5%"


def test_neurips_2021_venue_strings_code_badge_and_db_rounds() -> None:
    page = parse("neurips2021_blind.json", "neurips", 2021)
    papers = by_id(page)
    assert page.not_accepted == 1  # "NeurIPS 2021 Submitted"
    assert papers["OralPaper1"].status == "oral"
    stoch = papers["xXYjxli-2i"]
    assert stoch.code_urls == ("https://github.com/gh-lab/stoch-graph",)
    round1 = by_id(parse("neurips2021_db_round1.json", "neurips", 2021, 1))
    assert set(round1) == {"R1accepted"}  # the "Submitted to ..." one is a rejection
    assert round1["R1accepted"].track == "datasets_and_benchmarks"
    assert round1["R1accepted"].status == "accepted"
    assert round1["R1accepted"].code_urls == ()  # the D&B "URL" field is not a code field


def test_neurips_2022_accept_and_db_trailing_space() -> None:
    main = by_id(parse("neurips2022_blind.json", "neurips", 2022))
    assert set(main) == {"09QFnDWPF8"}
    assert main["09QFnDWPF8"].status == "accepted"  # "NeurIPS 2022 Accept"
    db = by_id(parse("neurips2022_db.json", "neurips", 2022, 1))
    assert db["MKDdTASg_1y"].status == "accepted"  # "NeurIPS 2022 Datasets and Benchmarks "


def test_deleted_notes_and_non_objects_are_not_papers() -> None:
    data = json.loads(fixture("neurips2022_blind.json"))
    data["notes"][0]["ddate"] = 1700000000000
    data["notes"].append("not a note")
    query = orv.listing_queries("neurips", 2022)[0]
    page = orv.parse_notes(data, "u", "neurips", 2022, query)
    assert (page.accepted, page.not_accepted, page.skipped) == ([], 2, 1)


def test_parse_rejects_non_json_and_missing_notes_list() -> None:
    query = orv.listing_queries("iclr", 2024)[0]
    with pytest.raises(ParseError, match="not JSON"):
        orv.parse_notes(b"<html>", "u", "iclr", 2024, query)
    with pytest.raises(ParseError, match='no "notes" list'):
        orv.parse_notes(b'{"items": []}', "u", "iclr", 2024, query)


# ----------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("ICLR 2024 oral", (True, "oral")),
        ("ICLR 2025 Spotlight", (True, "spotlight")),
        ("ICLR 2020 Talk", (True, "oral")),
        ("ICML 2023 OralPoster", (True, "oral")),
        ("ICML 2026 regular", (True, "regular")),
        ("NeurIPS 2022 Accept", (True, "accepted")),
        ("NeurIPS 2024 Track Datasets and Benchmarks Oral", (True, "oral")),
        ("NeurIPS 2021 Datasets and Benchmarks Track (Round 2)", (True, "accepted")),
        ("ICLR 2023 notable top 25%", (True, "notable top 25%")),
        ("Submitted to ICLR 2023", (False, None)),
        ("ICLR 2022 Submitted", (False, None)),
        ("ICLR 2017 Invite to Workshop", (False, None)),
        ("", (None, None)),
        ("Some Workshop at Elsewhere", (False, None)),
        ("ICLR 2024 Workshop ME-FoMo", (False, None)),
        ("Proceedings of Something", (None, None)),
    ],
)
def test_status_from_venue(venue: str, expected: tuple[bool | None, str | None]) -> None:
    assert orv.status_from_venue(venue) == expected


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        ("Accept (Poster)", (True, "poster")),
        ("Accept (Talk)", (True, "oral")),
        ("Accept: notable-top-5%", (True, "notable-top-5%")),
        ("Accept", (True, "accepted")),
        ("Reject", (False, None)),
        ("Invite to Workshop Track", (False, None)),
    ],
)
def test_status_from_decision(decision: str, expected: tuple[bool, str | None]) -> None:
    assert orv.status_from_decision(decision) == expected


def test_decision_prefers_decision_notes_over_meta_reviews() -> None:
    note = {
        "details": {
            "directReplies": [
                {"invitation": "X/-/Paper1/Meta_Review", "content": {"recommendation": "Reject"}},
                {"invitation": "X/Paper1/-/Decision", "content": {"decision": "Accept (Poster)"}},
            ]
        }
    }
    assert orv.decision_of(note) == "Accept (Poster)"
    assert orv.decision_of({"details": {"directReplies": []}}) is None
    assert orv.decision_of({}) is None


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("code", True),
        ("Code", True),
        ("code_link", True),
        ("link_to_code", True),
        ("github", True),
        ("software", True),
        ("community_implementations", True),
        ("code_of_ethics", False),
        ("code_of_conduct", False),
        ("paper_verification_code", False),
        ("code_submission", False),
        ("abstract", False),
        ("URL", False),
        ("barcode", False),
    ],
)
def test_is_code_key(key: str, expected: bool) -> None:
    assert orv.is_code_key(key) is expected


def test_code_urls_from_content_reads_badges_lists_and_plain_text() -> None:
    content = {
        "code": {
            "value": "[![github](/images/github_icon.svg) a/b](https://github.com/a/b) + "
            "[![Papers with Code](/images/pwc_icon.svg) 4 community implementations]"
            "(https://paperswithcode.com/paper/?openreview=x)"
        },
        "github": ["see www.github.com/c/d.", "https://gitlab.com/e/f"],
        "code_of_ethics": "https://iclr.cc/public/CodeOfEthics",
        "software": "",
    }
    assert orv.code_urls_from_content(content) == (
        "https://github.com/a/b",
        "www.github.com/c/d",
        "https://gitlab.com/e/f",
    )


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("Code is available at https://github.com/a/b.", ("https://github.com/a/b",)),
        (
            "Our code and models are publicly released: https://github.com/a/b",
            ("https://github.com/a/b",),
        ),
        (
            "The implementation can be found here https://gitlab.com/a/b).",
            ("https://gitlab.com/a/b",),
        ),
        ("Code: github.com/a/b", ("github.com/a/b",)),
        ("We use the code at https://github.com/x/y for baselines.", ()),
        ("We build on the implementation at https://github.com/x/y.", ()),
        ("Data is available at https://zenodo.org/records/1.", ()),
        ("Code is released. Demo videos are at https://example.org/demo.", ()),
        ("See https://github.com/a/b for more.", ()),
    ],
)
def test_code_urls_from_abstract(abstract: str, expected: tuple[str, ...]) -> None:
    assert orv.code_urls_from_abstract(abstract) == expected


# ----------------------------------------------------------------------------- duplicates


def test_neurips_2021_twin_notes_collapse_to_the_lower_number() -> None:
    page = parse("neurips2021_blind.json", "neurips", 2021)
    papers, dropped = orv.collapse_duplicates(page.accepted)
    ids = [p.native_id for p in papers]
    assert dropped == 1
    assert "-K4tIyQLaY" in ids and "BW2Z6B7S9KZ" not in ids  # number 292 beats 8244
    assert ids.index("-K4tIyQLaY") == 0  # kept where the pair was first seen
    assert len(ids) == len(set(ids)) == 3


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (403, fixture("error_challenge_403.json"), JSON, "OpenReview asks for a logged-in client"),
        (200, fixture("error_challenge.html"), "text/html", "set OPENREVIEW_TOKEN"),
        (
            429,
            fixture("error_rate_limit_429.json"),
            JSON,
            "run again after 2026-08-31T08:59:25.212Z",
        ),
        (
            401,
            fixture("error_token_expired_401.json"),
            JSON,
            "refused the token (TokenExpiredError)",
        ),
        (400, fixture("error_limit_400.json"), JSON, "ValidationError: limit must be <= 1000"),
        (403, b"", None, "OpenReview asks for a logged-in client"),
    ],
)
def test_api_error_message(
    status: int, body: bytes, content_type: str | None, expected: str
) -> None:
    assert expected in orv.api_error_message(status, body, content_type)


# ----------------------------------------------------------------------------- fetching


def test_fetch_iclr_2024_one_page_with_token() -> None:
    url = v2_url("ICLR.cc/2024/Conference")
    client = FakeClient({url: fixture("iclr2024_accepted.json")})
    papers = orv.fetch_papers(client, "iclr", 2024, token="tok-123")
    assert [p.native_id for p in papers] == ["Ab3dEf9GhK", "Zq9Rt2LmNp", "Kp4Lm5Nb6V"]
    assert client.calls == [url]
    assert client.sent_headers[0]["Authorization"] == "Bearer tok-123"
    assert 403 in client.allowed[0] and 429 in client.allowed[0]


def test_fetch_without_token_sends_no_authorization() -> None:
    url = v2_url("ICLR.cc/2024/Conference")
    client = FakeClient({url: fixture("iclr2024_accepted.json")})
    orv.fetch_papers(client, "iclr", 2024)
    assert "Authorization" not in client.sent_headers[0]


def test_fetch_pages_until_a_short_page_and_reads_optional_tracks() -> None:
    routes: dict[str, Route] = {
        v2_url("ICML.cc/2025/Conference", 0, 2): fixture("icml2025_main_p1.json"),
        v2_url("ICML.cc/2025/Conference", 2, 2): fixture("icml2025_main_p2.json"),
        v2_url("ICML.cc/2025/Position_Paper_Track", 0, 2): fixture("icml2025_position.json"),
    }
    client = FakeClient(routes)
    papers = orv.fetch_papers(client, "icml", 2025, page_size=2)
    assert [(p.native_id, p.track) for p in papers] == [
        ("Hx1aaaaaaa", "main"),
        ("Hx2bbbbbbb", "main"),
        ("Hx3ccccccc", "main"),
        ("nDFpl2lhoH", "position"),
    ]
    assert client.calls == list(routes)


def test_fetch_neurips_2021_merges_tracks_and_drops_twins() -> None:
    main = "NeurIPS.cc/2021/Conference/-/Blind_Submission"
    db = "NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round{}/-/Submission"
    client = FakeClient(
        {
            v1_url(main): fixture("neurips2021_blind.json"),
            v1_url(db.format(1)): fixture("neurips2021_db_round1.json"),
            v1_url(db.format(2)): fixture("neurips2021_db_round2.json"),
        }
    )
    papers = orv.fetch_papers(client, "neurips", 2021)
    assert [p.native_id for p in papers] == [
        "-K4tIyQLaY",
        "xXYjxli-2i",
        "OralPaper1",
        "R1accepted",
        "mbW_GT3ZN-",
    ]
    assert [p.track for p in papers].count("datasets_and_benchmarks") == 2


def test_fetch_missing_required_track_is_a_parse_error() -> None:
    main = "NeurIPS.cc/2022/Conference/-/Blind_Submission"
    client = FakeClient({v1_url(main): fixture("neurips2022_blind.json")})  # D&B page empty
    with pytest.raises(ParseError, match=r"no papers found for NeurIPS 2022 \(datasets_and_b"):
        orv.fetch_papers(client, "neurips", 2022)


def test_fetch_empty_main_listing_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no papers found for ICLR 2031") as info:
        orv.fetch_papers(FakeClient({}), "iclr", 2031)
    assert info.value.url == v2_url("ICLR.cc/2031/Conference")


def test_fetch_only_rejected_notes_is_a_parse_error_with_a_tally() -> None:
    data = json.loads(fixture("iclr2023_venueid.json"))
    data["notes"] = [n for n in data["notes"] if n["id"] == "RejectX23a"]
    url = v2_url("ICLR.cc/2023/Conference", base=V1)
    client = FakeClient({url: json.dumps(data).encode()})
    with pytest.raises(ParseError, match="1 notes, 1 not accepted"):
        orv.fetch_papers(client, "iclr", 2023)


def test_fetch_turns_a_browser_check_into_a_login_hint() -> None:
    url = v2_url("ICLR.cc/2024/Conference")
    page = FakeResponse(fixture("error_challenge.html"), url, 200, {"Content-Type": "text/html"})
    with pytest.raises(FetchError, match="set OPENREVIEW_TOKEN") as info:
        orv.fetch_papers(FakeClient({url: page}), "iclr", 2024)
    assert info.value.url == url


@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (403, "error_challenge_403.json", "asks for a logged-in client"),
        (429, "error_rate_limit_429.json", "after 2026-08-31T08:59:25.212Z"),
        (401, "error_token_expired_401.json", "fresh token"),
    ],
)
def test_fetch_refusals_become_fetch_errors(status: int, name: str, expected: str) -> None:
    url = v2_url("ICLR.cc/2024/Conference")
    client = FakeClient({url: FakeResponse(fixture(name), url, status)})
    with pytest.raises(FetchError, match=expected) as info:
        orv.fetch_papers(client, "iclr", 2024, token="secret-token")
    assert info.value.status == status
    assert "secret-token" not in str(info.value)


def test_fetch_detects_a_server_that_ignores_the_offset() -> None:
    first = fixture("icml2025_main_p1.json")
    client = FakeClient(
        {
            v2_url("ICML.cc/2025/Conference", 0, 2): first,
            v2_url("ICML.cc/2025/Conference", 2, 2): first,
        }
    )
    with pytest.raises(ParseError, match="same page again"):
        orv.fetch_papers(client, "icml", 2025, page_size=2)


def test_fetch_does_not_hide_an_unreachable_host() -> None:
    url = v2_url("ICLR.cc/2024/Conference")
    down = NetworkError(url, "api2.openreview.net", "connection refused")
    with pytest.raises(NetworkError):
        orv.fetch_papers(FakeClient({url: down}), "iclr", 2024)


# ----------------------------------------------------------------------------- login


@dataclass
class FakeLoginClient:
    answer: FakeResponse
    posts: list[tuple[str, object]] = field(default_factory=list)

    def post(
        self,
        url: str,
        *,
        json_body: object,
        headers: dict[str, str] | None = None,
        allow_status: tuple[int, ...] = (),
    ) -> FakeResponse:
        self.posts.append((url, json_body))
        return self.answer


def test_login_returns_the_token() -> None:
    client = FakeLoginClient(FakeResponse(b'{"token": "eyJhbGciOi.tok", "user": {}}', "u"))
    assert orv.login(client, "me@example.org", "pw") == "eyJhbGciOi.tok"
    assert client.posts == [
        ("https://api2.openreview.net/login", {"id": "me@example.org", "password": "pw"})
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            FakeResponse(fixture("error_login_400.json"), "u", 400),
            "check the user name and password",
        ),
        (
            FakeResponse(fixture("error_challenge.html"), "u", 200, {"content-type": "text/html"}),
            "answered with a browser-check page",
        ),
        (FakeResponse(b'{"user": {}}', "u"), 'answered with no "token"'),
    ],
)
def test_login_failures_name_no_credential(answer: FakeResponse, expected: str) -> None:
    with pytest.raises(FetchError, match=expected) as info:
        orv.login(FakeLoginClient(answer), "me@example.org", "hunter2")
    assert "hunter2" not in str(info.value) and "me@example.org" not in str(info.value)
