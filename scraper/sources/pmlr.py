"""PMLR (proceedings.mlr.press): ICML papers, one volume page per year.

A volume page ``https://proceedings.mlr.press/v{N}/`` is rendered by the mlresearch Jekyll theme:
one ``div.paper`` per paper with ``p.title``, ``span.authors`` (names joined by ``,&nbsp;``) and
``p.links``, a row of bracketed anchors: ``abs``, ``Download PDF``, then optional ``Publisher
Website``, ``doi``, ``OpenReview``, ``Website``, ``Paper Source Files``, ``Software``, ``Video``,
``Supplementary Material``, ``arXiv version``, and one anchor per ``extras`` item with its own
label (``Supplementary PDF``, ``Code``, ...). The older ``paper_list.html`` theme variant has the
same ``div.paper`` entries without the ``span.info`` part and with fewer link kinds.

Code links are the ``Software`` anchor plus extras labelled like code (``Code``, ``Source code``,
``GitHub``...) or pointing at a code host; repeated extras are dropped. The PDF is taken from the
page, never built: 2024+ volumes link ``raw.githubusercontent.com/mlresearch/v{N}/main/assets/…``.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from scraper.errors import ConfigError, ParseError
from scraper.links import normalize_repo_url
from scraper.models import Paper
from scraper.sources.base import Client as _Client
from scraper.sources.cvf import normalize_arxiv_id

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

NAME = "pmlr"
KIND = "venue"
BASE_URL = "https://proceedings.mlr.press"
POLITENESS = (
    "1 request/s on one connection, robots.txt obeyed (shared client); one volume page per "
    "venue-year, no per-paper requests"
)

# Venue -> {year: PMLR volume}. Another PMLR venue (AISTATS, COLT, UAI, ...) is one more entry
# here and one in VENUES; the parsing is the same for every volume.
VOLUMES: dict[str, dict[int, int]] = {
    "icml": {
        2013: 28,
        2014: 32,
        2015: 37,
        2016: 48,
        2017: 70,
        2018: 80,
        2019: 97,
        2020: 119,
        2021: 139,
        2022: 162,
        2023: 202,
        2024: 235,
        2025: 267,
        2026: 306,
    },
}
VENUES = {"icml": "ICML"}

_ENTRY_START = re.compile(r"""(?=<div\b[^>]*\bclass\s*=\s*["']?paper\b)""", re.IGNORECASE)
_CODE_LABEL = re.compile(
    r"\b(code|codes|software|github|gitlab|bitbucket|implementation|repository|repo)\b",
    re.IGNORECASE,
)
_NOT_CODE_LABEL = re.compile(r"paper source|source files|latex", re.IGNORECASE)
_CODE_HOSTS = {"github.com", "gitlab.com", "bitbucket.org"}
# Anchors that are never code links, whatever they point at.
_STANDARD = {
    "abs",
    "download pdf",
    "pdf",
    "doi",
    "openreview",
    "arxiv version",
    "publisher website",
}


@dataclass
class Listing:
    """What one volume page holds: its papers and the entries that could not be read."""

    papers: list[Paper] = field(default_factory=list)
    skipped: int = 0


# --------------------------------------------------------------------------- volumes and URLs


def volume(venue: str, year: int) -> int:
    """The PMLR volume number of a venue-year (``icml``, 2019 -> 97)."""
    table = VOLUMES[_venue_key(venue)]
    if year not in table:
        known = f"{min(table)}-{max(table)}"
        raise ValueError(
            f"no PMLR volume known for {VENUES[_venue_key(venue)]} {year} (known: {known}); "
            "find it on https://proceedings.mlr.press/ and add it to VOLUMES in "
            "scraper/sources/pmlr.py"
        )
    return table[year]


def years(venue: str, last: int | None = None) -> range:
    """Years with a known volume, up to ``last`` (default: the current year)."""
    table = VOLUMES[_venue_key(venue)]
    end = min(max(table), last if last is not None else datetime.date.today().year) + 1
    return range(min(table), max(end, min(table)))


def listing_url(venue: str, year: int) -> str:
    """``https://proceedings.mlr.press/v97/``."""
    return f"{BASE_URL}/v{volume(venue, year)}/"


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        known = ", ".join(sorted(VENUES))
        raise ValueError(f"unknown PMLR venue {venue!r}; this source has: {known}")
    return key


# --------------------------------------------------------------------------- parsing


def is_code_label(label: str) -> bool:
    """Whether a PMLR link label names code: ``Code``, ``Software``, ``GitHub``, ``Source code``."""
    return bool(_CODE_LABEL.search(label)) and not _NOT_CODE_LABEL.search(label)


def parse_volume(html: str | bytes, page_url: str, venue: str, year: int) -> Listing:
    """Papers of one PMLR volume page (pure).

    ``page_url`` is the URL the page was requested from; relative links are resolved against it.
    An entry without a title or without an id (no ``abs`` link and no PDF) is counted in
    ``skipped``; a repeated id is dropped.
    """
    key = _venue_key(venue)
    text = html if isinstance(html, str) else html.decode("utf-8", errors="replace")
    listing = Listing()
    seen: set[str] = set()
    for chunk in _ENTRY_START.split(text)[1:]:
        div = BeautifulSoup(chunk, "html.parser").find("div")
        if not isinstance(div, Tag) or "paper" not in (div.get("class") or []):
            continue
        paper = _paper(div, page_url, key, year)
        if paper is None:
            listing.skipped += 1
        elif paper.native_id not in seen:
            seen.add(paper.native_id)
            listing.papers.append(paper)
    return listing


def _paper(div: Tag, page_url: str, venue: str, year: int) -> Paper | None:
    title_tag = div.find("p", class_="title")
    title = _collapse(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else ""
    links = _links(div)
    abs_url = _first(links, "abs", page_url)
    pdf_url = _first(links, "download pdf", page_url) or _first(links, "pdf", page_url)
    native_id = _native_id(abs_url, pdf_url)
    if not title or not native_id:
        return None
    openreview = _first(links, "openreview", page_url)
    arxiv = _first(links, "arxiv version", page_url)
    return Paper(
        venue=venue,
        year=year,
        native_id=native_id,
        title=title,
        authors=_authors(div),
        source=NAME,
        page_url=abs_url,
        pdf_url=pdf_url,
        supp_url=_supplement(links, page_url),
        arxiv_id=normalize_arxiv_id(arxiv) if arxiv else None,
        openreview_id=_openreview_id(openreview) if openreview else None,
        code_urls=code_urls(links),
    )


def _links(div: Tag) -> list[tuple[str, str]]:
    """``(label, href)`` of every anchor in ``p.links``, in page order."""
    holder = div.find("p", class_="links")
    if not isinstance(holder, Tag):
        return []
    out = []
    for anchor in holder.find_all("a", href=True):
        href = str(anchor.get("href", "")).strip()
        if href and not href.startswith(("#", "javascript:")):
            out.append((_collapse(anchor.get_text(" ")), href))
    return out


def code_urls(links: list[tuple[str, str]]) -> tuple[str, ...]:
    """Code links among ``(label, href)`` pairs, as published, repeats dropped (pure).

    A link is code when its label names code (:func:`is_code_label`), or when it points at a code
    host (github.com, gitlab.com, bitbucket.org) and is not one of the standard paper links. Two
    links to the same repository (``…/repo`` and ``…/repo/tree/master``) count once.
    """
    urls: list[str] = []
    keys: set[str] = set()
    for label, href in links:
        host = (urlsplit(href).hostname or "").lower().removeprefix("www.")
        by_host = host in _CODE_HOSTS and label.lower() not in _STANDARD
        if not (is_code_label(label) or by_host):
            continue
        key = _url_key(href)
        if key not in keys:
            keys.add(key)
            urls.append(href)
    return tuple(urls)


def _url_key(url: str) -> str:
    """Identity of a link for de-duplication: its repository when it names one, else the URL
    without scheme, ``www.``, trailing slash or ``.git``, in any case."""
    repo, _reason = normalize_repo_url(url)
    if repo is not None:
        return repo.repo_id.lower()
    parts = urlsplit(url.strip())
    host = (parts.netloc or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host}{path}?{parts.query}".lower()


def _first(links: list[tuple[str, str]], label: str, page_url: str) -> str | None:
    for text, href in links:
        if text.lower() == label:
            return urljoin(page_url, href)
    return None


def _supplement(links: list[tuple[str, str]], page_url: str) -> str | None:
    for text, href in links:
        if text.lower().startswith("supplementary"):
            return urljoin(page_url, href)
    return None


def _native_id(abs_url: str | None, pdf_url: str | None) -> str | None:
    """The PMLR id (``abbati19a``): the abs page's file stem, else the PDF's."""
    for url in (abs_url, pdf_url):
        if url:
            stem = PurePosixPath(urlsplit(url).path).stem
            if stem:
                return stem
    return None


def _openreview_id(url: str) -> str | None:
    ids = parse_qs(urlsplit(url).query).get("id", [])
    return (ids[0].strip() or None) if ids else None


def _authors(div: Tag) -> tuple[str, ...]:
    holder = div.find("span", class_="authors")
    if not isinstance(holder, Tag):
        return ()
    names = (_collapse(name) for name in holder.get_text(" ").split(","))
    return tuple(name for name in names if name)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- fetching


def fetch_papers(client: _Client, venue: str, year: int) -> list[Paper]:
    """Every paper of a PMLR venue-year, from its volume page.

    A year without a known volume raises :class:`ConfigError` saying to add it to
    :data:`VOLUMES` (a fwcensus error, so the command line reports it in one line); a 404 for the
    volume page raises :class:`~scraper.errors.FetchError` (volume not published yet); a page
    without any paper raises :class:`ParseError`.
    """
    try:
        url = listing_url(venue, year)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    listing = parse_volume(client.get(url).content, url, venue, year)
    if listing.skipped:
        log.warning("%s: skipped %d malformed entries on %s", NAME, listing.skipped, url)
    if not listing.papers:
        raise ParseError(
            NAME,
            url,
            f"no papers found for {VENUES[_venue_key(venue)]} {year} (PMLR volume "
            f"{volume(venue, year)}): the page layout may have changed",
        )
    return listing.papers
