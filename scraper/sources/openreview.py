"""OpenReview: accepted papers of ICLR (2017 on), NeurIPS (2021 on) and ICML (2023 on).

Plain REST through the shared client; no openreview-py. Two APIs serve different years:

* API 2 (``api2.openreview.net``): ICLR 2024+, NeurIPS 2023+, ICML 2023+. Accepted papers are
  the notes whose ``content.venueid`` is the bare venue id (``ICLR.cc/2024/Conference``);
  every content value is wrapped as ``{"value": ...}``.
* API 1 (``api.openreview.net``): ICLR 2017-2023, NeurIPS 2021-2022. Submissions are listed by
  invitation (``.../-/Blind_Submission``, lower-case ``ICLR.cc/2017/conference/-/submission``)
  with ``details=directReplies``; ICLR 2023 by ``content.venueid``. There a venueid is *not*
  proof of acceptance (rejected papers carry it too): a note is accepted when its
  ``content.venue`` says so ("ICLR 2021 Poster", "NeurIPS 2022 Accept"), or, where notes have
  no venue (ICLR 2018-2020, rejected ICLR 2021), when its decision reply does
  (``Acceptance_Decision`` 2018, the meta-review's ``recommendation`` 2019, ``Decision``).

:func:`listing_queries` is the venue-year table; :func:`parse_notes` is pure;
:func:`fetch_papers` pages through the API. The API answers anonymous clients with a browser
check: pass ``token`` (``OPENREVIEW_TOKEN``, sent as ``Authorization: Bearer``).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit

from scraper.errors import ConfigError, FetchError, ParseError
from scraper.models import Paper
from scraper.sources.base import Client as _Client

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

NAME = "openreview"
KIND = "venue"
BASE_URL = "https://api2.openreview.net"
V1_BASE_URL = "https://api.openreview.net"
SITE_URL = "https://openreview.net"
POLITENESS = (
    "pages of 1000 notes (2-12 requests per venue-year), 1 request/s (client default), one "
    "connection; logged-in clients get about 500 note requests per hour"
)
VENUES = {"iclr": "ICLR", "neurips": "NeurIPS", "icml": "ICML"}
FIRST_YEAR = {"iclr": 2017, "neurips": 2021, "icml": 2023}
PAGE_SIZE = 1000  # the API refuses more
MAX_PAGES = 200
TOKEN_VARIABLE = "OPENREVIEW_TOKEN"

TRACK_MAIN = "main"
TRACK_DB = "datasets_and_benchmarks"
TRACK_POSITION = "position"

_ORG = {"iclr": "ICLR.cc", "neurips": "NeurIPS.cc", "icml": "ICML.cc"}
_DB_2021 = "Track/Datasets_and_Benchmarks"  # the D&B group's path 2021-2023
_LAST_CHECKED_YEAR = 2025  # the last year whose track names are known; later ones may change
_SPACE = re.compile(r"\s+")


class _LoginClient(Protocol):
    def post(
        self,
        url: str,
        *,
        json_body: object,
        headers: dict[str, str] | None = None,
        allow_status: tuple[int, ...] = (),
    ) -> requests.Response: ...


@dataclass(frozen=True)
class Query:
    """One listing of a venue-year: which API, which filter, and which track its papers are.

    ``by`` is ``venueid`` (``content.venueid=<target>``) or ``invitation`` (API 1 listings,
    asked with ``details=directReplies`` so decisions come along). ``required`` listings must
    yield papers; optional ones (tracks that may not exist that year) may be empty.
    """

    api: int
    by: str
    target: str
    track: str
    required: bool = True

    @property
    def base_url(self) -> str:
        return BASE_URL if self.api == 2 else V1_BASE_URL


@dataclass(frozen=True)
class Accepted:
    """An accepted paper with what duplicate detection needs (the note's pdf and number)."""

    paper: Paper
    pdf: str | None
    number: int | None


@dataclass
class NotePage:
    """One page of notes: the accepted papers and a tally of the rest."""

    notes: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    not_accepted: int = 0  # rejected, withdrawn, invited to a workshop
    undecided: int = 0  # no venue string and no decision reply
    skipped: int = 0  # malformed notes (no id or title)


# --------------------------------------------------------------------------- the venue table


def years(venue: str, last: int | None = None) -> range:
    """Years OpenReview has the venue's accepted papers, up to ``last`` (default: this year)."""
    key = _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR[key], max(end, FIRST_YEAR[key]))


