"""The report's context: one plain dict built from the query frames (pure: no I/O, no clock).

``build_context`` turns the frames that ``render.write_report`` queried into display-ready rows
(percentages with one decimal, intervals, k / n); both templates render the same dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from analysis.affiliations import AffiliationResult
from analysis.claims import MIN_N, PRECISION_NOTE, AnyClaim, Claim
from analysis.stars import StarsClaim
from analysis.topics import TopicResult
from analysis.trends import (
    DENOMINATORS,
    MIX_CATEGORIES,
    framework_label,
    pool_framework_mix,
    venue_label,
)

DEMO_BANNER = "DEMO DATA — synthetic fixture web, not real measurements"
GET_DATA_COMMAND = "fwcensus run --venue cvpr --years 2019-2024"
TITLE = "fwcensus: deep-learning frameworks in conference papers"
CHART_DENOMINATOR = "D1"
TABLE_DENOMINATORS = ("D1", "D2", "D3", "D4", "M")
"""Columns of each venue's adoption table: the code-based D1–D4, then the mention-based M."""
BREAKDOWN_FRAMEWORKS = 4
"""Frameworks shown as columns in the topic and affiliation tables (most used first)."""


@dataclass(frozen=True)
class Breakdowns:
    """The optional sections' inputs (each may be empty)."""

    mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    topics: TopicResult | None = None
    affiliations: AffiliationResult | None = None


# ---------------------------------------------------------------- formatting


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal (``0.6667`` -> ``66.7%``); "—" for no value."""
    if x is None or pd.isna(x):
        return "—"
    return f"{x * 100:.1f}%"


def interval(lo: float | None, hi: float | None) -> str:
    """A 95% interval as ``20.8–93.9%``; "—" when undefined."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"{lo * 100:.1f}–{hi * 100:.1f}%"


def measured(share: float | None, lo: float | None, hi: float | None) -> str:
    """``66.7% (20.8–93.9%)``: a share with its 95% interval; "—" when there is no share."""
    text = pct(share)
    return text if text == "—" else f"{text} ({interval(lo, hi)})"


def count(x: Any) -> str:
    """An integer count with thousands separators; "—" when missing."""
    if x is None or pd.isna(x):
        return "—"
    return f"{int(x):,}"


def when(value: datetime | None) -> str | None:
    """A timestamp as ``2025-01-02 03:04 UTC`` (naive values are taken as UTC)."""
    if value is None or pd.isna(value):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def years_text(years: tuple[int, ...]) -> str:
    """``(2022, 2023, 2024)`` -> ``2022–2024``; gaps as a comma list."""
    ys = sorted(years)
    if not ys:
        return ""
    if ys == list(range(ys[0], ys[-1] + 1)) and len(ys) > 1:
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


def _share_cell(numerator: Any, n: Any, share: Any, lo: Any, hi: Any) -> dict[str, Any]:
    return {
        "numerator": None if pd.isna(numerator) else int(numerator),
        "n": None if pd.isna(n) else int(n),
        "measured": measured(share, lo, hi),
        "kn": "—" if pd.isna(numerator) or pd.isna(n) else f"{int(numerator)} / {int(n)}",
    }


_EMPTY_CELL = {"numerator": None, "n": None, "measured": "—", "kn": "—"}


# ---------------------------------------------------------------- claims


def verdict_rows(verdicts: pd.DataFrame, claims: list[AnyClaim]) -> list[dict[str, Any]]:
    """One display row per verdict (share claims: per denominator; stars: per repository)."""
    by_id = {c.id: c for c in claims}
    rows = []
    for r in verdicts.itertuples(index=False):
        c = by_id.get(r.claim_id)
        base = {
            "claim_id": r.claim_id,
            "wording": c.wording if c is not None else r.claim_id,
            "verdict": r.verdict,
            "reason": r.reason,
            "precision": PRECISION_NOTE in str(r.reason),
        }
        if r.kind == "stars":
            base.update(
                {
                    "years": "—",
                    "claimed": f"{r.claimed_low:,.0f}–{r.claimed_high:,.0f} stars",
                    "denominator": f"GitHub stars of {r.subject}",
                    "measured": "—" if pd.isna(r.numerator) else f"{int(r.numerator):,} stars",
                    "kn": "—",
                    "numerator": None if pd.isna(r.numerator) else int(r.numerator),
                    "n": None,
                }
            )
        else:
            base.update(
                {
                    "years": years_text(c.years) if isinstance(c, Claim) else "",
                    "claimed": interval(r.claimed_low, r.claimed_high),
                    "denominator": r.denominator,
                    **_share_cell(r.numerator, r.n, r.share, r.ci_low, r.ci_high),
                }
            )
        rows.append(base)
    return rows


