from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.topics import (
    MIN_DOCS,
    NO_TOPIC,
    assign,
    compute_topics,
    fit_topics,
    n_topics_for,
    topic_shares,
)

if TYPE_CHECKING:
    from conftest import DbTools

# Three research areas with their own vocabulary, written like (short) abstracts.
AREAS = {
    "vision": "image segmentation pixel mask semantic scene convolutional boundary instance",
    "language": "language translation sentence token corpus transformer multilingual parsing",
    "control": "reinforcement policy reward agent environment exploration robot trajectory",
}
FILLER = "we propose a novel method and show results on experiments with strong performance"


def abstract(area: str, i: int) -> str:
    """A fixed pseudo-random abstract: the filler plus 12 words of the area's vocabulary."""
    words = AREAS[area].split()
    rng = random.Random(f"{area}-{i}")
    return f"{FILLER} {' '.join(rng.choices(words, k=12))}."


def corpus(per_area: int) -> list[tuple[str, str]]:
    return [(area, abstract(area, i)) for area in AREAS for i in range(per_area)]


def test_n_topics_scales_with_the_corpus() -> None:
    assert n_topics_for(MIN_DOCS - 1) == 0
    assert n_topics_for(MIN_DOCS) == 2
    assert n_topics_for(100) == 3
    assert n_topics_for(1000) == 10
    assert n_topics_for(1_000_000) == 12
    sizes = [n_topics_for(n) for n in range(MIN_DOCS, 5000, 97)]
    assert sizes == sorted(sizes)  # never fewer topics for a larger corpus


def test_topics_recover_the_areas_and_are_named_by_top_terms() -> None:
    docs = corpus(20)
    model = fit_topics([t for _, t in docs], 3)
    labels = model.labels
    assert len(labels) == 3 and all(len(lab.split(", ")) == 3 for lab in labels)
    # boilerplate words never name a topic (stop words and research stop words)
    assert not {"propose", "novel", "method", "results"} & {w for t in model.terms for w in t}
    topics = assign(model, [t for _, t in docs])
    by_area = {area: set(topics[[a == area for a, _ in docs]]) for area in AREAS}
    # each area maps to exactly one topic, and different areas to different topics
    assert all(len(t) == 1 for t in by_area.values())
    assert len(set(itertools.chain(*by_area.values()))) == 3
    for area, (topic,) in by_area.items():
        assert set(model.terms[topic][:3]) <= set(AREAS[area].split()), (area, labels[topic])


def test_topics_are_stable_across_runs() -> None:
    texts = [t for _, t in corpus(15)]
    a, b = fit_topics(texts, 3), fit_topics(texts, 3)
    assert a.labels == b.labels
    assert np.array_equal(assign(a, texts), assign(b, texts))
    assert np.allclose(a.nmf.components_, b.nmf.components_)


def test_a_text_without_known_terms_gets_no_topic() -> None:
    model = fit_topics([t for _, t in corpus(10)], 3)
    got = assign(model, ["zzz qqq", "", abstract("control", 3)])
    assert got[0] == NO_TOPIC and got[1] == NO_TOPIC and got[2] != NO_TOPIC
    assert len(assign(model, [])) == 0


def test_fit_rejects_texts_without_terms() -> None:
    with pytest.raises(ValueError, match="no usable terms"):
        fit_topics(["the and of", "a an the"], 2)


def test_topic_shares() -> None:
    assigned = pd.DataFrame(
        {
            "topic": [0, 0, 0, 1, NO_TOPIC],
            "frameworks": [["pytorch"], ["pytorch", "jax"], ["tensorflow"], ["jax"], ["pytorch"]],
        }
    )
    out = topic_shares(assigned, ["vision, image, pixel", "control, robot, policy"])
    got = {(r.topic, r.framework): (r.numerator, r.denominator_size) for r in out.itertuples()}
    assert got[(0, "pytorch")] == (2, 3) and got[(0, "jax")] == (1, 3)
    assert got[(1, "jax")] == (1, 1) and got[(1, "pytorch")] == (0, 1)
    assert set(out.label) == {"vision, image, pixel", "control, robot, policy"}
    assert out.ci_low.between(0, 1).all() and (out.ci_low <= out.share).all()


