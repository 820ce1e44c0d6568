"""Charts as matplotlib ``Figure`` objects (object API, Agg canvas, no pyplot state).

Each framework keeps one colour (Okabe-Ito, colour-blind safe) and line style in every chart.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from analysis.claims import Claim
from analysis.trends import DENOMINATORS, framework_label, venue_label

FIGSIZE = (9.0, 5.0)
DPI = 110

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

FRAMEWORK_STYLES: dict[str, tuple[str, str]] = {
    "pytorch": (OKABE_ITO["vermillion"], "-"),
    "tensorflow": (OKABE_ITO["blue"], "-"),
    "jax": (OKABE_ITO["bluish_green"], "-"),
    "keras": (OKABE_ITO["reddish_purple"], "-"),
    "mxnet": (OKABE_ITO["sky_blue"], "-"),
    "caffe": (OKABE_ITO["orange"], "-"),
    "paddle": (OKABE_ITO["black"], "-"),
    "chainer": (OKABE_ITO["black"], "--"),
    "theano": (OKABE_ITO["black"], ":"),
    "lua-torch": (OKABE_ITO["black"], "-."),
    "mindspore": (OKABE_ITO["grey"], "-"),
    "oneflow": (OKABE_ITO["grey"], "--"),
    "cntk": (OKABE_ITO["grey"], ":"),
    "dynet": (OKABE_ITO["grey"], "-."),
}
"""Fixed (colour, line style) per framework id; any other id is grey and dotted."""

_OTHER_STYLE = (OKABE_ITO["grey"], ":")


def framework_style(framework: str) -> tuple[str, str]:
    """(colour, line style) of a framework id."""
    return FRAMEWORK_STYLES.get(framework, _OTHER_STYLE)


def plot_adoption(
    df: pd.DataFrame,
    venue: str,
    denominator: str = "D1",
    claims: Sequence[Claim] = (),
    *,
    max_frameworks: int = 8,
) -> Figure:
    """Share of papers using each framework, per year, for one venue and denominator.

    ``df`` has the columns of ``trends.query_adoption`` (other venues/denominators are
    filtered out). Draws, per framework with at least one user (most used first, at most
    ``max_frameworks``): a line with markers (artist gid ``share:<framework>``) and its 95%
    Wilson interval (gid ``ci:<framework>``: a band, or an error bar when only one year has
    data). Claims about this venue and denominator are drawn as shaded rectangles over the
    claim's years (gid ``claim:<id>``). Tick labels give each year's denominator size n.
    An empty selection gives a figure that says there is no data.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.suptitle(f"{venue_label(venue)}: papers using each framework ({denominator})")

    sub = df[(df["venue"] == venue) & (df["denominator"] == denominator)]
    if sub.empty or int(sub["denominator_size"].max()) == 0:
        ax.text(
            0.5,
            0.5,
            f"No data for {venue_label(venue)} ({denominator}) yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=14,
        )
        ax.set_axis_off()
        return fig

    n_by_year = sub.groupby("year")["denominator_size"].max()
    totals = sub.groupby("framework")["numerator"].sum()
    totals = totals[totals > 0]
    order = sorted(totals.index, key=lambda f: (-int(totals[f]), f))[:max_frameworks]

    years = sorted(int(y) for y in n_by_year.index)
    for fw in order:
        colour, style = framework_style(fw)
        d = sub[sub["framework"] == fw].set_index("year").reindex(years)
        valid = d["denominator_size"] > 0
        x = pd.Series(years, index=years)
        pct = d["share"].astype(float) * 100
        lo = d["ci_low"].astype(float) * 100
        hi = d["ci_high"].astype(float) * 100
        ax.plot(
            x,
            pct.where(valid),
            color=colour,
            linestyle=style,
            marker="o",
            label=framework_label(fw),
            gid=f"share:{fw}",
        )
        if int(valid.sum()) > 1:
            ax.fill_between(
                x[valid], lo[valid], hi[valid], color=colour, alpha=0.15, lw=0, gid=f"ci:{fw}"
            )
        else:
            ys = x[valid]
            bars = ax.errorbar(
                ys,
                pct[valid],
                yerr=[pct[valid] - lo[valid], hi[valid] - pct[valid]],
                fmt="none",
                ecolor=colour,
                capsize=6,
            )
            bars.lines[2][0].set_gid(f"ci:{fw}")

    claim_years = _draw_claims(ax, claims, venue, denominator)

    all_years = sorted(set(years) | claim_years)
    ax.set_xticks(all_years)
    ax.set_xticklabels([_tick(y, n_by_year) for y in all_years])
    ax.set_xlim(all_years[0] - 0.6, all_years[-1] + 0.6)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_xlabel("Year (n = papers in the denominator)")
    ax.set_ylabel(f"Share of {denominator} papers (%)")
    ax.set_title(
        f"{denominator}: {DENOMINATORS.get(denominator, denominator)}; bands: 95% Wilson interval",
        fontsize=8,
        loc="left",
        color="#444444",
    )
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    return fig


def _tick(year: int, n_by_year: pd.Series) -> str:
    n = n_by_year.get(year)
    return f"{year}\nn={int(n):,}" if n is not None and not math.isnan(n) else f"{year}\nn=–"


def _draw_claims(ax: Axes, claims: Sequence[Claim], venue: str, denominator: str) -> set[int]:
    """Shade each distinct claimed range about ``venue`` under ``denominator``."""
    drawn: set[tuple[tuple[str, ...], tuple[float, float], tuple[int, ...]]] = set()
    years: set[int] = set()
    for c in claims:
        if venue not in c.venues or denominator not in c.denominators:
            continue
        key = (c.frameworks, c.range, c.years)
        if key in drawn:
            continue
        drawn.add(key)
        colour, _ = framework_style(c.frameworks[0])
        lo, hi = c.range
        x0, x1 = min(c.years) - 0.4, max(c.years) + 0.4
        rect = Rectangle(
            (x0, lo * 100),
            x1 - x0,
            (hi - lo) * 100,
            facecolor=colour,
            edgecolor=colour,
            alpha=0.15,
            hatch="//",
            linewidth=0.8,
            label=f"claimed {c.framework_label} {lo * 100:.0f}–{hi * 100:.0f}%",
            gid=f"claim:{c.id}",
        )
        ax.add_patch(rect)
        years.update(c.years)
    return years


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (for embedding)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def save_png(fig: Figure, path: Path) -> Path:
    """Write the figure as a PNG file and return its path."""
    path = Path(path)
    path.write_bytes(figure_png(fig))
    return path
