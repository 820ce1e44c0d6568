"""Title normalisation, record-to-paper matching, and merging paper lists across sources."""

from __future__ import annotations

import pytest

from scraper import matching
from scraper.matching import match_records, merge_papers, normalize_title
from scraper.models import LinkRecord, Paper


def paper(
    title: str, native_id: str = "", *, venue: str = "cvpr", year: int = 2023, **kw: object
) -> Paper:
    source = str(kw.pop("source", "cvf"))
    return Paper(
        venue=venue,
        year=year,
        native_id=native_id or title[:20],
        title=title,
        source=source,
        **kw,  # type: ignore[arg-type]
    )


def record(title: str | None, url: str = "https://github.com/o/r", **kw: object) -> LinkRecord:
    return LinkRecord(source=str(kw.pop("source", "pwc")), url=url, title=title, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- normalize_title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Deep Residual Learning for Image Recognition",
            "deep residual learning for image recognition",
        ),
        (
            "  Deep   residual\nlearning for image recognition. ",
            "deep residual learning for image recognition",
        ),
        ('"A Simple Approach and Benchmark"', "a simple approach and benchmark"),
        (
            "You Only Look Once: Unified, Real-Time Object Detection",
            "you only look once unified realtime object detection",
        ),
        ("Pre-training vs. Pretraining", "pretraining vs pretraining"),
        (
            "Real\u2013Time \u2014 Fast\u2011Track",
            "realtime fasttrack",
        ),  # en/em dash, non-breaking hyphen
        (
            "{BERT}: Pre-training of Deep Bidirectional Transformers",
            "bert pretraining of deep bidirectional transformers",
        ),
        ("\\emph{Mask} R-CNN", "mask rcnn"),
        (
            "$\\ell_1$-regression with Heavy-tailed Distributions",
            "l1regression with heavytailed distributions",
        ),
        (
            "\u21131-Regression with Heavy-Tailed Distributions",
            "l1regression with heavytailed distributions",
        ),
        ("$\\alpha$-Divergence and \u03b1-divergence", "alphadivergence and alphadivergence"),
        ("Schr\\\"{o}dinger Bridges for Caf\\'e", "schrodinger bridges for cafe"),
        ("Schrödinger Bridges for Café", "schrodinger bridges for cafe"),
        ("Q&amp;A over Tables &amp; Text", "q and a over tables and text"),
        ("Models\u2019 Performance (Un)solved", "models performance un solved"),
        ("ＦｕｌｌＷｉｄｔｈ Title", "fullwidth title"),
        ("", ""),
    ],
)
def test_normalize_title(title: str, expected: str) -> None:
    assert normalize_title(title) == expected


# ----------------------------------------------------------------------------- match_records


def test_match_by_arxiv_id_ignoring_version_and_prefix() -> None:
    papers = [
        paper("Deep Residual Learning", arxiv_id="1512.03385"),
        paper("Other", arxiv_id="1706.03762"),
    ]
    records = [record("A completely different title", arxiv_id="arXiv:1512.03385v2")]
    assert match_records(papers, records) == [(papers[0], records[0], "arxiv")]


def test_match_by_native_id() -> None:
    papers = [paper("Graph Attention Networks", "rJXMpikCZ", venue="iclr", year=2018)]
    records = [record("Graph attention nets (camera ready)", native_id="rJXMpikCZ")]
    assert match_records(papers, records) == [(papers[0], records[0], "native_id")]


def test_match_by_exact_normalised_title() -> None:
    papers = [
        paper("You Only Look Once: Unified, Real-Time Object Detection"),
        paper("Toward Transformer-Based Object Detection"),
    ]
    records = [
        record("You only look once - unified, real time object detection"),
        record("Toward Transformer Based Object Detection"),  # hyphen vs space
    ]
    matched = match_records(papers, records)
    assert [(p.title, how) for p, _, how in matched] == [
        ("You Only Look Once: Unified, Real-Time Object Detection", "title-exact"),
        ("Toward Transformer-Based Object Detection", "title-exact"),
    ]


