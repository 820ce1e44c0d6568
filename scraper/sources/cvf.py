"""CVF Open Access (openaccess.thecvf.com): CVPR, ICCV and WACV main-conference papers.

The listing of a venue-year is one HTML page: ``/CVPR2023?day=all`` on current years; per-day
pages (``?day=2019-06-18``) linked from the base page ``/CVPR2019`` when ``day=all`` fails; a
single page ``/CVPR2016`` on old years. :func:`parse_listing` is pure; :func:`fetch_papers` does
the requests through the shared :class:`~scraper.http.HttpClient`.

CVF pages carry no code links (see docs/sources.md section 3): code comes from the PDFs and the
aggregators.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from scraper.errors import FetchError, NetworkError, ParseError
from scraper.models import Paper
from scraper.sources.base import Client as _Client

if TYPE_CHECKING:
    pass

NAME = "cvf"
KIND = "venue"
POLITENESS = "1 request/s, robots.txt obeyed; 1-4 listing pages per venue-year"
BASE_URL = "https://openaccess.thecvf.com"
VENUES = {"cvpr": "CVPR", "iccv": "ICCV", "wacv": "WACV"}
FIRST_YEAR = {"cvpr": 2013, "iccv": 2013, "wacv": 2020}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NEW_ARXIV = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d.]*\d)")
_OLD_ARXIV = re.compile(r"(?<![\w.-])([a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)")
_CONTENT = re.compile(r"""<div[^>]*\bid\s*=\s*["']?content\b""", re.IGNORECASE)
_ENTRY_START = re.compile(r"(?=<dt\b)", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']*\bday=[^"']*)["']""", re.IGNORECASE)
_LINK_LABELS = {"pdf", "supp", "arxiv", "bibtex", "video", "poster", "slides"}


@dataclass
class Listing:
    """What one listing page holds: its papers, the day pages it links, and bad entries."""

    papers: list[Paper] = field(default_factory=list)
    day_urls: list[str] = field(default_factory=list)
    skipped: int = 0


# --------------------------------------------------------------------------- URLs


def years(venue: str, last: int | None = None) -> range:
    """Years the site has for ``venue`` up to ``last`` (default: the current year).

    CVPR every year from 2013, ICCV odd years from 2013, WACV every year from 2020.
    """
    key = _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    step = 2 if key == "iccv" else 1
    return range(FIRST_YEAR[key], max(end, FIRST_YEAR[key]), step)


def listing_url(venue: str, year: int, day: str | None = None) -> str:
    """``https://openaccess.thecvf.com/CVPR2023``, with ``?day=all`` or ``?day=2023-06-20``."""
    url = f"{BASE_URL}/{VENUES[_venue_key(venue)]}{year}"
    if day is None:
        return url
    if day != "all" and not _DAY.match(day):
        raise ValueError(f"day must be 'all' or YYYY-MM-DD, got {day!r}")
    return f"{url}?day={day}"


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        known = ", ".join(sorted(VENUES))
        raise ValueError(f"unknown CVF venue {venue!r}; CVF Open Access has: {known}")
    return key


# --------------------------------------------------------------------------- parsing


def normalize_arxiv_id(value: str) -> str | None:
    """The bare arXiv id in a link or label, without version.

    ``arXiv:1802.09232`` / ``http://arxiv.org/abs/1612.00496v2`` -> ``1802.09232`` /
    ``1612.00496``; old-style ``arxiv.org/abs/cs/0601001v1`` -> ``cs/0601001``.
    """
    match = _NEW_ARXIV.search(value)
    if match:
        return match.group(1)
    match = _OLD_ARXIV.search(value)
    return match.group(1) if match else None


def parse_listing(html: str | bytes, page_url: str, venue: str, year: int) -> Listing:
    """Papers and day links of one CVF listing page (pure).

    ``page_url`` is the URL the page was requested from; relative links are resolved against it.
    Each ``dt.ptitle`` inside ``div#content`` is paired with the ``dd`` elements that follow it up
    to the next ``dt``: one with the authors (hidden ``query_author`` inputs on recent pages, one
    ``<a>`` per author around 2019, plain text on old pages) and one with the
    ``[pdf]``/``[supp]``/``[arXiv]`` links and the BibTeX block. Entries without a title or a
    paper-page link are counted in ``skipped``; repeated entries (same page file) are dropped.

    A ``?day=all`` page holds 2-3k papers (several MB). One BeautifulSoup tree over all of it
    costs time that grows faster than the page, so the content is cut at each ``<dt`` and every
    entry is parsed on its own: linear, and one broken entry cannot disturb its neighbours.
    """
    key = _venue_key(venue)
    text = _decode(html)
    listing = Listing(day_urls=_day_urls(text, page_url))
    content = _CONTENT.search(text)
    chunks = _ENTRY_START.split(text[content.start() if content else 0 :])
    seen: set[str] = set()
    for chunk in chunks[1:]:
        dt = BeautifulSoup(chunk, "html.parser").find("dt")
        if not isinstance(dt, Tag) or "ptitle" not in (dt.get("class") or []):
            continue
        paper = _paper(dt, page_url, key, year)
        if paper is None:
            listing.skipped += 1
        elif paper.native_id not in seen:
            seen.add(paper.native_id)
            listing.papers.append(paper)
    return listing


