"""Research areas: topics from paper abstracts (titles when there is no abstract), and D1 framework
shares per topic.

Topics come from TF-IDF + NMF (scikit-learn, ``random_state=0``, deterministic NNDSVDa start),
with a fixed number of topics scaled to the corpus (``n_topics_for``). Each topic is named by its
top three terms. Nothing is written back: the database stays read-only.

Cost is bounded so that a report on a million papers stays fast: the model is fitted on at most
``FIT_DOCS`` papers and applied to at most ``ASSIGN_DOCS`` D1 papers. Both sets are chosen by the
md5 of the paper id, so they are stable across runs and independent of insertion order; when a set
is capped the result says so (the shares are then estimates from a uniform sample, and the
intervals are those of the sample).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from analysis.stats import group_shares

FIT_DOCS = 5_000
"""At most this many papers (all papers with a title or abstract) train the topic model."""
ASSIGN_DOCS = 20_000
"""At most this many D1 papers get a topic for the per-topic shares."""
MIN_DOCS = 30
"""Fewer papers than this: no topics (the section says so)."""
MIN_TOPICS = 2
MAX_TOPICS = 12
TOP_TERMS = 3
NO_TOPIC = -1
"""Topic id of a paper whose text holds none of the model's terms."""

RESEARCH_STOP_WORDS = frozenset(
    {
        "approach", "approaches", "based", "demonstrate", "different", "effective",
        "experiment", "experiments", "framework", "frameworks", "improve", "improved",
        "improves", "introduce", "method", "methods", "model", "models", "new", "novel",
        "paper", "performance", "problem", "problems", "propose", "proposed", "proposes",
        "result", "results", "revisiting", "scale", "show", "shows", "state", "art", "task",
        "tasks", "towards", "using", "via", "work", "existing", "achieve", "achieves",
        "significantly", "outperforms", "code", "available", "github", "com", "https", "http",
        "www", "learning", "deep", "network", "networks",
    }
)  # fmt: skip
"""Words every ML abstract uses; they would otherwise name every topic."""

STOP_WORDS = sorted(ENGLISH_STOP_WORDS | RESEARCH_STOP_WORDS)
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+(?:-[^\W\d_]+)*\b"
"""Words of two or more letters (hyphenated words kept whole); numbers are dropped."""


@dataclass(frozen=True)
class TopicResult:
    """What ``compute_topics`` found.

    ``topics``: topic, label, terms (top terms, comma-separated), fit_papers (papers of the
    fitting set whose strongest topic it is), d1_papers (assigned D1 papers), ordered by
    d1_papers, largest first. ``shares``: topic, label, framework, numerator,
    denominator_size (the topic's D1 papers), share, ci_low, ci_high. ``note``: how it was
    computed (sizes, samples), or why there are no topics.
    """

    topics: pd.DataFrame
    shares: pd.DataFrame
    n_topics: int
    fit_docs: int
    fit_total: int
    assigned_docs: int
    assign_total: int
    note: str

    @property
    def empty(self) -> bool:
        return self.n_topics == 0


TOPIC_COLUMNS = ["topic", "label", "terms", "fit_papers", "d1_papers"]
SHARE_COLUMNS = [
    "topic",
    "label",
    "framework",
    "numerator",
    "denominator_size",
    "share",
    "ci_low",
    "ci_high",
]


def n_topics_for(n_docs: int) -> int:
    """The number of topics for a corpus of ``n_docs`` papers: round(sqrt(n / 10)), in 2..12.

    100 papers -> 3 topics, 1,000 -> 10, 1,440 or more -> 12 (the cap keeps the report table
    readable). Fewer than ``MIN_DOCS`` papers -> 0 (no topics).
    """
    if n_docs < MIN_DOCS:
        return 0
    return max(MIN_TOPICS, min(MAX_TOPICS, round(math.sqrt(n_docs / 10))))


# ---------------------------------------------------------------- the model (pure)


@dataclass(frozen=True)
class TopicModel:
    """A fitted TF-IDF vectoriser and NMF model, with each topic's top terms."""

    vectorizer: TfidfVectorizer
    nmf: NMF
    terms: list[list[str]]

    @property
    def labels(self) -> list[str]:
        return [", ".join(t[:TOP_TERMS]) for t in self.terms]