def listing_queries(venue: str, year: int) -> list[Query]:
    """The listings that hold a venue-year's papers (main track first).

    Raises :class:`ConfigError` for years before the venue used OpenReview for its papers
    (ICLR before 2017, NeurIPS before 2021, ICML before 2023: use the proceedings sources).
    """
    key = _venue_key(venue)
    if year < FIRST_YEAR[key]:
        raise ConfigError(
            f"OpenReview has no accepted-paper list for {VENUES[key]} {year}: it covers "
            f"{VENUES[key]} from {FIRST_YEAR[key]}; use the proceedings source for earlier years"
        )
    org = f"{_ORG[key]}/{year}"
    if key == "iclr":
        if year == 2017:
            return [Query(1, "invitation", "ICLR.cc/2017/conference/-/submission", TRACK_MAIN)]
        if year <= 2022:
            return [Query(1, "invitation", f"{org}/Conference/-/Blind_Submission", TRACK_MAIN)]
        if year == 2023:
            return [Query(1, "venueid", f"{org}/Conference", TRACK_MAIN)]
        return [Query(2, "venueid", f"{org}/Conference", TRACK_MAIN)]
    if key == "neurips":
        main = f"{org}/Conference/-/Blind_Submission"
        if year == 2021:
            return [
                Query(1, "invitation", main, TRACK_MAIN),
                *(
                    Query(1, "invitation", f"{org}/{_DB_2021}/Round{n}/-/Submission", TRACK_DB)
                    for n in (1, 2)
                ),
            ]
        if year == 2022:
            return [
                Query(1, "invitation", main, TRACK_MAIN),
                Query(1, "invitation", f"{org}/{_DB_2021}/-/Submission", TRACK_DB),
            ]
        db = f"{org}/{_DB_2021}" if year == 2023 else f"{org}/Datasets_and_Benchmarks_Track"
        queries = [
            Query(2, "venueid", f"{org}/Conference", TRACK_MAIN),
            # Known years must have D&B papers; later years may rename the track (2026 has
            # an Evaluations_and_Datasets_Track group), so there an empty listing is fine.
            Query(2, "venueid", db, TRACK_DB, year <= _LAST_CHECKED_YEAR),
        ]
        if year > _LAST_CHECKED_YEAR:
            queries.append(
                Query(2, "venueid", f"{org}/Evaluations_and_Datasets_Track", TRACK_DB, False)
            )
        if year >= 2025:
            queries.append(
                Query(2, "venueid", f"{org}/Position_Paper_Track", TRACK_POSITION, False)
            )
        return queries
    queries = [Query(2, "venueid", f"{org}/Conference", TRACK_MAIN)]
    if year >= 2025:  # ICML 2024's position papers sit, unmarked, inside the conference
        queries.append(Query(2, "venueid", f"{org}/Position_Paper_Track", TRACK_POSITION, False))
    return queries


def notes_url(query: Query, offset: int = 0, limit: int = PAGE_SIZE) -> str:
    """The REST URL of one page of a listing."""
    if query.by == "venueid":
        params: list[tuple[str, str | int]] = [("content.venueid", query.target)]
    else:
        params = [("invitation", query.target), ("details", "directReplies")]
    params += [("offset", offset), ("limit", limit)]
    return f"{query.base_url}/notes?{urlencode(params, safe='/')}"


def listing_url(venue: str, year: int) -> str:
    """The first page of the venue-year's main listing (used in messages)."""
    return notes_url(listing_queries(venue, year)[0])


def paper_urls(forum_id: str) -> tuple[str, str]:
    """(forum page, PDF) on openreview.net."""
    return f"{SITE_URL}/forum?id={forum_id}", f"{SITE_URL}/pdf?id={forum_id}"


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        known = ", ".join(sorted(VENUES))
        raise ConfigError(f"unknown OpenReview venue {venue!r}; this source has: {known}")
    return key


