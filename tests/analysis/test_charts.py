from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.charts import FRAMEWORK_STYLES, figure_png, plot_adoption, save_png
from analysis.claims import Claim
from analysis.trends import query_adoption

if TYPE_CHECKING:
    from conftest import DbTools


def claim(cid: str, venues: tuple[str, ...], fw: str, rng: tuple[float, float]) -> Claim:
    return Claim(
        id=cid,
        source="s",
        wording="w",
        venues=venues,
        years=(2022, 2023, 2024),
        frameworks=(fw,),
        range=rng,
        denominators=("D1", "D2", "D3"),
    )


def _by_gid(fig: Figure, prefix: str) -> dict[str, object]:
    ax = fig.axes[0]
    artists = [*ax.lines, *ax.collections, *ax.patches]
    return {a.get_gid(): a for a in artists if (a.get_gid() or "").startswith(prefix)}


def test_lines_bands_and_claims(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_adoption(populated)
    claims = [
        claim("pt", ("cvpr",), "pytorch", (0.70, 0.75)),
        claim("pt-pooled", ("neurips", "icml", "cvpr"), "pytorch", (0.70, 0.75)),  # same band
        claim("tf", ("cvpr",), "tensorflow", (0.15, 0.20)),
        claim("other-venue", ("icml",), "pytorch", (0.1, 0.2)),
    ]
    fig = plot_adoption(df, "cvpr", "D1", claims)
    ax = fig.axes[0]

    lines = _by_gid(fig, "share:")
    assert set(lines) == {"share:pytorch", "share:tensorflow", "share:jax"}
    # most used first: PyTorch (6), then TensorFlow (2) and JAX (1)
    assert [ln.get_label() for ln in ax.get_lines()] == ["PyTorch", "TensorFlow", "JAX"]
    pt = lines["share:pytorch"]
    assert list(pt.get_xdata()) == [2022, 2023]
    assert list(pt.get_ydata()) == pytest.approx([200 / 3, 80.0])
    assert pt.get_color() == FRAMEWORK_STYLES["pytorch"][0]
    assert pt.get_marker() == "o"

    bands = _by_gid(fig, "ci:")
    assert set(bands) == {"ci:pytorch", "ci:tensorflow", "ci:jax"}
    assert all(isinstance(b, PolyCollection) for b in bands.values())
    ys = bands["ci:pytorch"].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(20.766, abs=1e-2)  # Wilson low of 2/3
    assert ys.max() == pytest.approx(96.378, abs=1e-2)  # Wilson high of 4/5

    rects = _by_gid(fig, "claim:")
    assert set(rects) == {"claim:pt", "claim:tf"}  # pooled duplicate and ICML claim skipped
    r = rects["claim:pt"]
    assert isinstance(r, Rectangle)
    assert (r.get_x(), r.get_y()) == pytest.approx((2021.6, 70.0))
    assert (r.get_width(), r.get_height()) == pytest.approx((2.8, 5.0))

    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2022\nn=3", "2023\nn=5", "2024\nn=–"]
    assert ax.get_ylim() == (0.0, 100.0)
    assert "%" in ax.get_ylabel() and ax.get_xlabel().startswith("Year")
    assert fig.get_suptitle() == "CVPR: papers using each framework (D1)"
    assert tuple(fig.get_size_inches()) == (9.0, 5.0)
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_other_denominator_and_its_sizes(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_adoption(populated)
    fig = plot_adoption(df, "cvpr", "D3", [claim("pt", ("cvpr",), "pytorch", (0.7, 0.75))])
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:2] == ["2022\nn=11", "2023\nn=8"]
    assert "claim:pt" in _by_gid(fig, "claim:")
    d4 = plot_adoption(df, "cvpr", "D4", [claim("pt", ("cvpr",), "pytorch", (0.7, 0.75))])
    assert set(_by_gid(d4, "share:")) == {"share:pytorch", "share:tensorflow"}
    assert _by_gid(d4, "claim:") == {}  # the claim is not about D4


def test_single_year_uses_markers_and_error_bars(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    tools.add_papers(db, "iclr", 2024, 3, frameworks=["jax"])
    tools.add_papers(db, "iclr", 2024, 1, frameworks=["pytorch"])
    fig = plot_adoption(query_adoption(db), "iclr")
    lines = _by_gid(fig, "share:")
    assert lines["share:jax"].get_marker() == "o"
    assert list(lines["share:jax"].get_ydata()) == [75.0]
    bars = _by_gid(fig, "ci:")
    assert set(bars) == {"ci:jax", "ci:pytorch"}
    assert all(isinstance(b, LineCollection) for b in bars.values())
    seg = bars["ci:jax"].get_segments()[0]
    assert seg[:, 1].min() == pytest.approx(30.06, abs=0.01)  # Wilson interval of 3/4


def test_years_without_denominator_leave_a_gap(
    db: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    tools.add_papers(db, "cvpr", 2021, 2, frameworks=["pytorch"])
    tools.add_papers(db, "cvpr", 2022, 2, link=False)  # no D1 paper this year
    tools.add_papers(db, "cvpr", 2023, 2, frameworks=["pytorch"])
    fig = plot_adoption(query_adoption(db), "cvpr")
    y = _by_gid(fig, "share:")["share:pytorch"].get_ydata()
    assert y[0] == 100.0 and pd.isna(y[1]) and y[2] == 100.0
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["2021\nn=2", "2022\nn=0", "2023\nn=2"]


def test_no_data_figures(populated: duckdb.DuckDBPyConnection) -> None:
    df = query_adoption(populated)
    for fig in (
        plot_adoption(df.iloc[0:0], "cvpr"),  # empty frame
        plot_adoption(df, "neurips"),  # papers, but none in D1
        plot_adoption(df, "iclr"),  # venue absent
    ):
        ax = fig.axes[0]
        assert any("No data" in t.get_text() for t in ax.texts)
        assert not ax.lines and not ax.collections and not ax.patches
        assert not ax.axison


def test_save_png(populated: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = save_png(plot_adoption(query_adoption(populated), "cvpr"), tmp_path / "c.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