def fit_topics(texts: list[str], n_topics: int, *, top_terms: int = 8) -> TopicModel:
    """Fit TF-IDF + NMF on ``texts`` (pure: same texts in the same order, same model).

    Terms must appear in at least two papers (one when there are fewer than 50) and in at most
    80% of them (a field's own vocabulary, e.g. "image" at a vision venue, stays usable).
    Raises ValueError when the texts hold too few usable terms for ``n_topics``.
    """
    if n_topics < 1:
        raise ValueError(f"n_topics must be at least 1, got {n_topics}")
    vectorizer = TfidfVectorizer(
        stop_words=STOP_WORDS,
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        strip_accents="unicode",
        min_df=2 if len(texts) >= 50 else 1,
        max_df=0.8,
        sublinear_tf=True,
        dtype=np.float32,
    )
    try:
        x = vectorizer.fit_transform(texts)
    except ValueError as exc:  # empty vocabulary
        raise ValueError(f"the paper texts hold no usable terms ({exc})") from None
    n_topics = min(n_topics, x.shape[0], x.shape[1])
    nmf = NMF(n_components=n_topics, init="nndsvda", random_state=0, max_iter=400, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        nmf.fit(x)
    vocab = vectorizer.get_feature_names_out()
    order = np.argsort(-nmf.components_, axis=1, kind="stable")[:, :top_terms]
    terms = [
        [str(vocab[j]) for j in row if nmf.components_[i, j] > 0] for i, row in enumerate(order)
    ]
    return TopicModel(vectorizer=vectorizer, nmf=nmf, terms=terms)


def assign(model: TopicModel, texts: list[str]) -> np.ndarray:
    """The strongest topic of each text (``NO_TOPIC`` when the text holds none of its terms)."""
    if not texts:
        return np.zeros(0, dtype=np.int64)
    x = model.vectorizer.transform(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = model.nmf.transform(x)
    best = np.argmax(w, axis=1).astype(np.int64)
    best[w.max(axis=1) <= 0] = NO_TOPIC
    return best


def topic_shares(assigned: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """D1 framework shares per topic (pure, vectorised).

    ``assigned``: one row per D1 paper with columns topic and frameworks (a list of framework
    ids). Returns ``SHARE_COLUMNS``: for every topic with papers and every framework used in
    the set, the papers of the topic using it out of the topic's papers, with a 95% Wilson
    interval. Papers with ``NO_TOPIC`` are left out.
    """
    known = assigned.assign(topic=assigned["topic"].where(assigned["topic"] != NO_TOPIC))
    out = group_shares(known, "topic")
    out["topic"] = out["topic"].astype("int64")
    out["label"] = out["topic"].map(dict(enumerate(labels)))
    return out[SHARE_COLUMNS]


# ---------------------------------------------------------------- the database side

# A paper has text when its title or abstract is non-empty; the text used is the abstract, or
# the title when the abstract is empty. Ids are picked first (md5 order, cheap), texts after.
_FIT_SQL = """
WITH usable AS (
    SELECT paper_id FROM papers WHERE abstract <> '' OR title <> ''
),
picked AS (SELECT paper_id FROM usable ORDER BY md5(paper_id) LIMIT $limit)
SELECT p.paper_id, coalesce(nullif(trim(p.abstract), ''), p.title) AS text,
       (SELECT count(*) FROM usable) AS total
FROM picked JOIN papers p USING (paper_id)
"""

_D1_SQL = """
WITH pf AS MATERIALIZED (SELECT DISTINCT paper_id, framework FROM paper_frameworks),
d1 AS MATERIALIZED (SELECT DISTINCT paper_id FROM pf),
picked AS (SELECT paper_id FROM d1 ORDER BY md5(paper_id) LIMIT $limit),
fws AS (
    SELECT pf.paper_id, list(pf.framework ORDER BY pf.framework) AS frameworks
    FROM pf JOIN picked USING (paper_id) GROUP BY pf.paper_id
)
SELECT p.paper_id, coalesce(nullif(trim(p.abstract), ''), p.title) AS text, f.frameworks,
       (SELECT count(*) FROM d1) AS total
FROM fws f JOIN papers p USING (paper_id)
"""


def _total(df: pd.DataFrame) -> int:
    return int(df["total"].iloc[0]) if len(df) else 0


def compute_topics(
    con: duckdb.DuckDBPyConnection,
    *,
    fit_docs: int = FIT_DOCS,
    assign_docs: int = ASSIGN_DOCS,
    n_topics: int | None = None,
) -> TopicResult:
    """Fit topics on the papers' texts and measure D1 framework shares per topic.

    ``n_topics`` None scales with the fitting set (``n_topics_for``). Never raises for lack of
    data: too few papers or terms give an empty result whose ``note`` says why.
    """
    fit = con.execute(_FIT_SQL, {"limit": fit_docs}).df()
    fit_total = _total(fit)
    fit = fit[fit["text"].str.strip().astype(bool)]  # a blank abstract and a blank title
    d1 = con.execute(_D1_SQL, {"limit": assign_docs}).df()
    assign_total = _total(d1)
    k = n_topics if n_topics is not None else n_topics_for(len(fit))
    if k <= 0 or len(fit) < MIN_DOCS:
        return _empty(
            fit_total,
            assign_total,
            f"No research areas: topics need at least {MIN_DOCS} papers with a title or "
            f"abstract; the database has {fit_total}.",
        )
    fit = fit.sort_values("paper_id", kind="stable")  # same set, same order, same model
    try:
        model = fit_topics(fit["text"].tolist(), k)
    except ValueError as exc:
        return _empty(fit_total, assign_total, f"No research areas: {exc}.")
    fit_topic = assign(model, fit["text"].tolist())

    d1 = d1.sort_values("paper_id", kind="stable").reset_index(drop=True)
    d1["topic"] = assign(model, d1["text"].tolist())
    shares = topic_shares(d1[["topic", "frameworks"]], model.labels)

    n = len(model.terms)
    topics = pd.DataFrame(
        {
            "topic": np.arange(n, dtype=np.int64),
            "label": model.labels,
            "terms": [", ".join(t) for t in model.terms],
            "fit_papers": np.bincount(fit_topic[fit_topic >= 0], minlength=n).astype(np.int64),
            "d1_papers": np.bincount(
                d1["topic"][d1["topic"] >= 0].to_numpy(dtype=np.int64), minlength=n
            ).astype(np.int64),
        }
    )
    # NMF may leave a component that is no paper's strongest topic: not a research area
    topics = topics[(topics["fit_papers"] > 0) | (topics["d1_papers"] > 0)]
    topics = topics.sort_values(
        ["d1_papers", "fit_papers", "topic"], ascending=[False, False, True]
    )
    no_topic = int((d1["topic"] == NO_TOPIC).sum())
    note = _note(len(fit), fit_total, len(d1), assign_total, len(topics), no_topic)
    return TopicResult(
        topics=topics.reset_index(drop=True),
        shares=shares,
        n_topics=len(topics),
        fit_docs=len(fit),
        fit_total=fit_total,
        assigned_docs=len(d1),
        assign_total=assign_total,
        note=note,
    )


def _note(fit: int, fit_total: int, d1: int, d1_total: int, n: int, no_topic: int) -> str:
    parts = [
        f"{n} topics (TF-IDF + NMF) from the abstracts, or titles where there is no abstract, "
        f"of {fit:,} papers"
        + (f" (a fixed md5-ordered sample of {fit_total:,})" if fit < fit_total else ""),
        f"shares over {d1:,} D1 papers"
        + (
            f" (a fixed md5-ordered sample of {d1_total:,}: estimates, with the sample's intervals)"
            if d1 < d1_total
            else ""
        ),
    ]
    if no_topic:
        parts.append(f"{no_topic:,} D1 papers share no term with any topic and are left out")
    return "; ".join(parts) + "."


def _empty(fit_total: int, assign_total: int, note: str) -> TopicResult:
    return TopicResult(
        topics=pd.DataFrame({c: [] for c in TOPIC_COLUMNS}),
        shares=pd.DataFrame({c: [] for c in SHARE_COLUMNS}),
        n_topics=0,
        fit_docs=0,
        fit_total=fit_total,
        assigned_docs=0,
        assign_total=assign_total,
        note=note,
    )