# --------------------------------------------------------------------------- parsing notes


def parse_notes(
    data: bytes | str | Mapping[str, Any], url: str, venue: str, year: int, query: Query
) -> NotePage:
    """The accepted papers on one page of notes (pure).

    ``data`` is the API's JSON (``{"notes": [...]}``). A venueid listing on API 2 holds
    accepted papers only; every other listing is judged note by note (see the module
    docstring). Notes without an id or title are counted in ``skipped``.
    """
    key = _venue_key(venue)
    notes = _notes_list(data, url)
    page = NotePage(notes=len(notes))
    for note in notes:
        if not isinstance(note, Mapping):
            page.skipped += 1
            continue
        if note.get("ddate"):  # deleted (API 1)
            page.not_accepted += 1
            continue
        content = note.get("content")
        content = content if isinstance(content, Mapping) else {}
        accepted, status = _verdict(note, content, query)
        if accepted is None:
            page.undecided += 1
            continue
        if not accepted:
            page.not_accepted += 1
            continue
        paper = _paper(note, content, key, year, query.track, status)
        if paper is None:
            page.skipped += 1
            continue
        pdf = _value(content, "pdf")
        number = note.get("number")
        page.accepted.append(
            Accepted(
                paper,
                pdf if isinstance(pdf, str) and pdf else None,
                number if isinstance(number, int) else None,
            )
        )
    return page


def _notes_list(data: bytes | str | Mapping[str, Any], url: str) -> list[Any]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(NAME, url, f"the API answer is not JSON ({exc})") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("notes"), list):
        raise ParseError(NAME, url, 'the API answer has no "notes" list: the API may have changed')
    return list(data["notes"])


def _value(content: Mapping[str, Any], key: str) -> Any:
    """A content value, unwrapping API 2's ``{"value": ...}``."""
    value = content.get(key)
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


def _verdict(
    note: Mapping[str, Any], content: Mapping[str, Any], query: Query
) -> tuple[bool | None, str | None]:
    venue = _value(content, "venue")
    venue = venue if isinstance(venue, str) else ""
    if query.api == 2 and query.by == "venueid":
        venueid = _value(content, "venueid")
        if isinstance(venueid, str) and venueid != query.target:
            return False, None  # e.g. .../Rejected_Submission
        return True, status_from_venue(venue)[1]  # the venueid itself says "accepted"
    accepted, status = status_from_venue(venue)
    if accepted is not None:
        return accepted, status
    decision = decision_of(note)
    if decision is None:
        return None, None
    return status_from_decision(decision)


_VENUE_PREFIX = re.compile(r"^\s*(?:iclr|neurips|nips|icml)\s*\d{4}\b\s*", re.IGNORECASE)
_TRACK_WORDS = re.compile(
    r"\(round\s*\d+\)|\btrack\b|\bdatasets?\s+and\s+benchmarks?\b|\bposition\s+papers?\b"
    r"|\bconference\b|\bmain\b",
    re.IGNORECASE,
)
_NOT_ACCEPTED = re.compile(
    r"submitted|reject|withdra|desk|workshop",
    re.IGNORECASE,
)
_STATUS_ALIASES = {
    "talk": "oral",
    "oralposter": "oral",
    "spotlightposter": "spotlight",
    "accept": "accepted",
    "": "accepted",
}


def status_from_venue(venue: str) -> tuple[bool | None, str | None]:
    """(accepted, status) from a ``content.venue`` string; (None, None) when it says nothing.

    "ICLR 2024 oral" -> (True, "oral"); "NeurIPS 2022 Accept" -> (True, "accepted");
    "NeurIPS 2021 Datasets and Benchmarks Track (Round 2)" -> (True, "accepted");
    "Submitted to ICLR 2023", "ICLR 2022 Submitted", "ICLR 2017 Invite to Workshop" ->
    (False, None). ICLR 2020's "talk" and ICML's "OralPoster"/"spotlightposter" become
    "oral"/"spotlight"; other words ("notable top 5%", "regular") are kept, lower-cased.
    """
    text = _SPACE.sub(" ", venue or "").strip()
    if not text:
        return None, None
    if _NOT_ACCEPTED.search(text):
        return False, None
    if not _VENUE_PREFIX.match(text):
        return None, None  # some other venue's wording: let the decision decide
    rest = _VENUE_PREFIX.sub("", text)
    rest = _SPACE.sub(" ", _TRACK_WORDS.sub(" ", rest)).strip(" -:,").lower()
    return True, _STATUS_ALIASES.get(rest, rest)


