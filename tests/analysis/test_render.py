from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest

from analysis.claims import ClaimsError
from analysis.render import DEMO_BANNER, GET_DATA_COMMAND, interval, measured, pct, write_report

if TYPE_CHECKING:
    from conftest import DbTools

CLAIMS = """
[[claim]]
id = "pt-cvpr"
source = "https://example.org/article (plain text, not a link)"
wording = "PyTorch is used in 70–75% of recent CVPR papers"
venues = ["cvpr"]
years = [2022, 2023]
framework = "pytorch"
range = [0.70, 0.75]
denominators = ["D1", "D3"]

[[claim]]
id = "tf-icml"
source = "an article"
wording = "TensorFlow is used in 15–20% of recent ICML <papers> | pipes"
venues = ["icml"]
years = [2022, 2023]
framework = "tensorflow"
range = [0.15, 0.20]
denominators = ["D1"]
"""

WHEN = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)


@pytest.fixture
def claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS, encoding="utf-8")
    return path


def _read_only(tools: DbTools, tmp_path: Path, fill: bool = True) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "report.duckdb"
    con = tools.new_db(path)
    if fill:
        tools.populate(con)
        tools.add_run(con, "2024-05-02 08:30:00")
    con.close()
    return duckdb.connect(str(path), read_only=True)


def test_formatting() -> None:
    assert pct(2 / 3) == "66.7%"
    assert pct(float("nan")) == "—" and pct(None) == "—"
    assert interval(0.20766, 0.93851) == "20.8–93.9%"
    assert interval(float("nan"), float("nan")) == "—"
    assert measured(2 / 3, 0.20766, 0.93851) == "66.7% (20.8–93.9%)"
    assert measured(float("nan"), float("nan"), float("nan")) == "—"