def _papers_with_abstracts(con: duckdb.DuckDBPyConnection, tools: DbTools, n: int) -> None:
    """``n`` papers per area; vision papers use PyTorch, language TensorFlow, control JAX."""
    fws = {"vision": "pytorch", "language": "tensorflow", "control": "jax"}
    for area in AREAS:
        tools.add_papers(con, "cvpr", 2023, n, frameworks=[fws[area]], tag=area)
        texts = [abstract(area, i) for i in range(n)]
        con.execute(
            "UPDATE papers SET abstract = $texts[(split_part(native_id, '-', 2)::INTEGER + 1)] "
            "WHERE native_id LIKE $tag || '-%'",
            {"texts": texts, "tag": area},
        )


def test_compute_topics_from_the_database(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    _papers_with_abstracts(db, tools, 20)
    tools.add_papers(db, "cvpr", 2023, 5, link=False, tag="nocode")  # title only, no code
    result = compute_topics(db)
    assert result.n_topics == 3 and result.fit_docs == 65 and result.fit_total == 65
    assert result.assigned_docs == 60 and result.assign_total == 60
    assert "3 topics" in result.note and "sample" not in result.note
    assert result.topics["d1_papers"].sum() == 60
    shares = result.shares.set_index(["topic", "framework"])
    # each topic is one area, so one framework has all of its papers
    for topic in result.topics["topic"]:
        top = shares.loc[topic].sort_values("share", ascending=False).iloc[0]
        assert top["share"] == pytest.approx(1.0) and top["denominator_size"] == 20
    by_fw = result.shares[result.shares.share == 1.0].set_index("framework")["label"]
    assert set(by_fw["pytorch"].split(", ")) <= set(AREAS["vision"].split())
    assert set(by_fw["jax"].split(", ")) <= set(AREAS["control"].split())
    again = compute_topics(db)
    assert again.topics.equals(result.topics) and again.shares.equals(result.shares)


def test_compute_topics_samples_above_the_caps(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    _papers_with_abstracts(db, tools, 20)
    result = compute_topics(db, fit_docs=40, assign_docs=30)
    assert (result.fit_docs, result.fit_total) == (40, 60)
    assert (result.assigned_docs, result.assign_total) == (30, 60)
    assert "a fixed md5-ordered sample of 60" in result.note
    assert int(result.topics["d1_papers"].sum()) == 30
    # the same papers every time
    assert compute_topics(db, fit_docs=40, assign_docs=30).topics.equals(result.topics)


def test_titles_stand_in_for_missing_abstracts(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    _papers_with_abstracts(db, tools, 40)
    # control: no abstract; language: a blank one. Both carry their area's words in the title
    db.execute("UPDATE papers SET title = abstract WHERE native_id NOT LIKE 'vision-%'")
    db.execute("UPDATE papers SET abstract = NULL WHERE native_id LIKE 'control-%'")
    db.execute("UPDATE papers SET abstract = '  ' WHERE native_id LIKE 'language-%'")
    # and two papers with nothing to read at all
    tools.add_papers(db, "cvpr", 2023, 2, link=False, tag="blank")
    db.execute("UPDATE papers SET title = ' ', abstract = '' WHERE native_id LIKE 'blank-%'")
    result = compute_topics(db)
    assert result.fit_docs == 120 and result.fit_total == 122 and result.n_topics == 3
    labels = [set(label.split(", ")) for label in result.topics["label"]]
    for area in AREAS:  # every area, read from abstracts or titles, names one topic
        assert sum(label <= set(AREAS[area].split()) for label in labels) == 1, area


def test_too_few_papers(db: duckdb.DuckDBPyConnection, tools: DbTools) -> None:
    tools.add_papers(db, "cvpr", 2023, 5, frameworks=["pytorch"])
    result = compute_topics(db)
    assert result.empty and result.topics.empty and result.shares.empty
    assert result.note.startswith("No research areas: topics need at least 30 papers")
    assert "has 5" in result.note