def _decode(html: str | bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8, else windows-1252 (old CVF pages use it)."""
    if isinstance(html, str):
        return html
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


def _paper(dt: Tag, page_url: str, venue: str, year: int) -> Paper | None:
    link = dt.find("a", href=True)
    if not isinstance(link, Tag):
        return None
    title = _collapse(link.get_text())
    href = str(link.get("href", "")).strip()
    if not title or not href or href.startswith(("#", "javascript:")):
        return None
    page = urljoin(page_url, href)
    native_id = PurePosixPath(urlsplit(page).path).stem
    if not native_id:
        return None
    authors: tuple[str, ...] = ()
    links: dict[str, str] = {}
    for dd in _following_dds(dt):
        found = _links(dd, page_url)
        if found or dd.find("div", class_=("bibref", "link2")):
            for label, url in found.items():
                links.setdefault(label, url)
        elif not authors:
            authors = _authors(dd)
    arxiv = links.get("arxiv")
    return Paper(
        venue=venue,
        year=year,
        native_id=native_id,
        title=title,
        authors=authors,
        source=NAME,
        page_url=page,
        pdf_url=links.get("pdf"),
        supp_url=links.get("supp"),
        arxiv_id=normalize_arxiv_id(arxiv) if arxiv else None,
    )


def _following_dds(dt: Tag) -> list[Tag]:
    out: list[Tag] = []
    for sibling in dt.next_siblings:
        if not isinstance(sibling, Tag):
            continue
        if sibling.name == "dt":
            break
        if sibling.name == "dd":
            out.append(sibling)
    return out


def _authors(dd: Tag) -> tuple[str, ...]:
    inputs = dd.find_all("input", attrs={"name": "query_author"})
    if inputs:
        names = [_collapse(str(i.get("value", ""))) for i in inputs]
    else:
        anchors = dd.find_all("a")
        if anchors:
            names = [_collapse(a.get_text()) for a in anchors]
        else:
            names = re.split(r"\s*(?:,|;|\band\b)\s*", _collapse(dd.get_text(" ")))
    return tuple(n.strip(" ,;") for n in names if n.strip(" ,;"))


def _links(dd: Tag, page_url: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for anchor in dd.find_all("a", href=True):
        label = _collapse(anchor.get_text()).lower().strip("[] ")
        href = str(anchor.get("href", "")).strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        if label == "pdf":
            found.setdefault("pdf", urljoin(page_url, href))
        elif label in ("supp", "supplemental", "supplementary"):
            found.setdefault("supp", urljoin(page_url, href))
        elif label == "arxiv":
            found.setdefault("arxiv", href)
        elif label in _LINK_LABELS:
            found.setdefault(label, urljoin(page_url, href))
    return found


def _day_urls(text: str, page_url: str) -> list[str]:
    urls: list[str] = []
    for match in _HREF.finditer(text):
        url = urljoin(page_url, unescape(match.group(1)).strip())
        days = parse_qs(urlsplit(url).query).get("day", [])
        if days and _DAY.match(days[0]) and url not in urls:
            urls.append(url)
    return urls


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- fetching


def fetch_papers(client: _Client, venue: str, year: int) -> list[Paper]:
    """Every paper of a CVF venue-year.

    Tries ``?day=all`` first. If that fails or lists nothing (the site's "Error 1525" page, or a
    year split by day), reads the base page: it either lists day pages, which are fetched and
    merged, or (2013-2017 layout) lists the papers itself. A 404 for the base page means the
    venue-year does not exist and raises :class:`FetchError`. Finding no papers at all raises
    :class:`ParseError`: an empty result for a venue-year that exists is never returned.
    """
    label = f"{VENUES[_venue_key(venue)]} {year}"
    all_url = listing_url(venue, year, "all")
    try:
        response = client.get(all_url)
    except NetworkError:
        raise
    except FetchError:
        pass  # day=all is known to fail on some years; the base page decides
    else:
        listing = parse_listing(response.content, all_url, venue, year)
        if listing.papers:
            return listing.papers

    base_url = listing_url(venue, year)
    base = parse_listing(client.get(base_url).content, base_url, venue, year)
    if base.day_urls:
        merged: dict[str, Paper] = {}
        for day_url in base.day_urls:
            day = parse_listing(client.get(day_url).content, day_url, venue, year)
            if not day.papers:
                raise ParseError(
                    NAME,
                    day_url,
                    f"the day page of {label} lists no papers (the server may have sent an "
                    "error page); run again later, and if it persists the layout has changed",
                )
            for paper in day.papers:
                merged.setdefault(paper.native_id, paper)
        return list(merged.values())
    if base.papers:
        return base.papers
    raise ParseError(
        NAME, base_url, f"no papers found for {label}: the page layout may have changed"
    )
