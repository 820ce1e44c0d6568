"""Write the trend report: Markdown + self-contained HTML, PNG charts, tables as CSV and Parquet.

``write_report`` runs the queries and the breakdowns, ``context.build_context`` turns their
frames into one plain dict (pure), and the same dict fills ``templates/report.md.j2`` and
``report.html.j2``. Nothing here writes to the database.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pandas as pd
from matplotlib.figure import Figure

from analysis.affiliations import compute_affiliations, load_rules
from analysis.charts import figure_png, plot_adoption, plot_framework_mix, plot_small_multiples
from analysis.claims import AnyClaim, evaluate, load_claims, share_claims
from analysis.context import (
    CHART_DENOMINATOR,
    DEMO_BANNER,
    GET_DATA_COMMAND,
    TITLE,
    Breakdowns,
    build_context,
    interval,
    measured,
    pct,
)
from analysis.export import write_table
from analysis.publication import query_publication, query_snapshot_status, query_switches
from analysis.topics import compute_topics
from analysis.trends import (
    query_adoption,
    query_counts,
    query_detector_versions,
    query_framework_mix,
    query_freshness,
    query_repo_status,
    venue_label,
)

__all__ = [
    "DEMO_BANNER",
    "GET_DATA_COMMAND",
    "TITLE",
    "ReportFiles",
    "build_context",
    "interval",
    "measured",
    "pct",
    "render_html",
    "render_markdown",
    "write_report",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_CLAIMS = Path(__file__).resolve().parents[1] / "data" / "claims.toml"


@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote. ``html`` and ``index`` hold the same page."""

    markdown: Path
    html: Path
    index: Path | None = None
    charts: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    parquet: list[Path] = field(default_factory=list)


