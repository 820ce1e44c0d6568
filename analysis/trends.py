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
}
"""The denominators the analysis keeps apart (docs/design.md, "Definitions")."""

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


_ADOPTION_SQL = """
SELECT venue, year, framework, denominator, numerator, denominator_size, share, ci_low, ci_high
FROM (SELECT * FROM adoption UNION ALL BY NAME SELECT * FROM adoption_d4)
WHERE ($venues::VARCHAR[] IS NULL OR list_contains($venues::VARCHAR[], venue))
  AND ($dens::VARCHAR[] IS NULL OR list_contains($dens::VARCHAR[], denominator))
ORDER BY venue, denominator, framework, year
"""


def query_adoption(
    con: duckdb.DuckDBPyConnection,
    venues: str | Sequence[str] | None = None,
    denominator: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Adoption per venue × year × framework × denominator (views ``adoption`` + ``adoption_d4``).

    Columns: venue, year, framework, denominator (D1..D4), numerator (papers using the
    framework), denominator_size, share, ci_low, ci_high (95% Wilson; NaN when the
    denominator is 0). ``venues`` / ``denominator`` filter (a name or a list); None = all.
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


_COUNTS_SQL = """
WITH linked AS (
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
FROM venue_year_counts v LEFT JOIN per_vy r ON r.venue = v.venue AND r.year = v.year
ORDER BY v.venue, v.year
"""


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
    row = con.execute("SELECT max(ended_at) FROM runs").fetchone()
    return row[0] if row else None