def status_from_decision(decision: str) -> tuple[bool, str | None]:
    """(accepted, status) from a decision: "Accept (Talk)" -> (True, "oral"); "Reject" and
    "Invite to Workshop Track" -> (False, None)."""
    text = _SPACE.sub(" ", decision).strip()
    if not re.match(r"(?i)accept", text) or _NOT_ACCEPTED.search(text):
        return False, None
    match = re.search(r"\(([^)]*)\)|:\s*(.+)$", text)
    kind = (match.group(1) or match.group(2) or "") if match else ""
    kind = kind.strip().lower()
    return True, _STATUS_ALIASES.get(kind, kind)


_DECISION_INVITATION = re.compile(r"(?i)(?:decision|/acceptance)$")
_META_REVIEW_INVITATION = re.compile(r"(?i)meta_review$")


def decision_of(note: Mapping[str, Any]) -> str | None:
    """The decision among a note's direct replies (API 1 ``details.directReplies``).

    A ``.../Decision`` or ``Acceptance_Decision`` (ICLR 2018) or lower-case
    ``.../acceptance`` (ICLR 2017) reply's ``decision`` first; else a meta-review's
    ``recommendation`` (ICLR 2019 decided in its meta-reviews). None when there is neither.
    """
    details = note.get("details")
    replies = details.get("directReplies") if isinstance(details, Mapping) else None
    if not isinstance(replies, list):
        return None
    fallback: str | None = None
    for reply in replies:
        if not isinstance(reply, Mapping):
            continue
        content = reply.get("content")
        if not isinstance(content, Mapping):
            continue
        for invitation in _invitations(reply):
            if _DECISION_INVITATION.search(invitation):
                decision = _value(content, "decision")
                if isinstance(decision, str) and decision.strip():
                    return decision
            elif _META_REVIEW_INVITATION.search(invitation) and fallback is None:
                recommendation = _value(content, "recommendation")
                if isinstance(recommendation, str) and recommendation.strip():
                    fallback = recommendation
    return fallback


def _invitations(note: Mapping[str, Any]) -> list[str]:
    found = [note.get("invitation")]
    many = note.get("invitations")
    if isinstance(many, list):
        found.extend(many)
    return [i for i in found if isinstance(i, str)]


def _paper(
    note: Mapping[str, Any],
    content: Mapping[str, Any],
    venue: str,
    year: int,
    track: str,
    status: str | None,
) -> Paper | None:
    forum = note.get("forum") or note.get("id")
    title = _value(content, "title")
    if not isinstance(forum, str) or not forum.strip() or not isinstance(title, str):
        return None
    forum = forum.strip()
    title = _SPACE.sub(" ", title).strip()
    if not title:
        return None
    abstract = _value(content, "abstract")
    abstract = _SPACE.sub(" ", abstract).strip() if isinstance(abstract, str) else ""
    page_url, pdf_url = paper_urls(forum)
    supp = _value(content, "supplementary_material")
    supp_url = f"{SITE_URL}/attachment?id={forum}&name=supplementary_material" if supp else None
    codes = list(code_urls_from_content(content))
    codes += [u for u in code_urls_from_abstract(abstract) if u not in codes]
    return Paper(
        venue=venue,
        year=year,
        native_id=forum,
        title=title,
        authors=_authors(_value(content, "authors")),
        source=NAME,
        page_url=page_url,
        pdf_url=pdf_url,
        supp_url=supp_url,
        abstract=abstract or None,
        track=track,
        status=status,
        openreview_id=forum,
        code_urls=tuple(codes),
    )


