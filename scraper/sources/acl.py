"""ACL Anthology: ACL, EMNLP, NAACL, EACL and COLING main-conference papers (2015 on).

The Anthology keeps one XML file per collection in its Git repository (``data/xml/{id}.xml``),
read here from ``raw.githubusercontent.com``: structured data, no HTML scraping.

* Old-style collections (up to 2019) are a letter and a year: ``P19`` (ACL 2019), ``D19``
  (EMNLP), ``N19`` (NAACL), ``E17`` (EACL), ``C18`` (COLING). Volumes are numbered; paper
  ``1`` of volume ``1`` is ``P19-1001``. EMNLP 2019 (``D19``) also holds its workshops, as
  volumes 50 and up.
* New-style collections (2020 on) are ``{year}.{venue}`` (``2022.acl``) with named volumes
  (``long``, ``short``, ``main``, ``demo``, ``srw``, ...; COLING 2022 calls its main volume
  ``1``) and paper ids ``2022.acl-long.1``. Findings papers live in ``{year}.findings``, one
  volume per venue (``2022.findings-acl.1``): a track of the venue, not its main volume.
  LREC-COLING 2024 is the collection ``2024.lrec``.

:func:`parse_collection` is pure; :func:`fetch_papers` does the requests through the shared
client. Code links are ``<pwccode>`` (Papers with Code's link to the official repository) and
software attachments (zips on aclanthology.org: kept as found, the pipeline rejects them as
non-repository links).
"""

from __future__ import annotations

import datetime
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scraper.errors import ConfigError, FetchError, ParseError
from scraper.models import Paper
from scraper.sources.base import Client as _Client

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

NAME = "acl"
KIND = "venue"
BASE_URL = "https://raw.githubusercontent.com/acl-org/acl-anthology/master/data/xml"
SITE_URL = "https://aclanthology.org"
POLITENESS = (
    "one or two XML files per venue-year from raw.githubusercontent.com (GitHub's file CDN), "
    "1 request/s (client default), one connection"
)
VENUES = {
    "acl": "ACL",
    "emnlp": "EMNLP",
    "naacl": "NAACL",
    "eacl": "EACL",
    "coling": "COLING",
}
FIRST_YEAR = 2015
# Old-style collection letters (years up to 2019).
LETTERS = {"acl": "P", "emnlp": "D", "naacl": "N", "eacl": "E", "coling": "C"}
# Years each venue was held from 2015 (NAACL, EACL and COLING skip years). Used for messages
# only: a year missing here is still asked for, so a new edition is never silently skipped.
KNOWN_EDITIONS = {
    "naacl": (2015, 2016, 2018, 2019, 2021, 2022, 2024, 2025),
    "eacl": (2017, 2021, 2023, 2024),
    "coling": (2016, 2018, 2020, 2022, 2024, 2025),
}
# Collections that are not "{year}.{venue}".
COLLECTION_OVERRIDES = {("coling", 2024): "2024.lrec"}  # LREC-COLING 2024, a joint conference
DEFAULT_TRACKS = frozenset({"main", "long", "short", "findings"})

_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_ANTHOLOGY_ID = re.compile(r"^(?:[A-Z]\d{2}-\d{4,5}|\d{4}\.[a-z0-9]+-[a-z0-9]+\.\d+)$")
# Volume id -> track, for ids that say it directly.
_VOLUME_TRACKS = {
    "long": "long",
    "short": "short",
    "main": "main",
    "papers": "main",
    "demo": "demo",
    "demos": "demo",
    "srw": "srw",
    "tutorial": "tutorials",
    "tutorials": "tutorials",
    "industry": "industry",
}
# Booktitle words -> track, checked in order (a SRW title also says "Workshop").
_TITLE_TRACKS = (
    (re.compile(r"(?i)student research workshop"), "srw"),
    (re.compile(r"(?i)tutorial"), "tutorials"),
    (re.compile(r"(?i)demonstration|\bdemos?\b"), "demo"),
    (re.compile(r"(?i)industry"), "industry"),
    (re.compile(r"(?i)findings"), "findings"),
    (re.compile(r"(?i)workshop|shared task"), "workshop"),
    (re.compile(r"(?i)long and short"), "main"),
    (re.compile(r"(?i)long papers"), "long"),
    (re.compile(r"(?i)short papers"), "short"),
)
_CODE_ATTACHMENTS = frozenset({"software", "code", "source", "optionalsupplementarycode"})
_SUPPLEMENT_ATTACHMENTS = frozenset({"supplementary", "optionalsupplementarymaterial"})


