"""Claims about GitHub stars ("TensorFlow has ~180K stars vs PyTorch ~75K") and their verdicts.

A stars claim names repositories and the star count claimed for each. The measured counts come
from the table ``framework_repos(repo, stars, fetched_at)``, which the GitHub step fills (one
row per fetch; the latest fetch of each repository counts). A claimed count is **supported**
when the measured one lies within ``tolerance`` (±10% by default) of it, **contradicted**
otherwise, and **inconclusive** when no count was fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

DEFAULT_TOLERANCE = 0.10
STARS_TABLE = "framework_repos"
NO_COUNTS = "inconclusive: no star counts fetched"

_REQUIRED = ("id", "kind", "source", "wording", "stars")
_OPTIONAL = ("tolerance", "notes")
_REPO_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9_.-]+$")
EXAMPLE = """[[claim]]
id = "github-stars-tf-vs-pt"
kind = "stars"
source = "where the claim circulates"
wording = "TensorFlow has ~180K stars vs PyTorch ~75K"
stars = { "tensorflow/tensorflow" = 180000, "pytorch/pytorch" = 75000 }
tolerance = 0.10"""


@dataclass(frozen=True)
class StarsClaim:
    """Claimed star counts per repository (``owner/name``, lower-case), within ``tolerance``."""

    id: str
    source: str
    wording: str
    stars: tuple[tuple[str, int], ...]
    tolerance: float = DEFAULT_TOLERANCE
    notes: str = ""
    kind: str = "stars"

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(r for r, _ in self.stars)


def normalise_repo(text: str) -> str:
    """A repository as ``owner/name`` (``github:PyTorch/pytorch.git`` -> ``pytorch/pytorch``).

    The SQL in ``_LATEST_SQL`` applies the same rule to the table's ``repo`` column.
    """
    repo = text.strip().lower()
    repo = re.sub(r"^(github:|https?://(www\.)?github\.com/)", "", repo)
    return repo.removesuffix(".git").strip("/")


def parse_stars_claim(
    table: dict[str, Any], cid: str, fail: Callable[[str], Exception]
) -> StarsClaim:
    """Validate one ``kind = "stars"`` claim table (pure); ``fail(msg)`` builds the error."""
    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        raise fail(f"missing field(s) {', '.join(missing)}; a stars claim looks like\n{EXAMPLE}")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise fail(f"unknown field(s) {', '.join(unknown)} for a stars claim (allowed: {allowed})")
    for key in ("source", "wording"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise fail(f"{key} must be a non-empty string")
    notes = table.get("notes", "")
    if not isinstance(notes, str):
        raise fail("notes must be a string")

    stars = table["stars"]
    if not isinstance(stars, dict) or not stars:
        raise fail(
            'stars must be a table of repository = claimed stars, e.g. stars = { "pytorch/pytorch"'
            " = 75000 }"
        )
    pairs: dict[str, int] = {}
    for raw, count in stars.items():
        repo = normalise_repo(raw)
        if not _REPO_RE.match(repo):
            raise fail(f"stars: {raw!r} is not a GitHub repository; write it as owner/name")
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise fail(f"stars: the claimed count for {raw!r} must be a positive integer")
        if repo in pairs:
            raise fail(f"stars: {repo} is listed twice")
        pairs[repo] = count

    tol = table.get("tolerance", DEFAULT_TOLERANCE)
    if not isinstance(tol, int | float) or isinstance(tol, bool) or not 0 < tol < 1:
        raise fail("tolerance must be a fraction between 0 and 1, e.g. 0.10 for ±10%")
    return StarsClaim(
        id=cid,
        source=table["source"].strip(),
        wording=table["wording"].strip(),
        stars=tuple(pairs.items()),
        tolerance=float(tol),
        notes=notes.strip(),
    )


# ---------------------------------------------------------------- measuring

_LATEST_SQL = """
WITH normalised AS (
    SELECT regexp_replace(
               regexp_replace(lower(trim(repo)), '^(github:|https?://(www\\.)?github\\.com/)', ''),
               '(\\.git)?/*$', '') AS repo,
           stars, fetched_at
    FROM {table}
    WHERE stars IS NOT NULL
)
SELECT repo, arg_max(stars, fetched_at) AS stars, max(fetched_at) AS fetched_at
FROM normalised
WHERE list_contains($repos::VARCHAR[], repo)
GROUP BY repo
"""


def has_stars_table(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database has the ``framework_repos`` table (the GitHub step creates it)."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND NOT temporary",
        {"t": STARS_TABLE},
    ).fetchall()
    return bool(rows and rows[0][0])


def query_stars(con: duckdb.DuckDBPyConnection, repos: list[str]) -> pd.DataFrame:
    """Latest star count per repository in ``repos`` (``owner/name``).

    Columns: repo, stars, fetched_at. Repositories never fetched have no row; a missing
    ``framework_repos`` table gives an empty frame.
    """
    if not repos or not has_stars_table(con):
        return pd.DataFrame({"repo": [], "stars": [], "fetched_at": []})
    return con.execute(_LATEST_SQL.format(table=STARS_TABLE), {"repos": repos}).df()


def stars_verdict(
    measured: int | None, claimed: int, tolerance: float, *, any_fetched: bool = True
) -> tuple[str, str]:
    """Verdict on one claimed star count. Pure.

    ``measured`` None: inconclusive ("no star counts fetched" when the table is empty,
    otherwise "no star count fetched for this repository"). Within ``claimed × (1 ± tolerance)``
    (inclusive): supported; outside: contradicted. Returns ``(verdict, reason)``.
    """
    band = f"{claimed:,} ± {tolerance * 100:.0f}% ({_band_text(claimed, tolerance)})"
    if measured is None:
        if not any_fetched:
            return "inconclusive", f"{NO_COUNTS}; claimed {band}"
        return "inconclusive", f"inconclusive: no star count fetched for it; claimed {band}"
    low, high = band_of(claimed, tolerance)
    off = (measured - claimed) / claimed
    text = f"{measured:,} stars ({off * 100:+.1f}% from the claimed {claimed:,})"
    if low <= measured <= high:
        return "supported", f"{text} within ± {tolerance * 100:.0f}%"
    return "contradicted", f"{text} outside ± {tolerance * 100:.0f}%"


def band_of(claimed: int, tolerance: float) -> tuple[float, float]:
    """The accepted range ``claimed × (1 ± tolerance)``."""
    return claimed * (1 - tolerance), claimed * (1 + tolerance)


def _band_text(claimed: int, tolerance: float) -> str:
    low, high = band_of(claimed, tolerance)
    return f"{low:,.0f}–{high:,.0f}"


def evaluate_stars(
    con: duckdb.DuckDBPyConnection, claims: list[StarsClaim]
) -> list[dict[str, Any]]:
    """One result row (a dict) per claim × repository, in claim order.

    Keys: claim_id, kind ("stars"), subject (the repository), denominator ("stars"),
    numerator (the measured count, or None), n (None), share / ci_low / ci_high (nan),
    verdict, reason, claimed_low / claimed_high (the accepted band), measured_at (the fetch
    time, or None).
    """
    repos = sorted({r for c in claims for r in c.repos})
    latest = query_stars(con, repos)
    any_fetched = not latest.empty
    by_repo = {str(r.repo): r for r in latest.itertuples(index=False)}
    rows: list[dict[str, Any]] = []
    for c in claims:
        for repo, claimed in c.stars:
            hit = by_repo.get(repo)
            measured = int(hit.stars) if hit is not None else None
            fetched = _naive_utc(hit.fetched_at) if hit is not None else None
            v, reason = stars_verdict(measured, claimed, c.tolerance, any_fetched=any_fetched)
            if fetched is not None:
                reason += f"; fetched {fetched:%Y-%m-%d}"
            low, high = band_of(claimed, c.tolerance)
            rows.append(
                {
                    "claim_id": c.id,
                    "kind": "stars",
                    "subject": repo,
                    "denominator": "stars",
                    "numerator": measured,
                    "n": None,
                    "share": float("nan"),
                    "ci_low": float("nan"),
                    "ci_high": float("nan"),
                    "verdict": v,
                    "reason": reason,
                    "claimed_low": low,
                    "claimed_high": high,
                    "measured_at": fetched,
                }
            )
    return rows


def _naive_utc(value: Any) -> datetime | None:
    """A fetch time as a naive UTC datetime (None when missing)."""
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()
