"""SQL over the fwcensus views, returned as tidy DataFrames (one query per function).

Every function takes an open DuckDB connection (read-only is enough) and returns a
``pandas.DataFrame`` whose columns are documented in its docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd

DENOMINATORS: dict[str, str] = {
    "D1": "papers whose official code repository was scanned and shows a deep-learning framework",
    "D2": "papers with an official code link (the authors' own repository)",
    "D3": "all papers of the venue-year",
    "D4": "papers using PyTorch or TensorFlow (the 2019 study's measure)",
    "M": "papers whose PDF text was read; a paper counts when its text names the framework "
    "(mention-based, the 2019 study's method)",
}
"""The denominators the analysis keeps apart (docs/design.md, "Definitions").

D1–D4 are code-based (the numerator is papers whose scanned repository uses the framework);
M is mention-based (the numerator is papers whose text names the framework)."""

CODE_DENOMINATORS: tuple[str, ...] = ("D1", "D2", "D3", "D4")

FRAMEWORK_LABELS: dict[str, str] = {
    "pytorch": "PyTorch",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "jax": "JAX",
    "mxnet": "MXNet",
    "paddle": "PaddlePaddle",
    "chainer": "Chainer",
    "theano": "Theano",
    "caffe": "Caffe",
    "dynet": "DyNet",
    "mindspore": "MindSpore",
    "oneflow": "OneFlow",
    "cntk": "CNTK",
    "lua-torch": "Lua Torch",
}
"""Display names of the detector's framework ids (the ids stored in ``repo_frameworks``)."""

VENUE_LABELS: dict[str, str] = {
    "neurips": "NeurIPS",
    "iclr": "ICLR",
    "icml": "ICML",
    "cvpr": "CVPR",
    "iccv": "ICCV",
    "eccv": "ECCV",
    "aistats": "AISTATS",
    "colt": "COLT",
    "uai": "UAI",
    "acl": "ACL",
    "emnlp": "EMNLP",
    "naacl": "NAACL",
    "corl": "CoRL",
    "wacv": "WACV",
}

REPO_STATUSES: tuple[str, ...] = (
    "ok",
    "pending",
    "not_found",
    "private",
    "blocked",
    "too_large",
    "error",
)
"""Repository statuses named in ``scraper/schema.sql``; others are counted as failed."""


def framework_label(framework: str) -> str:
    """Display name of a framework id (``pytorch`` -> ``PyTorch``); unknown ids unchanged."""
    return FRAMEWORK_LABELS.get(framework, framework)


def venue_label(venue: str) -> str:
    """Display name of a venue id (``neurips`` -> ``NeurIPS``); unknown ids upper-cased."""
    return VENUE_LABELS.get(venue, venue.upper())


def _as_list(value: str | Sequence[str] | None, what: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in items):
        raise TypeError(f"{what} must be strings, got {items!r}")
    return items


BASE_CTES = """
pf AS MATERIALIZED (
    SELECT DISTINCT paper_id, venue, year, framework FROM paper_frameworks
),
official AS MATERIALIZED (
    SELECT c.paper_id, coalesce(bool_or(r.status = 'ok'), FALSE) AS scanned
    FROM code_links c LEFT JOIN repos r ON r.repo_id = c.repo_id
    WHERE c.rejected IS NULL AND c.official
    GROUP BY c.paper_id
),
flags AS MATERIALIZED (
    SELECT p.paper_id, p.venue, p.year,
           o.paper_id IS NOT NULL AS has_code_link,
           coalesce(o.scanned, FALSE) AS has_scanned_repo,
           f.paper_id IS NOT NULL AS has_framework
    FROM papers p
    LEFT JOIN official o ON o.paper_id = p.paper_id
    LEFT JOIN (SELECT DISTINCT paper_id FROM pf) f ON f.paper_id = p.paper_id
),
vyc AS MATERIALIZED (
    SELECT venue, year,
           count(*) AS papers,
           count(*) FILTER (WHERE has_code_link) AS with_code_link,
           count(*) FILTER (WHERE has_scanned_repo) AS with_scanned_repo,
           count(*) FILTER (WHERE has_framework) AS with_framework
    FROM flags GROUP BY venue, year
)"""
"""Common table expressions for the analysis queries: ``pf`` (view ``paper_frameworks``,
distinct), ``flags`` (the same columns as view ``paper_status``) and ``vyc`` (view
``venue_year_counts``). Same definitions as the views in ``scraper/views.sql``, but computed
once per statement (the views recompute ``paper_status`` in every view that reads it, which
dominates a report on a million papers); tests check that both agree."""