@dataclass
class ParsedCollection:
    """What one collection file holds for a venue-year: the kept papers and what was left out."""

    collection: str
    papers: list[Paper] = field(default_factory=list)
    volumes: dict[str, str] = field(default_factory=dict)  # volume id -> track
    skipped: int = 0  # malformed entries (no title, bad id)
    removed: int = 0  # papers the Anthology has taken down


# --------------------------------------------------------------------------- URLs


def years(venue: str, last: int | None = None) -> range:
    """Years to ask the Anthology for, from 2015 to ``last`` (default: the current year).

    NAACL, EACL and COLING are not held every year; asking for a year without an edition ends
    in a :class:`FetchError` that says so.
    """
    _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR, max(end, FIRST_YEAR))


def collection_id(venue: str, year: int) -> str:
    """``P19`` for ACL 2019, ``2022.acl`` for ACL 2022, ``2024.lrec`` for COLING 2024."""
    key = _venue_key(venue)
    if (key, year) in COLLECTION_OVERRIDES:
        return COLLECTION_OVERRIDES[(key, year)]
    if year < 2020:
        return f"{LETTERS[key]}{year % 100:02d}"
    return f"{year}.{key}"


def collection_url(collection: str) -> str:
    return f"{BASE_URL}/{collection}.xml"


def listing_url(venue: str, year: int) -> str:
    """The XML file of the venue-year's main collection (used in messages)."""
    return collection_url(collection_id(venue, year))


def findings_volume(venue: str, year: int) -> str | None:
    """The volume of ``{year}.findings`` that belongs to the venue (None before 2020, COLING)."""
    key = _venue_key(venue)
    if year < 2020 or key == "coling":
        return None
    return key


def paper_urls(anthology_id: str) -> tuple[str, str]:
    """(page URL, PDF URL) on aclanthology.org."""
    return f"{SITE_URL}/{anthology_id}/", f"{SITE_URL}/{anthology_id}.pdf"


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key not in VENUES:
        known = ", ".join(sorted(VENUES))
        raise ConfigError(f"unknown ACL Anthology venue {venue!r}; this source has: {known}")
    return key


# --------------------------------------------------------------------------- parsing


def parse_collection(
    xml: bytes | str,
    url: str,
    venue: str,
    year: int,
    *,
    tracks: Collection[str] = DEFAULT_TRACKS,
    volume: str | None = None,
) -> ParsedCollection:
    """The papers of one collection file that belong to the venue-year's kept tracks (pure).

    Each volume gets a track from its id (``long``, ``demo``, ...) or, for numbered volumes,
    from its booktitle ("Volume 1: Long Papers", "System Demonstrations", "Student Research
    Workshop", "Tutorial Abstracts", a workshop's name...); only volumes whose track is in
    ``tracks`` are read. ``volume`` picks one volume by id instead (a venue's Findings volume,
    whose track is ``findings``). Papers with no title are counted in ``skipped``; papers the
    Anthology has removed are counted in ``removed``; retracted papers are kept with status
    ``retracted``.

    Refuses documents with a DOCTYPE or entity declarations (the Anthology's files have none;
    ``xml.etree`` would expand internal entities).
    """
    key = _venue_key(venue)
    root = _parse_xml(xml, url)
    if root.tag != "collection" or not root.get("id"):
        raise ParseError(NAME, url, "not an ACL Anthology collection file (no <collection id>)")
    result = ParsedCollection(collection=str(root.get("id")))
    for vol in root.findall("volume"):
        vol_id = (vol.get("id") or "").strip()
        if not vol_id:
            continue
        if volume is not None:
            if vol_id != volume:
                continue
            track = "findings"
        else:
            track = volume_track(vol_id, _text(vol.find("meta/booktitle")))
            if track not in tracks:
                continue
        result.volumes[vol_id] = track
        for element in vol.findall("paper"):
            if element.find("removed") is not None:
                result.removed += 1
                continue
            paper = _paper(element, result.collection, vol_id, track, key, year)
            if paper is None:
                result.skipped += 1
            else:
                result.papers.append(paper)
    return result