def claim_rows(claims: list[AnyClaim]) -> list[dict[str, Any]]:
    """The "Claims under test" table."""
    rows = []
    for c in claims:
        if isinstance(c, StarsClaim):
            rows.append(
                {
                    "id": c.id,
                    "wording": c.wording,
                    "source": c.source,
                    "venues": "—",
                    "years": "—",
                    "frameworks": ", ".join(c.repos),
                    "claimed": "; ".join(
                        f"{repo} {n:,} ± {c.tolerance * 100:.0f}%" for repo, n in c.stars
                    ),
                    "denominators": "GitHub stars",
                    "notes": c.notes,
                }
            )
        else:
            rows.append(
                {
                    "id": c.id,
                    "wording": c.wording,
                    "source": c.source,
                    "venues": ", ".join(venue_label(v) for v in c.venues),
                    "years": years_text(c.years),
                    "frameworks": c.framework_label,
                    "claimed": interval(*c.range),
                    "denominators": ", ".join(c.denominators),
                    "notes": c.notes,
                }
            )
    return rows


# ---------------------------------------------------------------- per venue


def venue_context(
    venue: str,
    counts: pd.DataFrame,
    adoption: pd.DataFrame,
    chart: dict[str, str] | None,
) -> dict[str, Any]:
    """Coverage, the adoption table (D1–D4 and M side by side) and the chart of one venue."""
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
    years = sorted(int(y) for y in va["year"].unique())
    rows = []
    for fw in order:
        for year in years:
            cells = []
            for den in TABLE_DENOMINATORS:
                key = (fw, year, den)
                if key in keyed.index:
                    r = keyed.loc[key]
                    cell = _share_cell(
                        r["numerator"], r["denominator_size"], r["share"], r["ci_low"], r["ci_high"]
                    )
                else:
                    cell = dict(_EMPTY_CELL)
                cells.append({"denominator": den, **cell})
            rows.append({"framework": framework_label(fw), "year": year, "cells": cells})
    return {
        "id": venue,
        "label": venue_label(venue),
        "counts": count_rows,
        "adoption": rows,
        "table_denominators": list(TABLE_DENOMINATORS),
        "chart": chart,
    }


# ---------------------------------------------------------------- breakdowns


def _top_frameworks(shares: pd.DataFrame) -> list[str]:
    if shares.empty:
        return []
    totals = shares.groupby("framework")["numerator"].sum()
    totals = totals[totals > 0]
    return sorted(totals.index, key=lambda f: (-int(totals[f]), f))[:BREAKDOWN_FRAMEWORKS]


def _breakdown_rows(
    shares: pd.DataFrame, key: str, keys: list[Any], frameworks: list[str]
) -> list[list[dict[str, Any]]]:
    indexed = shares.set_index([key, "framework"]) if not shares.empty else shares
    out = []
    for k in keys:
        cells = []
        for fw in frameworks:
            if (k, fw) in indexed.index:
                r = indexed.loc[(k, fw)]
                cells.append(
                    _share_cell(
                        r["numerator"], r["denominator_size"], r["share"], r["ci_low"], r["ci_high"]
                    )
                )
            else:
                cells.append(dict(_EMPTY_CELL))
        out.append(cells)
    return out


def topics_context(result: TopicResult | None) -> dict[str, Any]:
    """Rows of the research-area table: topic label, terms, D1 papers, framework shares."""
    if result is None:
        return {"rows": [], "frameworks": [], "note": "Research areas were not computed."}
    frameworks = _top_frameworks(result.shares)
    topics = result.topics
    cells = _breakdown_rows(result.shares, "topic", list(topics["topic"]), frameworks)
    rows = [
        {
            "label": t.label,
            "terms": ", ".join(str(t.terms).split(", ")[3:]) or "—",
            "d1_papers": int(t.d1_papers),
            "fit_papers": int(t.fit_papers),
            "cells": c,
        }
        for t, c in zip(topics.itertuples(index=False), cells, strict=True)
    ]
    return {
        "rows": rows,
        "frameworks": [framework_label(f) for f in frameworks],
        "note": result.note,
    }


def affiliations_context(result: AffiliationResult | None) -> dict[str, Any]:
    """Rows of the industry vs academia table, or only the note when there is no data."""
    if result is None or result.empty:
        note = result.note if result is not None else "Affiliations were not computed."
        return {"rows": [], "frameworks": [], "note": note}
    frameworks = _top_frameworks(result.shares)
    counts = result.counts
    cells = _breakdown_rows(result.shares, "category", list(counts["category"]), frameworks)
    rows = [
        {"category": r.category, "papers": int(r.papers), "d1_papers": int(r.d1_papers), "cells": c}
        for r, c in zip(counts.itertuples(index=False), cells, strict=True)
    ]
    return {
        "rows": rows,
        "frameworks": [framework_label(f) for f in frameworks],
        "note": result.note,
    }


def mix_context(mix: pd.DataFrame) -> dict[str, Any]:
    """The pooled framework-mix table: per year, D1 n and each category's share (k)."""
    pooled = pool_framework_mix(mix) if not mix.empty else mix
    if pooled.empty:
        return {"rows": [], "categories": list(MIX_CATEGORIES.values())}
    rows = []
    for year, g in pooled.groupby("year", sort=True):
        g = g.set_index("category")
        n = int(g["denominator_size"].max())
        rows.append(
            {
                "year": int(year),
                "n": n,
                "cells": [
                    f"{pct(g.loc[c, 'share'])} ({int(g.loc[c, 'papers'])})" for c in MIX_CATEGORIES
                ],
            }
        )
    return {"rows": rows, "categories": list(MIX_CATEGORIES.values())}