_ADOPTION_SQL = (
    "WITH"
    + BASE_CTES
    + """,
users AS (SELECT venue, year, framework, count(*) AS k FROM pf GROUP BY ALL),
denoms AS (
    SELECT venue, year, 'D1' AS denominator, with_framework AS n FROM vyc
    UNION ALL SELECT venue, year, 'D2', with_code_link FROM vyc
    UNION ALL SELECT venue, year, 'D3', papers FROM vyc
),
code AS (
    SELECT d.venue, d.year, f.framework, d.denominator, coalesce(u.k, 0) AS k, d.n
    FROM denoms d
    CROSS JOIN (SELECT DISTINCT framework FROM pf) f
    LEFT JOIN users u ON u.venue = d.venue AND u.year = d.year AND u.framework = f.framework
),
pt_tf AS (SELECT * FROM pf WHERE framework IN ('pytorch', 'tensorflow')),
d4_sizes AS (
    SELECT v.venue, v.year, count(DISTINCT t.paper_id) AS n
    FROM vyc v LEFT JOIN pt_tf t ON t.venue = v.venue AND t.year = v.year
    GROUP BY v.venue, v.year
),
d4 AS (
    SELECT s.venue, s.year, f.framework, 'D4' AS denominator, coalesce(u.k, 0) AS k, s.n
    FROM d4_sizes s
    CROSS JOIN (VALUES ('pytorch'), ('tensorflow')) AS f(framework)
    LEFT JOIN users u ON u.venue = s.venue AND u.year = s.year AND u.framework = f.framework
),
mention_sizes AS (
    SELECT p.venue, p.year, count(x.paper_id) AS n
    FROM papers p
    LEFT JOIN paper_texts x ON x.paper_id = p.paper_id AND x.status = 'ok'
    GROUP BY p.venue, p.year
),
mention AS (
    SELECT s.venue, s.year, f.framework, 'M' AS denominator,
           coalesce(m.numerator, 0) AS k, s.n
    FROM mention_sizes s
    CROSS JOIN (SELECT framework FROM pf UNION SELECT framework FROM paper_mentions) f
    LEFT JOIN mention_adoption m
           ON m.venue = s.venue AND m.year = s.year AND m.framework = f.framework
),
everything AS (
    SELECT * FROM code UNION ALL SELECT * FROM d4 UNION ALL SELECT * FROM mention
)
SELECT venue, year, framework, denominator, k AS numerator, n AS denominator_size,
       CASE WHEN n > 0 THEN k / n END AS share,
       wilson_low(k, n) AS ci_low, wilson_high(k, n) AS ci_high
FROM everything
WHERE ($venues::VARCHAR[] IS NULL OR list_contains($venues::VARCHAR[], venue))
  AND ($dens::VARCHAR[] IS NULL OR list_contains($dens::VARCHAR[], denominator))
ORDER BY venue, denominator, framework, year
"""
)


