"""ECVA (www.ecva.net): ECCV main-conference papers, 2018 onwards (even years).

One page, ``https://www.ecva.net/papers.php``, lists every year in accordion sections (a
``button.accordion`` "ECCV 2024 Papers" followed by ``div.accordion-content > div#content > dl``).
Each paper is ``dt.ptitle`` with a relative link to its page
(``papers/eccv_2024/papers_ECCV/html/4_ECCV_2024_paper.php``; quoted with ``'``, ``"`` or not at
all), then a ``dd`` with the authors as plain text (``*`` marks some names; 2018 uses the BibTeX
form ``Last, First and Last, First``), then a ``dd`` with ``[pdf]``, an optional
``div.link2 > [supplementary material]`` and sometimes a Springer DOI link. A year's papers are the
entries whose link starts with ``papers/eccv_{YEAR}/``.

ECVA publishes no code links and no arXiv ids (docs/sources.md section 6).
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from scraper.errors import ParseError
from scraper.models import Paper
from scraper.sources.base import Client as _Client

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

NAME = "ecva"
KIND = "venue"
BASE_URL = "https://www.ecva.net"
PAGE_URL = f"{BASE_URL}/papers.php"
VENUES = {"eccv": "ECCV"}
FIRST_YEAR = 2018
POLITENESS = (
    "1 request/s on one connection, robots.txt obeyed (shared client); the single papers.php "
    "page (several MB, every year) is fetched once per call"
)

_DT_START = re.compile(r"<dt\b", re.IGNORECASE)
_HEADING = re.compile(r"ECCV\s+(\d{4})\s+Papers", re.IGNORECASE)
_YEAR_PATH = re.compile(r"/papers/eccv_(\d{4})/", re.IGNORECASE)
_YEAR_LINK = re.compile(r"""papers/eccv_(\d{4})/""", re.IGNORECASE)
_MARKERS = re.compile(r"[*\u2020\u2021\u00b9\u00b2\u00b3\u2070-\u2079]+")


@dataclass
class Listing:
    """One year's papers on papers.php, its unreadable entries, and every year the page lists."""

    papers: list[Paper] = field(default_factory=list)
    skipped: int = 0
    years: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- URLs and years


def years(venue: str, last: int | None = None) -> range:
    """ECCV years (even, from 2018) up to ``last`` (default: the current year)."""
    _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR, max(end, FIRST_YEAR), 2)


def listing_url(venue: str, year: int) -> str:
    """The one page that lists every year: ``https://www.ecva.net/papers.php``."""
    _venue_key(venue)
    return PAGE_URL


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        raise ValueError(f"unknown ECVA venue {venue!r}; this source has: eccv")
    return key


# --------------------------------------------------------------------------- parsing


def parse_papers(html: str | bytes, page_url: str, year: int) -> Listing:
    """The papers of ECCV ``year`` on papers.php (pure).

    ``page_url`` is the URL the page was requested from; the relative links are resolved against
    it. Entries are taken by their link (``…/papers/eccv_{year}/…``), wherever they sit. An entry
    inside the year's section that has no title or no paper link is counted in ``skipped``;
    repeated entries are dropped.
    """
    text = html if isinstance(html, str) else html.decode("utf-8", errors="replace")
    listing = Listing(years=sorted({int(y) for y in _YEAR_LINK.findall(text)}))
    section = _section(text, year)
    marker = f"eccv_{year}/"
    starts = [m.start() for m in _DT_START.finditer(text)]
    ends = [*starts[1:], len(text)] if starts else []
    seen: set[str] = set()
    for start, end in zip(starts, ends, strict=True):
        in_section = section is not None and section[0] <= start < section[1]
        chunk = text[start:end]
        if marker not in chunk.lower() and not in_section:
            continue
        soup = BeautifulSoup(chunk, "html.parser")
        dt = soup.find("dt")
        if not isinstance(dt, Tag) or "ptitle" not in (dt.get("class") or []):
            continue
        paper, linked_year = _paper(dt, soup, page_url, year)
        if paper is not None:
            if paper.native_id not in seen:
                seen.add(paper.native_id)
                listing.papers.append(paper)
        elif in_section and linked_year in (None, year):
            listing.skipped += 1
    return listing


