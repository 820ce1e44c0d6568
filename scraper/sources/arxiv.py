"""arXiv API (export.arxiv.org/api/query): code links that authors put in comments and abstracts.

The API answers with an Atom 1.0 feed (namespaces Atom, ``opensearch`` and ``arxiv``; see
docs/sources.md section 7). Two layouts are handled: the current one (namespaces declared on
``<feed>``, ``https://arxiv.org/pdf/...`` links) and the older one (``opensearch:`` and
``arxiv:`` declared on each element, ``title="pdf"`` before ``href``). Errors come back as a
feed whose single entry is titled "Error" (HTTP 400 today, 200 in some older answers).

* :func:`parse_feed` is pure: bytes in, :class:`ArxivEntry` records out.
* :func:`fetch_records` looks papers up by arXiv id, 100 ids per request, and returns a
  :class:`~scraper.models.LinkRecord` for each GitHub/GitLab/Bitbucket repository found in an
  entry's ``arxiv:comment`` or ``summary`` ("Code: https://github.com/..."). ``official`` is True
  when the words before the link say it is the authors' code, else None (arXiv never says
  that a link is *not* theirs).
* :func:`search_title` finds the arXiv entry of a paper that has no arXiv id.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from scraper.errors import FetchError, ParseError
from scraper.links import find_urls, normalize_repo_url, repair_pdf_text
from scraper.matching import best_title_match
from scraper.models import LinkRecord
from scraper.sources.base import VENUE_NAMES
from scraper.sources.base import Client as _Client
from scraper.sources.cvf import normalize_arxiv_id

if TYPE_CHECKING:
    pass

NAME = "arxiv"
KIND = "aggregator"
BASE_URL = "https://export.arxiv.org/api/query"
POLITENESS = (
    "1 request every 3 s on a single connection (arXiv API terms of use); the shared client "
    "keeps the 3 s gap for export.arxiv.org"
)
VENUES = dict(VENUE_NAMES)
FIRST_YEAR = 1991
BATCH_SIZE = 100  # ids per id_list request
SEARCH_RESULTS = 10  # entries read for a title search

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)(?:v(\d+))?/?$", re.IGNORECASE)
_VALID_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})$")
_BAD_ID = re.compile(r"incorrect id format for (\S+)", re.IGNORECASE)

# Phrases before a link that make it the authors' own code ...
_OWN_CODE = re.compile(
    r"(?i)(?:\bour\s+(?:source\s+)?(?:code|codes|implementation|codebase|models?|project|"
    r"software|repository|repo|toolkit|library)\b"
    r"|\b(?:source\s+)?codes?\s+(?:and\s+(?:the\s+)?(?:\w+\s+){1,2})?"
    r"(?:is|are|will\s+be|has\s+been|have\s+been)\b"
    r"|\b(?:source\s+)?codes?\s*(?:and\s+(?:\w+\s+){0,2}\w+\s*)?(?::|\bat\b)"
    r"|\bimplementations?\s+(?:is|are|will\s+be)\s+(?:publicly\s+)?available\b"
    r"|\b(?:publicly\s+)?available\s+(?:at|from|on)\b"
    r"|\b(?:released|open-?sourced)\s+(?:at|on)\b"
    r"|\bwe\s+(?:release|make|open-?source|provide|publish)\b"
    r"|\bgithub\s*:)"
)
# ... unless a phrase after it says it is someone else's tool.
_OTHERS_CODE = re.compile(
    r"(?i)(?:\bbased\s+on\b|\bbuilt\s+(?:on|upon|with)\b|\bbuilds\s+(?:on|upon)\b"
    r"|\bwe\s+(?:use|used|adopt|follow|borrow|employ|leverage|extend)\b|\busing\b"
    r"|\badapted\s+from\b|\b(?:taken|borrowed|obtained)\s+from\b|\bprovided\s+by\b"
    r"|\bimplemented\s+(?:in|with)\b|\bof\s+\[?\d+\]?\s*$)"
)
_CONTEXT = 160  # characters before a link that are read for the phrases above
_JOINER = re.compile(r"(?i)^\s*(?:,|;|and|&|or|as\s+well\s+as)?\s*$")


@dataclass(frozen=True)
class ArxivEntry:
    """One arXiv record of the API feed."""

    arxiv_id: str  # without version: 2212.10156, cs/0601001
    version: int | None
    title: str
    summary: str
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    primary_category: str | None = None
    links: tuple[str, ...] = ()  # every <link href>, in order
    pdf_url: str | None = None


@dataclass
class ArxivFeed:
    """A parsed feed page: its entries, the total the API reports, and entries skipped."""

    entries: list[ArxivEntry] = field(default_factory=list)
    total_results: int | None = None
    skipped: int = 0


# --------------------------------------------------------------------------- URLs and years


def years(venue: str, last: int | None = None) -> range:
    """arXiv holds papers of every year since 1991, for every venue."""
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR, max(end, FIRST_YEAR))


def id_list_url(arxiv_ids: list[str]) -> str:
    """``.../query?id_list=a,b&max_results=2`` (max_results must cover the batch)."""
    query = urlencode({"id_list": ",".join(arxiv_ids), "max_results": len(arxiv_ids)}, safe=",/")
    return f"{BASE_URL}?{query}"


def title_query_url(title: str, max_results: int = SEARCH_RESULTS) -> str | None:
    """``.../query?search_query=ti:"..."``: the title's words as a phrase, or None if it has none.

    Punctuation is dropped (arXiv's index splits words on it too), so ``"Real-Time"`` searches
    ``"real time"``.
    """
    words = _search_words(title)
    if not words:
        return None
    query = urlencode(
        {"search_query": f'ti:"{words}"', "start": 0, "max_results": max_results},
        quote_via=quote,
        safe=":",
    )
    return f"{BASE_URL}?{query}"


def _search_words(title: str) -> str:
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[$\\{}]", " ", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).split()).lower()


# --------------------------------------------------------------------------- parsing


def parse_feed(content: bytes | str, url: str = BASE_URL) -> list[ArxivEntry]:
    """The entries of an arXiv API feed (pure). See :func:`parse_feed_page`."""
    return parse_feed_page(content, url).entries


def parse_feed_page(content: bytes | str, url: str = BASE_URL) -> ArxivFeed:
    """Entries, reported total and skipped entries of an arXiv API feed (pure).

    ``url`` is used in error messages only. An error feed raises :class:`FetchError` with
    arXiv's message (e.g. "incorrect id format for abc"); content that is not an Atom feed
    raises :class:`ParseError`. Entries without a usable ``arxiv.org/abs/`` id are skipped.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        start = data[:60].decode("utf-8", errors="replace")
        raise ParseError(NAME, url, f"not an Atom feed ({exc}; starts with {start!r})") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise ParseError(NAME, url, f"not an Atom feed (root element {root.tag!r})")
    feed = ArxivFeed(total_results=_int(_child_text(root, "opensearch:totalResults")))
    for element in root.iterfind("atom:entry", _NS):
        error = _error_message(element)
        if error is not None:
            raise FetchError(url, None, f"arXiv API error: {error}")
        entry = _entry(element)
        if entry is None:
            feed.skipped += 1
        else:
            feed.entries.append(entry)
    return feed


def _error_message(element: ET.Element) -> str | None:
    entry_id = _child_text(element, "atom:id") or ""
    title = _child_text(element, "atom:title") or ""
    if "/api/errors" in entry_id or title.strip().lower() == "error":
        return _collapse(_child_text(element, "atom:summary") or "") or "unknown error"
    return None


def _entry(element: ET.Element) -> ArxivEntry | None:
    match = _ABS_ID.search((_child_text(element, "atom:id") or "").strip())
    if not match:
        return None
    links: list[str] = []
    pdf_url = None
    for link in element.iterfind("atom:link", _NS):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        links.append(href)
        if pdf_url is None and (
            link.get("title") == "pdf" or link.get("type") == "application/pdf"
        ):
            pdf_url = href
    primary = element.find("arxiv:primary_category", _NS)
    return ArxivEntry(
        arxiv_id=match.group(1),
        version=int(match.group(2)) if match.group(2) else None,
        title=_collapse(_child_text(element, "atom:title") or ""),
        summary=_collapse(_child_text(element, "atom:summary") or ""),
        comment=_collapse(_child_text(element, "arxiv:comment") or "") or None,
        journal_ref=_collapse(_child_text(element, "arxiv:journal_ref") or "") or None,
        doi=_collapse(_child_text(element, "arxiv:doi") or "") or None,
        authors=tuple(
            name
            for a in element.iterfind("atom:author", _NS)
            if (name := _collapse(_child_text(a, "atom:name") or ""))
        ),
        published=_child_text(element, "atom:published"),
        primary_category=primary.get("term") if primary is not None else None,
        links=tuple(links),
        pdf_url=pdf_url,
    )


def _child_text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, _NS)
    return found.text if found is not None and found.text is not None else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- code links


