"""Papers with Code archive: the links between papers and code, as frozen in July 2025.

paperswithcode.com is gone; its last ``links-between-papers-and-code`` dump lives on Hugging Face
as one parquet file (41 MB, ~300k rows; docs/sources.md section 8) with the columns
``paper_url, paper_title, paper_arxiv_id, paper_url_abs, paper_url_pdf, repo_url, is_official,
mentioned_in_paper, mentioned_in_github, framework``.

* :func:`ensure_parquet` downloads it once, streamed through the shared client, into
  ``cache_dir`` (the archive no longer changes, so the copy is reused for good).
* :func:`query_links` reads it with DuckDB (in memory, only the needed columns and rows) and
  returns the rows for the given arXiv ids and titles as
  :class:`~scraper.models.LinkRecord` objects. PwC has no venue column: the pipeline passes the
  venue-year's papers' ids and titles. Titles are compared on a letters-and-digits key in SQL;
  rows whose title only starts or ends like a wanted one are checked with the fuzzy matcher.
* ``is_official``, ``mentioned_in_paper`` and ``framework`` are kept as PwC gives them
  (``framework`` is PwC's own label, e.g. ``pytorch``, ``tf``, ``jax``, ``none``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from scraper.errors import FetchError, HostNotAllowed, ParseError
from scraper.matching import match_titles
from scraper.models import LinkRecord
from scraper.sources.base import VENUE_NAMES
from scraper.sources.base import Client as _Client
from scraper.sources.cvf import normalize_arxiv_id

if TYPE_CHECKING:
    pass

NAME = "pwc"
KIND = "aggregator"
BASE_URL = "https://huggingface.co/datasets/pwc-archive/links-between-paper-and-code"
PARQUET_URL = f"{BASE_URL}/resolve/main/data/train-00000-of-00001.parquet"
CACHE_NAME = "pwc-links-between-paper-and-code.parquet"
POLITENESS = (
    "one download of a static 41 MB file (Hugging Face CDN), cached on disk and never repeated"
)
VENUES = dict(VENUE_NAMES)
FIRST_YEAR = 2000
LAST_YEAR = 2025  # the site shut down in July 2025; the archive is frozen
COLUMNS = (
    "paper_url",
    "paper_title",
    "paper_arxiv_id",
    "repo_url",
    "is_official",
    "mentioned_in_paper",
    "framework",
)
_PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20
_EDGE = 20  # characters of a title key compared at its start and end to find near-duplicates
_EDGE_MIN = 30  # only title keys at least this long are compared by their start and end


@dataclass(frozen=True)
class _Row:
    paper_url: str | None
    title: str | None
    arxiv_id: str | None
    repo_url: str
    is_official: bool | None
    mentioned_in_paper: bool | None
    framework: str | None


def years(venue: str, last: int | None = None) -> range:
    """Years the archive can hold papers of (it stopped growing in July 2025)."""
    end = min(last if last is not None else LAST_YEAR, LAST_YEAR) + 1
    return range(FIRST_YEAR, max(end, FIRST_YEAR))


# --------------------------------------------------------------------------- download


def ensure_parquet(client: _Client, cache_dir: Path) -> Path:
    """The archive's parquet file in ``cache_dir``, downloaded first if it is not there yet.

    The download streams into a ``.part`` file that replaces the cached file only once it is
    complete and looks like parquet (``PAR1`` at both ends), so an interrupted or HTML answer
    never poisons the cache. A cached file that is not valid parquet is downloaded again.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / CACHE_NAME
    if target.is_file() and _looks_like_parquet(target):
        return target
    part = target.with_name(target.name + ".part")
    try:
        response = client.get(PARQUET_URL, stream=True)
    except HostNotAllowed as exc:
        raise FetchError(
            PARQUET_URL,
            None,
            f"the download was redirected to {exc.url}, whose host is not allowed; add that "
            f"host to the allowed hosts, or download the file by hand to {target}",
        ) from None
    try:
        with part.open("wb") as out:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                if chunk:
                    out.write(chunk)
    finally:
        response.close()
    if not _looks_like_parquet(part):
        start = part.read_bytes()[:60]
        part.unlink()
        raise ParseError(
            NAME,
            PARQUET_URL,
            f"the download is not a parquet file (starts with {start!r}); the archive may "
            "have moved",
        )
    os.replace(part, target)
    return target


def _looks_like_parquet(path: Path) -> bool:
    size = path.stat().st_size
    if size < 12:
        return False
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(size - 4)
        tail = handle.read(4)
    return head == _PARQUET_MAGIC and tail == _PARQUET_MAGIC


# --------------------------------------------------------------------------- reading


def title_key(title: str | None) -> str:
    """Lower-case letters and digits only, accents removed: the key compared in SQL (where
    ``strip_accents`` + ``regexp_replace`` compute the same)."""
    text = title or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "", text.lower())


_SQL_KEY = "regexp_replace(lower(strip_accents(coalesce(paper_title, ''))), '[^a-z0-9]+', '', 'g')"
_SQL_ARXIV = "regexp_replace(lower(trim(coalesce(paper_arxiv_id, ''))), 'v[0-9]+$', '')"


