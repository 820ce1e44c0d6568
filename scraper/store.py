"""The DuckDB store: schema, migrations, idempotent bulk upserts and the run log.

Loads are set-based (a DataFrame registered with DuckDB, then one ``INSERT ... ON CONFLICT``),
never row by row. Running the same load twice leaves the same rows; only ``last_seen`` moves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import pandas as pd

from scraper.errors import ConfigError, StoreLocked
from scraper.models import CodeLink, Paper, RepoMeta, RepoRef

if TYPE_CHECKING:
    from scraper.detect import ScanResult

SCHEMA_VERSION = 4
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PdfRecord:
    """What reading one paper's PDF gave (status ok, empty, no_pdf or error)."""

    paper_id: str
    status: str
    links: Sequence[CodeLink] = ()
    mentions: dict[str, int] | None = None
    pages: int | None = None
    chars: int | None = None
    detail: str | None = None


class SnapshotDue(NamedTuple):
    """A repository to scan as of one venue-year's conference (see ``Store.snapshots_due``)."""

    repo: RepoRef
    year: int
    full_name: str | None  # the current name, after renames
    head_commit: str | None  # the commit the HEAD scan read
    created_at: datetime | None  # when the repository was created on GitHub
    pushed_at: datetime | None  # the last push to any branch, when the metadata was fetched
    head_label: tuple[str | None, list[str], float | None] | None  # primary, all, confidence


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file (DuckDB: one writer or readers)."""
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise ConfigError(f"cannot open database {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise StoreLocked(
                    f"the database {path} is in use by another process (a running "
                    "`fwcensus run`?). Wait for it to finish, or use another --db."
                ) from None
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


class Store:
    """An open fwcensus database. Use :meth:`open`; close it (or use ``with``).

    A writer can :meth:`release` its connection between batches (the pipeline does so every
    few seconds) so that readers in other processes (``fwcensus sql``, ``report``) get in; the
    next access reconnects, waiting while a reader holds the file.
    """

    # Failed items: retried after retry_backoff seconds, doubling; given up after max_attempts.
    retry_backoff: float = 3600.0
    max_attempts: int = 5

    def __init__(
        self, con: duckdb.DuckDBPyConnection | None, path: Path, read_only: bool, wait: float
    ) -> None:
        self._con = con
        self._depth = 0
        self.path = path
        self.read_only = read_only
        self.wait = wait

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = _connect(self.path, self.read_only, self.wait)
        return self._con

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, wait: float = 0.0) -> Store:
        """Open (and create or migrate) a database. ``wait``: seconds to wait for a lock."""
        path = Path(path)
        if read_only and not path.exists():
            raise ConfigError(
                f"no database at {path}. Create one with `fwcensus run` (or try `fwcensus demo`), "
                "or point at another with --db / FWCENSUS_DB."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(_connect(path, read_only, wait), path, read_only, max(wait, 600.0))
        if not read_only:
            store.migrate()
        elif store.schema_version() < SCHEMA_VERSION:
            # written by an older fwcensus: upgrade it once (briefly as a writer), then read
            store.close()
            cls.open(path, wait=wait).close()
            store = cls(_connect(path, True, wait), path, True, max(wait, 600.0))
        return store

    def release(self) -> None:
        """Close the connection for now; the next access reconnects."""
        if self._con is not None and not self._depth:
            self._con.close()
            self._con = None

    def close(self) -> None:
        self.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested uses join the outer one (DuckDB has no savepoints)."""
        con = self.con
        if self._depth:
            self._depth += 1
            try:
                yield con
            finally:
                self._depth -= 1
            return
        con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")
        finally:
            self._depth = 0

    # -- schema ------------------------------------------------------------------------------

    def schema_version(self) -> int:
        try:
            rows = self.con.execute("SELECT max(version) FROM schema_version").fetchall()
        except duckdb.CatalogException:
            return 0
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path} was written by a newer fwcensus (schema {version} > "
                f"{SCHEMA_VERSION}); upgrade fwcensus."
            )
        # schema.sql only creates what is missing, so it also adds new tables to old files.
        self.con.execute((_HERE / "schema.sql").read_text())
        if version < 1:
            self.con.execute("INSERT INTO schema_version VALUES (1, ?)", [utcnow()])
        if version < 2:
            self.con.execute(
                "ALTER TABLE code_links ADD COLUMN IF NOT EXISTS source_framework VARCHAR"
            )
            self.con.execute("INSERT INTO schema_version VALUES (2, ?)", [utcnow()])
        if version < 3:
            for table, column, kind in (
                ("paper_texts", "attempts", "INTEGER DEFAULT 0"),
                ("paper_texts", "next_attempt_at", "TIMESTAMP"),
                ("repos", "next_attempt_at", "TIMESTAMP"),
            ):
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
            self.con.execute("INSERT INTO schema_version VALUES (3, ?)", [utcnow()])
        if version < 4:
            for column in ("affiliations", "affiliation_domains"):
                self.con.execute(f"ALTER TABLE papers ADD COLUMN IF NOT EXISTS {column} VARCHAR[]")
            self.con.execute("INSERT INTO schema_version VALUES (4, ?)", [utcnow()])
        # Column changes go here as `if version < 2: ALTER ...`, each recording its version.
        self.con.execute((_HERE / "views.sql").read_text())

    # -- loading helpers ---------------------------------------------------------------------

    def _upsert(
        self, table: str, frame: pd.DataFrame, keys: Sequence[str], keep: Sequence[str]
    ) -> int:
        """Insert rows; on key conflict update every column except keys and ``keep``.
        Returns how many rows were new (an anti-join on the keys, not a table count)."""
        if frame.empty:
            return 0
        cols = list(frame.columns)
        updates = [c for c in cols if c not in keys and c not in keep]
        name = f"_incoming_{table}"
        self.con.register(name, frame)
        try:
            on = " AND ".join(f"t.{k} = i.{k}" for k in keys)
            new = self.con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(keys)} FROM {name}) i "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})"
            ).fetchall()[0][0]
            sql = (
                f"INSERT INTO {table} ({', '.join(cols)}) "
                f"SELECT {', '.join(cols)} FROM {name} "
                f"ON CONFLICT ({', '.join(keys)}) DO "
            )
            if updates:
                sql += "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates)
            else:
                sql += "NOTHING"
            self.con.execute(sql)
        finally:
            self.con.unregister(name)
        return int(new)

    # -- papers and links --------------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper], now: datetime | None = None) -> int:
        """Insert or refresh papers; returns how many were new."""
        now = now or utcnow()
        rows = []
        seen: set[str] = set()
        for p in papers:
            if p.paper_id in seen:
                continue
            seen.add(p.paper_id)
            row = asdict(p)
            del row["code_urls"]  # stored as code_links
            row["authors"] = list(p.authors)
            row["affiliations"] = list(p.affiliations) or None
            row["affiliation_domains"] = list(p.affiliation_domains) or None
            row["paper_id"] = p.paper_id
            row["first_seen"] = now
            row["last_seen"] = now
            rows.append(row)
        if not rows:
            return 0
        frame = pd.DataFrame(rows)
        return self._upsert("papers", frame, ["paper_id"], ["first_seen"])

    def upsert_code_links(self, links: Iterable[CodeLink], now: datetime | None = None) -> int:
        now = now or utcnow()
        rows = {}
        for link in links:
            key = (link.paper_id, link.url, link.found_in)
            if key in rows:
                continue
            rows[key] = {
                "paper_id": link.paper_id,
                "url": link.url,
                "found_in": link.found_in,
                "repo_id": link.repo.repo_id if link.repo else None,
                "official": link.official,
                "rejected": link.rejected,
                "source_framework": link.source_framework,
                "first_seen": now,
                "last_seen": now,
            }
        if not rows:
            return 0
        new = self._upsert(
            "code_links",
            pd.DataFrame(list(rows.values())),
            ["paper_id", "url", "found_in"],
            ["first_seen"],
        )
        # Only the papers' own repositories are tracked for scanning; cited ones stay links.
        new_repos = {r["repo_id"] for r in rows.values() if r["repo_id"] and r["official"]}
        self.ensure_repos(new_repos)
        return new

    def record_paper_text(
        self,
        paper_id: str,
        status: str,
        *,
        detail: str | None = None,
        pages: int | None = None,
        chars: int | None = None,
    ) -> None:
        self._write_texts(
            [
                {
                    "paper_id": paper_id,
                    "status": status,
                    "detail": detail,
                    "pages": pages,
                    "chars": chars,
                }
            ]
        )

    def _write_texts(self, rows: Sequence[dict[str, Any]]) -> None:
        """Text outcomes (one row per paper) in one statement. A failure counts an attempt and
        makes the paper due again after retry_backoff * 2^(attempts-1); a success resets."""
        if not rows:
            return
        columns = ["paper_id", "status", "detail", "pages", "chars"]
        frame = pd.DataFrame([[r.get(c) for c in columns] for r in rows], columns=columns)
        with self._registered("_incoming_texts", frame):
            self.con.execute(
                """INSERT INTO paper_texts (paper_id, status, detail, pages, chars, processed_at,
                                            attempts, next_attempt_at)
                   SELECT paper_id, status, CAST(detail AS VARCHAR), CAST(pages AS INTEGER),
                          CAST(chars AS INTEGER), CAST($now AS TIMESTAMP),
                          CASE WHEN status = 'error' THEN 1 ELSE 0 END,
                          CASE WHEN status = 'error'
                               THEN CAST($now AS TIMESTAMP) + to_microseconds($backoff) END
                   FROM _incoming_texts
                   ON CONFLICT (paper_id) DO UPDATE SET
                       status = excluded.status, detail = excluded.detail,
                       pages = excluded.pages, chars = excluded.chars,
                       processed_at = excluded.processed_at,
                       attempts = CASE WHEN excluded.status = 'error'
                                       THEN paper_texts.attempts + 1 ELSE 0 END,
                       next_attempt_at = CASE WHEN excluded.status = 'error'
                           THEN excluded.processed_at + to_microseconds(
                               CAST($backoff * power(2, paper_texts.attempts) AS BIGINT)) END""",
                {"now": utcnow(), "backoff": int(self.retry_backoff * 1e6)},
            )

    @contextmanager
    def _registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """``frame`` visible to SQL as ``name`` for the duration (object columns; nulls as
        None, so DuckDB sees NULL rather than NaN)."""
        frame = frame.astype(object).where(frame.notna(), None)
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    def record_pdf(
        self,
        paper_id: str,
        status: str,
        *,
        links: Sequence[CodeLink] = (),
        mentions: dict[str, int] | None = None,
        pages: int | None = None,
        chars: int | None = None,
        detail: str | None = None,
    ) -> int:
        """Everything one PDF gave, in one transaction; returns the number of new links."""
        return self.record_pdfs(
            [PdfRecord(paper_id, status, links, mentions, pages, chars, detail)]
        )

    def record_pdfs(self, records: Sequence[PdfRecord]) -> int:
        """What a batch of PDFs gave, in one transaction and a few set-based statements."""
        if not records:
            return 0
        ids = [r.paper_id for r in records]
        with self.transaction():
            new = self.upsert_code_links([link for r in records for link in r.links])
            read = [r for r in records if r.mentions is not None]
            if read:
                self.con.execute(
                    "DELETE FROM paper_mentions WHERE list_contains(?, paper_id)",
                    [[r.paper_id for r in read]],
                )
                rows = [
                    {"paper_id": r.paper_id, "framework": fw, "mentions": n}
                    for r in read
                    for fw, n in sorted((r.mentions or {}).items())
                ]
                if rows:
                    self._upsert(
                        "paper_mentions", pd.DataFrame(rows), ["paper_id", "framework"], []
                    )
            self._write_texts(
                [
                    {
                        "paper_id": r.paper_id,
                        "status": r.status,
                        "detail": r.detail,
                        "pages": r.pages,
                        "chars": r.chars,
                    }
                    for r in records
                ]
            )
        assert len(set(ids)) == len(ids), "a batch holds each paper once"
        return new

    def record_listing(
        self, papers: Sequence[Paper], links: Sequence[CodeLink], source: str
    ) -> int:
        """Store a source's list of papers (and the code links it publishes) in one transaction.

        A paper another source already listed is not stored twice: it is matched (OpenReview
        id, arXiv id, title) to the stored one, its links are attached there, and the source is
        added to ``paper_sources``. Returns the number of new papers.
        """
        from scraper.matching import map_to_existing

        existing = self.papers_of({(p.venue, p.year) for p in papers})
        merged = map_to_existing(existing, list(papers))
        now = utcnow()
        own = [p for p in papers if p.paper_id not in merged]
        provenance = [
            {
                "paper_id": p.paper_id,
                "source": source,
                "native_id": p.native_id,
                "matched_by": "self",
                "first_seen": now,
                "last_seen": now,
            }
            for p in own
        ] + [
            {
                "paper_id": merged[p.paper_id][0],
                "source": source,
                "native_id": p.native_id,
                "matched_by": merged[p.paper_id][1],
                "first_seen": now,
                "last_seen": now,
            }
            for p in papers
            if p.paper_id in merged
        ]
        rekeyed = [
            replace(link, paper_id=merged[link.paper_id][0]) if link.paper_id in merged else link
            for link in links
        ]
        with self.transaction():
            for venue, year in sorted({(p.venue, p.year) for p in papers}):
                count = sum(1 for p in papers if (p.venue, p.year) == (venue, year))
                self.record_listed(venue, year, source, count)
            new = self.upsert_papers(own, now)
            self._upsert(
                "paper_sources",
                pd.DataFrame(provenance),
                ["paper_id", "source"],
                ["first_seen", "matched_by"],
            )
            self.upsert_code_links(rekeyed, now)
            # a later source may know what the first did not: fill missing affiliations
            fill = [
                {
                    "paper_id": merged[p.paper_id][0],
                    "affiliations": list(p.affiliations),
                    "affiliation_domains": list(p.affiliation_domains) or None,
                }
                for p in papers
                if p.paper_id in merged and p.affiliations
            ]
            if fill:
                self.con.register("_fill_aff", pd.DataFrame(fill))
                try:
                    self.con.execute(
                        "UPDATE papers SET affiliations = f.affiliations, "
                        "affiliation_domains = f.affiliation_domains FROM _fill_aff f "
                        "WHERE papers.paper_id = f.paper_id "
                        "AND (papers.affiliations IS NULL OR len(papers.affiliations) = 0)"
                    )
                finally:
                    self.con.unregister("_fill_aff")
        return new

    def listing_due(self, venue: str, year: int, source: str, relist_days: float) -> bool:
        """Whether a scheduled run should list this venue-year again: never listed, its list
        still changing (fewer than two equal listings in a row), or a recent year whose last
        listing is older than ``relist_days``."""
        rows = self.con.execute(
            "SELECT listed_at, stable FROM source_state "
            "WHERE venue = ? AND year = ? AND source = ?",
            [venue, year, source],
        ).fetchall()
        if not rows:
            return True
        listed_at, stable = rows[0]
        now = utcnow()
        recent = year >= now.year - 1
        return stable < 2 or (recent and listed_at < now - timedelta(days=relist_days))

    def record_listed(self, venue: str, year: int, source: str, papers: int) -> None:
        self.con.execute(
            """INSERT INTO source_state VALUES (?, ?, ?, ?, ?, 1)
               ON CONFLICT (venue, year, source) DO UPDATE SET
                   listed_at = excluded.listed_at, papers = excluded.papers,
                   stable = CASE WHEN source_state.papers = excluded.papers
                                 THEN source_state.stable + 1 ELSE 1 END""",
            [venue, year, source, utcnow(), papers],
        )

    def papers_of(self, venue_years: Iterable[tuple[str, int]]) -> list[Paper]:
        """Stored papers of some venue-years (the fields matching needs)."""
        pairs = sorted(set(venue_years))
        if not pairs:
            return []
        rows = self.con.execute(
            "SELECT venue, year, native_id, title, arxiv_id, openreview_id, source FROM papers "
            "WHERE list_contains(?, venue || ':' || year)",
            [[f"{v}:{y}" for v, y in pairs]],
        ).fetchall()
        return [
            Paper(venue=v, year=y, native_id=n, title=t, arxiv_id=a, openreview_id=o, source=src)
            for v, y, n, t, a, o, src in rows
        ]

    def record_mentions(self, paper_id: str, counts: dict[str, int]) -> None:
        self.con.execute("DELETE FROM paper_mentions WHERE paper_id = ?", [paper_id])
        if counts:
            self.con.executemany(
                "INSERT INTO paper_mentions VALUES (?, ?, ?)",
                [[paper_id, fw, n] for fw, n in sorted(counts.items())],
            )

    def papers_without_text(self, venue: str, year: int) -> list[tuple[str, str | None]]:
        """(paper_id, pdf_url) of papers whose PDF has not been read, or whose read failed and
        is due again (backoff doubles after each failure; given up after max_attempts)."""
        return [
            (r[0], r[1])
            for r in self.con.execute(
                "SELECT p.paper_id, p.pdf_url FROM papers p "
                "LEFT JOIN paper_texts t ON t.paper_id = p.paper_id "
                "WHERE p.venue = ? AND p.year = ? AND (t.status IS NULL OR "
                "  (t.status = 'error' AND t.attempts < ? AND t.next_attempt_at <= ?)) "
                "ORDER BY p.paper_id",
                [venue, year, self.max_attempts, utcnow()],
            ).fetchall()
        ]

    # -- repositories ------------------------------------------------------------------------

    def ensure_repos(self, repo_ids: Iterable[str]) -> None:
        rows = []
        for repo_id in sorted(set(repo_ids)):
            host, _, slug = repo_id.partition(":")
            owner, _, name = slug.rpartition("/")
            rows.append(
                {
                    "repo_id": repo_id,
                    "host": host,
                    "owner": owner,
                    "name": name,
                    "status": "pending",
                    "attempts": 0,
                }
            )
        if rows:
            self._upsert("repos", pd.DataFrame(rows), ["repo_id"], ["status", "attempts"])

    def repos_to_scan(
        self,
        venue: str | None = None,
        years: Sequence[int] | None = None,
        rescan_days: float | None = None,
        among: Iterable[RepoRef] | None = None,
    ) -> list[RepoRef]:
        """Repositories linked (officially) from the selected papers that are due: never
        scanned, failed and due again (backoff), or scanned more than ``rescan_days`` ago.
        With ``among``, only those of these repositories (the ones a batch of PDFs linked)."""
        now = utcnow()
        sql = (
            "SELECT DISTINCT r.host, r.owner, r.name FROM repos r "
            "JOIN code_links c ON c.repo_id = r.repo_id AND c.rejected IS NULL AND c.official "
            "JOIN papers p ON p.paper_id = c.paper_id "
            "WHERE (r.status = 'pending' "
            "   OR (r.status = 'error' AND r.attempts < ? "
            "       AND coalesce(r.next_attempt_at, r.scanned_at, ?) <= ?)"
            "   OR (? AND r.status = 'ok' AND r.scanned_at < ?))"
        )
        cutoff = now - timedelta(days=rescan_days or 0)
        params: list[Any] = [self.max_attempts, now, now, rescan_days is not None, cutoff]
        if venue is not None:
            sql += " AND p.venue = ?"
            params.append(venue)
        if years is not None:
            sql += " AND list_contains(?, p.year)"
            params.append(list(years))
        if among is not None:
            ids = sorted({repo.repo_id for repo in among})
            if not ids:
                return []
            sql += " AND list_contains(?, r.repo_id)"
            params.append(ids)
        sql += " ORDER BY 1, 2, 3"
        return [RepoRef(h, o, n) for h, o, n in self.con.execute(sql, params).fetchall()]

    def record_repo(
        self, meta: RepoMeta, scan: ScanResult | None, ref: str, detector_version: str
    ) -> None:
        """Store what one repository fetch gave (metadata, then the scan) in one transaction,
        so a crash never leaves a repository marked ok without its scan."""
        self.record_repos([(meta, scan)], ref, detector_version)

    def record_repos(
        self,
        results: Sequence[tuple[RepoMeta, ScanResult | None]],
        ref: str,
        detector_version: str,
    ) -> None:
        """A batch of repository results in one transaction (evidence loaded set-based)."""
        if not results:
            return
        evidence: list[dict[str, Any]] = []
        labels: list[dict[str, Any]] = []
        updates: dict[str, dict[str, Any]] = {}
        now = utcnow()
        with self.transaction():
            ids = [meta.repo.repo_id for meta, scan in results if scan is not None]
            if ids:
                self.con.execute("DELETE FROM repo_evidence WHERE list_contains(?, repo_id)", [ids])
                self.con.execute(
                    "DELETE FROM repo_frameworks WHERE list_contains(?, repo_id)", [ids]
                )
            for meta, scan in results:
                row = updates.setdefault(meta.repo.repo_id, _repo_row(meta.repo.repo_id))
                _meta_into(row, meta)
                if scan is not None:
                    _scan_into(row, ref, scan)
                    if scan.status in ("ok", "empty"):
                        evidence += [
                            {
                                "repo_id": meta.repo.repo_id,
                                "commit": scan.commit,
                                "framework": e.framework,
                                "kind": e.kind,
                                "files": e.files,
                                "occurrences": e.occurrences,
                                "top_files": list(e.top_files),
                            }
                            for e in scan.evidence
                        ]
                        labels.append(
                            {
                                "repo_id": meta.repo.repo_id,
                                "primary_fw": scan.primary,
                                "frameworks": list(scan.frameworks),
                                "confidence": scan.confidence,
                                "reasons": "\n".join(scan.reasons),
                                "detector_version": detector_version,
                                "classified_at": now,
                            }
                        )
            self._write_repo_rows(list(updates.values()))
            if evidence:
                self._upsert(
                    "repo_evidence", pd.DataFrame(evidence), ["repo_id", "framework", "kind"], []
                )
            if labels:
                self._upsert("repo_frameworks", pd.DataFrame(labels), ["repo_id"], [])

    def snapshots_due(self, venue: str, years: Sequence[int]) -> list[SnapshotDue]:
        """Scanned repositories linked officially from the venue's papers that have no
        publication snapshot for that year, with what the HEAD scan found."""
        rows = self.con.execute(
            "SELECT DISTINCT r.host, r.owner, r.name, p.year, r.full_name, r.scanned_commit, "
            "       r.created_at, r.pushed_at, f.primary_fw, f.frameworks, f.confidence, "
            "       f.repo_id IS NOT NULL "
            "FROM repos r "
            "JOIN code_links c ON c.repo_id = r.repo_id AND c.rejected IS NULL AND c.official "
            "JOIN papers p ON p.paper_id = c.paper_id "
            "LEFT JOIN repo_frameworks f ON f.repo_id = r.repo_id "
            "WHERE r.status = 'ok' AND p.venue = ? AND list_contains(?, p.year) "
            "AND NOT EXISTS (SELECT 1 FROM repo_snapshots s WHERE s.repo_id = r.repo_id "
            "                AND s.venue = p.venue AND s.year = p.year AND s.status <> 'error') "
            "ORDER BY 1, 2, 3, 4",
            [venue, list(years)],
        ).fetchall()
        return [
            SnapshotDue(
                RepoRef(h, o, n),
                y,
                full,
                head,
                created,
                pushed,
                (primary, list(frameworks or []), confidence) if labelled else None,
            )
            for (
                h,
                o,
                n,
                y,
                full,
                head,
                created,
                pushed,
                primary,
                frameworks,
                confidence,
                labelled,
            ) in rows
        ]

    def record_snapshots(self, rows: Sequence[dict[str, Any]]) -> None:
        """Publication snapshots (dicts with the repo_snapshots columns), set-based."""
        if rows:
            with self.transaction():
                self._upsert(
                    "repo_snapshots", pd.DataFrame(list(rows)), ["repo_id", "venue", "year"], []
                )

    def stars_fetched_since(self, when: datetime) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM framework_repos WHERE fetched_at >= ?", [when]
        ).fetchall()
        return bool(rows[0][0])

    def record_framework_repos(self, rows: Sequence[tuple[str, int | None, int | None]]) -> None:
        if not rows:
            return
        now = utcnow()
        with self.transaction():
            self.con.executemany(
                "INSERT INTO framework_repos VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [[repo, stars, forks, now] for repo, stars, forks in rows],
            )

    def record_repo_meta(self, meta: RepoMeta) -> None:
        with self.transaction():
            self._write_repo_rows([_meta_into(_repo_row(meta.repo.repo_id), meta)])

    def record_repo_failure(self, repo: RepoRef, status: str, detail: str) -> None:
        row = _repo_row(repo.repo_id) | {"status": status, "status_detail": detail}
        row["add_attempts"] = int(status == "error")
        with self.transaction():
            self._write_repo_rows([row])

    def _write_repo_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Repository rows (from :func:`_repo_row`) in one ``UPDATE ... FROM``: status, the
        metadata columns present, the scan columns when scanned, attempts, and after a
        failure the next attempt at retry_backoff * 2^(attempts-1) from now."""
        if not rows:
            return
        frame = pd.DataFrame(
            [[r.get(c) for c in _REPO_COLUMNS] for r in rows], columns=_REPO_COLUMNS
        )
        meta_cols = {
            "full_name": "VARCHAR",
            "default_branch": "VARCHAR",
            "stars": "INTEGER",
            "forks": "INTEGER",
            "created_at": "TIMESTAMP",
            "pushed_at": "TIMESTAMP",
            "archived": "BOOLEAN",
            "fork": "BOOLEAN",
            "size_kb": "BIGINT",
            "language": "VARCHAR",
        }
        scan_cols = {
            "scanned_ref": "VARCHAR",
            "scanned_commit": "VARCHAR",
            "files_seen": "INTEGER",
            "files_scanned": "INTEGER",
            "bytes_scanned": "BIGINT",
        }
        sets = [
            f"{c} = CASE WHEN i.has_meta THEN CAST(i.{c} AS {t}) ELSE repos.{c} END"
            for c, t in meta_cols.items()
        ]
        sets.append(
            "meta_fetched_at = CASE WHEN i.has_meta THEN CAST($now AS TIMESTAMP) "
            "ELSE repos.meta_fetched_at END"
        )
        sets += [
            f"{c} = CASE WHEN i.scanned THEN CAST(i.{c} AS {t}) ELSE repos.{c} END"
            for c, t in scan_cols.items()
        ]
        sets.append(
            "scanned_at = CASE WHEN i.scanned THEN CAST($now AS TIMESTAMP) "
            "ELSE repos.scanned_at END"
        )
        with self._registered("_incoming_repo_rows", frame):
            self.con.execute(
                f"""UPDATE repos SET
                       status = i.status, status_detail = CAST(i.status_detail AS VARCHAR),
                       {", ".join(sets)},
                       attempts = repos.attempts + CAST(i.add_attempts AS INTEGER),
                       next_attempt_at = CASE WHEN i.status = 'error' THEN
                           CAST($now AS TIMESTAMP) + to_microseconds(CAST($backoff * power(2,
                               greatest(repos.attempts + CAST(i.add_attempts AS INTEGER) - 1, 0))
                               AS BIGINT)) END
                   FROM _incoming_repo_rows i WHERE repos.repo_id = i.repo_id""",
                {"now": utcnow(), "backoff": int(self.retry_backoff * 1e6)},
            )

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, command: str, args: dict[str, Any]) -> int:
        rows = self.con.execute(
            "INSERT INTO runs (run_id, command, args, started_at, status) "
            "VALUES (nextval('run_ids'), ?, ?, ?, 'running') RETURNING run_id",
            [command, json.dumps(args, sort_keys=True, default=str), utcnow()],
        ).fetchall()
        return int(rows[0][0])

    def finish_run(
        self, run_id: int, status: str, counts: dict[str, int], error: str | None = None
    ) -> None:
        self.con.execute(
            "UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE run_id = ?",
            [utcnow(), status, json.dumps(counts, sort_keys=True), error, run_id],
        )

    def add_failure(self, run_id: int, stage: str, item: str, reason: str) -> None:
        self.con.execute(
            "INSERT INTO failures VALUES (?, ?, ?, ?, ?)", [run_id, stage, item, reason, utcnow()]
        )

    # -- reading -----------------------------------------------------------------------------

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()


_REPO_COLUMNS = [
    "repo_id",
    "status",
    "status_detail",
    "has_meta",
    "full_name",
    "default_branch",
    "stars",
    "forks",
    "created_at",
    "pushed_at",
    "archived",
    "fork",
    "size_kb",
    "language",
    "scanned",
    "scanned_ref",
    "scanned_commit",
    "files_seen",
    "files_scanned",
    "bytes_scanned",
    "add_attempts",
]


def _repo_row(repo_id: str) -> dict[str, Any]:
    return {"repo_id": repo_id, "has_meta": False, "scanned": False, "add_attempts": 0}


def _meta_into(row: dict[str, Any], meta: RepoMeta) -> dict[str, Any]:
    """Metadata onto a pending repository row. 'ok' is only set by a scan: metadata alone
    leaves the repository due for scanning."""
    status = "pending" if meta.status == "ok" else meta.status
    row.update(
        status=status,
        status_detail=meta.status_detail,
        has_meta=True,
        full_name=meta.full_name,
        default_branch=meta.default_branch,
        stars=meta.stars,
        forks=meta.forks,
        created_at=_ts(meta.created_at),
        pushed_at=_ts(meta.pushed_at),
        archived=meta.archived,
        fork=meta.fork,
        size_kb=meta.size_kb,
        language=meta.language,
    )
    row["add_attempts"] += status == "error"
    return row


def _scan_into(row: dict[str, Any], ref: str, result: ScanResult) -> dict[str, Any]:
    """A scan's status and sizes onto a pending repository row."""
    status = "ok" if result.status in ("ok", "empty") else result.status
    row.update(
        status=status,
        status_detail=result.detail,
        scanned=True,
        scanned_ref=ref,
        scanned_commit=result.commit,
        files_seen=result.files_seen,
        files_scanned=result.files_scanned,
        bytes_scanned=result.bytes_scanned,
    )
    row["add_attempts"] += status == "error"
    return row


def _ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