PROCEEDINGS = [
    "Towards Open World Object Detection",
    "Planning-Oriented Autonomous Driving",
    "Modelling Relational Data with Graph Convolutional Networks",
    "Attention is not Explanation",
    "Learning to Learn by Gradient Descent by Gradient Descent",
    "Masked Autoencoders Are Scalable Vision Learners",
    "Denoising Diffusion Probabilistic Models",
    "A Simple Framework for Contrastive Learning of Visual Representations",
    "Deep Residual Learning for Image Recognition",
    "Identity Mappings in Deep Residual Networks",
    "YOLO9000: Better, Faster, Stronger",
    "Relational Recurrent Neural Networks",
]


@pytest.mark.parametrize(
    ("record_title", "expected"),
    [
        ("Toward Open World Object Detection", "Towards Open World Object Detection"),
        ("UniAD: Planning-oriented Autonomous Driving", "Planning-Oriented Autonomous Driving"),
        (
            "Modeling Relational Data with Graph Convolutional Networks",
            "Modelling Relational Data with Graph Convolutional Networks",
        ),
        (
            "Simple Framework for Contrastive Learning of Visual Representations",
            "A Simple Framework for Contrastive Learning of Visual Representations",
        ),
    ],
)
def test_fuzzy_matches_near_duplicates(record_title: str, expected: str) -> None:
    papers = [paper(t) for t in PROCEEDINGS]
    records = [record(record_title)]
    [(matched, _, how)] = match_records(papers, records)
    assert (matched.title, how) == (expected, "title-fuzzy")


@pytest.mark.parametrize(
    "record_title",
    [
        "Attention is not not Explanation",
        "Learning to Learn without Gradient Descent by Gradient Descent",
        "Masked Autoencoders As Spatiotemporal Learners",
        "Denoising Diffusion Implicit Models",
        "Improved Denoising Diffusion Probabilistic Models",
        "Deep Residual Learning for Image Segmentation",
        "YOLOv3: An Incremental Improvement",
        "Recurrent Relational Networks",
        "Open World Object Detection: A Survey",  # the shared part is too short to trust
        None,
        "",
    ],
)
def test_different_papers_with_similar_titles_do_not_match(record_title: str | None) -> None:
    papers = [paper(t) for t in PROCEEDINGS]
    assert match_records(papers, [record(record_title)]) == []


def test_threshold_is_respected() -> None:
    papers = [paper(t) for t in PROCEEDINGS]
    records = [record("Toward Open World Object Detection")]
    assert len(match_records(papers, records, threshold=0.9)) == 1
    assert match_records(papers, records, threshold=0.999) == []


def test_a_tie_is_not_matched() -> None:
    papers = [
        paper("Neural Ordinary Differential Equations", "a"),
        paper("Neural Ordinary Differential Equations.", "b"),
    ]
    assert match_records(papers, [record("neural ordinary differential equations")]) == []
    assert match_records(papers, [record("Neural Ordinary Differential Equation")]) == []


def test_venue_and_year_of_a_record_must_agree() -> None:
    papers = [paper("Graph Attention Networks", venue="iclr", year=2018)]
    assert (
        match_records(papers, [record("Graph Attention Networks", venue="iclr", year=2019)]) == []
    )
    assert (
        match_records(papers, [record("Graph Attention Networks", venue="icml", year=2018)]) == []
    )
    assert (
        len(match_records(papers, [record("Graph Attention Networks", venue="iclr", year=2018)]))
        == 1
    )
    assert len(match_records(papers, [record("Graph Attention Networks")])) == 1  # PwC: no venue


