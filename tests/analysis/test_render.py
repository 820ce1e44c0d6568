from __future__ import annotations

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
    assert files.charts == [out / "adoption_cvpr.png", out / "adoption_neurips.png"]
    assert [p.name for p in files.tables] == [
        "adoption.csv",
        "claims.csv",
        "counts.csv",
        "repo_status.csv",
    ]
    for p in [*files.charts, *files.tables]:
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
    assert "| 2023 | 100.0% (51.0–100.0%) | 4 / 4 |" in md  # D4
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
    assert set(adoption.denominator) == {"D1", "D2", "D3", "D4"}


def test_html_is_self_contained(tmp_path: Path, claims_file: Path, tools: DbTools) -> None:
    con = _read_only(tools, tmp_path)
    try:
        files = write_report(con, tmp_path / "out", claims_path=claims_file, generated_at=WHEN)
    finally:
        con.close()
    html = files.html.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 2
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(|@import|<link\b|<script\b|<iframe\b", html, re.I)
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
