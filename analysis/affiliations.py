"""Industry vs academia: classify papers by affiliation, measure D1 framework shares per class.

The rules (names and e-mail domains) live in ``data/affiliations.toml``. The affiliations come
from the database when it has them, in either shape:

- a table ``paper_affiliations(paper_id, affiliation, domain)``, one row per affiliation
  (either of the last two may be NULL); or
- columns on ``papers``: ``affiliations`` and optionally ``affiliation_domains``, each a
  ``VARCHAR[]`` or a ``;``-separated ``VARCHAR`` (the paperlists ``aff`` / ``aff_domain`` form).

With neither (the schema as it is today) the breakdown is skipped with a note.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analysis.errors import AffiliationRulesError
from analysis.stats import GROUP_SHARE_COLUMNS, group_shares

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "data" / "affiliations.toml"
CATEGORIES = ("academia", "industry", "mixed", "unknown")
"""Paper classes: all classified affiliations academic / all industry / both / none classified."""
NO_DATA_NOTE = (
    "No affiliation data: the database has neither a paper_affiliations table nor an "
    "affiliations column on papers (sources such as paperlists give them as aff / aff_domain), "
    "so the industry vs academia breakdown is skipped."
)


@dataclass(frozen=True)
class AffiliationRules:
    """Names (whole words, any case) and domains per class; see ``data/affiliations.toml``."""

    industry_names: tuple[str, ...]
    industry_domains: tuple[str, ...]
    academia_names: tuple[str, ...]
    academia_domains: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_industry_re", _names_regex(self.industry_names))
        object.__setattr__(self, "_academia_re", _names_regex(self.academia_names))

    def name_matches(self, name: str) -> tuple[bool, bool]:
        """(industry, academia) matches of an affiliation name."""
        ind: re.Pattern[str] | None = self._industry_re  # type: ignore[attr-defined]
        aca: re.Pattern[str] | None = self._academia_re  # type: ignore[attr-defined]
        return (
            bool(ind and ind.search(name)),
            bool(aca and aca.search(name)),
        )


def _names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    longest_first = sorted(set(names), key=lambda n: (-len(n), n))
    body = "|".join(re.escape(n) for n in longest_first)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def parse_rules(text: str, source: str = "<affiliations>") -> AffiliationRules:
    """Parse the rules TOML (pure): ``[industry]`` and ``[academia]``, each with ``names`` and
    ``domains`` lists of strings."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AffiliationRulesError(f"{source}: not valid TOML ({exc})") from exc
    got: dict[str, tuple[str, ...]] = {}
    for section in ("industry", "academia"):
        table = doc.get(section)
        if not isinstance(table, dict):
            raise AffiliationRulesError(
                f"{source}: missing [{section}] table with names = [...] and domains = [...]"
            )
        for key in ("names", "domains"):
            values = table.get(key, [])
            if not isinstance(values, list) or not all(
                isinstance(v, str) and v.strip() for v in values
            ):
                raise AffiliationRulesError(
                    f"{source}: [{section}] {key} must be a list of non-empty strings"
                )
            cleaned = [v.strip() for v in values]
            if key == "domains":
                cleaned = [
                    normalise_domain(v) if not v.startswith(".") else v.lower() for v in cleaned
                ]
            got[f"{section}_{key}"] = tuple(cleaned)
    return AffiliationRules(**got)