def volume_track(volume_id: str, booktitle: str) -> str:
    """The track of a volume: ``main``, ``long``, ``short``, ``findings``, ``demo``, ``srw``,
    ``tutorials``, ``industry`` or ``workshop``.

    Named volumes say it in their id. Numbered ones (old-style collections, COLING 2022) say it
    in their booktitle; a numbered volume whose title names no track is the main volume, except
    volumes numbered 50 and up, which old-style collections use for workshops.
    """
    by_id = _VOLUME_TRACKS.get(volume_id.lower())
    if by_id is not None:
        return by_id
    for pattern, track in _TITLE_TRACKS:
        if pattern.search(booktitle):
            return track
    if volume_id.isdigit() and int(volume_id) >= 50:
        return "workshop"
    return "main"


def _parse_xml(xml: bytes | str, url: str) -> ET.Element:
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if _DOCTYPE.search(raw):
        raise ParseError(
            NAME,
            url,
            "the file declares a DOCTYPE or entities, which Anthology files never do; refusing "
            "to parse it (check the URL points at the acl-org/acl-anthology repository)",
        )
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ParseError(
            NAME, url, f"not well-formed XML ({exc}); the download may be truncated"
        ) from exc


def _paper(
    element: ET.Element, collection: str, volume: str, track: str, venue: str, year: int
) -> Paper | None:
    number = (element.get("id") or "").strip()
    if not number.isdigit() or int(number) == 0:
        return None
    title = _text(element.find("title"))
    if not title:
        return None
    anthology_id = anthology_paper_id(collection, volume, number, _text(element.find("url")))
    if anthology_id is None:
        return None
    page_url, pdf_url = paper_urls(anthology_id)
    return Paper(
        venue=venue,
        year=year,
        native_id=anthology_id,
        title=title,
        authors=tuple(a for a in (_person(p) for p in element.findall("author")) if a),
        source=NAME,
        page_url=page_url,
        pdf_url=pdf_url,
        supp_url=_supplement(element),
        abstract=_text(element.find("abstract")) or None,
        track=track,
        status="retracted" if element.find("retracted") is not None else None,
        code_urls=_code_urls(element),
    )


def anthology_paper_id(collection: str, volume: str, number: str, url_text: str = "") -> str | None:
    """The Anthology id of a paper: ``2022.acl-long.1``, ``P19-1001``, ``D19-5001``.

    The ``<url>`` text is the id when it has the id's shape (old files can hold an external URL
    there); otherwise the id is built the way the Anthology builds it.
    """
    if _ANTHOLOGY_ID.match(url_text) and url_text.startswith(collection):
        return url_text
    if "." in collection:
        return f"{collection}-{volume}.{int(number)}"
    if not volume.isdigit():
        return None
    if int(volume) >= 10:  # workshop-style volumes: two digits each
        return f"{collection}-{int(volume):02d}{int(number):02d}"
    return f"{collection}-{int(volume)}{int(number):03d}"


def _person(element: ET.Element) -> str:
    first = _text(element.find("first"))
    last = _text(element.find("last"))
    return " ".join(part for part in (first, last) if part)


