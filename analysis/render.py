"""Write the trend report: Markdown + self-contained HTML, one PNG chart per venue, CSV tables.

``write_report`` runs the queries, ``build_context`` turns their frames into one plain dict
(pure, no I/O), and the same dict fills ``templates/report.md.j2`` and ``report.html.j2``.
"""

from __future__ import annotations

import base64
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pandas as pd

from analysis.charts import figure_png, plot_adoption
from analysis.claims import MIN_N, Claim, evaluate, load_claims
from analysis.trends import (
    DENOMINATORS,
    framework_label,
    query_adoption,
    query_counts,
    query_detector_versions,
    query_freshness,
    query_repo_status,
    venue_label,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_CLAIMS = Path(__file__).resolve().parents[1] / "data" / "claims.toml"
DEMO_BANNER = "DEMO DATA — synthetic fixture web, not real measurements"
GET_DATA_COMMAND = "fwcensus run --venue cvpr --years 2019-2024"
TITLE = "fwcensus: deep-learning frameworks in conference papers"
CHART_DENOMINATOR = "D1"
TABLE_DENOMINATORS = ("D1", "D2", "D3")


@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote."""

    markdown: Path
    html: Path
    charts: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------- formatting


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal (``0.6667`` -> ``66.7%``); "—" for no value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x * 100:.1f}%"


def interval(lo: float | None, hi: float | None) -> str:
    """A 95% interval as ``20.8–93.9%``; "—" when undefined."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "—"
    return f"{lo * 100:.1f}–{hi * 100:.1f}%"


def measured(share: float | None, lo: float | None, hi: float | None) -> str:
    """``66.7% (20.8–93.9%)``: a share with its 95% interval; "—" when there is no share."""
    text = pct(share)
    return text if text == "—" else f"{text} ({interval(lo, hi)})"


def _when(value: datetime | None) -> str | None:
    if value is None or pd.isna(value):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _safe_name(venue: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", venue.lower()) or "venue"


# ---------------------------------------------------------------- context (pure)


def build_context(
    *,
    counts: pd.DataFrame,
    adoption: pd.DataFrame,
    verdicts: pd.DataFrame,
    claims: list[Claim],
    repo_status: pd.DataFrame,
    detector_versions: pd.DataFrame,
    freshness: datetime | None,
    generated_at: datetime,
    demo: bool,
    charts: dict[str, dict[str, str]],
    claims_note: str,
) -> dict[str, Any]:
    """The one dict both templates render. ``charts`` maps venue -> {file, data_uri}."""
    by_id = {c.id: c for c in claims}
    verdict_rows = [
        {
            "claim_id": r.claim_id,
            "wording": by_id[r.claim_id].wording if r.claim_id in by_id else r.claim_id,
            "claimed": interval(r.claimed_low, r.claimed_high),
            "years": _years_text(by_id[r.claim_id].years) if r.claim_id in by_id else "",
            "denominator": r.denominator,
            "numerator": int(r.numerator),
            "n": int(r.n),
            "share": pct(r.share),
            "ci": interval(r.ci_low, r.ci_high),
            "measured": measured(r.share, r.ci_low, r.ci_high),
            "verdict": r.verdict,
            "reason": r.reason,
        }
        for r in verdicts.itertuples(index=False)
    ]
    claim_rows = [
        {
            "id": c.id,
            "wording": c.wording,
            "source": c.source,
            "venues": ", ".join(venue_label(v) for v in c.venues),
            "years": _years_text(c.years),
            "frameworks": c.framework_label,
            "claimed": interval(*c.range),
            "denominators": ", ".join(c.denominators),
            "notes": c.notes,
        }
        for c in claims
    ]
    venues = [
        _venue_context(v, counts, adoption, charts.get(v)) for v in sorted(counts["venue"].unique())
    ]
    total_repos = int(repo_status["repos"].sum()) if not repo_status.empty else 0
    return {
        "title": TITLE,
        "generated_at": _when(generated_at),
        "demo": demo,
        "demo_banner": DEMO_BANNER,
        "has_data": not counts.empty,
        "get_data_command": GET_DATA_COMMAND,
        "totals": {
            "venues": len(venues),
            "venue_years": len(counts),
            "papers": int(counts["papers"].sum()) if not counts.empty else 0,
            "with_code_link": int(counts["with_code_link"].sum()) if not counts.empty else 0,
            "with_scanned_repo": int(counts["with_scanned_repo"].sum()) if not counts.empty else 0,
            "with_framework": int(counts["with_framework"].sum()) if not counts.empty else 0,
            "repos": total_repos,
        },
        "verdicts": verdict_rows,
        "claims": claim_rows,
        "claims_note": claims_note,
        "venues": venues,
        "denominators": [{"key": k, "text": v} for k, v in DENOMINATORS.items()],
        "chart_denominator": CHART_DENOMINATOR,
        "min_n": MIN_N,
        "repo_status": [
            {"status": r.status, "repos": int(r.repos), "share": pct(r.share)}
            for r in repo_status.itertuples(index=False)
        ],
        "detector_versions": [
            {
                "version": r.detector_version,
                "repos": int(r.repos),
                "last": _when(r.last_classified),
            }
            for r in detector_versions.itertuples(index=False)
        ],
        "freshness": _when(freshness),
    }


def _years_text(years: tuple[int, ...]) -> str:
    ys = sorted(years)
    if ys == list(range(ys[0], ys[-1] + 1)) and len(ys) > 1:
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


def _venue_context(
    venue: str,
    counts: pd.DataFrame,
    adoption: pd.DataFrame,
    chart: dict[str, str] | None,
) -> dict[str, Any]:
    vc = counts[counts["venue"] == venue].sort_values("year")
    count_rows = [
        {
            "year": int(r.year),
            "papers": int(r.papers),
            "with_code_link": int(r.with_code_link),
            "with_scanned_repo": int(r.with_scanned_repo),
            "with_framework": int(r.with_framework),
            "repos": int(r.repos),
            "repos_ok": int(r.repos_ok),
            "repos_pending": int(r.repos_pending),
            "repos_failed": int(r.repos_failed),
        }
        for r in vc.itertuples(index=False)
    ]
    va = adoption[adoption["venue"] == venue]
    d1 = va[va["denominator"] == "D1"]
    used = va.groupby("framework")["numerator"].sum()
    used_d1 = d1.groupby("framework")["numerator"].sum()
    order = sorted(used[used > 0].index, key=lambda f: (-int(used_d1.get(f, 0)), -int(used[f]), f))
    keyed = va.set_index(["framework", "year", "denominator"]).sort_index()
    rows = []
    for fw in order:
        for year in sorted(int(y) for y in va["year"].unique()):
            cells = []
            for den in TABLE_DENOMINATORS:
                key = (fw, year, den)
                if key in keyed.index:
                    r = keyed.loc[key]
                    cells.append(
                        {
                            "denominator": den,
                            "numerator": int(r["numerator"]),
                            "n": int(r["denominator_size"]),
                            "share": pct(r["share"]),
                            "ci": interval(r["ci_low"], r["ci_high"]),
                            "measured": measured(r["share"], r["ci_low"], r["ci_high"]),
                        }
                    )
                else:
                    cells.append(
                        {
                            "denominator": den,
                            "numerator": 0,
                            "n": 0,
                            "share": "—",
                            "ci": "—",
                            "measured": "—",
                        }
                    )
            rows.append({"framework": framework_label(fw), "year": year, "cells": cells})
    d4 = va[(va["denominator"] == "D4") & (va["framework"] == "pytorch")].sort_values("year")
    d4_rows = [
        {
            "year": int(r.year),
            "numerator": int(r.numerator),
            "n": int(r.denominator_size),
            "share": pct(r.share),
            "ci": interval(r.ci_low, r.ci_high),
            "measured": measured(r.share, r.ci_low, r.ci_high),
        }
        for r in d4.itertuples(index=False)
        if r.denominator_size > 0
    ]
    return {
        "id": venue,
        "label": venue_label(venue),
        "counts": count_rows,
        "adoption": rows,
        "table_denominators": list(TABLE_DENOMINATORS),
        "d4": d4_rows,
        "chart": chart,
    }


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


# ---------------------------------------------------------------- the entry point


def write_report(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    claims_path: Path | None = None,
    demo: bool = False,
    generated_at: datetime | None = None,
) -> ReportFiles:
    """Query the database and write the report into ``out_dir`` (created if needed).

    Files: ``report.md``, ``report.html`` (self-contained: charts as base64 PNG, inline CSS),
    ``adoption_<venue>.png`` per venue (D1 shares with the claims drawn in), and the tables
    shown as CSV: ``adoption.csv`` (D1–D4), ``claims.csv``, ``counts.csv``,
    ``repo_status.csv``. ``claims_path`` None uses ``data/claims.toml`` when it exists;
    an explicit path that cannot be loaded raises ``ClaimsError``. ``demo`` adds a banner.
    An empty database gives a report saying so and how to collect data.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or datetime.now(UTC)

    if claims_path is not None:
        claims = load_claims(claims_path)
        claims_note = f"Claims from {Path(claims_path).name}."
    elif DEFAULT_CLAIMS.is_file():
        claims = load_claims(DEFAULT_CLAIMS)
        claims_note = f"Claims from {DEFAULT_CLAIMS.name}."
    else:
        claims = []
        claims_note = "No claims file was found, so no claim is tested (pass --claims FILE)."

    counts = query_counts(con)
    adoption = query_adoption(con)
    verdicts = evaluate(con, claims)
    repo_status = query_repo_status(con)

    chart_paths: list[Path] = []
    charts: dict[str, dict[str, str]] = {}
    for venue in sorted(counts["venue"].unique()):
        fig = plot_adoption(adoption, venue, CHART_DENOMINATOR, claims)
        png = figure_png(fig)
        name = f"adoption_{_safe_name(venue)}.png"
        chart_paths.append(_write_atomic(out_dir / name, png))
        charts[venue] = {
            "file": name,
            "data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            "alt": f"{venue_label(venue)}: share of {CHART_DENOMINATOR} papers per framework",
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
    )

    wording = {c.id: c.wording for c in claims}
    claims_table = verdicts.assign(wording=verdicts["claim_id"].map(wording))
    tables = [
        _write_csv(adoption, out_dir / "adoption.csv"),
        _write_csv(claims_table, out_dir / "claims.csv"),
        _write_csv(counts, out_dir / "counts.csv"),
        _write_csv(repo_status, out_dir / "repo_status.csv"),
    ]
    md = _write_atomic(out_dir / "report.md", render_markdown(context).encode("utf-8"))
    html = _write_atomic(out_dir / "report.html", render_html(context).encode("utf-8"))
    return ReportFiles(markdown=md, html=html, charts=chart_paths, tables=tables)


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    return _write_atomic(path, df.to_csv(index=False).encode("utf-8"))
