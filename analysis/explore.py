"""Helpers behind ``notebooks/explore.ipynb``: every query and chart the notebook shows.

The notebook only calls these, so its logic is tested like the rest of the package. All of them
read the database (opened read-only) and return DataFrames or matplotlib Figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
from matplotlib.figure import Figure

from analysis.charts import plot_small_multiples
from analysis.stats import wilson
from analysis.trends import framework_label, query_adoption, venue_label

DEFAULT_DB = Path("data") / "fwcensus.duckdb"
DB_ENV = "FWCENSUS_DB"

SWITCH_NOTE = (
    "Papers whose repository's primary framework at publication (a snapshot of the repository "
    "at the conference date, table repo_snapshots) differs from today's scan (HEAD), from the "
    "view framework_switches."
)
HISTORY_NOTE = (
    "This database has no repository snapshots (no view framework_switches: written by an older "
    "fwcensus), so there is no history of earlier scans and a paper whose framework changed "
    "cannot be shown. Shown instead: repositories with both PyTorch and TensorFlow evidence, "
    "the ones whose label is most likely to differ between scans or detector versions."
)


def database_path(environ: Mapping[str, str]) -> Path:
    """The database the notebook reads: ``$FWCENSUS_DB``, else ``data/fwcensus.duckdb``.

    The default is looked up in the working directory and, for a notebook started inside
    ``notebooks/``, in its parent.
    """
    value = environ.get(DB_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    for base in (Path.cwd(), Path.cwd().parent):
        if (base / DEFAULT_DB).is_file():
            return base / DEFAULT_DB
    return DEFAULT_DB


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only, with a message saying what to do when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no fwcensus database at {path}. Set {DB_ENV} to a database file, or create one "
            "with `fwcensus run ...` (or `fwcensus demo`, which writes data/demo.duckdb)."
        )
    return duckdb.connect(str(path), read_only=True)


def trend_per_venue(con: duckdb.DuckDBPyConnection, denominator: str = "D1") -> pd.DataFrame:
    """Share per venue × year for each framework (a wide table: one column per framework).

    Columns: venue, year, n (the denominator size), then ``<Framework> %`` per framework with
    any user (share in percent, one decimal).
    """
    df = query_adoption(con, denominator=denominator)
    if df.empty:
        return pd.DataFrame({"venue": [], "year": [], "n": []})
    used = df.groupby("framework")["numerator"].sum()
    frameworks = sorted(used[used > 0].index, key=lambda f: (-int(used[f]), f))
    wide = (
        df[df["framework"].isin(frameworks)]
        .assign(pct=lambda d: (d["share"] * 100).round(1))
        .pivot_table(index=["venue", "year"], columns="framework", values="pct")
        .reindex(columns=frameworks)
    )
    wide.columns = [f"{framework_label(f)} %" for f in wide.columns]
    n = df.groupby(["venue", "year"])["denominator_size"].max().rename("n")
    out = n.to_frame().join(wide).reset_index()
    out["venue"] = out["venue"].map(venue_label)
    return out.astype({"year": "int64", "n": "int64"})


def plot_trends(con: duckdb.DuckDBPyConnection, denominator: str = "D1") -> Figure:
    """The small-multiples chart of the report (one panel per venue)."""
    return plot_small_multiples(query_adoption(con, denominator=denominator), denominator)


_MIXED_SQL = """
WITH ev AS (
    SELECT repo_id,
           sum(files) FILTER (WHERE framework = 'pytorch') AS pytorch_files,
           sum(files) FILTER (WHERE framework = 'tensorflow') AS tensorflow_files,
           string_agg(DISTINCT kind, ', ' ORDER BY kind) AS evidence_kinds
    FROM repo_evidence
    WHERE framework IN ('pytorch', 'tensorflow')
    GROUP BY repo_id
    HAVING pytorch_files > 0 AND tensorflow_files > 0
)
SELECT e.repo_id, f.primary_fw AS labelled_primary, f.frameworks AS labelled_frameworks,
       e.pytorch_files, e.tensorflow_files, e.evidence_kinds, f.detector_version,
       (SELECT string_agg(DISTINCT p.venue || ' ' || p.year, ', ')
        FROM code_links c JOIN papers p ON p.paper_id = c.paper_id
        WHERE c.repo_id = e.repo_id AND c.official AND c.rejected IS NULL) AS papers