def test_conflicting_arxiv_ids_block_a_title_match() -> None:
    papers = [paper("Deep Residual Learning for Image Recognition", arxiv_id="1512.03385")]
    assert (
        match_records(
            papers, [record("Deep Residual Learning for Image Recognition", arxiv_id="1603.05027")]
        )
        == []
    )
    assert len(match_records(papers, [record("Deep Residual Learning for Image Recognition")])) == 1


def test_each_record_matches_at_most_one_paper_and_papers_take_many_records() -> None:
    papers = [paper(t) for t in PROCEEDINGS]
    records = [
        record("Deep Residual Learning for Image Recognition", "https://github.com/a/1"),
        record("Identity Mappings in Deep Residual Networks", "https://github.com/a/2"),
        record("Deep residual learning for image recognition", "https://github.com/a/3"),
        record("Unrelated Paper About Proteins", "https://github.com/a/4"),
    ]
    matched = match_records(papers, records)
    assert [(r.url, p.title) for p, r, _ in matched] == [
        ("https://github.com/a/1", "Deep Residual Learning for Image Recognition"),
        ("https://github.com/a/2", "Identity Mappings in Deep Residual Networks"),
        ("https://github.com/a/3", "Deep Residual Learning for Image Recognition"),
    ]


def test_bulk_fuzzy_matching_is_chunked_consistently(monkeypatch: pytest.MonkeyPatch) -> None:
    papers = [paper(t) for t in PROCEEDINGS]
    records = [
        record("Toward Open World Object Detection"),
        record("Modeling Relational Data with Graph Convolutional Networks"),
        record("Attention is not not Explanation"),
    ]
    whole = match_records(papers, records)
    monkeypatch.setattr(matching, "_CHUNK", 1)
    assert match_records(papers, records) == whole
    assert len(whole) == 2


def test_empty_inputs() -> None:
    assert match_records([], [record("x")]) == []
    assert match_records([paper("x")], []) == []


def test_match_titles_and_best_title_match() -> None:
    candidates = [
        "Towards Planning-Oriented Autonomous Driving: A Survey",
        "Planning-oriented Autonomous Driving",
        "Planning-Oriented Autonomous Driving with Diffusion Priors",
    ]
    assert matching.best_title_match("Planning-Oriented Autonomous Driving", candidates) == 1
    assert matching.best_title_match("Planning Oriented Driving Benchmarks", candidates) is None
    assert matching.best_title_match("anything", []) is None
    assert matching.match_titles(
        ["Planning-oriented autonomous driving.", "Unrelated"], candidates
    ) == [1, None]


# ----------------------------------------------------------------------------- merge_papers


def test_merge_proceedings_openreview_and_paperlists() -> None:
    proceedings = [
        paper(
            "Towards Open World Object Detection",
            "Joseph_Towards_Open_World_CVPR_2021_paper",
            year=2021,
            source="cvf",
            pdf_url="https://openaccess.thecvf.com/x.pdf",
        ),
        paper("Attention is not Explanation", "Jain_Attention", year=2021, source="cvf"),
        paper("Deep Residual Learning for Image Recognition", "He_Deep", year=2021, source="cvf"),
    ]
    openreview = [
        paper(
            "Toward Open World Object Detection",
            "Hk99zCeAb",
            year=2021,
            source="openreview",
            openreview_id="Hk99zCeAb",
            abstract="We propose ORE.",
        ),
        paper("Attention is not not Explanation", "Bk2d", year=2021, source="openreview"),
    ]
    paperlists = [
        paper(
            "Towards Open World Object Detection",
            "Hk99zCeAb",
            year=2021,
            source="paperlists",
            arxiv_id="2103.02603",
            code_urls=("https://github.com/JosephKJ/OWOD",),
        ),
        paper(
            "Deep residual learning for image recognition.",
            "t1a2b3c4d5e",
            year=2021,
            source="paperlists",
            code_urls=("https://github.com/KaimingHe/deep-residual-networks",),
        ),
        paper("Graph Attention Networks", "rJXMpikCZ", year=2021, source="paperlists"),
    ]
    merged = merge_papers([proceedings, openreview, paperlists])
    assert [(p.title, seen) for p, seen in merged] == [
        ("Towards Open World Object Detection", ["cvf", "openreview", "paperlists"]),
        ("Attention is not Explanation", ["cvf"]),
        ("Deep Residual Learning for Image Recognition", ["cvf", "paperlists"]),
        ("Attention is not not Explanation", ["openreview"]),  # a different paper
        ("Graph Attention Networks", ["paperlists"]),
    ]
    owod = merged[0][0]
    assert owod.native_id == "Joseph_Towards_Open_World_CVPR_2021_paper"  # the first list's record
    assert owod.source == "cvf" and owod.pdf_url == "https://openaccess.thecvf.com/x.pdf"
    assert owod.openreview_id == "Hk99zCeAb" and owod.abstract == "We propose ORE."  # gaps filled
    assert owod.arxiv_id == "2103.02603"
    assert owod.code_urls == ("https://github.com/JosephKJ/OWOD",)
    assert merged[2][0].code_urls == ("https://github.com/KaimingHe/deep-residual-networks",)


