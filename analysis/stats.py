"""Interval estimates for shares. Pure functions, no I/O."""

from __future__ import annotations

import math

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