def query_links(
    parquet: Path,
    *,
    arxiv_ids: Iterable[str] | None = None,
    titles: Iterable[str] | None = None,
    threshold: float = 0.9,
) -> list[LinkRecord]:
    """Rows of the archive for these arXiv ids or titles, as LinkRecords (reads a local file).

    A row is returned when its arXiv id (version ignored) is one of ``arxiv_ids``, or its title
    equals one of ``titles`` once reduced to :func:`title_key`, or it starts or ends like one
    and :func:`scraper.matching.best_title_match` accepts it at ``threshold``. Rows without a
    ``repo_url`` and exact repeats are dropped. Raises :class:`ParseError` when the file lacks
    a needed column.
    """
    ids = sorted({i for i in (normalize_arxiv_id(v or "") for v in arxiv_ids or ()) if i})
    wanted = {title_key(t): t for t in titles or () if len(title_key(t)) >= 3}
    if not ids and not wanted:
        return []
    keys = sorted(wanted)
    edges = [k for k in keys if len(k) >= _EDGE_MIN]
    con = duckdb.connect()
    try:
        _check_columns(con, parquet)
        con.execute("CREATE TEMP TABLE want_ids AS SELECT unnest(?::VARCHAR[]) AS id", [ids])
        con.execute("CREATE TEMP TABLE want_keys AS SELECT unnest(?::VARCHAR[]) AS k", [keys])
        con.execute(
            f"CREATE TEMP TABLE want_edges AS SELECT left(k, {_EDGE}) AS head, "
            f"right(k, {_EDGE}) AS tail FROM (SELECT unnest(?::VARCHAR[]) AS k)",
            [edges],
        )
        rows = con.execute(
            f"""
            WITH links AS (
                SELECT paper_url, paper_title, paper_arxiv_id, repo_url, is_official,
                       mentioned_in_paper, framework,
                       {_SQL_ARXIV} AS arxiv_key, {_SQL_KEY} AS title_key
                FROM read_parquet(?)
                WHERE repo_url IS NOT NULL AND trim(repo_url) <> ''
            )
            SELECT paper_url, paper_title, paper_arxiv_id, repo_url, is_official,
                   mentioned_in_paper, framework,
                   arxiv_key IN (SELECT id FROM want_ids) AS by_id,
                   title_key IN (SELECT k FROM want_keys) AS by_title
            FROM links
            WHERE arxiv_key IN (SELECT id FROM want_ids)
               OR title_key IN (SELECT k FROM want_keys)
               OR (length(title_key) >= {_EDGE_MIN} AND (
                      left(title_key, {_EDGE}) IN (SELECT head FROM want_edges)
                      OR right(title_key, {_EDGE}) IN (SELECT tail FROM want_edges)))
            ORDER BY paper_url, repo_url
            """,
            [str(parquet)],
        ).fetchall()
    except duckdb.Error as exc:
        raise ParseError(NAME, str(parquet), f"cannot read the archive ({exc})") from None
    finally:
        con.close()
    return _records(rows, wanted, threshold)


def _check_columns(con: duckdb.DuckDBPyConnection, parquet: Path) -> None:
    present = {
        row[0]
        for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall()
    }
    missing = [c for c in COLUMNS if c not in present]
    if missing:
        raise ParseError(
            NAME,
            str(parquet),
            f"the archive lacks the columns {', '.join(missing)}: its format has changed; "
            f"delete {parquet.name} to download it again, or update scraper/sources/pwc.py",
        )


def _records(
    rows: list[tuple[object, ...]], wanted: dict[str, str], threshold: float
) -> list[LinkRecord]:
    parsed = [(_row(values[:7]), bool(values[7]) or bool(values[8])) for values in rows]
    # Rows found only by a shared start or end of the title: keep those the matcher accepts.
    loose = [row for row, exact in parsed if not exact]
    matches = match_titles([r.title or "" for r in loose], list(wanted.values()), threshold)
    accepted = {id(row) for row, hit in zip(loose, matches, strict=True) if hit is not None}
    out: list[LinkRecord] = []
    seen: set[tuple[str | None, str | None, str]] = set()
    for row, exact in parsed:
        key = (row.arxiv_id, row.title, row.repo_url)
        if (not exact and id(row) not in accepted) or key in seen:
            continue
        seen.add(key)
        out.append(
            LinkRecord(
                source=NAME,
                url=row.repo_url,
                title=row.title,
                arxiv_id=row.arxiv_id,
                official=row.is_official,
                mentioned_in_paper=row.mentioned_in_paper,
                framework=row.framework,
            )
        )
    return out


def _row(values: tuple[object, ...]) -> _Row:
    paper_url, title, arxiv_raw, repo_url, official, mentioned, framework = values
    return _Row(
        paper_url=_str(paper_url),
        title=_str(title),
        arxiv_id=normalize_arxiv_id(_str(arxiv_raw) or "") or None,
        repo_url=_str(repo_url) or "",
        is_official=_bool(official),
        mentioned_in_paper=_bool(mentioned),
        framework=_str(framework),
    )


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bool(value: object) -> bool | None:
    return None if value is None else bool(value)


# --------------------------------------------------------------------------- fetching


def fetch_records(
    client: _Client,
    venue: str,
    year: int,
    *,
    cache_dir: Path,
    arxiv_ids: set[str] | None = None,
    titles: list[str] | None = None,
) -> list[LinkRecord]:
    """PwC's code links for the papers of a venue-year, given their arXiv ids and titles.

    Downloads the archive into ``cache_dir`` on first use (see :func:`ensure_parquet`).
    ``venue``/``year`` are copied onto the records (PwC itself has no venue): they say which
    papers the records were looked up for.
    """
    if not arxiv_ids and not titles:
        return []
    parquet = ensure_parquet(client, cache_dir)
    records = query_links(parquet, arxiv_ids=arxiv_ids, titles=titles)
    return [_with_venue(r, venue.lower(), year) for r in records]


def _with_venue(record: LinkRecord, venue: str, year: int) -> LinkRecord:
    return replace(record, venue=venue, year=year)
