"""The ``fwcensus`` command line. The only module that imports both ``scraper`` and ``analysis``.

Every command builds :class:`~scraper.config.Settings` once (defaults < fwcensus.toml <
environment < flags) and passes it down. Errors become one clear line and exit code 1.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from analysis.errors import AffiliationRulesError, ClaimsError
from scraper import __version__
from scraper.config import Settings, load_settings
from scraper.config import parse_years as config_parse_years
from scraper.errors import ConfigError, FwcensusError, StoreLocked

T = TypeVar("T")
DEMO_DB = Path("data") / "demo.duckdb"
READER_WAIT = 120.0  # seconds a reading command waits while a run holds the database
DEMO_REPORTS = Path("reports") / "demo"


def parse_years(text: str) -> list[int]:
    """``2019-2024``, ``2019,2021``, ``2023`` or ``2020-now`` -> a sorted list of years."""
    try:
        return list(config_parse_years(text))
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


def tqdm_progress(items: Iterable[T], desc: str, total: int) -> Iterable[T]:
    from tqdm import tqdm

    return tqdm(
        items, desc=desc, total=total, unit="item", leave=False, disable=None, file=sys.stderr
    )


class Ctx:
    def __init__(self, config: Path | None, db: Path | None) -> None:
        self.config = config
        self.db = db
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(os.environ, config_path=self.config, db_path=self.db)
        return self._settings


pass_ctx = click.make_pass_decorator(Ctx)


class CliError(click.ClickException):
    """A fwcensus error shown as one line: ``fwcensus: error: ...``."""

    def show(self, file: Any = None) -> None:
        click.echo(f"fwcensus: error: {self.message}", err=True)


class Group(click.Group):
    """Turns fwcensus errors into one-line messages and exit codes (1; 75 when locked)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreLocked as exc:
            err = CliError(str(exc))
            err.exit_code = 75
            raise err from None
        except (FwcensusError, ClaimsError, AffiliationRulesError) as exc:
            raise CliError(str(exc)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fwcensus")
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="Database file (default data/fwcensus.duckdb, or $FWCENSUS_DB).",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default ./fwcensus.toml if present, or $FWCENSUS_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, config: Path | None, verbose: int) -> None:
    """fwcensus: which deep-learning frameworks do conference papers use? Measured from code."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Ctx(config, db)


def _open_writer(settings: Settings, wait: bool = False) -> tuple[Any, Any]:
    """Take the run lock, then open the database for writing."""
    from filelock import FileLock, Timeout

    from scraper.store import Store

    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.db_path) + ".lock")
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise StoreLocked(
            f"another fwcensus run is writing to {settings.db_path}; it holds "
            f"{settings.db_path}.lock. Wait for it (or pass --wait), or use another --db."
        ) from None
    try:
        return Store.open(settings.db_path), lock
    except BaseException:
        lock.release()
        raise


def _summary(report: Any, elapsed: float) -> str:
    c = report.counts
    lines = [
        f"run {c.get('run_id', '?')}: {report.status} in {elapsed:.1f}s",
        f"  papers listed {c.get('papers_listed', 0)} (new {c.get('papers_new', 0)}), "
        f"PDFs read {c.get('pdfs_read', 0)}, code links {c.get('code_links', 0)}",
        f"  repositories scanned {c.get('repos_scanned', 0)}"
        + "".join(
            f", {k.removeprefix('repos_')} {v}"
            for k, v in sorted(c.items())
            if k.startswith("repos_") and k != "repos_scanned"
        ),
    ]
    if c.get("items_failed"):
        lines.append(
            f"  {c['items_failed']} items failed (kept in the failures table; "
            "the next run retries them)"
        )
    for err in report.errors:
        lines.append(f"  error: {err}")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    if report.stopped:
        lines.append(f"  stopped early: {report.stopped}")
    return "\n".join(lines)


def _run_pipeline(
    settings: Settings,
    plan: list[tuple[str, list[int]]],
    *,
    limit: int | None = None,
    source: str | None = None,
    wait: bool = False,
    quiet: bool = False,
    command: str = "run",
    sizes: Any = None,
    refresh: bool = False,
) -> list[Any]:
    """Run each (venue, years) of the plan under one lock and one client; print summaries."""
    from scraper import jobs
    from scraper.http import HttpClient

    store, lock = _open_writer(settings, wait)
    try:
        with HttpClient(settings) as client:
            start = time.monotonic()
            # every venue of the plan at once: each site and GitHub keep their own pace
            reports = jobs.run_plan(
                store,
                client,
                plan,
                limit=limit,
                source=source,
                progress=tqdm_progress,
                command=command,
                sizes=sizes,
                refresh=refresh,
            )
            took = time.monotonic() - start
            if not quiet:
                for (venue, years), report in zip(plan, reports, strict=True):
                    label = f"{venue.upper()} {jobs.years_label(years)}: "
                    click.echo(label + _summary(report, took))
    finally:
        store.close()
        lock.release()
    return reports


@cli.command()
@click.option(
    "--venue", default=None, help="Venue, e.g. cvpr or iccv (default: the config's tracks)."
)
@click.option(
    "--years", "years_text", default=None, help="Years: 2023, 2019-2024, 2019,2021 or 2020-now."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the first N papers of each venue-year (a quick trial).",
)
@click.option("--source", default=None, help="Restrict to one source (`fwcensus sources`).")
@click.option(
    "--refresh", is_flag=True, help="List venue-years again even if their list is stable."
)
@click.option("--wait", is_flag=True, help="If another run holds the database, wait for it.")
@pass_ctx
def run(
    ctx: Ctx,
    venue: str | None,
    years_text: str | None,
    limit: int | None,
    source: str | None,
    refresh: bool,
    wait: bool,
) -> None:
    """Collect papers, find their code links, scan the repositories, store everything.

    With no --venue/--years, does what the config file's [[track]] entries ask, and only what
    is new or due (unlisted or still-changing venue-years, unread PDFs, unscanned or stale
    repositories, failed items whose backoff has passed). The venues are read at once, each
    site at its own polite pace, and repositories are fetched as the PDFs reveal them. Exits 1
    only on a real failure.
    """
    if (venue is None) != (years_text is None):
        raise click.UsageError("give both --venue and --years, or neither (to use the config)")
    if venue is not None and years_text is not None:
        plan = [(venue.lower(), parse_years(years_text))]
    else:
        plan = [(v, list(ys)) for v, ys in ctx.settings.tracks]
        if not plan:
            raise click.UsageError(
                "nothing to do: give --venue and --years, or add [[track]] entries to "
                "fwcensus.toml (see fwcensus.example.toml)"
            )
    reports = _run_pipeline(
        ctx.settings, plan, limit=limit, source=source, wait=wait, refresh=refresh
    )
    if any(r.status == "failed" for r in reports):
        sys.exit(1)


def _scan_one(target: str, settings: Settings) -> Any:
    from scraper.archive import ScanLimits
    from scraper.detect import scan_path, scan_tar_stream

    limits = ScanLimits(
        max_file_bytes=settings.max_file_bytes, max_total_bytes=settings.max_scan_bytes
    )
    if target == "-":
        return scan_tar_stream(sys.stdin.buffer, limits, strip_top=False)
    path = Path(target)
    if path.exists():
        return scan_path(path, limits)
    repo_spec, _, ref = target.partition("@")
    if repo_spec.count("/") == 1 and all(repo_spec.split("/")):
        from scraper import github
        from scraper.http import HttpClient
        from scraper.models import RepoRef

        owner, name = repo_spec.split("/")
        repo = RepoRef("github", owner.lower(), name.lower())
        with HttpClient(settings) as client:
            meta = github.fetch_repo_meta(client, repo)
            if meta.status != "ok":
                raise FwcensusError(f"{meta.status} ({meta.status_detail})")
            resp = github.open_tarball(client, repo, ref or "HEAD")
            try:
                return scan_tar_stream(resp.raw, limits, strip_top=True)
            finally:
                resp.close()
    raise click.BadParameter(
        f"{target!r} is neither a directory, an archive, '-' (a tar on stdin) nor OWNER/NAME[@REF]"
    )


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per target, per line.")
@pass_ctx
def scan(ctx: Ctx, targets: tuple[str, ...], as_json: bool) -> None:
    """Detect the frameworks of a directory, .tar/.tar.gz/.zip, '-' (tar on stdin) or OWNER/NAME.

    Several targets are scanned in order; a target that cannot be scanned (a missing
    repository, an unreachable host) is reported and the others still are; the exit code is 1
    if any failed.
    """
    failed = 0
    for target in targets:
        try:
            result = _scan_one(target, ctx.settings)
        except FwcensusError as exc:
            failed += 1
            if as_json:
                click.echo(json.dumps({"target": target, "status": "error", "error": str(exc)}))
            else:
                click.echo(f"fwcensus: error: {target}: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps({"target": target, **result.to_json()}, sort_keys=True))
            continue
        label = result.primary or "no deep-learning framework"
        others = [f for f in result.frameworks if f != result.primary]
        click.echo(
            f"{target}: {label}"
            + (f" (also {', '.join(others)})" if others else "")
            + f"  [confidence {result.confidence:.2f}, {result.files_scanned} files read,"
            f" status {result.status}]"
        )
        for reason in result.reasons[:8]:
            click.echo(f"  - {reason}")
    if failed:
        sys.exit(1)


def _open_reader(settings: Settings) -> Any:
    from scraper.store import Store

    # a running writer releases the file every few seconds: wait for a turn
    return Store.open(settings.db_path, read_only=True, wait=READER_WAIT)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output directory (default reports/).",
)
@click.option(
    "--claims",
    "claims_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Claims to judge (default data/claims.toml).",
)
@click.option(
    "--affiliations",
    "affiliations_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Industry/academia rules (default data/affiliations.toml).",
)
@pass_ctx
def report(
    ctx: Ctx, out: Path | None, claims_path: Path | None, affiliations_path: Path | None
) -> None:
    """Write the report: index.html (self-contained), report.md, charts, CSV and Parquet tables."""
    from analysis.render import write_report

    out = out or ctx.settings.reports_dir
    with _open_reader(ctx.settings) as store:
        files = write_report(
            store.con, out, claims_path=claims_path, affiliations_path=affiliations_path
        )
    click.echo(
        f"report written: {files.index}\n                {files.html}\n"
        f"                {files.markdown}"
    )


@cli.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@pass_ctx
def sql(ctx: Ctx, query: str, fmt: str) -> None:
    """Run a read-only SQL query on the database (tables and views: see docs/sql.md)."""
    import duckdb

    with _open_reader(ctx.settings) as store:
        try:
            frame = store.con.execute(query).df()
        except duckdb.Error as exc:
            raise FwcensusError(f"SQL error: {str(exc).splitlines()[0]}") from None
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso"))
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_rows",
            500,
            "display.max_columns",
            50,
            "display.width",
            shutil.get_terminal_size().columns,
        ):
            click.echo(frame.to_string(index=False) if len(frame) else "(no rows)")


@cli.command()
@click.option(
    "--parquet",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Directory to write (one sub-directory per table).",
)
@pass_ctx
def export(ctx: Ctx, out: Path) -> None:
    """Export the tables and views as Parquet, partitioned by venue and year (hive layout)."""
    from analysis.export import export_parquet

    with _open_reader(ctx.settings) as store:
        paths = export_parquet(store.con, out)
    click.echo(f"exported {len(paths)} tables to {out}")
    for path in paths:
        click.echo(f"  {path}")


STATUS_SQL = """
WITH repo_state AS (
    SELECT r.*,
           CASE
             WHEN r.status = 'pending' THEN 'due'
             WHEN r.status = 'error' AND r.attempts >= $max_attempts THEN 'given_up'
             WHEN r.status = 'error' AND coalesce(r.next_attempt_at, now()::TIMESTAMP)
                  <= now()::TIMESTAMP THEN 'due'
             WHEN r.status = 'error' THEN 'failed'
             WHEN r.status = 'ok' AND $rescan AND r.scanned_at < $cutoff THEN 'due'
             WHEN r.status = 'ok' THEN 'ok'
             ELSE 'unavailable'  -- not_found, private, blocked, too_large, unsupported
           END AS state
    FROM repos r
)
SELECT p.venue, p.year, count(DISTINCT p.paper_id) AS papers,
       count(DISTINCT t.paper_id) FILTER (WHERE t.status = 'ok') AS pdfs_read,
       count(DISTINCT t.paper_id) FILTER (WHERE t.status = 'error') AS pdfs_failed,
       count(DISTINCT c.paper_id) AS with_link,
       count(DISTINCT r.repo_id) FILTER (WHERE r.state = 'ok') AS repos_ok,
       count(DISTINCT r.repo_id) FILTER (WHERE r.state = 'due') AS repos_due,
       count(DISTINCT r.repo_id) FILTER (WHERE r.state IN ('failed', 'given_up'))
           AS repos_failed,
       count(DISTINCT r.repo_id) FILTER (WHERE r.state = 'unavailable') AS repos_unavailable