def _code_urls(element: ET.Element) -> tuple[str, ...]:
    urls: list[str] = []
    for code in element.findall("pwccode"):
        # url="" with additional="true": Papers with Code lists only community code.
        url = (code.get("url") or "").strip()
        if url and url not in urls:
            urls.append(url)
    for attachment in element.findall("attachment"):
        kind = (attachment.get("type") or "").strip().lower()
        name = (attachment.text or "").strip()
        if kind in _CODE_ATTACHMENTS and name:
            url = name if "://" in name else f"{SITE_URL}/attachments/{name}"
            if url not in urls:
                urls.append(url)
    return tuple(urls)


def _supplement(element: ET.Element) -> str | None:
    for attachment in element.findall("attachment"):
        kind = (attachment.get("type") or "").strip().lower()
        name = (attachment.text or "").strip()
        if kind in _SUPPLEMENT_ATTACHMENTS and name:
            return name if "://" in name else f"{SITE_URL}/attachments/{name}"
    return None


def _text(element: ET.Element | None) -> str:
    """All text inside an element (``<fixed-case>``, ``<tex-math>``, ``<b>``... flattened)."""
    if element is None:
        return ""
    return _SPACE.sub(" ", "".join(element.itertext())).strip()


# --------------------------------------------------------------------------- fetching


def fetch_papers(
    client: _Client, venue: str, year: int, *, tracks: Collection[str] = DEFAULT_TRACKS
) -> list[Paper]:
    """Every paper of the venue-year in ``tracks`` (default: main, long, short and Findings).

    Reads the venue-year's collection file and, from 2020 on (not COLING), the venue's volume
    of ``{year}.findings`` when ``findings`` is among the tracks (no Findings file or volume
    is not an error: early years have none). A missing main collection raises
    :class:`FetchError` saying the year may have no edition; a collection with no kept papers
    raises :class:`ParseError`.
    """
    key = _venue_key(venue)
    label = f"{VENUES[key]} {year}"
    collection = collection_id(key, year)
    url = collection_url(collection)
    try:
        response = client.get(url)
    except FetchError as exc:
        if exc.status == 404:
            raise FetchError(url, 404, _missing_message(key, year, collection)) from exc
        raise
    main = parse_collection(response.content, url, key, year, tracks=tracks)
    if not main.papers:
        raise ParseError(
            NAME,
            url,
            f"no papers found for {label} (volumes kept: {sorted(main.volumes) or 'none'}, "
            f"skipped entries: {main.skipped}): the file layout may have changed",
        )
    log.info(
        "%s: %d papers in %s (%d malformed entries skipped, %d removed by the Anthology)",
        label,
        len(main.papers),
        collection,
        main.skipped,
        main.removed,
    )
    papers = list(main.papers)
    volume = findings_volume(key, year)
    if volume is not None and "findings" in tracks:
        findings_url = collection_url(f"{year}.findings")
        try:
            findings = client.get(findings_url)
        except FetchError as exc:
            if exc.status != 404:
                raise
            log.info("%s: no %s, so no Findings papers", label, findings_url)
        else:
            parsed = parse_collection(
                findings.content, findings_url, key, year, tracks=tracks, volume=volume
            )
            papers.extend(parsed.papers)
    seen: set[str] = set()
    unique: list[Paper] = []
    for paper in papers:
        if paper.native_id not in seen:
            seen.add(paper.native_id)
            unique.append(paper)
    return unique


def _missing_message(venue: str, year: int, collection: str) -> str:
    label = f"{VENUES[venue]} {year}"
    editions = KNOWN_EDITIONS.get(venue)
    if editions is not None and year not in editions and year <= max(editions):
        held = ", ".join(str(y) for y in editions)
        return f"{VENUES[venue]} was not held in {year} (editions since 2015: {held})"
    return (
        f"the ACL Anthology has no collection {collection} for {label}: the proceedings may "
        "not be published yet, or the venue was not held that year"
    )