def test_merge_remembers_the_ids_and_titles_of_folded_entries() -> None:
    proceedings = [paper("Planning-Oriented Autonomous Driving", "Hu_Planning", source="cvf")]
    openreview = [
        paper("UniAD: Planning-oriented Autonomous Driving", "or123", source="openreview")
    ]
    paperlists = [
        paper("UniAD - a different spelling of the title", "or123", source="paperlists"),
        paper("UniAD: Planning-Oriented Autonomous Driving!", "t0", source="paperlists2"),
    ]
    merged = merge_papers([proceedings, openreview, paperlists])
    assert [(p.native_id, seen) for p, seen in merged] == [
        ("Hu_Planning", ["cvf", "openreview", "paperlists", "paperlists2"])
    ]  # by the OpenReview id, and by the OpenReview title


def test_merge_keeps_venues_and_years_apart() -> None:
    merged = merge_papers(
        [
            [paper("Graph Attention Networks", "a", venue="iclr", year=2018)],
            [paper("Graph Attention Networks", "a", venue="iclr", year=2019, source="paperlists")],
        ]
    )
    assert len(merged) == 2


def test_merge_one_fuzzy_claim_per_list() -> None:
    first = [paper("Towards Open World Object Detection", "p1")]
    second = [
        paper("Toward Open World Object Detection", "x1", source="paperlists"),
        paper("Towards Open-World Object Detections", "x2", source="paperlists"),
    ]
    merged = merge_papers([first, second])
    assert len(merged) == 2  # the first list's paper absorbs at most one of them by resemblance
    assert merged[0][1] == ["cvf", "paperlists"]
    assert merged[1][1] == ["paperlists"]


def test_merge_exact_duplicates_within_a_later_list_fold_together() -> None:
    first = [
        paper(
            "A Unified Approach to Interpreting Model Predictions",
            "9253",
            venue="neurips",
            year=2017,
            source="neurips",
        )
    ]
    second = [
        paper(
            "A unified approach to interpreting model predictions",
            "x1",
            venue="neurips",
            year=2017,
            source="paperlists",
        ),
        paper(
            "A Unified Approach to Interpreting Model Predictions",
            "x2",
            venue="neurips",
            year=2017,
            source="paperlists",
        ),
    ]
    merged = merge_papers([first, second])
    assert [(p.native_id, seen) for p, seen in merged] == [("9253", ["neurips", "paperlists"])]


def test_merge_single_and_empty_lists() -> None:
    only = [paper("One"), paper("Two")]
    assert merge_papers([only]) == [(only[0], ["cvf"]), (only[1], ["cvf"])]
    assert merge_papers([]) == []
    assert merge_papers([[], only]) == [(only[0], ["cvf"]), (only[1], ["cvf"])]
