from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import Z95, share, wilson

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I,
# method 3 (Wilson score interval without continuity correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE)
def test_wilson_matches_published_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_two_of_three() -> None:
    lo, hi = wilson(2, 3)
    assert (round(lo, 4), round(hi, 4)) == (0.2077, 0.9385)


def test_wilson_all_successes_is_symmetric_to_none() -> None:
    lo0, hi0 = wilson(0, 10)
    lo1, hi1 = wilson(10, 10)
    assert lo0 == 0.0 and hi1 == 1.0
    assert hi0 == pytest.approx(1 - lo1)
    assert hi0 == pytest.approx(0.2775, abs=5e-5)


def test_wilson_no_trials_is_nan() -> None:
    lo, hi = wilson(0, 0)
    assert math.isnan(lo) and math.isnan(hi)


def test_wilson_wider_z_gives_wider_interval() -> None:
    lo95, hi95 = wilson(30, 100)
    lo99, hi99 = wilson(30, 100, z=2.5758293035489)
    assert lo99 < lo95 and hi99 > hi95


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (1, -5), (6, 5)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="wilson"):
        wilson(k, n)


@given(
    st.integers(min_value=1, max_value=100_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_wilson_contains_the_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_share() -> None:
    assert share(2, 3) == pytest.approx(0.6667, abs=1e-4)
    assert math.isnan(share(0, 0))


def test_z95_is_the_constant_the_sql_views_use() -> None:
    views = (Path(__file__).resolve().parents[2] / "scraper" / "views.sql").read_text()
    assert repr(Z95) in views


def test_group_shares_counts_each_paper_once_per_framework() -> None:
    import pandas as pd

    from analysis.stats import group_shares

    papers = pd.DataFrame(
        {
            "g": ["a", "a", "a", "b", None],
            "frameworks": [
                ["pytorch", "pytorch"],  # listed twice, counts once
                ["pytorch", "tensorflow"],
                ["jax"],
                ["tensorflow"],
                ["pytorch"],  # no group: left out
            ],
        }
    )
    out = group_shares(papers, "g")
    got = {(r.g, r.framework): (r.numerator, r.denominator_size) for r in out.itertuples()}
    assert got == {
        ("a", "jax"): (1, 3),
        ("a", "pytorch"): (2, 3),
        ("a", "tensorflow"): (1, 3),
        ("b", "jax"): (0, 1),
        ("b", "pytorch"): (0, 1),
        ("b", "tensorflow"): (1, 1),
    }
    row = out[(out.g == "a") & (out.framework == "pytorch")].iloc[0]
    assert row.share == pytest.approx(2 / 3)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson(2, 3))
    assert group_shares(papers.iloc[0:0], "g").empty
