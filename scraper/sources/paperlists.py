"""papercopilot/paperlists: one JSON file per conference-year, papers and their code links.

``https://raw.githubusercontent.com/papercopilot/paperlists/main/{conf}/{conf}{YEAR}.json`` is a
JSON list of flat records (docs/sources.md section 10). This module is both a venue source
(:func:`fetch_papers`: the accepted papers) and an aggregator (:func:`fetch_records`: the
``github`` links, plus ``project`` links that are repositories). :func:`parse_file` is pure.

What the real files hold, and what is done about it:

* ``github`` is messy: markdown badges (``[![github](/images/github_icon.svg) o/r](https://...)``
  followed by ``+ [![Papers with Code](...) 3 community implementations](https://paperswithcode
  ...)``, ICLR 2018), bare ``github.com/o/r``, ``GitHub.com``, ``www.``, ``http://``,
  ``/tree/main/sub/dir`` tails, several URLs joined by ``;``, and trailing words
  (``https://github.com/o/r WACV 2025``). :func:`clean_code_field` turns one value into clean
  URLs; Papers with Code "community implementations" links are not the paper's code and are
  dropped.
* ``status``: ICLR (and other OpenReview-derived) files list rejected, withdrawn, still
  "Active" (under review) and workshop-track submissions (ICLR 2017/2018 "Workshop" means
  "invited to the workshop track", i.e. not accepted to the conference); those are dropped, and
  so is an empty status on OpenReview-derived records. Proceedings-derived records with no
  status are kept.
* ``id`` is missing in CVPR/ICCV 2019 and CVPR 2016 (they have ``pid``, which repeats within
  CVPR 2016); the native id falls back to ``pid`` when it is unique in the file, else to a hash
  of the normalised title.
* ``author`` is split on ``;`` with any spacing (``"; "``, ``";  "``, non-breaking spaces);
  a few records use commas instead.
* ECCV 2022 titles and abstracts are wrapped in double quotes; the quotes are removed.
* The same paper can appear twice (NeurIPS 2017 orals also listed as posters): papers are
  merged by normalised title, keeping the first and adding the other's code links.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from scraper.errors import FetchError, ParseError
from scraper.links import normalize_repo_url
from scraper.matching import normalize_title
from scraper.models import LinkRecord, Paper
from scraper.sources.base import VENUE_NAMES
from scraper.sources.base import Client as _Client
from scraper.sources.cvf import normalize_arxiv_id

if TYPE_CHECKING:
    pass

NAME = "paperlists"
KIND = "venue+aggregator"
BASE_URL = "https://raw.githubusercontent.com/papercopilot/paperlists/main"
POLITENESS = "1 request/s to raw.githubusercontent.com (static files; one file per venue-year)"
VENUES = {v: n for v, n in VENUE_NAMES.items() if v != "eacl"}
CONF_DIRS = {"neurips": "nips"}  # venue id -> directory name, where they differ
# First year of each venue in paperlists, and the step between editions (snapshot 2026-02).
# Inside the range some years have no file (ICLR 2015/2016, NAACL 2023, COLING 2021/2023):
# fetching those is a 404, reported as a FetchError.
FIRST_YEAR = {
    "cvpr": 2013,
    "iccv": 2013,
    "wacv": 2020,
    "eccv": 2018,
    "neurips": 1987,
    "icml": 2013,
    "iclr": 2013,
    "acl": 2021,
    "emnlp": 2021,
    "naacl": 2021,
    "coling": 2020,
}
STEP = {"iccv": 2, "eccv": 2}

# Statuses of submissions that are not (or not yet) accepted papers. Compared lower-cased.
NOT_ACCEPTED = frozenset(
    {
        "reject",
        "rejected",
        "desk reject",
        "desk rejected",
        "withdraw",
        "withdrawn",
        "active",  # still under review when the list was made
        "submitted",
        "under review",
    }
)
# ICLR 2017/2018 "Workshop" = invited to the workshop track, i.e. not a conference paper;
# ICLR 2013 "Poster Workshop"/"Oral Workshop" = the separate workshop track.
_NOT_ACCEPTED_WORDS = ("reject", "withdraw", "workshop")
_OPENREVIEW_VENUES = frozenset({"iclr"})  # whole files come from OpenReview
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"

_MARKDOWN_TARGET = re.compile(r"\]\(\s*<?([^()\s<>]+)>?\s*\)")
_URL_START = re.compile(
    r"(?i)^(?:https?://|file:|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/|(?:[a-z0-9-]+\.)*"
    r"(?:github\.com|gitlab\.com|bitbucket\.org)\b)"
)
_SEPARATORS = re.compile(r"[\s;,|]+")
_CODE_HOSTS = {"github.com": 2, "bitbucket.org": 2}  # host -> path segments of a repository
_NOT_CODE_HOSTS = frozenset(
    {"paperswithcode.com", "arxiv.org", "openreview.net", "doi.org", "dx.doi.org", "youtu.be"}
)
_TRAILING = ").,;:'\"]}>*!?`"
_LEADING = "(<[\"'*`{"
_SPLIT_AUTHORS = re.compile(r"[\s\u00a0]*;[\s\u00a0]*")


@dataclass
class PaperlistsFile:
    """What one paperlists file holds for us."""

    papers: list[Paper] = field(default_factory=list)
    records: list[LinkRecord] = field(default_factory=list)
    total: int = 0  # entries in the file
    not_accepted: int = 0  # entries dropped for their status
    skipped: int = 0  # malformed entries (not an object, no title)


# --------------------------------------------------------------------------- URLs and years


def years(venue: str, last: int | None = None) -> range:
    """Years paperlists may have for ``venue``, up to ``last`` (default: the current year)."""
    key = _venue_key(venue)
    end = (last if last is not None else datetime.date.today().year) + 1
    return range(FIRST_YEAR[key], max(end, FIRST_YEAR[key]), STEP.get(key, 1))


def file_url(venue: str, year: int) -> str:
    """``.../nips/nips2018.json`` for ``("neurips", 2018)``."""
    key = _venue_key(venue)
    conf = CONF_DIRS.get(key, key)
    return f"{BASE_URL}/{conf}/{conf}{year}.json"


def _venue_key(venue: str) -> str:
    key = venue.lower()
    if key == "nips":
        return "neurips"
    if key not in VENUES:
        raise ValueError(
            f"unknown paperlists venue {venue!r}; paperlists has: {', '.join(sorted(VENUES))}"
        )
    return key


# --------------------------------------------------------------------------- cleaning


def clean_code_field(value: object) -> list[str]:
    """The URLs in one ``github``/``project`` value, cleaned, in order, without repeats.

    Handles markdown links and badges (image targets such as ``/images/github_icon.svg`` are
    not links), several URLs in one value (``;``, ``,``, ``|``, spaces), a missing scheme
    (``github.com/o/r`` -> ``https://github.com/o/r``), ``www.`` and ``http://`` on code hosts,
    surrounding punctuation, trailing words, and sub-paths on GitHub/Bitbucket
    (``/tree/main/x``, ``/blob/...``, ``#readme``) and GitLab (``/-/tree/...``). Links to Papers
    with Code, arXiv, OpenReview and DOIs are dropped: they are never the paper's code.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(u for u in clean_code_field(item) if u not in out)
        return out
    text = str(value).strip()
    if not text:
        return []
    # Markdown link targets first, then whatever stands outside the markdown.
    tokens = _MARKDOWN_TARGET.findall(text)
    tokens += [t for t in _SEPARATORS.split(_MARKDOWN_TARGET.sub(" ", text)) if t]
    urls: list[str] = []
    for token in tokens:
        url = _clean_url(token)
        if url and url not in urls:
            urls.append(url)
    return urls


def _clean_url(token: str) -> str | None:
    # NFKC undoes ligatures that PDF extraction put into URLs ("re-identiﬁcation").
    text = _strip_punctuation(unicodedata.normalize("NFKC", token).strip().strip("\u200b"))
    if not text or not _URL_START.match(text):
        return None  # a word, or a relative link such as a badge image
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or "." not in host:
        # An explicit URL to no public host (file:, localhost, [::1]) is kept as found, so the
        # pipeline records it as a rejected link with its reason instead of dropping it.
        return text if text.lower().startswith(("http://", "https://", "file:")) else None
    bare = host.removeprefix("www.")
    if bare in _NOT_CODE_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if bare in _CODE_HOSTS:
        keep = segments[: _CODE_HOSTS[bare]]
        if keep and keep[-1].lower().endswith(".git"):
            keep[-1] = keep[-1][:-4]
        return f"https://{bare}/" + "/".join(keep) if keep else f"https://{bare}"
    if bare == "gitlab.com":
        keep = []
        for segment in segments:
            if segment in ("-", "tree", "blob"):
                break
            keep.append(segment)
        return f"https://{bare}/" + "/".join(keep) if keep else f"https://{bare}"
    scheme = parts.scheme.lower() if parts.scheme else "https"
    rest = text.split("://", 1)[1][len(parts.netloc) :]
    return f"{scheme}://{parts.netloc.lower()}{rest}"


def _strip_punctuation(text: str) -> str:
    text = text.lstrip(_LEADING)
    while text and text[-1] in _TRAILING:
        if text[-1] == ")" and text.count("(") >= text.count(")"):
            break
        text = text[:-1]
    return text


def split_authors(value: object) -> tuple[str, ...]:
    """Authors from ``"A; B"``, ``"A;  B"``, ``"A;B"`` (non-breaking spaces too), or, when a
    record has no ``;`` at all, ``"A, B"``."""
    if isinstance(value, list | tuple):
        return tuple(n for n in (_collapse(str(v)) for v in value) if n)
    text = _collapse(str(value or ""))
    if not text:
        return ()
    parts = _SPLIT_AUTHORS.split(text) if ";" in text else re.split(r"\s*,\s*", text)
    return tuple(p.strip() for p in parts if p.strip())


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _unquote(text: str) -> str:
    """ECCV 2022 wraps titles and abstracts in double quotes: remove one wrapping pair."""
    if len(text) >= 2 and text[0] == text[-1] == '"' and text.count('"') == 2:
        return text[1:-1].strip()
    return text


def title_hash(title: str) -> str:
    """A stable id for a record without one: ``t`` + 10 hex of the normalised title's SHA-1."""
    digest = hashlib.sha1(normalize_title(title).encode("utf-8"), usedforsecurity=False)
    return "t" + digest.hexdigest()[:10]


# --------------------------------------------------------------------------- parsing


def parse_file(raw: bytes | str | list[Any], venue: str, year: int, url: str) -> PaperlistsFile:
    """Accepted papers and code-link records of one paperlists file (pure).

    ``url`` is only used in error messages. Raises :class:`ParseError` when the content is not
    a JSON list (an HTML error page, a Git LFS pointer, a changed format).
    """
    key = _venue_key(venue)
    entries = _load(raw, url)
    out = PaperlistsFile(total=len(entries))
    valid = [e for e in entries if isinstance(e, dict) and _text(e.get("title"))]
    out.skipped = len(entries) - len(valid)
    ids = Counter(_text(e.get("id")) or "" for e in valid)
    pids = Counter(_text(e.get("pid")) or "" for e in valid)
    by_title: dict[str, int] = {}
    seen_ids: set[str] = set()
    seen_links: set[tuple[str, str]] = set()
    for entry in valid:
        if not _accepted(entry, key):
            out.not_accepted += 1
            continue
        paper = _paper(entry, key, year, _native_id(entry, ids, pids))
        norm = normalize_title(paper.title)
        if norm in by_title:  # the same paper listed twice (an oral also listed as a poster)
            index = by_title[norm]
            out.papers[index] = _absorb(out.papers[index], paper)
            paper = replace(paper, native_id=out.papers[index].native_id)
        else:
            if paper.native_id in seen_ids:
                paper = replace(paper, native_id=f"{paper.native_id}-{title_hash(paper.title)}")
            seen_ids.add(paper.native_id)
            by_title[norm] = len(out.papers)
            out.papers.append(paper)
        for link in _records(entry, paper):
            if (link.url, paper.native_id) not in seen_links:
                seen_links.add((link.url, paper.native_id))
                out.records.append(link)
    return out


def parse_papers(raw: bytes | str | list[Any], venue: str, year: int, url: str) -> list[Paper]:
    """The accepted papers of one file (see :func:`parse_file`)."""
    return parse_file(raw, venue, year, url).papers


def parse_records(
    raw: bytes | str | list[Any], venue: str, year: int, url: str
) -> list[LinkRecord]:
    """The code-link records of the accepted papers of one file (see :func:`parse_file`)."""
    return parse_file(raw, venue, year, url).records


def _load(raw: bytes | str | list[Any], url: str) -> list[Any]:
    if isinstance(raw, list):
        return raw
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if data.lstrip().startswith(_LFS_POINTER):
        raise ParseError(
            NAME,
            url,
            "the server sent a Git LFS pointer instead of the JSON file; fetch it from "
            "media.githubusercontent.com (add that host to the allowlist) or the Hugging Face "
            "mirror papercopilot/paperlists",
        )
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = data[:60].decode("utf-8", errors="replace")
        raise ParseError(
            NAME, url, f"not a JSON file ({exc.__class__.__name__}; starts with {start!r})"
        ) from None
    if not isinstance(value, list):
        raise ParseError(
            NAME,
            url,
            f"expected a JSON list of papers, got {type(value).__name__}: "
            "the paperlists format may have changed",
        )
    return value


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return _collapse(str(value))


def _accepted(entry: dict[str, Any], venue: str) -> bool:
    status = _text(entry.get("status")).lower()
    if status in NOT_ACCEPTED or any(word in status for word in _NOT_ACCEPTED_WORDS):
        return False
    if status:
        return True
    return not (venue in _OPENREVIEW_VENUES or _openreview_id(entry) is not None)


def _native_id(entry: dict[str, Any], ids: Counter[str], pids: Counter[str]) -> str:
    native = _text(entry.get("id"))
    if native and ids[native] == 1:
        return native
    pid = _text(entry.get("pid"))
    if pid and pids[pid] == 1:
        return pid
    return title_hash(_unquote(_text(entry.get("title"))))


def _openreview_id(entry: dict[str, Any]) -> str | None:
    for name in ("openreview", "site"):
        value = _text(entry.get(name))
        if "openreview.net" in value:
            ids = parse_qs(urlsplit(value).query).get("id", [])
            if ids and ids[0]:
                return ids[0]
    return None


def _http(value: object) -> str | None:
    text = _text(value)
    return text if text.lower().startswith(("http://", "https://")) else None


def _paper(entry: dict[str, Any], venue: str, year: int, native_id: str) -> Paper:
    arxiv = _text(entry.get("arxiv"))
    return Paper(
        venue=venue,
        year=year,
        native_id=native_id,
        title=_unquote(_text(entry.get("title"))),
        authors=split_authors(entry.get("author")),
        source=NAME,
        page_url=_http(entry.get("oa")) or _http(entry.get("site")),
        pdf_url=_http(entry.get("pdf")),
        supp_url=_http(entry.get("supp")),
        arxiv_id=normalize_arxiv_id(arxiv) if arxiv else None,
        abstract=_unquote(_text(entry.get("abstract"))) or None,
        track=_text(entry.get("track")) or None,
        status=_text(entry.get("status")) or None,
        openreview_id=_openreview_id(entry),
        code_urls=tuple(clean_code_field(entry.get("github"))),
        affiliations=_split_semicolons(entry.get("aff")),
        affiliation_domains=_split_semicolons(entry.get("aff_domain")),
    )


def _split_semicolons(value: object) -> tuple[str, ...]:
    """paperlists ``aff`` / ``aff_domain``: one ``;``-separated entry per author (may repeat)."""
    return tuple(part.strip() for part in _text(value).split(";") if part.strip())


def _records(entry: dict[str, Any], paper: Paper) -> list[LinkRecord]:
    urls = list(paper.code_urls)
    for url in clean_code_field(entry.get("project")):
        repo, _ = normalize_repo_url(url)
        if repo is not None and url not in urls:
            urls.append(url)
    return [
        LinkRecord(
            source=NAME,
            url=url,
            title=paper.title,
            arxiv_id=paper.arxiv_id,
            native_id=paper.native_id,
            venue=paper.venue,
            year=paper.year,
            official=True,  # paperlists takes these from the papers' own pages
        )
        for url in urls
    ]


def _absorb(kept: Paper, other: Paper) -> Paper:
    extra = tuple(u for u in other.code_urls if u not in kept.code_urls)
    return replace(
        kept,
        code_urls=kept.code_urls + extra,
        arxiv_id=kept.arxiv_id or other.arxiv_id,
        abstract=kept.abstract or other.abstract,
        pdf_url=kept.pdf_url or other.pdf_url,
        openreview_id=kept.openreview_id or other.openreview_id,
    )


# --------------------------------------------------------------------------- fetching


def fetch_file(client: _Client, venue: str, year: int) -> PaperlistsFile:
    """Download and parse one venue-year file. A missing file is a :class:`FetchError`;
    a file with no accepted paper is a :class:`ParseError`."""
    url = file_url(venue, year)
    label = f"{VENUES[_venue_key(venue)]} {year}"
    try:
        response = client.get(url)
    except FetchError as exc:
        if exc.status == 404:
            raise FetchError(
                url,
                404,
                f"paperlists has no file for {label} (not published yet, or an edition "
                "paperlists does not cover); use the venue's own source instead",
            ) from None
        raise
    parsed = parse_file(response.content, venue, year, url)
    if not parsed.papers:
        raise ParseError(
            NAME,
            url,
            f"no papers found for {label} ({parsed.total} entries, {parsed.not_accepted} not "
            f"accepted, {parsed.skipped} malformed): the file layout may have changed",
        )
    return parsed


def fetch_papers(client: _Client, venue: str, year: int) -> list[Paper]:
    """The accepted papers of a venue-year, with the code links paperlists has for them."""
    return fetch_file(client, venue, year).papers


def fetch_records(client: _Client, venue: str, year: int) -> list[LinkRecord]:
    """The code links paperlists has for the accepted papers of a venue-year."""
    return fetch_file(client, venue, year).records
