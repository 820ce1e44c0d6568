from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest

from analysis.claims import (
    PRECISION_NOTE,
    RESULT_COLUMNS,
    Claim,
    ClaimsError,
    evaluate,
    load_claims,
    parse_claims,
    share_claims,
    verdict,
)
from analysis.stars import StarsClaim

if TYPE_CHECKING:
    from conftest import DbTools

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[[claim]]
id = "pt-cvpr"
source = "an article"
wording = "PyTorch is used in 70–75% of recent CVPR papers"
venues = ["CVPR"]
years = [2023, 2022, 2023]
framework = "pytorch"
range = [0.70, 0.75]
denominators = ["D1", "D2", "D3", "D4"]
"""


def claim(**changes: object) -> Claim:
    base = {
        "id": "c",
        "source": "s",
        "wording": "w",
        "venues": ("cvpr",),
        "years": (2022, 2023),
        "frameworks": ("pytorch",),
        "range": (0.70, 0.75),
        "denominators": ("D1", "D2", "D3", "D4"),
    }
    base.update(changes)
    return Claim(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- loading


def test_parse_normalises_a_good_claim() -> None:
    [c] = parse_claims(GOOD)
    assert c.id == "pt-cvpr"
    assert c.venues == ("cvpr",)
    assert c.years == (2022, 2023)
    assert c.frameworks == ("pytorch",)
    assert c.range == (0.70, 0.75)
    assert c.denominators == ("D1", "D2", "D3", "D4")
    assert c.framework_label == "PyTorch"


def test_framework_may_be_a_list() -> None:
    [c] = parse_claims(
        GOOD.replace('framework = "pytorch"', 'framework = ["tensorflow", "keras"]').replace(
            '"D3", "D4"', '"D3"'
        )
    )
    assert c.frameworks == ("tensorflow", "keras")
    assert c.framework_label == "TensorFlow or Keras"


def test_the_project_claims_file_loads() -> None:
    claims = {c.id: c for c in load_claims(ROOT / "data" / "claims.toml")}
    pt, tf = claims["pytorch-cvpr-recent"], claims["tensorflow-cvpr-recent"]
    assert pt.range == (0.70, 0.75) and pt.frameworks == ("pytorch",)
    assert tf.range == (0.15, 0.20) and tf.frameworks == ("tensorflow",)
    for c in (pt, tf):
        assert c.venues == ("cvpr",)
        assert c.years == (2022, 2023, 2024)
        assert c.denominators == ("D1", "D2", "D3", "M")
    for venue in ("neurips", "icml"):
        assert any(c.venues == (venue,) for c in claims.values())
    most = claims["pytorch-majority-neurips-cvpr-recent"]
    assert isinstance(most, Claim)
    assert most.venues == ("neurips", "cvpr") and most.frameworks == ("pytorch",)
    assert most.range == (0.50, 1.0)
    assert most.denominators == ("D1", "D2", "D3", "D4", "M")
    stars = claims["github-stars-tf-vs-pt"]
    assert isinstance(stars, StarsClaim) and stars.kind == "stars"
    assert stars.stars == (("tensorflow/tensorflow", 180_000), ("pytorch/pytorch", 75_000))
    assert stars.tolerance == pytest.approx(0.10)
    assert most in share_claims(list(claims.values()))
    assert stars not in share_claims(list(claims.values()))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("range = [0.70, 0.75]", "range = [70, 75]", "as fractions: 70% is 0.70"),
        ("range = [0.70, 0.75]", "range = [0.75, 0.70]", "0 <= low <= high <= 1"),
        ("range = [0.70, 0.75]", "range = [0.70]", "two numbers"),
        ("years = [2023, 2022, 2023]", 'years = "2022-2024"', "explicit, non-empty list"),
        ("years = [2023, 2022, 2023]", "years = []", "explicit, non-empty list"),
        ('"D3", "D4"', '"D3", "D9"', "unknown denominator(s) D9"),
        ('framework = "pytorch"', 'framework = "pytorh"', "unknown framework id(s) pytorh"),
        ('framework = "pytorch"', 'framework = "jax"', "D4"),
        ('venues = ["CVPR"]', 'venues = "cvpr"', "venues must be a non-empty list"),
        ('id = "pt-cvpr"', 'id = "PT CVPR"', "lower-case slug"),
        ('source = "an article"', 'source = ""', "source must be a non-empty string"),
        ('source = "an article"\n', "", "missing field(s) source"),
        ('source = "an article"', 'source = "x"\nsoruce = "y"', "unknown field(s) soruce"),
    ],
)
def test_malformed_claims_say_what_is_wrong(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(ClaimsError) as err:
        parse_claims(GOOD.replace(old, new), source="claims.toml")
    assert message in str(err.value)
    assert "claims.toml: claim #1 ('pt-cvpr')" in str(err.value) or "PT CVPR" in str(err.value)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(ClaimsError, match=r"claims file not found: .*nope\.toml"):
        load_claims(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[claim]\nid = 1", encoding="utf-8")
    with pytest.raises(ClaimsError, match=r"bad\.toml: not valid TOML"):
        load_claims(bad)
    with pytest.raises(ClaimsError, match="used twice"):
        parse_claims(GOOD + GOOD)
    with pytest.raises(ClaimsError, match="top-level key"):
        parse_claims('title = "x"\n' + GOOD)
    assert parse_claims("") == []


# ---------------------------------------------------------------- verdict branches


def test_verdict_no_data() -> None:
    assert verdict(0, 0, (0.70, 0.75)) == (
        "inconclusive",
        "no data: no papers in this denominator for the claim's venues/years",
    )


def test_verdict_missing_venue_years() -> None:
    v, reason = verdict(1440, 2000, (0.70, 0.75), missing="cvpr 2024")
    assert v == "inconclusive" and reason.startswith("no data for cvpr 2024")


def test_verdict_too_few_papers() -> None:
    # 29/29 would be far above the range, but n < 30
    assert verdict(29, 29, (0.70, 0.75)) == ("inconclusive", "too few papers: n=29 < 30")
    assert verdict(29, 29, (0.70, 0.75), min_n=20)[0] == "contradicted"


def test_verdict_contradicted_below_and_above() -> None:
    v, reason = verdict(50, 100, (0.70, 0.75))  # 50.0% (40.4–59.6%)
    assert v == "contradicted" and "entirely below" in reason and "50.0%" in reason
    v, reason = verdict(95, 100, (0.70, 0.75))  # 95.0% (88.8–97.8%)
    assert v == "contradicted" and "entirely above" in reason


def test_verdict_overlap_with_estimate_outside() -> None:
    v, reason = verdict(68, 100, (0.70, 0.75))  # 68.0% (58.3–76.3%)
    assert v == "inconclusive" and "estimate outside" in reason


def test_verdict_interval_wider_than_range_is_supported_with_a_precision_note() -> None:
    v, reason = verdict(72, 100, (0.70, 0.75))  # inside, but the interval spans ~17 points
    assert v == "supported"
    assert reason == (
        "72.0% (95% CI 62.5–79.9%) inside the claimed 70.0–75.0%; "
        "precision: interval wider than the claimed range"
    )
    assert PRECISION_NOTE == "precision: interval wider than the claimed range"
    # the relaxed rule still needs n >= min_n
    assert verdict(22, 30, (0.70, 0.75))[0] == "supported"
    assert verdict(21, 29, (0.70, 0.75))[0] == "inconclusive"


def test_verdict_one_sided_majority_claim() -> None:
    # "most papers" = share in [50%, 100%]
    assert verdict(60, 100, (0.5, 1.0)) == (
        "supported",
        "60.0% (95% CI 50.2–69.1%) inside the claimed 50.0–100.0%",
    )
    v, reason = verdict(52, 100, (0.5, 1.0))  # estimate inside, interval reaches below 50%
    assert v == "supported" and PRECISION_NOTE not in reason
    assert verdict(48, 100, (0.5, 1.0))[0] == "inconclusive"  # estimate outside, overlaps
    assert verdict(30, 100, (0.5, 1.0))[0] == "contradicted"


def test_verdict_supported() -> None:
    v, reason = verdict(1440, 2000, (0.70, 0.75))  # 72.0% (70.0–73.9%)
    assert v == "supported"
    assert reason == "72.0% (95% CI 70.0–73.9%) inside the claimed 70.0–75.0%"
    # the range is closed: an estimate on its edge is inside
    assert verdict(1400, 2000, (0.70, 0.75))[0] == "supported"


# ---------------------------------------------------------------- evaluate on a database


def test_evaluate_pools_venue_years(populated: duckdb.DuckDBPyConnection) -> None:
    pt = claim(id="pt", years=(2022, 2023))
    tf = claim(id="tf", years=(2022, 2023), frameworks=("tensorflow",), range=(0.15, 0.20))
    df = evaluate(populated, [pt, tf], min_n=1)
    assert list(df.columns) == RESULT_COLUMNS
    got = {(r.claim_id, r.denominator): (r.numerator, r.n) for r in df.itertuples()}
    assert got == {
        ("pt", "D1"): (6, 8),
        ("pt", "D2"): (6, 11),
        ("pt", "D3"): (6, 19),
        ("pt", "D4"): (6, 7),
        ("tf", "D1"): (2, 8),
        ("tf", "D2"): (2, 11),
        ("tf", "D3"): (2, 19),
        ("tf", "D4"): (2, 7),
    }
    row = df[(df.claim_id == "pt") & (df.denominator == "D1")].iloc[0]
    assert row.share == pytest.approx(0.75)
    assert (row.ci_low, row.ci_high) == pytest.approx((0.4093, 0.9285), abs=1e-4)
    # 75.0% (40.9–92.9%): inside 70–75% (n >= min_n = 1) but far wider than it
    assert row.verdict == "supported" and row.reason.endswith(PRECISION_NOTE)
    assert (row.kind, row.subject) == ("share", "pytorch")


def test_evaluate_default_min_n_and_row_order(populated: duckdb.DuckDBPyConnection) -> None:
    df = evaluate(populated, [claim(denominators=("D3", "D1"))])
    assert list(df.denominator) == ["D3", "D1"]
    assert set(df.verdict) == {"inconclusive"}
    assert df.reason.str.startswith("too few papers").all()


def test_evaluate_claims_without_data(populated: duckdb.DuckDBPyConnection) -> None:
    icml = claim(id="icml", venues=("icml",), years=(2022, 2023, 2024))
    neurips = claim(id="neurips", venues=("neurips",), years=(2022, 2023, 2024))
    df = evaluate(populated, [icml, neurips], min_n=1)
    i = df[df.claim_id == "icml"]
    assert (i.n == 0).all() and (i.verdict == "inconclusive").all()
    assert i.reason.str.startswith("no data").all()
    assert i.share.map(math.isnan).all()
    n3 = df[(df.claim_id == "neurips") & (df.denominator == "D3")].iloc[0]
    assert (n3.numerator, n3.n) == (0, 2)
    assert n3.verdict == "inconclusive"
    assert n3.reason.startswith("no data for neurips 2022, neurips 2024")


def test_evaluate_partial_coverage_is_inconclusive(populated: duckdb.DuckDBPyConnection) -> None:
    pooled = claim(venues=("cvpr", "icml"), years=(2022, 2023))
    df = evaluate(populated, [pooled], min_n=1)
    d1 = df[df.denominator == "D1"].iloc[0]
    assert (d1.numerator, d1.n) == (6, 8)  # CVPR only: ICML has no papers
    assert d1.verdict == "inconclusive" and "icml 2022, icml 2023" in d1.reason


def test_evaluate_supported_and_contradicted(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2023, 1440, frameworks=["pytorch"])
    tools.add_papers(db, "cvpr", 2023, 560, frameworks=["tensorflow"])
    claims = [
        claim(id="pt", years=(2023,), denominators=("D1",)),
        claim(
            id="tf",
            years=(2023,),
            frameworks=("tensorflow",),
            range=(0.15, 0.20),
            denominators=("D1",),
        ),
        claim(
            id="tf-or-pt",
            years=(2023,),
            frameworks=("tensorflow", "pytorch"),
            range=(0.99, 1.0),
            denominators=("D1",),
        ),
    ]
    df = evaluate(db, claims).set_index("claim_id")
    assert (df.loc["pt", "numerator"], df.loc["pt", "n"]) == (1440, 2000)
    assert df.loc["pt", "verdict"] == "supported"
    assert (df.loc["tf", "numerator"], df.loc["tf", "verdict"]) == (560, "contradicted")
    assert "entirely above" in df.loc["tf", "reason"]
    assert (df.loc["tf-or-pt", "numerator"], df.loc["tf-or-pt", "verdict"]) == (2000, "supported")


def test_a_paper_using_both_counts_once_for_a_framework_list(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    tools.add_papers(db, "cvpr", 2023, 3, frameworks=["tensorflow", "keras"])
    tools.add_papers(db, "cvpr", 2023, 1, frameworks=["keras"])
    tools.add_papers(db, "cvpr", 2023, 1, frameworks=["pytorch"])
    c = claim(years=(2023,), frameworks=("tensorflow", "keras"), denominators=("D1",))
    row = evaluate(db, [c], min_n=1).iloc[0]
    assert (row.numerator, row.n) == (4, 5)


def test_evaluate_no_claims(db: duckdb.DuckDBPyConnection) -> None:
    df = evaluate(db, [])
    assert df.empty and list(df.columns) == RESULT_COLUMNS


def test_evaluate_works_on_a_read_only_connection(tmp_path: Path, tools: DbTools) -> None:
    path = tmp_path / "ro.duckdb"
    con = tools.new_db(path)
    tools.populate(con)
    con.close()
    ro = duckdb.connect(str(path), read_only=True)
    try:
        df = evaluate(ro, [claim()], min_n=1)
    finally:
        ro.close()
    assert df.set_index("denominator").loc["D1", "numerator"] == 6


# ---------------------------------------------------------------- mention-based M


def _add_texts(
    con: duckdb.DuckDBPyConnection, venue: str, year: int, mentions: dict[str, int], limit: int
) -> None:
    """Mark the first ``limit`` papers of a venue-year as read; the first ``mentions[fw]`` of
    them name ``fw``."""
    con.execute(
        """
        INSERT INTO paper_texts (paper_id, status, processed_at)
        SELECT paper_id, 'ok', TIMESTAMP '2024-01-01' FROM papers
        WHERE venue = $v AND year = $y ORDER BY paper_id LIMIT $n
        """,
        {"v": venue, "y": year, "n": limit},
    )
    for fw, k in mentions.items():
        con.execute(
            """
            INSERT INTO paper_mentions (paper_id, framework, mentions)
            SELECT paper_id, $fw, 2 FROM papers
            WHERE venue = $v AND year = $y ORDER BY paper_id LIMIT $k
            """,
            {"fw": fw, "v": venue, "y": year, "k": k},
        )


def test_evaluate_mention_denominator(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2023, 40, frameworks=["pytorch"])
    tools.add_papers(db, "cvpr", 2023, 10, link=False)
    _add_texts(db, "cvpr", 2023, {"pytorch": 30, "tensorflow": 5}, limit=45)
    # a mention in a paper whose text was not read does not count
    db.execute(
        "INSERT INTO paper_mentions SELECT paper_id, 'jax', 1 FROM papers "
        "WHERE paper_id NOT IN (SELECT paper_id FROM paper_texts)"
    )
    claims = [
        claim(id="pt", years=(2023,), denominators=("D1", "M")),
        claim(id="jax", years=(2023,), frameworks=("jax",), denominators=("M",)),
    ]
    df = evaluate(db, claims, min_n=1)
    got = {(r.claim_id, r.denominator): (r.numerator, r.n) for r in df.itertuples()}
    assert got == {("pt", "D1"): (40, 40), ("pt", "M"): (30, 45), ("jax", "M"): (0, 45)}
    m = df[(df.claim_id == "pt") & (df.denominator == "M")].iloc[0]
    assert m.share == pytest.approx(30 / 45)
    assert m.verdict == "inconclusive" and "estimate outside" in m.reason


def test_m_is_a_valid_claim_denominator() -> None:
    [c] = parse_claims(GOOD.replace('"D3", "D4"', '"D3", "M"'))
    assert c.denominators == ("D1", "D2", "D3", "M")


# ---------------------------------------------------------------- stars claims

STARS = """
[[claim]]
id = "stars"
kind = "stars"
source = "an article"
wording = "TensorFlow has ~180K stars vs PyTorch ~75K"
stars = { "TensorFlow/TensorFlow" = 180000, "https://github.com/pytorch/pytorch" = 75000 }
"""


def test_parse_stars_claim() -> None:
    [c] = parse_claims(STARS)
    assert isinstance(c, StarsClaim)
    assert c.stars == (("tensorflow/tensorflow", 180_000), ("pytorch/pytorch", 75_000))
    assert c.tolerance == pytest.approx(0.10)
    [c] = parse_claims(STARS + "tolerance = 0.05\n")
    assert c.tolerance == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "stars"', 'kind = "star"', "kind must be one of share, stars"),
        ("= 75000 }", "= -5 }", "must be a positive integer"),
        ('"https://github.com/pytorch/pytorch"', '"pytorch"', "write it as owner/name"),
        ('source = "an article"\n', "", "missing field(s) source"),
        ('source = "an article"', 'source = "a"\nrange = [0.1, 0.2]', "unknown field(s) range"),
    ],
)
def test_malformed_stars_claims(old: str, new: str, message: str) -> None:
    assert old in STARS
    with pytest.raises(ClaimsError) as err:
        parse_claims(STARS.replace(old, new), source="claims.toml")
    assert message in str(err.value) and "claim #1 ('stars')" in str(err.value)
    with pytest.raises(ClaimsError, match="tolerance must be a fraction"):
        parse_claims(STARS + "tolerance = 10\n")


def _add_stars(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, int, str]]) -> None:
    """Rows of framework_repos (the schema's table) as the GitHub step writes them."""
    for repo, stars, when in rows:
        con.execute(
            "INSERT INTO framework_repos (repo, stars, fetched_at) "
            "VALUES ($r, $s, CAST($w AS TIMESTAMP))",
            {"r": repo, "s": stars, "w": when},
        )


def test_stars_verdicts_without_counts(db: duckdb.DuckDBPyConnection) -> None:
    [c] = parse_claims(STARS)

    def check(df: pd.DataFrame) -> None:
        assert list(df.columns) == RESULT_COLUMNS
        assert list(df.subject) == ["tensorflow/tensorflow", "pytorch/pytorch"]
        assert set(df.verdict) == {"inconclusive"}
        assert df.reason.str.startswith("inconclusive: no star counts fetched").all()
        assert df.numerator.isna().all() and df.n.isna().all()

    check(evaluate(db, [c]))  # the table exists but is empty: no star fetch yet
    db.execute("DROP TABLE framework_repos")
    check(evaluate(db, [c]))  # a database from before the table existed


def test_stars_verdicts_within_and_outside_tolerance(db: duckdb.DuckDBPyConnection) -> None:
    _add_stars(
        db,
        [
            ("tensorflow/tensorflow", 150000, "2023-01-01"),
            ("github:TensorFlow/tensorflow", 186500, "2025-03-04 10:00"),
            ("https://github.com/pytorch/pytorch.git", 90000, "2025-03-04 10:00"),
            ("jax-ml/jax", 30000, "2025-03-04 10:00"),
        ],
    )
    [c] = parse_claims(STARS)
    pt_only = parse_claims(
        STARS.replace('"TensorFlow/TensorFlow" = 180000, ', "").replace('id = "stars"', 'id = "pt"')
    )
    df = evaluate(db, [c, *pt_only]).set_index(["claim_id", "subject"])
    tf = df.loc[("stars", "tensorflow/tensorflow")]
    assert tf.numerator == 186_500  # the latest fetch counts, not the 2023 one
    assert tf.verdict == "supported"
    assert tf.reason == (
        "186,500 stars (+3.6% from the claimed 180,000) within ± 10%; fetched 2025-03-04"
    )
    assert (tf.claimed_low, tf.claimed_high) == pytest.approx((162_000, 198_000))
    assert str(tf.measured_at) == "2025-03-04 10:00:00"
    pt = df.loc[("stars", "pytorch/pytorch")]
    assert (pt.numerator, pt.verdict) == (90_000, "contradicted")
    assert "+20.0% from the claimed 75,000) outside ± 10%" in pt.reason
    assert df.loc[("pt", "pytorch/pytorch"), "verdict"] == "contradicted"


def test_stars_one_repo_missing(db: duckdb.DuckDBPyConnection) -> None:
    _add_stars(db, [("pytorch/pytorch", 75000, "2025-01-01")])
    [c] = parse_claims(STARS)
    df = evaluate(db, [c]).set_index("subject")
    assert df.loc["pytorch/pytorch", "verdict"] == "supported"
    assert df.loc["tensorflow/tensorflow", "verdict"] == "inconclusive"
    assert "no star count fetched for it" in df.loc["tensorflow/tensorflow", "reason"]


def test_share_and_stars_claims_keep_file_order(populated: duckdb.DuckDBPyConnection) -> None:
    [stars] = parse_claims(STARS)
    df = evaluate(populated, [claim(id="a", denominators=("D1",)), stars, claim(id="b")])
    assert list(df.claim_id) == ["a", "stars", "stars", "b", "b", "b", "b"]
    assert list(df.kind) == ["share", "stars", "stars", "share", "share", "share", "share"]