FROM papers p
LEFT JOIN paper_texts t ON t.paper_id = p.paper_id
LEFT JOIN code_links c ON c.paper_id = p.paper_id AND c.rejected IS NULL AND c.official
LEFT JOIN repo_state r ON r.repo_id = c.repo_id
GROUP BY ALL ORDER BY p.venue, p.year
"""


@cli.command()
@pass_ctx
def status(ctx: Ctx) -> None:
    """Per venue-year: papers, PDFs read/failed, links, repositories ok / due / failed /
    unavailable (not found, private, too large); then the last runs and their outcome."""
    with _open_reader(ctx.settings) as store:
        from datetime import timedelta

        from scraper.store import utcnow

        rescan = ctx.settings.rescan_days
        per_year = store.con.execute(
            STATUS_SQL,
            {
                "max_attempts": ctx.settings.max_attempts,
                "rescan": rescan is not None,
                "cutoff": utcnow() - timedelta(days=rescan or 0),
            },
        ).df()
        runs = store.query(
            "SELECT run_id, command, status, started_at, ended_at, counts, error FROM runs "
            "ORDER BY run_id DESC LIMIT 5"
        )
    click.echo(f"database: {ctx.settings.db_path}")
    click.echo(per_year.to_string(index=False) if len(per_year) else "no papers yet")
    click.echo("\nlast runs:")
    if not len(runs):
        click.echo("  none")
    for row in runs.itertuples():
        ended = row.ended_at if row.ended_at is not None else "(running or killed)"
        click.echo(
            f"  #{row.run_id} {row.command} {row.status} started {row.started_at} "
            f"ended {ended}" + (f" - {row.error}" if row.error else "")
        )


@cli.command()
@pass_ctx
def sources(ctx: Ctx) -> None:
    """List every source: what it gives, its venues and years, and its politeness."""
    from scraper.sources import SOURCE_MODULES, gives_links, lists_papers, load_source

    settings = ctx.settings
    for name in SOURCE_MODULES:
        module = load_source(name)
        gives = [
            w
            for w, ok in (("papers", lists_papers(module)), ("code links", gives_links(module)))
            if ok
        ]
        default = " (consulted by default)" if name in settings.aggregators else ""
        click.echo(f"{name}: {' + '.join(gives)}{default} - {module.BASE_URL}")
        for venue, label in module.VENUES.items():
            span = module.years(venue)
            click.echo(f"  {venue:<8} {label:<10} {span.start}-{span.stop - 1}")
        click.echo(f"  politeness: {' '.join(str(module.POLITENESS).split())}")


def _remove_demo_db(db: Path) -> None:
    """Start the demo from scratch, but never delete a database that holds real runs."""
    if db.exists():
        import duckdb

        try:
            con = duckdb.connect(str(db), read_only=True)
            try:
                rows = con.execute("SELECT DISTINCT command FROM runs").fetchall()
            finally:
                con.close()
            commands = {r[0] for r in rows}
        except duckdb.Error:
            commands = {"?"}
        if commands - {"demo"}:
            raise FwcensusError(
                f"{db} holds non-demo data; the demo only overwrites its own database. "
                "Use another --db for the demo."
            )
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEMO_REPORTS,
    show_default=True,
    help="Where the demo report goes.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the fixture web running afterwards (prints FWCENSUS_REWRITE to use it).",
)
@pass_ctx
def demo(ctx: Ctx, out: Path, serve: bool) -> None:
    """Run the real pipeline offline over a bundled fixture web; write a DEMO report."""
    from analysis.render import write_report
    from scraper.demo import server, world

    click.echo(
        "DEMO: a synthetic fixture web on 127.0.0.1 stands in for openaccess.thecvf.com "
        "and GitHub. The numbers are demo data, not measurements."
    )
    db = ctx.db or DEMO_DB
    _remove_demo_db(db)
    web = server.FixtureWeb(world.build()).start()
    try:
        settings = web.settings(db_path=db)
        start = time.monotonic()
        _run_pipeline(
            settings,
            list(world.venue_years().items()),
            quiet=True,
            command="demo",
            sizes=world.venue_sizes(),
        )
        with _open_reader(settings) as store:
            counts = store.query("SELECT count(*) AS n FROM papers").n[0]
            files = write_report(store.con, out, demo=True)
        click.echo(f"DEMO done in {time.monotonic() - start:.1f}s: {counts} papers in {db}")
        click.echo(f"DEMO report: {files.html}\n             {files.markdown}")
        if serve:
            click.echo(
                f"Fixture web at {web.base_url}; use it with\n"
                f"  FWCENSUS_REWRITE='{web.rewrite_map()}'\nCtrl-C to stop."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