def _section(text: str, year: int) -> tuple[int, int] | None:
    """Where the "ECCV {year} Papers" section runs, if the page has such headings."""
    headings = list(_HEADING.finditer(text))
    for i, heading in enumerate(headings):
        if int(heading.group(1)) == year:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            return heading.end(), end
    return None


def _paper(
    dt: Tag, soup: BeautifulSoup, page_url: str, year: int
) -> tuple[Paper | None, int | None]:
    """The entry's paper (None if unreadable or of another year), and the year its link names."""
    link = dt.find("a", href=True)
    if not isinstance(link, Tag):
        return None, None
    page = urljoin(page_url, str(link.get("href", "")).strip())
    match = _YEAR_PATH.search(urlsplit(page).path)
    linked_year = int(match.group(1)) if match else None
    title = _title(link.get_text(" "))
    native_id = PurePosixPath(urlsplit(page).path).stem
    if linked_year != year or not title or not native_id:
        return None, linked_year
    dds = soup.find_all("dd")
    authors: tuple[str, ...] = ()
    pdf_url = supp_url = None
    for dd in dds:
        anchors = [a for a in dd.find_all("a", href=True) if str(a.get("href", "")).strip()]
        if not anchors:
            if not authors:
                authors = split_authors(dd.get_text(" "), year)
            continue
        for anchor in anchors:
            label = _collapse(anchor.get_text(" ")).lower().strip("[] ")
            url = urljoin(page_url, str(anchor.get("href", "")).strip())
            if label == "pdf" and pdf_url is None:
                pdf_url = url
            elif label.startswith("supp") and supp_url is None:
                supp_url = url
    paper = Paper(
        venue="eccv",
        year=year,
        native_id=native_id,
        title=title,
        authors=authors,
        source=NAME,
        page_url=page,
        pdf_url=pdf_url,
        supp_url=supp_url,
    )
    return paper, linked_year


def split_authors(text: str, year: int | None = None) -> tuple[str, ...]:
    """Author names from ECVA's plain-text list (pure).

    ``Alice Smith*, Bob Lee`` -> ``("Alice Smith", "Bob Lee")``; the 2018 BibTeX form
    ``Ling, Yonggen and Bao, Linchao`` -> ``("Yonggen Ling", "Linchao Bao")``. Markers (``*``,
    daggers, superscript digits) are dropped. A lone ``Last, First`` is read as one BibTeX name
    only for 2018 and only when one side is a single word (two names each have two words or more).
    """
    text = _collapse(_MARKERS.sub("", text))
    if not text:
        return ()
    parts = re.split(r"\s+and\s+", text)
    lone_bibtex = (
        year == 2018
        and len(parts) == 1
        and text.count(",") == 1
        and any(len(side.split()) == 1 for side in text.split(","))
    )
    if lone_bibtex or (len(parts) > 1 and all(part.count(",") == 1 for part in parts)):
        names = [" ".join(reversed([p.strip() for p in part.split(",")])) for part in parts]
    else:
        names = [name for part in parts for name in part.split(",")]
    return tuple(n for n in (_collapse(name).strip(" ,;") for name in names) if n)


def _title(text: str) -> str:
    title = _collapse(text)
    if len(title) > 1 and title[0] == title[-1] == '"':
        title = title[1:-1].strip()
    return title


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- fetching


def fetch_papers(client: _Client, venue: str, year: int) -> list[Paper]:
    """Every ECCV ``year`` paper on papers.php.

    Raises :class:`ParseError` when the page lists none for that year, saying whether it lists
    other years (the year is not published yet, or the page changed) or none at all.
    """
    _venue_key(venue)
    url = listing_url(venue, year)
    listing = parse_papers(client.get(url).content, url, year)
    if listing.skipped:
        log.warning(
            "%s: skipped %d malformed ECCV %d entries on %s", NAME, listing.skipped, year, url
        )
    if listing.papers:
        return listing.papers
    if listing.years:
        listed = ", ".join(str(y) for y in listing.years)
        raise ParseError(
            NAME,
            url,
            f"no papers found for ECCV {year}: the page lists {listed}; ECCV {year} may not be "
            "published yet, or the page layout may have changed",
        )
    raise ParseError(
        NAME, url, f"no papers found for ECCV {year}: the page layout may have changed"
    )
