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


def test_framework_mix_chart(populated: duckdb.DuckDBPyConnection) -> None:
    from analysis.charts import MIX_STYLES, plot_framework_mix
    from analysis.trends import query_framework_mix

    fig = plot_framework_mix(query_framework_mix(populated))
    ax = fig.axes[0]
    segments: dict[str, list[Rectangle]] = {}
    for patch in ax.patches:
        segments.setdefault(patch.get_gid() or "", []).append(patch)
    assert set(segments) == {f"mix:{c}" for c in MIX_STYLES}
    # one segment per year and category; each year's bar stacks to 100%
    assert all(len(s) == 2 for s in segments.values())
    tops = {}
    for patches in segments.values():
        for p in patches:
            year = round(p.get_x() + p.get_width() / 2)
            tops[year] = max(tops.get(year, 0.0), p.get_y() + p.get_height())
    assert tops == pytest.approx({2022: 100.0, 2023: 100.0})
    pt = sorted(segments["mix:pytorch"], key=lambda p: p.get_x())
    assert [p.get_height() for p in pt] == pytest.approx([200 / 3, 60.0])  # 2 of 3, 3 of 5
    both = sorted(segments["mix:pytorch+tensorflow"], key=lambda p: p.get_x())
    assert both[1].get_hatch() == "//" and both[1].get_height() == pytest.approx(20.0)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2022\nn=3", "2023\nn=5"]
    assert "%" in ax.get_ylabel() and ax.get_xlabel().startswith("Year")
    assert "all venues pooled" in fig.get_suptitle()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "PyTorch (not TensorFlow)",
        "TensorFlow (not PyTorch)",
        "PyTorch and TensorFlow",
        "JAX (neither of the two)",
        "Other framework only",
    ]
    assert figure_png(fig)[:4] == b"\x89PNG"
    empty = plot_framework_mix(query_framework_mix(populated).iloc[0:0])
    assert any("No D1 papers" in t.get_text() for t in empty.axes[0].texts)


def test_small_multiples_one_panel_per_venue(
    populated: duckdb.DuckDBPyConnection, tools: DbTools
) -> None:
    from analysis.charts import plot_small_multiples

    tools.add_papers(populated, "iclr", 2023, 4, frameworks=["jax"])
    tools.add_papers(populated, "iclr", 2024, 2, frameworks=["pytorch"])
    fig = plot_small_multiples(query_adoption(populated), "D1", ncols=2)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["CVPR (n = 8)", "ICLR (n = 6)"]
    blank = [ax for ax in fig.axes if not ax.axison]
    # NeurIPS has papers but none in D1: its panel says so; the 4th grid cell is unused
    assert any("NeurIPS: no D1 papers" in t.get_text() for ax in blank for t in ax.texts)
    assert len(fig.axes) == 4
    lines = {ln.get_gid(): ln for ax in panels for ln in ax.get_lines()}
    # the same frameworks (most used overall first) in every panel, same colours
    assert set(lines) == {
        f"share:{v}:{f}" for v in ("cvpr", "iclr") for f in ("pytorch", "jax", "tensorflow")
    }
    assert lines["share:iclr:jax"].get_color() == FRAMEWORK_STYLES["jax"][0]
    assert list(lines["share:iclr:jax"].get_ydata()) == pytest.approx([100.0, 0.0])
    iclr = panels[1]
    assert [t.get_text() for t in iclr.get_xticklabels()] == ["2023\nn=4", "2024\nn=2"]
    assert panels[0].get_ylim() == (0.0, 100.0) and "%" in panels[0].get_ylabel()
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["PyTorch", "JAX", "TensorFlow"]
    assert "per venue" in fig.get_suptitle()