def _authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # ICLR 2017 has some unsplit author strings
        value = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", value)
    if not isinstance(value, list):
        return ()
    names = (_SPACE.sub(" ", v).strip() for v in value if isinstance(v, str))
    return tuple(n for n in names if n)


# --------------------------------------------------------------------------- code links

_CODE_KEY = re.compile(
    r"(?:^|_)(?:code|codes|github|software|repo|repository|implementation|implementations"
    r"|sourcecode)(?:_|$)"
)
_NOT_CODE_KEY = re.compile(
    r"ethic|conduct|guideline|checklist|agreement|statement|submission|verification"
)
_MD_LINK = re.compile(r"\[(?P<label>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?(?P<url>[^)\s>]+)>?\s*\)")
_URL = re.compile(
    r"(?i)(?:https?://|(?<![\w.@/-])(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/)"
    r"[^\s<>\"'`{}|\\^\[\]()]+"
)
_TRAILING = ".,;:!?'\")]}>*"
# Badges that point at other people's code, not the paper's: Papers with Code's and
# CatalyzeX's "N community/code implementations" links.
_THIRD_PARTY_LABEL = re.compile(
    r"(?i)community\s+implementation|code\s+implementation|papers\s*with\s*code|catalyzex"
)
_THIRD_PARTY_HOSTS = frozenset({"paperswithcode.com", "catalyzex.com"})


def is_code_key(key: str) -> bool:
    """Whether a content key names a code field: ``code``, ``code_link``, ``github``,
    ``software``, ``community_implementations``... but not ``code_of_ethics``,
    ``code_of_conduct`` or ``code_submission`` checkboxes."""
    norm = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    return bool(_CODE_KEY.search(norm)) and not _NOT_CODE_KEY.search(norm)


def code_urls_from_content(content: Mapping[str, Any]) -> tuple[str, ...]:
    """Links in a note's code fields, as written (markdown badges resolved to their target).

    API 1 notes carry badges like ``[![github](/images/github_icon.svg) owner/repo](URL)``,
    often followed by ``+ [![Papers with Code](...) 3 community implementations](...)``; the
    community links (Papers with Code, CatalyzeX) are other people's code and are dropped.
    """
    urls: list[str] = []
    for key in content:
        if not isinstance(key, str) or not is_code_key(key):
            continue
        for text in _strings(_value(content, key)):
            for url in _links_in(text):
                if url not in urls:
                    urls.append(url)
    return tuple(urls)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _links_in(text: str) -> list[str]:
    found: list[str] = []
    rest = text
    for match in _MD_LINK.finditer(text):
        url = match.group("url")
        label = match.group("label")
        rest = rest.replace(match.group(0), " ")
        if _THIRD_PARTY_LABEL.search(label) or _host(url) in _THIRD_PARTY_HOSTS:
            continue
        if url.lower().startswith(("http://", "https://")) or _URL.fullmatch(url):
            found.append(url)
    for match in _URL.finditer(rest):
        url = match.group(0).rstrip(_TRAILING)
        if url and _host(url) not in _THIRD_PARTY_HOSTS:
            found.append(url)
    return found


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


_CODE_NOUN = re.compile(
    r"(?i)\b(?:source\s+code|code|codes|implementations?|software|repository|repo|github)\b"
)
_AVAILABLE = re.compile(
    r"(?i)\b(?:available|released?|publicly|public|open[- ]?sourced?|accessible|hosted|found|"
    r"provided|online|downloaded)\b|:\s*$|\b(?:at|here|on|via)\s*:?\s*$"
)
_BORROWED = re.compile(
    r"(?i)\b(?:based\s+on|buil(?:d|ds|t|ding)\s+(?:on|upon)|we\s+use[sd]?|using|adapted\s+from|"
    r"borrowed|provided\s+by|released\s+by|et\s+al|following)\b"
)
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z(])")