def test_report_files_and_numbers(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        files = write_report(con, tmp_path / "out", claims_path=claims_file, generated_at=WHEN)
    finally:
        con.close()
    out = tmp_path / "out"
    assert files.markdown == out / "report.md" and files.html == out / "report.html"
    assert files.index == out / "index.html"
    assert files.index.read_bytes() == files.html.read_bytes()
    assert files.charts == [
        out / "adoption_cvpr.png",
        out / "adoption_neurips.png",
        out / "venues.png",
        out / "framework_mix.png",
    ]
    names = ["adoption", "claims", "counts", "repo_status", "framework_mix"]
    names += ["topics", "topic_adoption", "adoption_at_publication", "framework_switches"]
    assert [p.name for p in files.tables] == [f"{n}.csv" for n in names]
    assert [p.name for p in files.parquet] == [f"{n}.parquet" for n in names]
    for p in [*files.charts, *files.tables, *files.parquet]:
        assert p.is_file() and p.stat().st_size > 0

    md = files.markdown.read_text(encoding="utf-8")
    html = files.html.read_text(encoding="utf-8")
    for text in (md, html):
        assert "Generated 2025-01-02 03:04 UTC" in text
        assert "latest run ended 2024-05-02 08:30 UTC" in text
        assert "PyTorch" in text and "TensorFlow" in text and "JAX" in text
        # CVPR 2022, D1: PyTorch 2 of 3 papers
        assert "66.7% (20.8–93.9%)" in text
        # pooled claim, D1: 6 of 8 papers -> 75.0% (40.9–92.9%), too few papers
        assert "75.0% (40.9–92.9%)" in text
        assert "too few papers: n=8 &lt; 30" in text or "too few papers: n=8 < 30" in text
        assert "inconclusive" in text
        assert "no data" in text  # the ICML claim
        assert "— (—)" not in text
        assert "det-1 (9 repositories" in text and "det-2 (1 repository" in text
        assert DEMO_BANNER not in text
        assert "No data yet" not in text
        assert "not_found" in text
    assert "| 2022 | 11 | 6 | 4 | 3 | 6 | 4 | 1 | 1 |" in md
    assert "| ok | 10 | 90.9% |" in md
    assert "| PyTorch | 2022 | 66.7% (20.8–93.9%) | 2 / 3 | 33.3% (9.7–70.0%) | 2 / 6 |" in md
    # D1, D2, D3, D4 and M side by side (no PDF text was read: M has n = 0)
    assert (
        "| PyTorch | 2023 | 80.0% (37.6–96.4%) | 4 / 5 | 80.0% (37.6–96.4%) | 4 / 5 "
        "| 50.0% (21.5–78.5%) | 4 / 8 | 100.0% (51.0–100.0%) | 4 / 4 | — | 0 / 0 |"
    ) in md
    assert "| JAX | 2023 | 20.0% (3.6–62.4%) | 1 / 5 |" in md
    assert "| — | — | — | 0 / 0 |" in md  # JAX has no D4
    # the stacked mix table: cvpr 2022 + 2023 pooled per year
    assert "| 2023 | 5 | 60.0% (3) | 0.0% (0) | 20.0% (1) | 20.0% (1) | 0.0% (0) |" in md
    assert "![All venues: share of D1 papers per framework, one panel per venue](venues.png)" in md
    # too few papers for topics; no affiliation data
    assert "No research areas: topics need at least 30 papers" in md
    assert "No affiliation data" in md
    assert "![CVPR: share of D1 papers per framework](adoption_cvpr.png)" in md
    # user text is escaped: a pipe cannot break the Markdown table, a tag cannot enter the HTML
    assert "ICML <papers> \\| pipes" in md
    assert "ICML &lt;papers&gt; | pipes" in html and "<papers>" not in html


def test_csv_tables_hold_the_numbers(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        write_report(con, tmp_path / "out", claims_path=claims_file, generated_at=WHEN)
    finally:
        con.close()
    claims = pd.read_csv(tmp_path / "out" / "claims.csv")
    row = claims[(claims.claim_id == "pt-cvpr") & (claims.denominator == "D1")].iloc[0]
    assert (row.numerator, row.n, row.verdict) == (6, 8, "inconclusive")
    assert row.wording.startswith("PyTorch is used")
    counts = pd.read_csv(tmp_path / "out" / "counts.csv")
    assert counts.set_index(["venue", "year"]).loc[("cvpr", 2023), "with_framework"] == 5
    adoption = pd.read_csv(tmp_path / "out" / "adoption.csv")
    assert set(adoption.denominator) == {"D1", "D2", "D3", "D4", "M"}
    mix = pd.read_csv(tmp_path / "out" / "framework_mix.csv")
    assert mix.groupby(["venue", "year"])["papers"].sum().to_dict() == {
        ("cvpr", 2022): 3,
        ("cvpr", 2023): 5,
    }
    # every CSV has a Parquet twin with the same rows
    con = duckdb.connect()
    try:
        for csv in sorted((tmp_path / "out").glob("*.csv")):
            parquet = csv.with_suffix(".parquet")
            back = con.execute("SELECT * FROM read_parquet($p)", {"p": str(parquet)}).df()
            assert len(back) == len(pd.read_csv(csv)), csv.name
            assert list(back.columns) == list(pd.read_csv(csv).columns), csv.name
        claims_back = con.execute(
            "SELECT claim_id, denominator, numerator, n, verdict FROM read_parquet($p) "
            "WHERE claim_id = 'pt-cvpr' AND denominator = 'D1'",
            {"p": str(tmp_path / "out" / "claims.parquet")},
        ).fetchall()
    finally:
        con.close()
    assert claims_back == [("pt-cvpr", "D1", 6, 8, "inconclusive")]


def test_html_is_self_contained(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        files = write_report(con, tmp_path / "out", claims_path=claims_file, generated_at=WHEN)
    finally:
        con.close()
    html = files.html.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 4
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(|@import|<link\b|<iframe\b", html, re.I)
    # one inline script (sortable tables, image check); nothing loaded or fetched
    assert html.count("<script") == 1 and "<script>" in html
    assert not re.search(r"fetch\(|XMLHttpRequest|import\(|WebSocket|\.src\s*=", html)
    assert html.count('class="sortable') >= 5
    # the only http(s) text is the claim's source, shown as plain text in a table cell
    assert html.count("https://") == 1 and "http://" not in html
    assert "https://example.org/article (plain text, not a link)</td>" in html


def test_demo_banner_only_in_demo(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        demo = write_report(con, tmp_path / "demo", claims_path=claims_file, demo=True)
    finally:
        con.close()
    assert DEMO_BANNER == "DEMO DATA — synthetic fixture web, not real measurements"
    md = demo.markdown.read_text(encoding="utf-8")
    html = demo.html.read_text(encoding="utf-8")
    assert DEMO_BANNER in md and DEMO_BANNER in html
    assert md.index(DEMO_BANNER) < md.index("## Summary")
    assert 'class="banner"' in html


def test_empty_database_report(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path, fill=False)
    try:
        files = write_report(con, tmp_path / "out", claims_path=claims_file, generated_at=WHEN)
    finally:
        con.close()
    assert files.charts == []
    md = files.markdown.read_text(encoding="utf-8")
    html = files.html.read_text(encoding="utf-8")
    for text in (md, html):
        assert "No data yet" in text and GET_DATA_COMMAND in text
        assert "no finished run is recorded" in text
        assert "no repository has been classified yet" in text
    assert GET_DATA_COMMAND == "fwcensus run --venue cvpr --years 2019-2024"
    claims = pd.read_csv(tmp_path / "out" / "claims.csv")
    assert set(claims.verdict) == {"inconclusive"} and (claims.n == 0).all()


def test_default_claims_and_missing_claims_file(tmp_path: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        files = write_report(con, tmp_path / "out")  # uses data/claims.toml
        md = files.markdown.read_text(encoding="utf-8")
        assert "PyTorch is used in 70–75% of recent CVPR papers" in md
        assert "Claims from claims.toml." in md
        with pytest.raises(ClaimsError, match="claims file not found"):
            write_report(con, tmp_path / "out2", claims_path=tmp_path / "missing.toml")
    finally:
        con.close()


def test_write_report_accepts_a_fresh_connection_with_writes(
    tmp_path: Path, tools: DbTools
) -> None:
    # the lead's CLI may pass a read-write connection too
    con = tools.new_db(tmp_path / "rw.duckdb")
    try:
        tools.populate(con)
        files = write_report(con, tmp_path / "out", generated_at=WHEN)
    finally:
        con.close()
    assert "66.7%" in files.markdown.read_text(encoding="utf-8")


SECTIONS_CLAIMS = """
[[claim]]
id = "pt"
source = "an article"
wording = "PyTorch is used in 70–75% of CVPR 2023 papers"
venues = ["cvpr"]
years = [2023]
framework = "pytorch"
range = [0.70, 0.75]
denominators = ["D1", "M"]

[[claim]]
id = "stars"
kind = "stars"
source = "an article"
wording = "TensorFlow has ~180K stars vs PyTorch ~75K"
stars = { "tensorflow/tensorflow" = 180000, "pytorch/pytorch" = 75000 }
"""

AREA_TEXT = {
    "vis": "image segmentation pixel mask semantic scene boundary instance convolutional",
    "nlp": "language translation sentence token corpus transformer multilingual parsing",
}


def _sections_db(tools: DbTools, path: Path) -> duckdb.DuckDBPyConnection:
    con = tools.new_db(path)
    tools.add_papers(con, "cvpr", 2023, 29, frameworks=["pytorch"], tag="vis")
    tools.add_papers(con, "cvpr", 2023, 11, frameworks=["tensorflow"], tag="nlp")
    ids = [r[0] for r in con.execute("SELECT paper_id FROM papers ORDER BY paper_id").fetchall()]
    texts = []
    for pid in ids:  # each abstract: 10 words drawn from its area's vocabulary
        words = AREA_TEXT["vis" if ":vis-" in pid else "nlp"].split()
        texts.append(" ".join(random.Random(pid).choices(words, k=10)))
    con.execute(
        "UPDATE papers SET abstract = t.a FROM (SELECT unnest($ids) AS id, unnest($texts) AS a) t "
        "WHERE papers.paper_id = t.id",
        {"ids": ids, "texts": texts},
    )
    con.execute("ALTER TABLE papers DROP COLUMN IF EXISTS affiliations")
    con.execute("ALTER TABLE papers ADD COLUMN affiliations VARCHAR")
    con.execute("UPDATE papers SET affiliations = 'Google Research' WHERE native_id LIKE 'vis-%'")
    con.execute("UPDATE papers SET affiliations = 'MIT' WHERE native_id LIKE 'nlp-%'")
    con.execute(
        "INSERT INTO paper_texts (paper_id, status, processed_at) "
        "SELECT paper_id, 'ok', now() FROM papers"
    )
    con.execute("INSERT INTO paper_mentions SELECT paper_id, 'pytorch', 2 FROM papers LIMIT 30")
    con.execute(
        "INSERT INTO framework_repos (repo, stars, fetched_at) VALUES "
        "('pytorch/pytorch', 75500, TIMESTAMP '2025-02-01'), "
        "('tensorflow/tensorflow', 120000, TIMESTAMP '2025-02-01')"
    )
    con.close()
    return duckdb.connect(str(path), read_only=True)


def test_report_sections(tmp_path: Path, tools: DbTools) -> None:
    claims = tmp_path / "claims.toml"
    claims.write_text(SECTIONS_CLAIMS, encoding="utf-8")
    con = _sections_db(tools, tmp_path / "s.duckdb")
    try:
        files = write_report(con, tmp_path / "out", claims_path=claims, generated_at=WHEN)
    finally:
        con.close()
    md = files.markdown.read_text(encoding="utf-8")
    html = files.html.read_text(encoding="utf-8")
    for text in (md, html):
        # relaxed rule: 29/40 = 72.5% (57.2–83.9%) is inside 70–75%, n >= 30
        assert (
            "72.5% (95% CI 57.2–83.9%) inside the claimed 70.0–75.0%; "
            "precision: interval wider than the claimed range"
        ) in text
        assert "GitHub stars of pytorch/pytorch" in text and "75,500 stars" in text
        assert "120,000 stars (-33.3% from the claimed 180,000) outside ± 10%" in text
        assert "162,000–198,000 stars" in text
        assert "Research areas" in text and "2 topics (TF-IDF + NMF)" in text
        assert "Affiliations classified for 40 of 40 papers" in text
    assert (
        "| PyTorch is used in 70–75% of CVPR 2023 papers | 2023 | 70.0–75.0% | M "
        "| 75.0% (59.8–85.8%) | 30 / 40 | **supported** |"
    ) in md
    assert "| GitHub stars of tensorflow/tensorflow | 120,000 stars | — | **contradicted** |" in md
    # topic rows: each area is one topic with one framework
    topic_rows = [line for line in md.splitlines() if "| 100.0% (" in line and "/ 29 |" in line]
    assert len(topic_rows) >= 1
    assert "| industry | 29 | 29 | 100.0% (88.3–100.0%) | 29 / 29 |" in md
    assert "| academia | 11 | 11 | 0.0% (0.0–25.9%) | 0 / 11 |" in md
    names = [p.name for p in files.tables]
    assert names[-2:] == ["affiliations.csv", "affiliation_adoption.csv"]
    assert (tmp_path / "out" / "affiliation_adoption.parquet").is_file()
    topics = pd.read_csv(tmp_path / "out" / "topics.csv")
    assert len(topics) == 2 and set(topics.d1_papers) == {29, 11}