def load_rules(path: Path = DEFAULT_RULES) -> AffiliationRules:
    """Read the rules file (default ``data/affiliations.toml``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AffiliationRulesError(
            f"affiliation rules not found: {path}. Create it with [industry] and [academia] "
            "tables of names and domains (see data/affiliations.toml in the repository)."
        ) from None
    return parse_rules(text, source=str(path))


# ---------------------------------------------------------------- classification (pure)


def normalise_domain(text: str) -> str:
    """``Jane@CS.Stanford.EDU`` / ``https://www.google.com/`` -> ``cs.stanford.edu`` /
    ``google.com``."""
    d = text.strip().lower()
    d = d.rsplit("@", 1)[-1]
    d = re.sub(r"^[a-z]+://", "", d).split("/", 1)[0]
    d = d.removeprefix("www.")
    return d.strip(".")


def _domain_in(domain: str, entries: tuple[str, ...]) -> bool:
    for e in entries:
        if e.startswith("."):
            if domain.endswith(e):
                return True
        elif domain == e or domain.endswith("." + e):
            return True
    return False


def classify_affiliation(name: str | None, domain: str | None, rules: AffiliationRules) -> str:
    """``industry``, ``academia``, ``both`` or ``unknown`` for one affiliation.

    The domain decides when it matches a rule; otherwise the name does (whole words,
    case-insensitive). A name matching both lists ("Google and Stanford University") is
    ``both``.
    """
    if domain and isinstance(domain, str) and domain.strip():
        d = normalise_domain(domain)
        ind, aca = _domain_in(d, rules.industry_domains), _domain_in(d, rules.academia_domains)
        if ind != aca:
            return "industry" if ind else "academia"
    if name and isinstance(name, str) and name.strip():
        ind, aca = rules.name_matches(name)
        if ind and aca:
            return "both"
        if ind or aca:
            return "industry" if ind else "academia"
    return "unknown"


def paper_categories(rows: pd.DataFrame, rules: AffiliationRules) -> pd.DataFrame:
    """One category per paper (see ``CATEGORIES``) from its affiliation rows. Pure.

    ``rows``: paper_id, affiliation, domain (one row per affiliation). Each distinct
    (affiliation, domain) pair is classified once. Returns paper_id, category.
    """
    if rows.empty:
        return pd.DataFrame({"paper_id": [], "category": []})
    pairs = rows[["affiliation", "domain"]].drop_duplicates()
    classes = [
        classify_affiliation(a, d, rules)
        for a, d in zip(pairs["affiliation"], pairs["domain"], strict=True)
    ]  # per distinct affiliation string, not per paper
    pairs = pairs.assign(cls=classes)
    merged = rows.merge(pairs, on=["affiliation", "domain"], how="left")
    flags = merged.assign(
        ind=merged["cls"].isin(["industry", "both"]),
        aca=merged["cls"].isin(["academia", "both"]),
    )
    per_paper = flags.groupby("paper_id")[["ind", "aca"]].any()
    category = pd.Series("unknown", index=per_paper.index)
    category[per_paper["aca"]] = "academia"
    category[per_paper["ind"]] = "industry"
    category[per_paper["ind"] & per_paper["aca"]] = "mixed"
    return category.rename("category").reset_index()


# ---------------------------------------------------------------- the database side


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = $t AND table_schema = current_schema()",
        {"t": table},
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _unnest_expr(column: str, kind: str) -> str:
    return column if kind.endswith("[]") else f"string_split({column}, ';')"


def affiliation_source(con: duckdb.DuckDBPyConnection) -> str | None:
    """The SQL giving (paper_id, affiliation, domain) rows, or None when the schema has none."""
    table = _columns(con, "paper_affiliations")
    if {"paper_id", "affiliation"} <= set(table):
        domain = "domain" if "domain" in table else "NULL"
        return (
            f"SELECT paper_id, nullif(trim(affiliation), '') AS affiliation, "
            f"nullif(trim({domain}), '') AS domain FROM paper_affiliations"
        )
    papers = _columns(con, "papers")
    if "affiliations" not in papers:
        return None
    parts = [
        "SELECT paper_id, nullif(trim(a), '') AS affiliation, NULL::VARCHAR AS domain "
        f"FROM papers, unnest({_unnest_expr('affiliations', papers['affiliations'])}) t(a)"
    ]
    if "affiliation_domains" in papers:
        expr = _unnest_expr("affiliation_domains", papers["affiliation_domains"])
        parts.append(
            "SELECT paper_id, NULL::VARCHAR AS affiliation, nullif(trim(d), '') AS domain "
            f"FROM papers, unnest({expr}) t(d)"
        )
    return " UNION ALL ".join(parts)


@dataclass(frozen=True)
class AffiliationResult:
    """``counts``: category, papers, d1_papers. ``shares``: category + ``GROUP_SHARE_COLUMNS``
    over D1 papers. Both empty when there is no affiliation data; ``note`` says why."""

    counts: pd.DataFrame
    shares: pd.DataFrame
    note: str

    @property
    def empty(self) -> bool:
        return self.counts.empty


def compute_affiliations(
    con: duckdb.DuckDBPyConnection, rules: AffiliationRules | None = None
) -> AffiliationResult:
    """Classify every paper's affiliations and measure D1 framework shares per category."""
    empty = AffiliationResult(
        counts=pd.DataFrame({"category": [], "papers": [], "d1_papers": []}),
        shares=pd.DataFrame({c: [] for c in ["category", *GROUP_SHARE_COLUMNS]}),
        note=NO_DATA_NOTE,
    )
    source = affiliation_source(con)
    if source is None:
        return empty
    rows = con.execute(
        f"SELECT * FROM ({source}) WHERE affiliation IS NOT NULL OR domain IS NOT NULL"
    ).df()
    if rows.empty:
        return AffiliationResult(
            counts=empty.counts,
            shares=empty.shares,
            note="No affiliation data: the affiliation fields exist but are all empty, so the "
            "industry vs academia breakdown is skipped.",
        )
    cats = paper_categories(rows, rules or load_rules())
    papers = con.execute(
        """
        SELECT p.paper_id, f.frameworks
        FROM papers p
        LEFT JOIN (SELECT paper_id, list(DISTINCT framework) AS frameworks
                   FROM paper_frameworks GROUP BY paper_id) f USING (paper_id)
        """
    ).df()
    papers = papers.merge(cats, on="paper_id", how="left")
    papers["category"] = papers["category"].fillna("unknown")
    d1 = papers[papers["frameworks"].notna()]
    counts = (
        pd.DataFrame(
            {
                "papers": papers.groupby("category").size(),
                "d1_papers": d1.groupby("category").size(),
            }
        )
        .reindex(list(CATEGORIES), fill_value=0)
        .fillna(0)
        .astype("int64")
        .rename_axis("category")
        .reset_index()
    )
    shares = group_shares(d1, "category")
    classified = int(counts.loc[counts.category != "unknown", "papers"].sum())
    note = (
        f"Affiliations classified for {classified:,} of {len(papers):,} papers "
        "(rules: data/affiliations.toml); shares are over D1 papers of each category."
    )
    return AffiliationResult(counts=counts, shares=shares, note=note)
