"""NeurIPS proceedings (proceedings.neurips.cc): main-conference and Datasets & Benchmarks papers.

A year's papers are listed on ``/paper_files/paper/{YEAR}``: ``ul.paper-list > li``, one per paper,
with a link to the paper's abstract page and the authors as one comma-separated string. Layouts
seen (all handled by :func:`parse_listing`):

* the classic theme: ``<li class="conference"><a href="…">Title</a> <i>Authors</i></li>`` (the
  ``li`` class names the track from 2022; plain ``<li>`` before; the 2021 D&B host still uses it);
* the 2026 theme: ``<li class="conference" data-track="conference">`` holding
  ``div.paper-content > a`` and ``span.paper-authors``;
* from 2025 a year is split into "books": ``/paper_files/paper/2025`` lists only the Creative AI
  track and points ("See also") to ``/paper_files/paper/2025/vol38-main-conference``, which holds
  the main, Datasets & Benchmarks and position papers. :func:`fetch_papers` follows those links.

Abstract-page names tell the track: ``{HASH}-Abstract.html`` (to 2021),
``-Abstract-Conference.html`` / ``-Abstract-Datasets_and_Benchmarks.html`` (2022-23),
``-Abstract-Datasets_and_Benchmarks_Track.html`` (2024+),
``-Abstract-Position_Paper_Track.html`` and ``-Abstract-Creative_AI_Track.html`` (2025),
``-Abstract-round1.html`` (2021 D&B, on the separate host
``datasets-benchmarks-proceedings.neurips.cc``). The PDF is derived from the page link:
``/hash/`` -> ``/file/``, ``-Abstract`` -> ``-Paper``, track suffix kept.

The proceedings have no code field (docs/sources.md section 1): code comes from the PDFs.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from html import unescape
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.models import Paper
from scraper.sources.base import Client as _Client

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

NAME = "neurips"
KIND = "venue"
BASE_URL = "https://proceedings.neurips.cc"
DB_2021_BASE_URL = "https://datasets-benchmarks-proceedings.neurips.cc"
VENUES = {"neurips": "NeurIPS"}
FIRST_YEAR = 2015
POLITENESS = (
    "1 request/s per host on one connection, robots.txt obeyed (shared client); "
    "1-3 listing pages a year, no per-paper requests"
)

# Track values set on Paper.track.
MAIN = "main"
DATASETS_AND_BENCHMARKS = "datasets_and_benchmarks"
POSITION = "position"
CREATIVE_AI = "creative_ai"
DEFAULT_TRACKS = frozenset({MAIN, DATASETS_AND_BENCHMARKS})  # both are in the proceedings

# File-name track token (or li class / data-track), lower-cased -> track.
_TRACKS = {
    "": MAIN,
    "none": MAIN,
    "conference": MAIN,
    "datasets_and_benchmarks": DATASETS_AND_BENCHMARKS,
    "datasets_and_benchmarks_track": DATASETS_AND_BENCHMARKS,
    "round1": DATASETS_AND_BENCHMARKS,
    "round2": DATASETS_AND_BENCHMARKS,
    "position_paper_track": POSITION,
    "creative_ai_track": CREATIVE_AI,
}
_MAIN_TOKENS = {"", "conference"}

# /paper_files/paper/2024/hash/<32 hex>-Abstract-Conference.html, or the 2020-22 form /paper/2020/…
_ABSTRACT_PATH = re.compile(
    r"^(?P<prefix>/(?:paper_files/)?paper/(?P<year>\d{4})/)hash/"
    r"(?P<hash>[0-9a-fA-F]{32})-Abstract(?:-(?P<token>[A-Za-z0-9_]+))?\.html$"
)
_HASH_LINK = re.compile(r"""/hash/[^"'\s>]*-Abstract""", re.IGNORECASE)
_LIST_START = re.compile(r"""class\s*=\s*["'][^"']*\bpaper-list\b""", re.IGNORECASE)
_ITEM_START = re.compile(r"(?=<li\b)", re.IGNORECASE)
_SEE_ALSO = re.compile(
    r"""<(?P<tag>[a-z0-9]+)[^>]*class\s*=\s*["'][^"']*see-also[^"']*["'][^>]*>(?P<body>.*?)</(?P=tag)>""",
    re.IGNORECASE | re.DOTALL,
)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_STATED = re.compile(r"""class\s*=\s*["']paper-count["'][^>]*>\s*(\d+)\s+papers""", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#[xX][0-9A-Fa-f]+);")
_MAX_LISTING_PAGES = 8


@dataclass
class Listing:
    """One listing page: its papers, the other listing pages of the year it points to, bad entries.

    ``stated`` is the count the page prints ("5823 papers"), when it prints one.
    """

    papers: list[Paper] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    skipped: int = 0
    stated: int | None = None


# --------------------------------------------------------------------------- URLs and years


def years(venue: str, last: int | None = None) -> range:
    """Years covered, from 2015 up to ``last`` (default: the current year)."""
    _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR, max(end, FIRST_YEAR))


