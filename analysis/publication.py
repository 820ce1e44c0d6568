"""Frameworks as of publication vs today: shares of D1 papers from the repositories as they
were at the end of the conference (``adoption_at_publication``) next to today's (HEAD), and
the repositories whose primary framework changed in between (``framework_switches``)."""

from __future__ import annotations

import duckdb
import pandas as pd

# Compare these frameworks side by side (the claims are about them).
COMPARED = ("pytorch", "tensorflow", "jax", "keras")

_COMPARE_SQL = """
SELECT t.venue, t.year, t.framework,
       p.numerator AS pub_k, p.denominator_size AS pub_n, p.share AS pub_share,
       p.ci_low AS pub_low, p.ci_high AS pub_high,
       t.numerator AS now_k, t.denominator_size AS now_n, t.share AS now_share,
       t.ci_low AS now_low, t.ci_high AS now_high
FROM adoption t
LEFT JOIN adoption_at_publication p
       ON p.venue = t.venue AND p.year = t.year AND p.framework = t.framework
WHERE t.denominator = 'D1' AND list_contains($fws, t.framework)
  AND EXISTS (SELECT 1 FROM repo_snapshots s WHERE s.venue = t.venue AND s.year = t.year)
ORDER BY t.venue, t.year, t.framework
"""


def query_publication(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """D1 shares per venue-year and framework, at publication and today (one row each)."""
    return con.execute(_COMPARE_SQL, {"fws": list(COMPARED)}).df()


def query_switches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT venue, year, repo_id, at_publication, today, publication_commit, head_commit "
        "FROM framework_switches ORDER BY venue, year, repo_id"
    ).df()


def query_snapshot_status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT status, count(*) AS repos, count(*) FILTER (WHERE NOT as_of_exact) AS approx "
        "FROM repo_snapshots GROUP BY status ORDER BY status"
    ).df()