# ---------------------------------------------------------------- the context


def publication_context(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Shares at publication vs today, the framework switches, the snapshot statuses."""
    compare = frames.get("compare", pd.DataFrame())
    switches = frames.get("switches", pd.DataFrame())
    status = frames.get("status", pd.DataFrame())
    rows = [
        {
            "venue": venue_label(r.venue),
            "year": int(r.year),
            "framework": framework_label(r.framework),
            "pub": measured(r.pub_share, r.pub_low, r.pub_high)
            if pd.notna(r.pub_n) and r.pub_n
            else "—",
            "pub_kn": f"{int(r.pub_k)} / {int(r.pub_n)}" if pd.notna(r.pub_n) else "—",
            "now": measured(r.now_share, r.now_low, r.now_high),
            "now_kn": f"{int(r.now_k)} / {int(r.now_n)}",
        }
        for r in compare.itertuples(index=False)
    ]
    switch_rows = [
        {
            "venue": venue_label(r.venue),
            "year": int(r.year),
            "repo": r.repo_id,
            "at_publication": framework_label(r.at_publication or "none"),
            "today": framework_label(r.today or "none"),
        }
        for r in switches.head(50).itertuples(index=False)
    ]
    statuses = {r.status: int(r.repos) for r in status.itertuples(index=False)}
    approx = int(status["approx"].sum()) if not status.empty else 0
    if not statuses:
        note = (
            "No repository has been scanned as of publication yet (a run does it after the "
            "HEAD scan unless `[run] publication_snapshots = false`)."
        )
    else:
        note = (
            f"{statuses.get('ok', 0)} repositories scanned at their last commit on or before the "
            "end of the conference"
            + (
                f"; {statuses['created_after']} had no commit that old (created after the "
                "conference) and are left out"
                if statuses.get("created_after")
                else ""
            )
            + (
                f"; for {approx}, the conference date is approximate (usual month)"
                if approx
                else ""
            )
            + f". {len(switches)} repositories changed their primary framework since."
        )
    return {"rows": rows, "switches": switch_rows, "switch_count": len(switches), "note": note}


def build_context(
    *,
    counts: pd.DataFrame,
    adoption: pd.DataFrame,
    verdicts: pd.DataFrame,
    claims: list[AnyClaim],
    repo_status: pd.DataFrame,
    detector_versions: pd.DataFrame,
    freshness: datetime | None,
    generated_at: datetime,
    demo: bool,
    charts: dict[str, dict[str, str]],
    claims_note: str,
    breakdowns: Breakdowns | None = None,
    overview_charts: dict[str, dict[str, str]] | None = None,
    publication: dict[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """The one dict both templates render.

    ``charts`` maps venue -> {file, data_uri, alt}; ``overview_charts`` maps "small_multiples"
    and "mix" to the same shape.
    """
    breakdowns = breakdowns or Breakdowns()
    venues = [
        venue_context(v, counts, adoption, charts.get(v)) for v in sorted(counts["venue"].unique())
    ]
    total_repos = int(repo_status["repos"].sum()) if not repo_status.empty else 0

    def total(col: str) -> int:
        return int(counts[col].sum()) if not counts.empty else 0

    return {
        "title": TITLE,
        "generated_at": when(generated_at),
        "demo": demo,
        "demo_banner": DEMO_BANNER,
        "has_data": not counts.empty,
        "get_data_command": GET_DATA_COMMAND,
        "totals": {
            "venues": len(venues),
            "venue_years": len(counts),
            "papers": total("papers"),
            "with_code_link": total("with_code_link"),
            "with_scanned_repo": total("with_scanned_repo"),
            "with_framework": total("with_framework"),
            "repos": total_repos,
        },
        "verdicts": verdict_rows(verdicts, claims),
        "claims": claim_rows(claims),
        "claims_note": claims_note,
        "venues": venues,
        "overview": overview_charts or {},
        "mix": mix_context(breakdowns.mix),
        "topics": topics_context(breakdowns.topics),
        "affiliations": affiliations_context(breakdowns.affiliations),
        "publication": publication_context(publication or {}),
        "denominators": [{"key": k, "text": v} for k, v in DENOMINATORS.items()],
        "chart_denominator": CHART_DENOMINATOR,
        "min_n": MIN_N,
        "precision_note": PRECISION_NOTE,
        "repo_status": [
            {"status": r.status, "repos": int(r.repos), "share": pct(r.share)}
            for r in repo_status.itertuples(index=False)
        ],
        "detector_versions": [
            {
                "version": r.detector_version,
                "repos": int(r.repos),
                "last": when(r.last_classified),
            }
            for r in detector_versions.itertuples(index=False)
        ],
        "freshness": when(freshness),
    }
