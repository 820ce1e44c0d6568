from __future__ import annotations

import math
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest

from analysis.stats import wilson
from analysis.trends import (
    BASE_CTES,
    MIX_CATEGORIES,
    pool_framework_mix,
    query_adoption,
    query_counts,
    query_detector_versions,
    query_framework_mix,
    query_freshness,
    query_repo_status,
)

if TYPE_CHECKING:
    from conftest import DbTools


def _row(df: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= df[col] == value
    hits = df[mask]
    assert len(hits) == 1, f"expected one row for {where}, got {len(hits)}"
    return hits.iloc[0]


def test_counts_per_venue_year(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_counts(populated)
    assert list(zip(df.venue, df.year, strict=True)) == [
        ("cvpr", 2022),
        ("cvpr", 2023),
        ("neurips", 2023),
    ]
    c22 = _row(df, venue="cvpr", year=2022)
    assert (c22.papers, c22.with_code_link, c22.with_scanned_repo, c22.with_framework) == (
        11,
        6,
        4,
        3,
    )
    assert (c22.repos, c22.repos_ok, c22.repos_pending, c22.repos_not_found) == (6, 4, 1, 1)
    assert (c22.repos_failed, c22.repos_private, c22.repos_error) == (1, 0, 0)
    c23 = _row(df, venue="cvpr", year=2023)
    assert (c23.papers, c23.with_code_link, c23.with_scanned_repo, c23.with_framework) == (
        8,
        5,
        5,
        5,
    )
    assert (c23.repos, c23.repos_ok, c23.repos_failed) == (5, 5, 0)
    n23 = _row(df, venue="neurips", year=2023)
    assert (n23.papers, n23.with_code_link, n23.repos) == (2, 0, 0)


def test_adoption_numbers_for_each_denominator(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_adoption(populated, venues="cvpr")
    expected = {
        # (year, framework, denominator): (numerator, denominator_size)
        (2022, "pytorch", "D1"): (2, 3),
        (2022, "pytorch", "D2"): (2, 6),
        (2022, "pytorch", "D3"): (2, 11),
        (2022, "tensorflow", "D1"): (1, 3),
        (2022, "jax", "D1"): (0, 3),
        (2023, "pytorch", "D1"): (4, 5),
        (2023, "pytorch", "D2"): (4, 5),
        (2023, "pytorch", "D3"): (4, 8),
        (2023, "tensorflow", "D1"): (1, 5),
        (2023, "jax", "D1"): (1, 5),
        (2022, "pytorch", "D4"): (2, 3),
        (2022, "tensorflow", "D4"): (1, 3),
        (2023, "pytorch", "D4"): (4, 4),
        (2023, "tensorflow", "D4"): (1, 4),
    }
    for (year, fw, den), (k, n) in expected.items():
        r = _row(df, year=year, framework=fw, denominator=den)
        assert (r.numerator, r.denominator_size) == (k, n), (year, fw, den)
        assert r.share == pytest.approx(k / n)
    assert set(df.venue) == {"cvpr"}
    assert set(df.denominator) == {"D1", "D2", "D3", "D4", "M"}


def test_adoption_interval_agrees_with_wilson(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_adoption(populated)
    with_data = df[df.denominator_size > 0]
    assert len(with_data) > 10
    for r in with_data.itertuples():
        lo, hi = wilson(int(r.numerator), int(r.denominator_size))
        assert r.ci_low == pytest.approx(lo, abs=1e-12)
        assert r.ci_high == pytest.approx(hi, abs=1e-12)
    empty = df[df.denominator_size == 0]
    assert len(empty) > 0  # neurips 2023 has no D1/D2/D4 papers
    assert empty.share.isna().all() and empty.ci_low.isna().all()


def test_adoption_filters(populated: duckdb.DuckDBPyConnection) -> None:
    d1 = query_adoption(populated, denominator="D1")
    assert set(d1.denominator) == {"D1"}
    assert set(d1.venue) == {"cvpr", "neurips"}
    both = query_adoption(populated, venues=["CVPR"], denominator=["D1", "D4"])
    assert set(both.denominator) == {"D1", "D4"} and set(both.venue) == {"cvpr"}
    assert query_adoption(populated, venues=["iclr"]).empty
    with pytest.raises(ValueError, match="unknown denominator D9"):
        query_adoption(populated, denominator="D9")


def test_a_paper_with_two_repos_counts_once(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "iccv", 2023, 1, frameworks=["pytorch"])
    pid = db.execute("SELECT paper_id FROM papers").fetchall()[0][0]
    # a second official repository of the same paper, also PyTorch
    db.execute(
        "INSERT INTO code_links (paper_id, url, found_in, repo_id, official, rejected, "
        "first_seen, last_seen) VALUES ($p, 'https://github.com/x/y', 'pdf', 'github:x/y', "
        "TRUE, NULL, now(), now())",
        {"p": pid},
    )
    db.execute(
        """
        INSERT INTO repos (repo_id, host, owner, name, status)
            VALUES ('github:x/y', 'github', 'x', 'y', 'ok');
        INSERT INTO repo_frameworks
            VALUES ('github:x/y', 'pytorch', ['pytorch'], 1, '', 'd', now());
        """
    )
    r = _row(query_adoption(db), framework="pytorch", denominator="D1")
    assert (r.numerator, r.denominator_size) == (1, 1)


def test_repo_status(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_repo_status(populated)
    assert list(df.status) == ["ok", "not_found"]
    assert list(df.repos) == [10, 1]
    assert df.share.tolist() == pytest.approx([10 / 11, 1 / 11])


def test_detector_versions_and_freshness(
    populated: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    versions = query_detector_versions(populated)
    assert list(zip(versions.detector_version, versions.repos, strict=True)) == [
        ("det-1", 9),
        ("det-2", 1),
    ]
    assert query_freshness(populated) is None
    tools.add_run(populated, "2024-03-01 10:00:00")
    tools.add_run(populated, "2024-05-02 08:30:00")
    assert str(query_freshness(populated)) == "2024-05-02 08:30:00"


def test_empty_database(db: duckdb.DuckDBPyConnection) -> None:
    assert query_counts(db).empty
    assert query_adoption(db).empty
    assert query_repo_status(db).empty
    assert query_freshness(db) is None
    assert not math.isnan(len(query_counts(db).columns))


def _read_texts(con: duckdb.DuckDBPyConnection, venue: str, year: int, n: int) -> list[str]:
    """Mark the first ``n`` papers of a venue-year as read (PDF text ok); return their ids."""
    rows = con.execute(
        "SELECT paper_id FROM papers WHERE venue = $v AND year = $y ORDER BY paper_id LIMIT $n",
        {"v": venue, "y": year, "n": n},
    ).fetchall()
    ids = [r[0] for r in rows]
    con.execute(
        "INSERT INTO paper_texts (paper_id, status, processed_at) "
        "SELECT unnest($ids::VARCHAR[]), 'ok', now()",
        {"ids": ids},
    )
    return ids


def test_mention_denominator_is_zero_filled(populated: duckdb.DuckDBPyConnection) -> None:
    ids = _read_texts(populated, "cvpr", 2023, 6)
    populated.execute(
        "INSERT INTO paper_texts (paper_id, status, processed_at) "
        "SELECT paper_id, 'error', now() FROM papers WHERE venue = 'cvpr' AND year = 2022 LIMIT 3"
    )
    populated.execute(
        "INSERT INTO paper_mentions VALUES ($a, 'pytorch', 3), ($b, 'pytorch', 1), "
        "($a, 'mxnet', 1)",
        {"a": ids[0], "b": ids[1]},
    )
    df = query_adoption(populated, denominator="M")
    assert set(df.denominator) == {"M"}
    got = {
        (r.venue, r.year, r.framework): (r.numerator, r.denominator_size) for r in df.itertuples()
    }
    assert got[("cvpr", 2023, "pytorch")] == (2, 6)
    assert got[("cvpr", 2023, "mxnet")] == (1, 6)  # named in text, never seen in code
    assert got[("cvpr", 2023, "tensorflow")] == (0, 6)  # zero-filled
    assert got[("cvpr", 2022, "pytorch")] == (0, 0)  # texts not read (status error)
    assert got[("neurips", 2023, "jax")] == (0, 0)
    r = _row(df, venue="cvpr", year=2023, framework="pytorch")
    assert (r.ci_low, r.ci_high) == pytest.approx(wilson(2, 6), abs=1e-12)
    # agrees with the documented view wherever the view has a row
    view = populated.execute("SELECT * FROM mention_adoption").df()
    for v in view.itertuples():
        r = _row(df, venue=v.venue, year=v.year, framework=v.framework)
        assert (r.numerator, r.denominator_size) == (v.numerator, v.denominator_size)


def _adoption_from_views(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT venue, year, framework, denominator, numerator, denominator_size, share, "
        "ci_low, ci_high FROM adoption UNION ALL BY NAME SELECT * FROM adoption_d4 "
        "ORDER BY venue, denominator, framework, year"
    ).df()


def _check_against_views(con: duckdb.DuckDBPyConnection) -> None:
    ours = query_adoption(con)
    ours = ours[ours.denominator != "M"].reset_index(drop=True)
    views = _adoption_from_views(con)
    assert len(ours) == len(views) > 0
    key = ["venue", "denominator", "framework", "year"]
    a = ours.sort_values(key).reset_index(drop=True)
    b = views.sort_values(key).reset_index(drop=True)
    for col in ["venue", "year", "framework", "denominator", "numerator", "denominator_size"]:
        assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
    for col in ["share", "ci_low", "ci_high"]:
        assert a[col].fillna(-1).tolist() == pytest.approx(b[col].fillna(-1).tolist()), col
    counts = query_counts(con).set_index(["venue", "year"])
    vyc = con.execute("SELECT * FROM venue_year_counts").df().set_index(["venue", "year"])
    for col in ["papers", "with_code_link", "with_scanned_repo", "with_framework"]:
        assert counts[col].sort_index().tolist() == vyc[col].sort_index().tolist(), col
    flags = con.execute("WITH" + BASE_CTES + " SELECT * FROM flags ORDER BY paper_id").df()
    status = con.execute("SELECT * FROM paper_status ORDER BY paper_id").df()
    assert flags.astype(str).values.tolist() == status.astype(str).values.tolist()


def test_analysis_sql_agrees_with_the_documented_views(
    populated: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    _check_against_views(populated)
    # more shapes: a paper with two official repos (one ok, one not), an unscanned repo, a
    # repo with no framework, a keras-only repo, and an unofficial link
    tools.add_papers(populated, "iclr", 2024, 3, frameworks=["keras"])
    tools.add_papers(populated, "iclr", 2024, 2, frameworks=[])
    tools.add_papers(populated, "iclr", 2024, 2, repo_status="error")
    tools.add_papers(populated, "iclr", 2024, 1, frameworks=["pytorch"], official=False)
    pid = populated.execute("SELECT min(paper_id) FROM papers WHERE venue = 'iclr'").fetchall()
    populated.execute(
        "INSERT INTO code_links (paper_id, url, found_in, repo_id, official, rejected, first_seen,"
        " last_seen) VALUES ($p, 'https://github.com/x/z', 'pdf', 'github:x/z', TRUE, NULL,"
        " now(), now())",
        {"p": pid[0][0]},
    )
    _check_against_views(populated)


def test_framework_mix_is_a_partition_of_d1(populated: duckdb.DuckDBPyConnection) -> None:
    mix = query_framework_mix(populated)
    got = {(r.venue, r.year, r.category): r.papers for r in mix.itertuples()}
    assert got == {
        ("cvpr", 2022, "pytorch"): 2,
        ("cvpr", 2022, "tensorflow"): 1,
        ("cvpr", 2023, "pytorch"): 3,
        ("cvpr", 2023, "pytorch+tensorflow"): 1,
        ("cvpr", 2023, "jax"): 1,
    }
    sizes = mix.groupby(["venue", "year"])["denominator_size"].max()
    d1 = query_counts(populated).set_index(["venue", "year"])["with_framework"]
    assert sizes.to_dict() == {k: d1[k] for k in sizes.index}
    assert mix.groupby(["venue", "year"])["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert set(mix.category) <= set(MIX_CATEGORIES)


def test_pool_framework_mix() -> None:
    mix = pd.DataFrame(
        {
            "venue": ["a", "b", "b", "a"],
            "year": [2020, 2020, 2020, 2021],
            "category": ["pytorch", "pytorch", "other", "jax"],
            "papers": [3, 1, 4, 2],
            "denominator_size": [3, 5, 5, 2],
            "share": [1.0, 0.2, 0.8, 1.0],
        }
    )
    pooled = pool_framework_mix(mix).set_index(["year", "category"])
    assert len(pooled) == 2 * len(MIX_CATEGORIES)  # every category every year
    assert pooled.loc[(2020, "pytorch"), "papers"] == 4
    assert pooled.loc[(2020, "pytorch"), "share"] == pytest.approx(0.5)
    assert pooled.loc[(2020, "other"), "share"] == pytest.approx(0.5)
    assert pooled.loc[(2020, "jax"), "papers"] == 0
    assert pooled.loc[(2021, "jax"), "denominator_size"] == 2
    assert pool_framework_mix(mix.iloc[0:0]).empty