def listing_url(venue: str, year: int) -> str:
    """``https://proceedings.neurips.cc/paper_files/paper/2024``."""
    _venue_key(venue)
    return f"{BASE_URL}/paper_files/paper/{year}"


def db_2021_listing_urls() -> list[str]:
    """The 2021 Datasets & Benchmarks listing on its own host (current path, then the older one)."""
    return [f"{DB_2021_BASE_URL}/paper_files/paper/2021", f"{DB_2021_BASE_URL}/paper/2021"]


def pdf_url_for(page_url: str) -> str | None:
    """The PDF of an abstract page: ``…/hash/H-Abstract-X.html`` -> ``…/file/H-Paper-X.pdf``."""
    parts = urlsplit(page_url)
    match = _ABSTRACT_PATH.match(parts.path)
    if not match:
        return None
    token = match.group("token")
    name = f"{match.group('hash')}-Paper" + (f"-{token}" if token else "") + ".pdf"
    return urlunsplit((parts.scheme, parts.netloc, f"{match.group('prefix')}file/{name}", "", ""))


def track_of(token: str | None) -> str:
    """The track a file-name token (``Conference``, ``round1``…) or ``li`` class names.

    Unknown tokens are returned lower-cased, so a new track is kept apart, never taken for main.
    """
    key = (token or "").strip().lower()
    return _TRACKS.get(key, key)


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        raise ValueError(f"unknown NeurIPS venue {venue!r}; this source has: neurips")
    return key


# --------------------------------------------------------------------------- parsing


def parse_listing(html: str | bytes, page_url: str, year: int) -> Listing:
    """Papers of one NeurIPS listing page (pure).

    ``page_url`` is the URL the page was requested from; links are resolved against it. Every
    ``li`` after the start of ``ul.paper-list`` is an entry; an entry without a title or without an
    abstract link of ``year`` is counted in ``skipped``. Repeated entries are dropped. Links to
    other listing pages of the same year (2025+ "See also" volumes) are returned in ``see_also``.
    """
    text = _decode(html)
    listing = Listing(see_also=_see_also(text, page_url, year), stated=_stated(text))
    start = _LIST_START.search(text)
    chunks = _ITEM_START.split(text[start.start() if start else 0 :])
    seen: set[str] = set()
    for chunk in chunks[1:]:
        if start is None and not _HASH_LINK.search(chunk):
            continue  # no paper list found: only items that link a paper count
        item = BeautifulSoup(chunk, "html.parser").find("li")
        if not isinstance(item, Tag):
            continue
        paper = _paper(item, page_url, year)
        if paper is None:
            listing.skipped += 1
        elif paper.native_id not in seen:
            seen.add(paper.native_id)
            listing.papers.append(paper)
    return listing


def _paper(item: Tag, page_url: str, year: int) -> Paper | None:
    link = next(
        (a for a in item.find_all("a", href=True) if _HASH_LINK.search(str(a.get("href", "")))),
        None,
    )
    if link is None:
        return None
    page = urljoin(page_url, str(link.get("href", "")).strip())
    match = _ABSTRACT_PATH.match(urlsplit(page).path)
    title = _text(link.get_text(" "))
    if match is None or int(match.group("year")) != year or not title:
        return None
    token = match.group("token") or ""
    li_track = str(item.get("data-track") or " ".join(item.get("class") or []))
    track = track_of(token) if token else track_of(li_track.split()[0] if li_track else "")
    digest = match.group("hash").lower()
    native_id = digest if token.lower() in _MAIN_TOKENS else f"{digest}-{token}"
    return Paper(
        venue="neurips",
        year=year,
        native_id=native_id,
        title=title,
        authors=_authors(item),
        source=NAME,
        page_url=page,
        pdf_url=pdf_url_for(page),
        track=track,
    )


def _authors(item: Tag) -> tuple[str, ...]:
    holder = item.find(class_="paper-authors") or item.find("i")
    if not isinstance(holder, Tag):
        return ()
    names = (_text(name) for name in holder.get_text(" ").split(","))
    return tuple(name for name in names if name)