def _safe_name(venue: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", venue.lower()) or "venue"


# ---------------------------------------------------------------- rendering


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _md_cell
    return env


def _md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(context: dict[str, Any]) -> str:
    """Fill ``report.md.j2`` with the context."""
    return _environment(autoescape=False).get_template("report.md.j2").render(**context)


def render_html(context: dict[str, Any]) -> str:
    """Fill ``report.html.j2`` with the context (HTML-escaped)."""
    return _environment(autoescape=True).get_template("report.html.j2").render(**context)


def _write_atomic(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _chart(fig: Figure, out_dir: Path, name: str, alt: str) -> tuple[Path, dict[str, str]]:
    png = figure_png(fig)
    path = _write_atomic(out_dir / name, png)
    return path, {
        "file": name,
        "data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "alt": alt,
    }


def _load(claims_path: Path | None) -> tuple[list[AnyClaim], str]:
    if claims_path is not None:
        return load_claims(claims_path), f"Claims from {Path(claims_path).name}."
    if DEFAULT_CLAIMS.is_file():
        return load_claims(DEFAULT_CLAIMS), f"Claims from {DEFAULT_CLAIMS.name}."
    return [], "No claims file was found, so no claim is tested (pass --claims FILE)."


# ---------------------------------------------------------------- the entry point


def write_report(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    claims_path: Path | None = None,
    affiliations_path: Path | None = None,
    demo: bool = False,
    generated_at: datetime | None = None,
) -> ReportFiles:
    """Query the database and write the report into ``out_dir`` (created if needed).

    Files:

    - ``index.html`` and ``report.html`` (the same self-contained page: charts as base64 PNG,
      inline CSS, a small inline script that makes tables sortable; no network) and
      ``report.md``;
    - charts: ``adoption_<venue>.png`` per venue (D1 shares with the claims drawn in),
      ``venues.png`` (small multiples, one panel per venue) and ``framework_mix.png``
      (stacked shares);
    - every table shown, as ``<name>.csv`` and ``<name>.parquet``: adoption (D1–D4, M),
      claims (the verdicts), counts, repo_status, framework_mix, topics, topic_adoption and,
      when the database has affiliations, affiliations and affiliation_adoption.

    ``claims_path`` None uses ``data/claims.toml`` when it exists; an explicit path that cannot
    be loaded raises ``ClaimsError``. ``affiliations_path`` None uses
    ``data/affiliations.toml`` (read only when the database has affiliations; a rules file that
    cannot be loaded raises ``AffiliationRulesError``). ``demo`` adds a banner. An empty
    database gives a report saying so and how to collect data.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or datetime.now(UTC)
    claims, claims_note = _load(claims_path)

    counts = query_counts(con)
    adoption = query_adoption(con)
    verdicts = evaluate(con, claims)
    repo_status = query_repo_status(con)
    mix = query_framework_mix(con)
    topics = compute_topics(con)
    # the rules are read only when the database has affiliations to classify
    rules = load_rules(affiliations_path) if affiliations_path is not None else None
    affiliations = compute_affiliations(con, rules)

    chart_paths: list[Path] = []
    charts: dict[str, dict[str, str]] = {}
    drawn = share_claims(claims)
    for venue in sorted(counts["venue"].unique()):
        path, charts[venue] = _chart(
            plot_adoption(adoption, venue, CHART_DENOMINATOR, drawn),
            out_dir,
            f"adoption_{_safe_name(venue)}.png",
            f"{venue_label(venue)}: share of {CHART_DENOMINATOR} papers per framework",
        )
        chart_paths.append(path)
    overview: dict[str, dict[str, str]] = {}
    if not counts.empty:
        path, overview["small_multiples"] = _chart(
            plot_small_multiples(adoption, CHART_DENOMINATOR),
            out_dir,
            "venues.png",
            f"All venues: share of {CHART_DENOMINATOR} papers per framework, one panel per venue",
        )
        chart_paths.append(path)
        path, overview["mix"] = _chart(
            plot_framework_mix(mix),
            out_dir,
            "framework_mix.png",
            "Framework mix of D1 papers per year, all venues pooled (stacked shares)",
        )
        chart_paths.append(path)

    publication = {
        "compare": query_publication(con),
        "switches": query_switches(con),
        "status": query_snapshot_status(con),
    }
    context = build_context(
        counts=counts,
        adoption=adoption,
        verdicts=verdicts,
        claims=claims,
        repo_status=repo_status,
        detector_versions=query_detector_versions(con),
        freshness=query_freshness(con),
        generated_at=generated_at,
        demo=demo,
        charts=charts,
        claims_note=claims_note,
        breakdowns=Breakdowns(mix=mix, topics=topics, affiliations=affiliations),
        overview_charts=overview,
        publication=publication,
    )

    wording = {c.id: c.wording for c in claims}
    frames: dict[str, pd.DataFrame] = {
        "adoption": adoption,
        "claims": verdicts.assign(wording=verdicts["claim_id"].map(wording)),
        "counts": counts,
        "repo_status": repo_status,
        "framework_mix": mix,
        "topics": topics.topics,
        "topic_adoption": topics.shares,
        "adoption_at_publication": publication["compare"],
        "framework_switches": publication["switches"],
    }
    if not affiliations.empty:
        frames["affiliations"] = affiliations.counts
        frames["affiliation_adoption"] = affiliations.shares
    csv_paths: list[Path] = []
    parquet_paths: list[Path] = []
    for name, frame in frames.items():
        csv_path, parquet_path = write_table(frame, out_dir, name)
        csv_paths.append(csv_path)
        parquet_paths.append(parquet_path)

    md = _write_atomic(out_dir / "report.md", render_markdown(context).encode("utf-8"))
    page = render_html(context).encode("utf-8")
    html = _write_atomic(out_dir / "report.html", page)
    index = _write_atomic(out_dir / "index.html", page)
    return ReportFiles(
        markdown=md,
        html=html,
        index=index,
        charts=chart_paths,
        tables=csv_paths,
        parquet=parquet_paths,
    )