def code_links(text: str | None) -> list[tuple[str, bool | None]]:
    """Repository links in a comment or abstract, with whether they are the authors' own.

    Returns ``(url as found, official)`` per repository (first mention wins; a later mention
    can only upgrade ``official``). ``official`` is True when the words just before the link
    claim it ("Code: ...", "our code is available at ...", "we release ...") and no phrase after
    that claim names it as a tool ("based on", "we use", "built upon" ...); a link joined to the
    previous one by "and"/","/";" shares its verdict. Otherwise None.
    """
    if not text:
        return []
    repaired = repair_pdf_text(text)
    found: dict[str, tuple[str, bool | None]] = {}
    position = 0
    previous_end: int | None = None
    previous_official: bool | None = None
    for url in find_urls(text):
        repo, _ = normalize_repo_url(url)
        start = repaired.find(url, position)
        if start < 0:
            start = repaired.find(url)
        end = start + len(url) if start >= 0 else position
        official: bool | None = None
        if start >= 0:
            gap_start = previous_end if previous_end is not None and previous_end <= start else 0
            gap = repaired[gap_start:start]
            if previous_end is not None and _JOINER.match(gap):
                official = previous_official
            else:
                official = _claims_own(repaired[max(gap_start, start - _CONTEXT) : start])
            position = end
        previous_end, previous_official = end, official
        if repo is None:
            continue
        key = repo.repo_id
        if key not in found:
            found[key] = (url, official)
        elif official and not found[key][1]:
            found[key] = (found[key][0], True)
    return list(found.values())


