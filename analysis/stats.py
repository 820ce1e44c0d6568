"""Interval estimates for shares. Pure functions, no I/O."""

from __future__ import annotations

import math

import pandas as pd

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile; the SQL views use the same constant."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` trials.

    Returns ``(low, high)`` clamped to [0, 1]; ``(nan, nan)`` when ``n == 0`` (no data, no
    interval). The formula is the one in ``scraper/views.sql`` (view ``adoption``):

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)

    Raises ValueError for negative counts or ``k > n``.
    """
    if n < 0 or k < 0:
        raise ValueError(f"wilson: counts must be non-negative, got k={k}, n={n}")
    if k > n:
        raise ValueError(f"wilson: k={k} successes cannot exceed n={n} trials")
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # The bounds are exactly 0 at k == 0 and 1 at k == n; avoid rounding noise there.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def share(k: int, n: int) -> float:
    """``k / n``, or nan when ``n == 0``."""
    return k / n if n > 0 else math.nan


GROUP_SHARE_COLUMNS = ["framework", "numerator", "denominator_size", "share", "ci_low", "ci_high"]


def group_shares(papers: pd.DataFrame, group: str) -> pd.DataFrame:
    """Framework shares per group of papers, with 95% Wilson intervals. Pure, vectorised.

    ``papers``: one row per paper with a ``group`` column (rows whose group is NA are left
    out) and a ``frameworks`` column (a list of framework ids; a repeated id counts once).
    Returns one row per group × framework used anywhere in ``papers``: ``group``, then
    ``GROUP_SHARE_COLUMNS`` (numerator: papers of the group using the framework;
    denominator_size: papers of the group). Groups are sorted, frameworks alphabetical.
    """
    cols = [group, *GROUP_SHARE_COLUMNS]
    known = papers[papers[group].notna()]
    if known.empty:
        return pd.DataFrame({c: [] for c in cols})
    sizes = known.groupby(group).size()
    users = (
        known[[group, "frameworks"]]
        .reset_index(drop=True)
        .reset_index(names="_paper")
        .explode("frameworks")
        .dropna()
        .drop_duplicates()
        .groupby([group, "frameworks"])
        .size()
    )
    frameworks = sorted(set(users.index.get_level_values(1)))
    grid = pd.MultiIndex.from_product([sorted(sizes.index), frameworks], names=[group, "fw"])
    out = pd.DataFrame(
        {
            group: grid.get_level_values(0),
            "framework": grid.get_level_values(1),
            "numerator": users.reindex(grid, fill_value=0).to_numpy().astype("int64"),
        }
    )
    out["denominator_size"] = out[group].map(sizes).astype("int64")
    out["share"] = out["numerator"] / out["denominator_size"]
    # one interval per group × framework (a few dozen rows), never per paper
    bounds = [
        wilson(int(k), int(n)) for k, n in zip(out.numerator, out.denominator_size, strict=True)
    ]
    out["ci_low"] = [b[0] for b in bounds]
    out["ci_high"] = [b[1] for b in bounds]
    return out[cols]