def _see_also(text: str, page_url: str, year: int) -> list[str]:
    """Other listing pages of ``year`` on the same host: "See also" links and ``vol<N>-…`` books."""
    hrefs = [
        next(g for g in m.groups() if g is not None)
        for block in _SEE_ALSO.finditer(text)
        for m in _HREF.finditer(block.group("body"))
    ]
    hrefs += [
        next(g for g in m.groups() if g is not None)
        for m in _HREF.finditer(text)
        if re.search(rf"/paper/{year}/vol\d+", m.group(0))
    ]
    here = urlsplit(page_url)
    pattern = re.compile(rf"^/(?:paper_files/)?paper/{year}(?:/[A-Za-z0-9_.-]+)?/?$")
    urls: list[str] = []
    for href in hrefs:
        url = urljoin(page_url, unescape(href).strip())
        parts = urlsplit(url)
        if parts.netloc != here.netloc or not pattern.match(parts.path):
            continue
        if "/hash/" in parts.path or "/file/" in parts.path:
            continue
        url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        if url != page_url.rstrip("/") and url not in urls:
            urls.append(url)
    return urls


def _stated(text: str) -> int | None:
    match = _STATED.search(text)
    return int(match.group(1)) if match else None


def _decode(html: str | bytes) -> str:
    if isinstance(html, str):
        return html
    return html.decode("utf-8", errors="replace")


def _text(value: str) -> str:
    """Collapse whitespace; decode entities the site escaped twice (``&amp;quot;``)."""
    value = re.sub(r"\s+", " ", value).strip()
    if _ENTITY.search(value):
        value = unescape(value)
    return value


# --------------------------------------------------------------------------- fetching


def fetch_papers(
    client: _Client, venue: str, year: int, *, tracks: Collection[str] | None = DEFAULT_TRACKS
) -> list[Paper]:
    """Papers of NeurIPS ``year`` in ``tracks`` (default: main and Datasets & Benchmarks).

    ``tracks=None`` keeps every track (position papers, Creative AI, unknown new ones). Reads the
    year page and every listing page of the same year it points to (the 2025+ volume books), and
    for 2021 the separate Datasets & Benchmarks host. A 404 for the year page raises
    :class:`FetchError` (proceedings not published). No papers at all, or none in the requested
    tracks, raises :class:`ParseError`.
    """
    _venue_key(venue)
    wanted = None if tracks is None else frozenset(tracks)
    start = listing_url(venue, year)
    found = _crawl(client, [start], year)
    if year == 2021 and (wanted is None or DATASETS_AND_BENCHMARKS in wanted):
        for paper in _fetch_db_2021(client):
            found.setdefault(paper.native_id, paper)
    if not found:
        raise ParseError(
            NAME, start, f"no papers found for NeurIPS {year}: the page layout may have changed"
        )
    selected = [p for p in found.values() if wanted is None or p.track in wanted]
    if not selected:
        have = ", ".join(sorted({p.track or "?" for p in found.values()}))
        raise ParseError(
            NAME,
            start,
            f"NeurIPS {year} lists {len(found)} papers but none in the tracks "
            f"{', '.join(sorted(wanted or ()))} (found: {have}); the main conference may have "
            "moved to a listing page this source does not follow yet",
        )
    return selected


def _crawl(client: _Client, start: list[str], year: int) -> dict[str, Paper]:
    """Read listing pages, following their same-year "See also" links; papers by native id."""
    queue = list(start)
    visited: set[str] = set()
    found: dict[str, Paper] = {}
    while queue and len(visited) < _MAX_LISTING_PAGES:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        listing = parse_listing(client.get(url).content, url, year)
        _report(listing, url)
        for paper in listing.papers:
            found.setdefault(paper.native_id, paper)
        queue += [u for u in listing.see_also if u not in visited]
    return found


def _fetch_db_2021(client: _Client) -> list[Paper]:
    """2021 Datasets & Benchmarks papers from their own host (its listing moved once)."""
    error: FetchError | None = None
    for url in db_2021_listing_urls():
        try:
            response = client.get(url)
        except NetworkError:
            raise
        except FetchError as exc:
            if exc.status != 404:
                raise
            error = exc
            continue
        listing = parse_listing(response.content, url, 2021)
        _report(listing, url)
        if not listing.papers:
            raise ParseError(
                NAME,
                url,
                "no Datasets & Benchmarks papers found for NeurIPS 2021: the page "
                "layout may have changed",
            )
        return listing.papers
    assert error is not None
    raise error


def _report(listing: Listing, url: str) -> None:
    if listing.skipped:
        log.warning("%s: skipped %d malformed entries on %s", NAME, listing.skipped, url)
    listed = len(listing.papers) + listing.skipped
    if listing.stated is not None and listed < listing.stated:
        log.warning(
            "%s: %s says %d papers but lists %d (a truncated page?)",
            NAME,
            url,
            listing.stated,
            listed,
        )