def code_urls_from_abstract(abstract: str) -> tuple[str, ...]:
    """URLs in an abstract that a "code is available" phrase introduces.

    The text from the start of the URL's sentence (at most 200 characters back) must name code
    ("code", "implementation", "repository"...) and say it is available, released, public or at
    the link ("Code is available at", "Our code: "), and must not describe someone else's code
    ("based on", "we use"...). Other URLs (datasets, project pages, cited tools) are left out.
    """
    urls: list[str] = []
    for match in _URL.finditer(abstract):
        url = match.group(0).rstrip(_TRAILING)
        before = abstract[max(0, match.start() - 200) : match.start()]
        ends = list(_SENTENCE_END.finditer(before))
        sentence = before[ends[-1].end() :] if ends else before
        if (
            _CODE_NOUN.search(sentence)
            and _AVAILABLE.search(sentence)
            and not _BORROWED.search(sentence)
            and url not in urls
        ):
            urls.append(url)
    return tuple(urls)


# --------------------------------------------------------------------------- duplicates


def collapse_duplicates(items: Iterable[Accepted]) -> tuple[list[Paper], int]:
    """Papers with repeated notes removed, and how many were dropped.

    NeurIPS 2021 lists about 300 papers twice: two notes with different ids but the same pdf
    and title. The note with the lower number is kept (the first seen when numbers are
    missing); a repeated forum id is dropped as well.
    """
    best: dict[tuple[str, str], Accepted] = {}
    order: list[tuple[str, str]] = []
    dropped = 0
    for item in items:
        key = (item.pdf or f"forum:{item.paper.native_id}", item.paper.title.casefold())
        if key not in best:
            best[key] = item
            order.append(key)
            continue
        dropped += 1
        kept = best[key]
        if item.number is not None and (kept.number is None or item.number < kept.number):
            best[key] = item
    papers: list[Paper] = []
    seen: set[str] = set()
    for key in order:
        paper = best[key].paper
        if paper.native_id in seen:
            dropped += 1
            continue
        seen.add(paper.native_id)
        papers.append(paper)
    return papers, dropped


# --------------------------------------------------------------------------- errors


def api_error_message(status: int, body: bytes, content_type: str | None = None) -> str:
    """What to tell the user about a refused request (pure; never includes a token).

    HTML instead of JSON (any status) is the browser check OpenReview puts in front of
    anonymous clients; ``ChallengeRequiredError`` (403) says the same in JSON; a
    ``RateLimitError`` (429) carries ``details.resetTime``; 401 is a bad or expired token.
    """
    login = (
        f"OpenReview asks for a logged-in client: set {TOKEN_VARIABLE} to an API token "
        f"(POST {BASE_URL}/login with your OpenReview user name and password returns one) "
        "and run again"
    )
    text = body.decode("utf-8", errors="replace").strip()
    if "html" in (content_type or "").lower() or text[:200].lower().startswith(
        ("<!doctype", "<html")
    ):
        return f"{login} (it sent a browser-check page instead of JSON)"
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        data = {}
    data = data if isinstance(data, Mapping) else {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or "").strip()
    details = data.get("details") if isinstance(data.get("details"), Mapping) else {}
    if name == "ChallengeRequiredError" or (status == 403 and not name):
        return login
    if status == 429 or name == "RateLimitError":
        reset = details.get("resetTime") if isinstance(details, Mapping) else None
        when = f"after {reset}" if reset else "later (the API did not say when)"
        return f"OpenReview rate limit reached ({message or 'too many requests'}); run again {when}"
    if name == "LoginError":
        return "OpenReview refused the login (LoginError): check the user name and password"
    if status == 401 or name in ("TokenExpiredError", "UnauthorizedError"):
        return (
            f"OpenReview refused the token ({name or 'unauthorized'}): set {TOKEN_VARIABLE} to a "
            f"fresh token (POST {BASE_URL}/login)"
        )
    what = f"{name}: {message}" if name and message else name or message or "no details"
    return f"OpenReview refused the request ({what})"


# --------------------------------------------------------------------------- fetching