def query_adoption(
    con: duckdb.DuckDBPyConnection,
    venues: str | Sequence[str] | None = None,
    denominator: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Adoption per venue × year × framework × denominator, in one statement.

    The numbers are those of the views ``adoption`` (D1–D3), ``adoption_d4`` (D4) and
    ``mention_adoption`` (M), computed over ``BASE_CTES``. M is zero-filled: every framework
    seen in code or in text gets an M row for every venue-year, its denominator the papers
    whose text was read (0 when none was).

    Columns: venue, year, framework, denominator (D1..D4, M), numerator (papers using, or for
    M naming, the framework), denominator_size, share, ci_low, ci_high (95% Wilson; NaN when
    the denominator is 0). ``venues`` / ``denominator`` filter (a name or a list); None = all.
    """
    venue_list = _as_list(venues, "venues")
    if venue_list is not None:
        venue_list = [v.lower() for v in venue_list]
    dens = _as_list(denominator, "denominator")
    if dens is not None:
        unknown = sorted(set(dens) - set(DENOMINATORS))
        if unknown:
            raise ValueError(
                f"unknown denominator {', '.join(unknown)}; choose from {', '.join(DENOMINATORS)}"
            )
    df = con.execute(_ADOPTION_SQL, {"venues": venue_list, "dens": dens}).df()
    return df.astype({"numerator": "int64", "denominator_size": "int64", "year": "int64"})


_COUNTS_SQL = (
    "WITH"
    + BASE_CTES
    + """,
linked AS (
    SELECT DISTINCT p.venue, p.year, c.repo_id, coalesce(r.status, 'pending') AS status
    FROM papers p
    JOIN code_links c ON c.paper_id = p.paper_id AND c.rejected IS NULL AND c.official
    LEFT JOIN repos r ON r.repo_id = c.repo_id
    WHERE c.repo_id IS NOT NULL
),
per_vy AS (
    SELECT venue, year,
           count(*) AS repos,
           {status_columns},
           count(*) FILTER (WHERE status NOT IN ('ok', 'pending')) AS repos_failed
    FROM linked GROUP BY venue, year
)
SELECT v.venue, v.year, v.papers, v.with_code_link, v.with_scanned_repo, v.with_framework,
       coalesce(r.repos, 0) AS repos,
       {coalesced},
       coalesce(r.repos_failed, 0) AS repos_failed
FROM vyc v LEFT JOIN per_vy r ON r.venue = v.venue AND r.year = v.year
ORDER BY v.venue, v.year
"""
)


def _counts_sql() -> str:
    status_columns = ",\n           ".join(
        f"count(*) FILTER (WHERE status = '{s}') AS repos_{s}" for s in REPO_STATUSES
    )
    coalesced = ",\n       ".join(f"coalesce(r.repos_{s}, 0) AS repos_{s}" for s in REPO_STATUSES)
    return _COUNTS_SQL.format(status_columns=status_columns, coalesced=coalesced)


def query_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Coverage per venue-year.

    Columns: venue, year, papers (D3), with_code_link (D2), with_scanned_repo (an official
    repo with status ok), with_framework (D1), repos (distinct official repositories linked from
    the venue-year's papers), repos_<status> for each status in ``REPO_STATUSES`` (a linked repo
    not yet in ``repos`` counts as pending), and repos_failed (any status but ok and pending).
    """
    df = con.execute(_counts_sql()).df()
    count_cols = [c for c in df.columns if c not in ("venue",)]
    return df.astype(dict.fromkeys(count_cols, "int64"))


def query_repo_status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Repositories by status over the whole ``repos`` table.

    Columns: status, repos, share (of all repositories), most frequent first.
    """
    df = con.execute(
        """
        SELECT status, count(*) AS repos, count(*) / sum(count(*)) OVER () AS share
        FROM repos GROUP BY status ORDER BY repos DESC, status
        """
    ).df()
    return df.astype({"repos": "int64"})


def query_detector_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Detector versions behind the stored classifications.

    Columns: detector_version, repos, first_classified, last_classified; most repos first.
    """
    return con.execute(
        """
        SELECT detector_version, count(*) AS repos,
               min(classified_at) AS first_classified, max(classified_at) AS last_classified
        FROM repo_frameworks GROUP BY detector_version ORDER BY repos DESC, detector_version
        """
    ).df()


def query_freshness(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the data was last refreshed: the latest ``runs.ended_at``, or None (no run ended)."""
    rows = con.execute("SELECT max(ended_at) FROM runs").fetchall()
    return rows[0][0] if rows else None


MIX_CATEGORIES: dict[str, str] = {
    "pytorch": "PyTorch (not TensorFlow)",
    "tensorflow": "TensorFlow (not PyTorch)",
    "pytorch+tensorflow": "PyTorch and TensorFlow",
    "jax": "JAX (neither of the two)",
    "other": "Other framework only",
}
"""Categories of the framework mix: each D1 paper falls in exactly one, in this order."""

_MIX_SQL = """
WITH per_paper AS (
    SELECT venue, year, paper_id,
           bool_or(framework = 'pytorch') AS pt,
           bool_or(framework = 'tensorflow') AS tf,
           bool_or(framework = 'jax') AS jx
    FROM paper_frameworks GROUP BY venue, year, paper_id
),
labelled AS (
    SELECT venue, year,
           CASE WHEN pt AND tf THEN 'pytorch+tensorflow' WHEN pt THEN 'pytorch'
                WHEN tf THEN 'tensorflow' WHEN jx THEN 'jax' ELSE 'other' END AS category
    FROM per_paper
),
counted AS (SELECT venue, year, category, count(*) AS papers FROM labelled GROUP BY ALL)
SELECT venue, year, category, papers,
       sum(papers) OVER (PARTITION BY venue, year) AS denominator_size,
       papers / sum(papers) OVER (PARTITION BY venue, year) AS share
FROM counted
ORDER BY venue, year, category
"""


def query_framework_mix(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """D1 papers per venue-year split into the disjoint ``MIX_CATEGORIES`` (they sum to D1).

    Columns: venue, year, category, papers, denominator_size (the venue-year's D1), share.
    Categories with no paper have no row.
    """
    df = con.execute(_MIX_SQL).df()
    return df.astype({"year": "int64", "papers": "int64", "denominator_size": "int64"})


def pool_framework_mix(mix: pd.DataFrame) -> pd.DataFrame:
    """All venues pooled per year (counts summed, shares recomputed). Pure.

    Columns: year, category, papers, denominator_size, share; every category of
    ``MIX_CATEGORIES`` for every year (0 papers when absent).
    """
    cols = ["year", "category", "papers", "denominator_size", "share"]
    if mix.empty:
        return pd.DataFrame({c: [] for c in cols})
    years = sorted(int(y) for y in mix["year"].unique())
    grid = pd.MultiIndex.from_product([years, list(MIX_CATEGORIES)], names=["year", "category"])
    papers = mix.groupby(["year", "category"])["papers"].sum().reindex(grid, fill_value=0)
    out = papers.reset_index()
    out["denominator_size"] = out.groupby("year")["papers"].transform("sum")
    out["share"] = out["papers"] / out["denominator_size"]
    return out.astype({"year": "int64", "papers": "int64", "denominator_size": "int64"})[cols]
