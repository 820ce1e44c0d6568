from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest

from analysis.affiliations import (
    DEFAULT_RULES,
    NO_DATA_NOTE,
    AffiliationRulesError,
    classify_affiliation,
    compute_affiliations,
    load_rules,
    normalise_domain,
    paper_categories,
    parse_rules,
)

if TYPE_CHECKING:
    from conftest import DbTools

RULES = load_rules(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("name", "domain", "expected"),
    [
        ("Google Research", None, "industry"),
        ("Intel Labs", None, "industry"),
        ("Artificial Intelligence Lab", None, "unknown"),  # "Intel" is not a word here
        ("Stanford University", None, "academia"),
        ("ETH Zürich", None, "academia"),
        ("Toyota Technological Institute at Chicago", None, "academia"),
        ("Toyota Research Institute", None, "industry"),
        ("Google and Stanford University", None, "both"),
        ("Some Lab", "jane@cs.stanford.edu", "academia"),
        ("Some Lab", "research.google.com", "industry"),
        ("University of Somewhere", "google.com", "industry"),  # the domain decides
        ("Meta AI", "notgoogle.com", "industry"),  # unknown domain: the name decides
        (None, "ox.ac.uk", "academia"),
        (None, "foo.org", "unknown"),
        (None, None, "unknown"),
        ("", "  ", "unknown"),
    ],
)
def test_classify_affiliation(name: str | None, domain: str | None, expected: str) -> None:
    assert classify_affiliation(name, domain, RULES) == expected


def test_normalise_domain() -> None:
    assert normalise_domain("Jane@CS.Stanford.EDU") == "cs.stanford.edu"
    assert normalise_domain("https://www.google.com/research") == "google.com"
    assert normalise_domain(" mila.quebec. ") == "mila.quebec"


def test_rules_file_errors(tmp_path: Path) -> None:
    with pytest.raises(AffiliationRulesError, match="missing \\[academia\\] table"):
        parse_rules('[industry]\nnames = ["X"]\n')
    with pytest.raises(AffiliationRulesError, match="must be a list of non-empty strings"):
        parse_rules('[industry]\nnames = ["X", ""]\n[academia]\nnames = []\n')
    with pytest.raises(AffiliationRulesError, match="not valid TOML"):
        parse_rules("[industry")
    with pytest.raises(AffiliationRulesError, match="affiliation rules not found"):
        load_rules(tmp_path / "missing.toml")
    rules = parse_rules('[industry]\ndomains = ["Acme.COM"]\n[academia]\ndomains = [".EDU"]\n')
    assert rules.industry_domains == ("acme.com",) and rules.academia_domains == (".edu",)
    assert classify_affiliation(None, "lab.acme.com", rules) == "industry"
    assert classify_affiliation("Acme", None, rules) == "unknown"  # no names given


def test_paper_categories() -> None:
    rows = pd.DataFrame(
        {
            "paper_id": ["a", "a", "b", "c", "c", "d", "e"],
            "affiliation": ["MIT", "Google", "MIT", "NVIDIA", None, "Nowhere", "Google & MIT"],
            "domain": [None, None, "mit.edu", None, "nvidia.com", None, None],
        }
    )
    got = dict(paper_categories(rows, RULES).itertuples(index=False))
    assert got == {"a": "mixed", "b": "academia", "c": "industry", "d": "unknown", "e": "mixed"}


def test_no_affiliation_data_is_skipped_with_a_note(populated: duckdb.DuckDBPyConnection) -> None:
    # the schema has the columns (paperlists fills them); here every one is empty
    result = compute_affiliations(populated, RULES)
    assert result.empty and result.shares.empty
    assert result.note.startswith("No affiliation data: the affiliation fields exist but are")
    populated.execute("ALTER TABLE papers DROP COLUMN affiliations")
    populated.execute("ALTER TABLE papers DROP COLUMN affiliation_domains")
    assert compute_affiliations(populated, RULES).note == NO_DATA_NOTE


@pytest.mark.parametrize("kind", ["VARCHAR", "VARCHAR[]"])
def test_affiliation_column_on_papers(
    db: duckdb.DuckDBPyConnection, tools: DbTools, kind: str
) -> None:
    tools.add_papers(db, "cvpr", 2023, 4, frameworks=["pytorch"], tag="ind")
    tools.add_papers(db, "cvpr", 2023, 2, frameworks=["tensorflow"], tag="aca")
    tools.add_papers(db, "cvpr", 2023, 3, link=False, tag="aca2")
    tools.add_papers(db, "cvpr", 2023, 1, frameworks=["jax"], tag="none")
    for column in ("affiliations", "affiliation_domains"):  # the schema's are VARCHAR[]
        db.execute(f"ALTER TABLE papers DROP COLUMN IF EXISTS {column}")
        db.execute(f"ALTER TABLE papers ADD COLUMN {column} {kind}")
    as_value = (
        (lambda s: f"'{s}'") if kind == "VARCHAR" else (lambda s: f"string_split('{s}', ';')")
    )
    db.execute(
        f"UPDATE papers SET affiliations = {as_value('DeepMind;Meta AI')} "
        "WHERE native_id LIKE 'ind-%'"
    )
    db.execute(
        f"UPDATE papers SET affiliations = {as_value('Lab X')}, "
        f"affiliation_domains = {as_value('cs.cmu.edu;ox.ac.uk')} WHERE native_id LIKE 'aca%'"
    )
    result = compute_affiliations(db, RULES)
    counts = result.counts.set_index("category")
    assert counts["papers"].to_dict() == {"academia": 5, "industry": 4, "mixed": 0, "unknown": 1}
    assert counts["d1_papers"].to_dict() == {"academia": 2, "industry": 4, "mixed": 0, "unknown": 1}
    shares = result.shares.set_index(["category", "framework"])
    assert tuple(shares.loc[("industry", "pytorch"), ["numerator", "denominator_size"]]) == (4, 4)
    assert tuple(shares.loc[("academia", "tensorflow"), ["numerator", "denominator_size"]]) == (
        2,
        2,
    )
    assert "classified for 9 of 10 papers" in result.note


def test_paper_affiliations_table(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "iclr", 2024, 2, frameworks=["jax"], tag="g")
    db.execute(
        "CREATE TABLE paper_affiliations (paper_id VARCHAR, affiliation VARCHAR, domain VARCHAR)"
    )
    db.execute(
        "INSERT INTO paper_affiliations SELECT paper_id, 'Google DeepMind', 'deepmind.com' "
        "FROM papers UNION ALL SELECT paper_id, 'University College London', 'ucl.ac.uk' "
        "FROM papers WHERE native_id = 'g-0'"
    )
    result = compute_affiliations(db, RULES)
    assert dict(zip(result.counts.category, result.counts.papers, strict=True)) == {
        "academia": 0,
        "industry": 1,
        "mixed": 1,
        "unknown": 0,
    }
    db.execute("DELETE FROM paper_affiliations")
    assert compute_affiliations(db, RULES).note.startswith("No affiliation data: the affiliation")
