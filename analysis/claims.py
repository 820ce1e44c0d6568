"""Claims under test, kept as data (``data/claims.toml``), and their verdicts.

Two kinds of claim:

- ``share`` (the default): "framework X is used in lo–hi of the papers of these venues in these
  years". ``evaluate`` pools the claim's venue-years in SQL and measures the share for each
  requested denominator (see ``trends.DENOMINATORS``: code-based D1–D4, mention-based M), with a
  95% Wilson interval, then applies the verdict rule documented on ``verdict``.
- ``stars``: "repository R has about N GitHub stars" (see ``analysis.stars``).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analysis.errors import ClaimsError
from analysis.stars import StarsClaim, evaluate_stars, parse_stars_claim
from analysis.stats import share as share_of
from analysis.stats import wilson
from analysis.trends import BASE_CTES, DENOMINATORS, FRAMEWORK_LABELS

MIN_N = 30
"""Default smallest denominator on which a verdict other than "inconclusive" is given."""

VERDICTS = ("supported", "contradicted", "inconclusive")

RESULT_COLUMNS = [
    "claim_id",
    "kind",
    "subject",
    "denominator",
    "numerator",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "verdict",
    "reason",
    "claimed_low",
    "claimed_high",
    "measured_at",
]
"""Columns of ``evaluate``'s frame (and of ``claims.csv``). ``subject`` is the framework ids
(``pytorch+jax``) of a share claim or the repository of a stars claim; ``measured_at`` is when a
star count was fetched (empty for share claims)."""

PRECISION_NOTE = "precision: interval wider than the claimed range"
KINDS = ("share", "stars")

_REQUIRED = ("id", "source", "wording", "venues", "years", "framework", "range", "denominators")
_OPTIONAL = ("notes", "kind")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_EXAMPLE = """[[claim]]
id = "pytorch-cvpr-recent"
source = "where the claim circulates (article, talk, URL)"
wording = "PyTorch is used in 70–75% of recent CVPR papers"
venues = ["cvpr"]
years = [2022, 2023, 2024]
framework = "pytorch"
range = [0.70, 0.75]
denominators = ["D1", "D2", "D3"]"""


@dataclass(frozen=True)
class Claim:
    """One claim under test.

    ``frameworks`` holds the framework ids whose users count (a paper counts once even if it
    uses several); ``range`` is the claimed share as fractions, ``(0.70, 0.75)``.
    """

    id: str
    source: str
    wording: str
    venues: tuple[str, ...]
    years: tuple[int, ...]
    frameworks: tuple[str, ...]
    range: tuple[float, float]
    denominators: tuple[str, ...]
    notes: str = ""
    kind: str = "share"

    @property
    def framework_label(self) -> str:
        return " or ".join(FRAMEWORK_LABELS.get(f, f) for f in self.frameworks)


AnyClaim = Claim | StarsClaim
"""Either kind of claim; ``.kind`` tells them apart ("share" or "stars")."""


def share_claims(claims: list[AnyClaim]) -> list[Claim]:
    """Only the share claims (the ones drawn on charts), in order."""
    return [c for c in claims if isinstance(c, Claim)]


# ---------------------------------------------------------------- loading


def load_claims(path: Path) -> list[AnyClaim]:
    """Read and validate a claims TOML file (an array of ``[[claim]]`` tables).

    Raises ClaimsError naming the file, the claim and the field for anything malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClaimsError(
            f"claims file not found: {path}. Pass --claims with the path of a TOML file "
            f"holding [[claim]] tables, e.g.\n{_EXAMPLE}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsError(f"cannot read claims file {path}: {exc}") from exc
    return parse_claims(text, source=str(path))


def parse_claims(text: str, source: str = "<claims>") -> list[AnyClaim]:
    """Parse claims TOML text (pure). ``source`` names the file in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsError(f"{source}: not valid TOML ({exc})") from exc
    extra = sorted(set(doc) - {"claim"})
    if extra:
        raise ClaimsError(
            f"{source}: unexpected top-level key(s) {', '.join(extra)}; "
            f"the file holds only [[claim]] tables, e.g.\n{_EXAMPLE}"
        )
    tables = doc.get("claim", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ClaimsError(
            f"{source}: 'claim' must be an array of tables ([[claim]]), e.g.\n{_EXAMPLE}"
        )
    claims = [_parse_claim(t, i, source) for i, t in enumerate(tables, start=1)]
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ClaimsError(f"{source}: claim id {c.id!r} is used twice; ids must be unique")
        seen.add(c.id)
    return claims


def _parse_claim(table: dict[str, Any], index: int, source: str) -> AnyClaim:
    where = f"{source}: claim #{index}"
    if isinstance(table.get("id"), str):
        where += f" ({table['id']!r})"

    def fail(msg: str) -> ClaimsError:
        return ClaimsError(f"{where}: {msg}")

    kind = table.get("kind", "share")
    if kind not in KINDS:
        raise fail(f"kind must be one of {', '.join(KINDS)} (default share), got {kind!r}")
    if kind == "stars":
        cid = table.get("id")
        if not isinstance(cid, str) or not _ID_RE.match(cid):
            raise fail("id must be a lower-case slug such as 'github-stars-tf-vs-pt'")
        return parse_stars_claim(table, cid, fail)

    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        raise fail(f"missing field(s) {', '.join(missing)}; a claim looks like\n{_EXAMPLE}")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise fail(f"unknown field(s) {', '.join(unknown)} (allowed: {allowed})")

    cid = table["id"]
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise fail("id must be a lower-case slug such as 'pytorch-cvpr-recent'")
    for key in ("source", "wording"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise fail(f"{key} must be a non-empty string")
    notes = table.get("notes", "")
    if not isinstance(notes, str):
        raise fail("notes must be a string")

    venues = _str_list(table["venues"], "venues", fail)
    venues = [v.lower() for v in venues]

    years = table["years"]
    if (
        not isinstance(years, list)
        or not years
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
    ):
        raise fail(
            "years must be an explicit, non-empty list of integers, e.g. [2022, 2023, 2024] "
            "(write out what 'recent' means)"
        )
    if not all(1980 <= y <= 2100 for y in years):
        raise fail(f"years look wrong: {years}")

    fw_value = table["framework"]
    frameworks = [fw_value] if isinstance(fw_value, str) else fw_value
    frameworks = _str_list(frameworks, "framework", fail)
    unknown_fw = [f for f in frameworks if f not in FRAMEWORK_LABELS]
    if unknown_fw:
        raise fail(
            f"unknown framework id(s) {', '.join(unknown_fw)}; use the detector's ids: "
            f"{', '.join(FRAMEWORK_LABELS)} (add new ids to analysis/trends.py FRAMEWORK_LABELS)"
        )

    rng = table["range"]
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
    ):
        raise fail("range must be two numbers [low, high] as fractions, e.g. [0.70, 0.75]")
    low, high = float(rng[0]), float(rng[1])
    if not (0.0 <= low <= high <= 1.0):
        hint = " (write percentages as fractions: 70% is 0.70)" if high > 1 else ""
        raise fail(f"range must satisfy 0 <= low <= high <= 1, got {rng}{hint}")

    dens = _str_list(table["denominators"], "denominators", fail)
    bad = [d for d in dens if d not in DENOMINATORS]
    if bad:
        choices = ", ".join(DENOMINATORS)
        raise fail(f"unknown denominator(s) {', '.join(bad)}; choose from {choices}")
    if "D4" in dens and not set(frameworks) <= {"pytorch", "tensorflow"}:
        raise fail("D4 (share among PyTorch/TensorFlow papers) applies only to pytorch/tensorflow")

    return Claim(
        id=cid,
        source=table["source"].strip(),
        wording=table["wording"].strip(),
        venues=tuple(dict.fromkeys(venues)),
        years=tuple(sorted(set(years))),
        frameworks=tuple(dict.fromkeys(frameworks)),
        range=(low, high),
        denominators=tuple(dict.fromkeys(dens)),
        notes=notes.strip(),
    )


def _str_list(value: Any, key: str, fail: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise fail(f'{key} must be a non-empty list of strings, e.g. {key} = ["..."]')
    return [v.strip() for v in value]


# ---------------------------------------------------------------- verdicts


def verdict(
    numerator: int,
    n: int,
    claimed: tuple[float, float],
    *,
    min_n: int = MIN_N,
    missing: str = "",
) -> tuple[str, str]:
    """The verdict on one measured share against a claimed range ``(low, high)``.

    Rules, in this order (the interval is the 95% Wilson interval of numerator / n):

    1. ``n == 0``: **inconclusive**, "no data".
    2. ``missing`` (venue-years of the claim with no papers in the database) is non-empty:
       **inconclusive**, the measurement does not cover what the claim is about.
    3. ``n < min_n``: **inconclusive**, too few papers.
    4. The whole interval lies outside the claimed range (``high < low`` of the range, or
       ``low > high`` of the range): **contradicted**.
    5. The interval overlaps the range but the point estimate is outside it: **inconclusive**
       (cannot tell).
    6. Otherwise the point estimate lies inside the (closed) range: **supported**. When the
       interval is wider than the claimed range the reason carries ``PRECISION_NOTE``: the
       data agree with the claim but cannot pin the share down to the claimed precision.

    Returns ``(verdict, reason)``.
    """
    lo, hi = claimed
    claim_text = _span(lo, hi)
    if n == 0:
        return "inconclusive", "no data: no papers in this denominator for the claim's venues/years"
    if missing:
        return "inconclusive", f"no data for {missing}: the measurement does not cover the claim"
    ci_low, ci_high = wilson(numerator, n)
    p = numerator / n
    measured = f"{_pct(p)} (95% CI {_span(ci_low, ci_high)})"
    if n < min_n:
        return "inconclusive", f"too few papers: n={n} < {min_n}"
    if ci_high < lo or ci_low > hi:
        side = "below" if ci_high < lo else "above"
        return "contradicted", f"{measured} lies entirely {side} the claimed {claim_text}"
    if not lo <= p <= hi:
        return "inconclusive", f"{measured} overlaps the claimed {claim_text}, estimate outside it"
    reason = f"{measured} inside the claimed {claim_text}"
    if ci_high - ci_low > hi - lo:
        reason += f"; {PRECISION_NOTE}"
    return "supported", reason


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x * 100:.1f}%"


def _span(lo: float, hi: float) -> str:
    """``0.7, 0.75`` -> ``70.0–75.0%`` (the report's interval format)."""
    return f"{lo * 100:.1f}–{hi * 100:.1f}%"


# ---------------------------------------------------------------- evaluation

_EVAL_SQL = (
    "WITH"
    + BASE_CTES
    + """,
claim_ids AS (SELECT unnest($ids::VARCHAR[]) AS claim_id),
scope AS (
    SELECT DISTINCT * FROM (
        SELECT unnest($scope_claim::VARCHAR[]) AS claim_id,
               unnest($scope_venue::VARCHAR[]) AS venue,
               unnest($scope_year::INTEGER[]) AS year)
),
target AS (
    SELECT DISTINCT * FROM (
        SELECT unnest($target_claim::VARCHAR[]) AS claim_id,
               unnest($target_fw::VARCHAR[]) AS framework)
),
base AS (
    SELECT s.claim_id,
           count(*) AS d3,
           count(*) FILTER (WHERE ps.has_code_link) AS d2,
           count(*) FILTER (WHERE ps.has_framework) AS d1
    FROM scope s JOIN flags ps ON ps.venue = s.venue AND ps.year = s.year
    GROUP BY s.claim_id
),
users AS (
    SELECT s.claim_id, count(DISTINCT pf.paper_id) AS k
    FROM scope s
    JOIN pf ON pf.venue = s.venue AND pf.year = s.year
    JOIN target t ON t.claim_id = s.claim_id AND t.framework = pf.framework
    GROUP BY s.claim_id
),
pt_tf AS (
    SELECT s.claim_id, count(DISTINCT pf.paper_id) AS d4
    FROM scope s JOIN pf ON pf.venue = s.venue AND pf.year = s.year
    WHERE pf.framework IN ('pytorch', 'tensorflow')
    GROUP BY s.claim_id
),
readable AS (
    SELECT s.claim_id, p.paper_id
    FROM scope s
    JOIN papers p ON p.venue = s.venue AND p.year = s.year
    JOIN paper_texts x ON x.paper_id = p.paper_id AND x.status = 'ok'
),
mention_base AS (SELECT claim_id, count(*) AS m FROM readable GROUP BY claim_id),
mention_users AS (
    SELECT r.claim_id, count(DISTINCT r.paper_id) AS km
    FROM readable r
    JOIN paper_mentions pm ON pm.paper_id = r.paper_id AND pm.mentions > 0
    JOIN target t ON t.claim_id = r.claim_id AND t.framework = pm.framework
    GROUP BY r.claim_id
),
missing AS (
    SELECT s.claim_id,
           string_agg(s.venue || ' ' || s.year, ', ' ORDER BY s.venue, s.year) AS missing
    FROM scope s
    LEFT JOIN vyc v ON v.venue = s.venue AND v.year = s.year
    WHERE v.papers IS NULL
    GROUP BY s.claim_id
)
SELECT c.claim_id,
       coalesce(u.k, 0) AS k,
       coalesce(mu.km, 0) AS km,
       coalesce(b.d1, 0) AS D1, coalesce(b.d2, 0) AS D2, coalesce(b.d3, 0) AS D3,
       coalesce(p.d4, 0) AS D4,
       coalesce(mb.m, 0) AS M,
       coalesce(m.missing, '') AS missing
FROM claim_ids c
LEFT JOIN base b ON b.claim_id = c.claim_id
LEFT JOIN users u ON u.claim_id = c.claim_id
LEFT JOIN pt_tf p ON p.claim_id = c.claim_id
LEFT JOIN mention_base mb ON mb.claim_id = c.claim_id
LEFT JOIN mention_users mu ON mu.claim_id = c.claim_id
LEFT JOIN missing m ON m.claim_id = c.claim_id
"""
)


def measure(con: duckdb.DuckDBPyConnection, claims: list[Claim]) -> pd.DataFrame:
    """Pooled counts per share claim, in one SQL query over the views.

    Columns: claim_id, k (papers of the claim's venue-years whose code uses any of its
    frameworks), km (papers whose text was read and names any of them), D1, D2, D3, D4, M
    (denominator sizes), missing (claim venue-years with no papers, as "cvpr 2024, icml 2023",
    or "").
    """
    scope = [(c.id, v, y) for c in claims for v in c.venues for y in c.years]
    target = [(c.id, f) for c in claims for f in c.frameworks]
    params = {
        "ids": [c.id for c in claims],
        "scope_claim": [s[0] for s in scope],
        "scope_venue": [s[1] for s in scope],
        "scope_year": [s[2] for s in scope],
        "target_claim": [t[0] for t in target],
        "target_fw": [t[1] for t in target],
    }
    return con.execute(_EVAL_SQL, params).df()


def evaluate(
    con: duckdb.DuckDBPyConnection, claims: list[AnyClaim], *, min_n: int = MIN_N
) -> pd.DataFrame:
    """One row per share claim × requested denominator and per stars claim × repository.

    Columns: ``RESULT_COLUMNS``, rows in claim order. For a share claim the numerator is the
    number of papers (pooled over the claim's venues and years) that use the claim's framework
    (for M: whose text names it); ``n`` the size of the denominator (D1..D4, M, see
    ``trends.DENOMINATORS``). Verdicts follow ``verdict`` with ``min_n``. Stars claims follow
    ``analysis.stars.evaluate_stars`` (numerator: the measured stars; n: empty).
    """
    shares = share_claims(claims)
    stars = [c for c in claims if isinstance(c, StarsClaim)]
    share_rows: dict[str, list[dict[str, Any]]] = {}
    if shares:
        counts = measure(con, shares).set_index("claim_id")
        for c in shares:  # one row per claim × denominator (a handful), not per paper
            rec = counts.loc[c.id]
            share_rows[c.id] = []
            for den in c.denominators:
                k, n = int(rec["km" if den == "M" else "k"]), int(rec[den])
                lo, hi = wilson(k, n)
                v, reason = verdict(k, n, c.range, min_n=min_n, missing=str(rec["missing"]))
                share_rows[c.id].append(
                    {
                        "claim_id": c.id,
                        "kind": "share",
                        "subject": "+".join(c.frameworks),
                        "denominator": den,
                        "numerator": k,
                        "n": n,
                        "share": share_of(k, n),
                        "ci_low": lo,
                        "ci_high": hi,
                        "verdict": v,
                        "reason": reason,
                        "claimed_low": c.range[0],
                        "claimed_high": c.range[1],
                        "measured_at": None,
                    }
                )
    star_rows: dict[str, list[dict[str, Any]]] = {}
    for row in evaluate_stars(con, stars) if stars else []:
        star_rows.setdefault(row["claim_id"], []).append(row)
    rows = [r for c in claims for r in (share_rows.get(c.id) or star_rows.get(c.id) or [])]
    df = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return df.astype(
        {
            "numerator": "Int64",
            "n": "Int64",
            "share": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "claimed_low": "float64",
            "claimed_high": "float64",
            "measured_at": "datetime64[us]",
        }
    )