def login(client: _LoginClient, username: str, password: str) -> str:
    """A bearer token (for ``OPENREVIEW_TOKEN``) from an OpenReview user name and password.

    ``POST /login`` on API 2; the token works on both APIs. Neither credential appears in an
    error message.
    """
    url = f"{BASE_URL}/login"
    response = client.post(
        url,
        json_body={"id": username, "password": password},
        headers={"Accept": "application/json"},
        allow_status=(400, 401, 403, 429),
    )
    body = response.content
    content_type = _header(response, "content-type")
    if response.status_code != 200:
        raise FetchError(
            url, response.status_code, api_error_message(response.status_code, body, content_type)
        )
    try:
        token = json.loads(body).get("token")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        what = "a browser-check page" if body.lstrip()[:1] == b"<" else 'no "token"'
        raise FetchError(
            url,
            response.status_code,
            f"OpenReview's login answered with {what}, not a token: try again later, or set "
            f"{TOKEN_VARIABLE} to a token obtained another way",
        )
    return token


def fetch_papers(
    client: _Client,
    venue: str,
    year: int,
    *,
    token: str | None = None,
    page_size: int = PAGE_SIZE,
) -> list[Paper]:
    """Every accepted paper of the venue-year, main track first, then the other tracks.

    Pages through each listing of :func:`listing_queries` until a page holds fewer than
    ``page_size`` notes. ``token`` is sent as ``Authorization: Bearer``. Refusals become a
    :class:`FetchError` that says what to do (log in, wait for the rate limit's reset). A main
    listing with no accepted paper raises :class:`ParseError`.
    """
    key = _venue_key(venue)
    label = f"{VENUES[key]} {year}"
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token.strip()}"
    items: list[Accepted] = []
    for query in listing_queries(key, year):
        found, tally = _fetch_listing(client, query, key, year, headers, page_size)
        if not found and query.required:
            raise ParseError(
                NAME,
                notes_url(query, 0, page_size),
                f"no papers found for {label} ({query.track} track, {tally}): the page layout "
                "may have changed, or the venue has not published its decisions yet",
            )
        items.extend(found)
    papers, dropped = collapse_duplicates(items)
    if dropped:
        log.info("%s: %d repeated notes of the same paper dropped", label, dropped)
    return papers


def _fetch_listing(
    client: _Client,
    query: Query,
    venue: str,
    year: int,
    headers: dict[str, str],
    page_size: int,
) -> tuple[list[Accepted], str]:
    found: list[Accepted] = []
    notes = not_accepted = undecided = 0
    first_ids: set[str] = set()
    for number in range(MAX_PAGES):
        url = notes_url(query, number * page_size, page_size)
        body = _get_json(client, url, headers)
        page = parse_notes(body, url, venue, year, query)
        first = _first_id(body)
        if first is not None:
            if first in first_ids:
                raise ParseError(
                    NAME, url, "the API sent the same page again: it may ignore the offset"
                )
            first_ids.add(first)
        found.extend(page.accepted)
        notes += page.notes
        not_accepted += page.not_accepted
        undecided += page.undecided
        if page.notes < page_size:
            break
        log.debug("%s: page %d had %d notes, asking for the next", query.target, number, page.notes)
    else:
        raise ParseError(
            NAME, notes_url(query, 0, page_size), f"more than {MAX_PAGES} pages: stopped"
        )
    tally = f"{notes} notes, {not_accepted} not accepted, {undecided} without a decision"
    log.info("%s: %d accepted (%s)", query.target, len(found), tally)
    return found, tally


def _header(response: requests.Response, name: str) -> str | None:
    for key, value in (getattr(response, "headers", None) or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _first_id(body: Mapping[str, Any]) -> str | None:
    notes = body.get("notes")
    if isinstance(notes, list) and notes and isinstance(notes[0], Mapping):
        ident = notes[0].get("id")
        return ident if isinstance(ident, str) else None
    return None


def _get_json(client: _Client, url: str, headers: dict[str, str]) -> Mapping[str, Any]:
    response = client.get(url, headers=dict(headers), allow_status=(400, 401, 403, 404, 429))
    status = response.status_code
    content_type = _header(response, "content-type")
    body = response.content
    if status != 200:
        raise FetchError(url, status, api_error_message(status, body, content_type))
    if "html" in (content_type or "").lower() or body.lstrip()[:1] == b"<":
        raise FetchError(url, status, api_error_message(status, body, content_type))
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(NAME, url, f"the API answer is not JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ParseError(NAME, url, "the API answer is not a JSON object")
    return data