FROM ev e LEFT JOIN repo_frameworks f USING (repo_id)
ORDER BY least(e.pytorch_files, e.tensorflow_files) DESC, e.repo_id
"""


def mixed_framework_repos(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Repositories with both PyTorch and TensorFlow evidence (the fallback of
    ``framework_changes``; see ``HISTORY_NOTE``).

    Columns: repo_id, labelled_primary, labelled_frameworks, pytorch_files, tensorflow_files,
    evidence_kinds, detector_version, papers (venue-years of the papers linking it); the most
    evenly mixed first.
    """
    return con.execute(_MIXED_SQL).df()


_SWITCH_SQL = """
SELECT p.venue, p.year, p.paper_id, p.title, s.repo_id, s.at_publication, s.today, s.as_of,
       s.publication_commit, s.head_commit
FROM framework_switches s
JOIN code_links c ON c.repo_id = s.repo_id AND c.official AND c.rejected IS NULL
JOIN papers p ON p.paper_id = c.paper_id AND p.venue = s.venue AND p.year = s.year
ORDER BY p.venue, p.year, p.paper_id, s.repo_id
"""


def _has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = $n AND NOT internal", {"n": name}
    ).fetchall()
    return bool(rows and rows[0][0])


def framework_changes(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, str]:
    """Papers whose framework differs between two scans, and a note saying what is shown.

    With the view ``framework_switches`` (repository snapshots at publication): one row per
    paper and switching repository, with venue, year, paper_id, title, repo_id,
    at_publication, today, as_of, publication_commit, head_commit (``SWITCH_NOTE``). Without
    it: ``mixed_framework_repos`` (``HISTORY_NOTE``).
    """
    if _has_view(con, "framework_switches"):
        return con.execute(_SWITCH_SQL).df(), SWITCH_NOTE
    return mixed_framework_repos(con), HISTORY_NOTE


def tensorflow_leads(con: duckdb.DuckDBPyConnection, denominator: str = "D1") -> pd.DataFrame:
    """Venue-years where TensorFlow's share is above PyTorch's.

    Columns: venue, year, n, pytorch, tensorflow (shares), gap (TensorFlow minus PyTorch, in
    points), clear (True when the two 95% intervals do not overlap); largest gap first.
    """
    cols = ["venue", "year", "n", "pytorch", "tensorflow", "gap", "clear"]
    df = query_adoption(con, denominator=denominator)
    df = df[df["denominator_size"] > 0]
    if df.empty or "tensorflow" not in set(df["framework"]):
        return pd.DataFrame({c: [] for c in cols})
    n = df.groupby(["venue", "year"])["denominator_size"].max().rename("n")
    out = n.to_frame()
    for fw in ("pytorch", "tensorflow"):
        side = df[df["framework"] == fw].set_index(["venue", "year"])
        out[fw] = side["share"].reindex(out.index).fillna(0.0)
        out[f"{fw}_low"] = side["ci_low"].reindex(out.index)
        # a framework nobody used in the whole database has no rows: k = 0 of n
        no_rows = [wilson(0, int(k))[1] for k in out["n"]]
        out[f"{fw}_high"] = side["ci_high"].reindex(out.index).fillna(pd.Series(no_rows, out.index))
    out["gap"] = ((out["tensorflow"] - out["pytorch"]) * 100).round(1)
    out["clear"] = out["tensorflow_low"] > out["pytorch_high"]
    out = out[out["tensorflow"] > out["pytorch"]].reset_index()
    out["venue"] = out["venue"].map(venue_label)
    out["n"] = out["n"].astype("int64")
    out = out.sort_values(["gap", "venue", "year"], ascending=[False, True, True])
    return out[cols].reset_index(drop=True)