def _claims_own(before: str) -> bool | None:
    claims = list(_OWN_CODE.finditer(before))
    if not claims:
        return None
    after_claim = before[claims[-1].end() :]
    return None if _OTHERS_CODE.search(after_claim) else True


def entry_records(entry: ArxivEntry, venue: str | None, year: int | None) -> list[LinkRecord]:
    """LinkRecords for the repositories an entry's comment and abstract link to (pure)."""
    seen: dict[str, int] = {}
    records: list[LinkRecord] = []
    for text in (entry.comment, entry.summary):
        for url, official in code_links(text):
            repo, _ = normalize_repo_url(url)
            if repo is None:
                continue
            if repo.repo_id in seen:
                index = seen[repo.repo_id]
                if official and not records[index].official:
                    records[index] = replace(records[index], official=True)
                continue
            seen[repo.repo_id] = len(records)
            records.append(
                LinkRecord(
                    source=NAME,
                    url=url,
                    title=entry.title or None,
                    arxiv_id=entry.arxiv_id,
                    venue=venue,
                    year=year,
                    official=official,
                )
            )
    return records


# --------------------------------------------------------------------------- fetching


def clean_ids(arxiv_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(ids to ask for, values that are not arXiv ids)``: normalised, without versions or
    repeats, in first-seen order."""
    good: list[str] = []
    bad: list[str] = []
    for value in arxiv_ids:
        norm = normalize_arxiv_id(value or "")
        if norm and _VALID_ID.match(norm):
            if norm not in good:
                good.append(norm)
        elif value:
            bad.append(value)
    return good, bad


def fetch_entries(client: _Client, arxiv_ids: Iterable[str]) -> list[ArxivEntry]:
    """The arXiv entries for ``arxiv_ids`` (unknown ids are simply absent).

    Asks for up to :data:`BATCH_SIZE` ids per request. Values that are not arXiv ids are left
    out before asking; if arXiv still rejects an id of a batch ("incorrect id format for X"),
    that id is dropped and the batch asked again. Any other API error raises
    :class:`FetchError` with arXiv's message.
    """
    ids, _ = clean_ids(arxiv_ids)
    entries: list[ArxivEntry] = []
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        while batch:
            url = id_list_url(batch)
            response = client.get(url, allow_status=(400,))
            try:
                entries.extend(parse_feed(response.content, url))
            except FetchError as exc:
                bad = _BAD_ID.search(exc.message)
                if bad and bad.group(1) in batch:
                    batch = [i for i in batch if i != bad.group(1)]
                    continue
                raise FetchError(url, response.status_code, exc.message) from None
            if response.status_code != 200:
                raise FetchError(url, response.status_code, "arXiv API refused the query")
            break
    return entries


def fetch_records(
    client: _Client, venue: str, year: int, *, arxiv_ids: Iterable[str]
) -> list[LinkRecord]:
    """Code-link records for the arXiv papers of a venue-year (the pipeline passes their ids).

    ``venue``/``year`` are copied onto the records: they say which papers were looked up.
    """
    records: list[LinkRecord] = []
    for entry in fetch_entries(client, arxiv_ids):
        records.extend(entry_records(entry, venue.lower(), year))
    return records


def search_title(client: _Client, title: str, *, threshold: float = 0.9) -> ArxivEntry | None:
    """The arXiv entry whose title is ``title`` (exactly or nearly), or None.

    Searches ``ti:"<title words>"`` and picks the best fuzzy match among the first
    :data:`SEARCH_RESULTS` results (:func:`scraper.matching.best_title_match`); None when no
    result is close enough or two are equally close.
    """
    url = title_query_url(title)
    if url is None:
        return None
    response = client.get(url, allow_status=(400,))
    try:
        entries = parse_feed(response.content, url)
    except FetchError as exc:
        raise FetchError(url, response.status_code, exc.message) from None
    if response.status_code != 200:
        raise FetchError(url, response.status_code, "arXiv API refused the query")
    best = best_title_match(title, [e.title for e in entries], threshold)
    return entries[best] if best is not None else None
