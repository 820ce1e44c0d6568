from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from analysis.explore import (
    HISTORY_NOTE,
    SWITCH_NOTE,
    connect,
    database_path,
    framework_changes,
    mixed_framework_repos,
    tensorflow_leads,
    trend_per_venue,
)

if TYPE_CHECKING:
    from conftest import DbTools


def test_database_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_path({"FWCENSUS_DB": "/x/y.duckdb"}) == Path("/x/y.duckdb")
    monkeypatch.chdir(tmp_path)
    assert database_path({}) == Path("data") / "fwcensus.duckdb"
    # a notebook started in notebooks/ finds the project's data/ one level up
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "fwcensus.duckdb").write_bytes(b"")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert database_path({"FWCENSUS_DB": " "}) == tmp_path / "data" / "fwcensus.duckdb"
    with pytest.raises(FileNotFoundError, match="Set FWCENSUS_DB"):
        connect(tmp_path / "missing.duckdb")


def test_trend_and_tensorflow_leads(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2019, 6, frameworks=["tensorflow"])
    tools.add_papers(db, "cvpr", 2019, 2, frameworks=["pytorch"])
    tools.add_papers(db, "cvpr", 2020, 3, frameworks=["tensorflow"])
    tools.add_papers(db, "cvpr", 2020, 3, frameworks=["pytorch"])
    tools.add_papers(db, "iclr", 2020, 30, frameworks=["tensorflow"])
    tools.add_papers(db, "iclr", 2020, 1, frameworks=["pytorch"])
    tools.add_papers(db, "iclr", 2021, 2, link=False)
    trend = trend_per_venue(db)
    assert list(trend.columns) == ["venue", "year", "n", "TensorFlow %", "PyTorch %"]
    cvpr19 = trend[(trend.venue == "CVPR") & (trend.year == 2019)].iloc[0]
    assert (cvpr19.n, cvpr19["TensorFlow %"], cvpr19["PyTorch %"]) == (8, 75.0, 25.0)
    assert trend[(trend.venue == "ICLR") & (trend.year == 2021)].n.tolist() == [0]
    leads = tensorflow_leads(db)
    assert list(zip(leads.venue, leads.year, strict=True)) == [("ICLR", 2020), ("CVPR", 2019)]
    assert leads.iloc[0].gap == pytest.approx(93.5, abs=0.1)
    assert leads.clear.tolist() == [True, False]  # 6 of 8 vs 2 of 8: intervals overlap


def test_tensorflow_leads_without_tensorflow(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2019, 2, frameworks=["pytorch"])
    assert tensorflow_leads(db).empty


def test_mixed_framework_repos(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2023, 2, frameworks=["pytorch", "tensorflow"])
    tools.add_papers(db, "cvpr", 2023, 1, frameworks=["pytorch"])
    db.execute(
        """
        INSERT INTO repo_evidence (repo_id, framework, kind, files, occurrences)
        SELECT repo_id, fw, 'import', CASE fw WHEN 'pytorch' THEN 5 ELSE 2 END, 9
        FROM repo_frameworks, unnest(frameworks) t(fw)
        """
    )
    df = mixed_framework_repos(db)
    assert len(df) == 2
    assert (df.pytorch_files == 5).all() and (df.tensorflow_files == 2).all()
    assert set(df.papers) == {"cvpr 2023"} and set(df.evidence_kinds) == {"import"}
    assert "no history" in HISTORY_NOTE


def test_framework_changes_between_publication_and_today(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    tools.add_papers(db, "cvpr", 2022, 2, frameworks=["pytorch"])
    db.execute(
        """
        INSERT INTO repo_snapshots (repo_id, venue, year, as_of, as_of_exact, status, commit,
                                    primary_fw, frameworks, scanned_at)
        SELECT repo_id, 'cvpr', 2022, DATE '2022-06-24', TRUE, 'ok', 'old' || repo_id,
               CASE WHEN repo_id LIKE '%-0' THEN 'tensorflow' ELSE 'pytorch' END,
               ['x'], now()
        FROM repo_frameworks
        """
    )
    changes, note = framework_changes(db)
    assert note == SWITCH_NOTE
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row.venue, row.year, row.at_publication, row.today) == (
        "cvpr",
        2022,
        "tensorflow",
        "pytorch",
    )
    assert row.title == "Paper 0" and row.publication_commit.startswith("old")
    # a database from before repository snapshots: the fallback, and a note saying so
    db.execute("DROP VIEW framework_switches")
    fallback, note = framework_changes(db)
    assert note == HISTORY_NOTE and list(fallback.columns)[:2] == ["repo_id", "labelled_primary"]
