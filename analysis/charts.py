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
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from analysis.claims import Claim
from analysis.trends import (
    DENOMINATORS,
    MIX_CATEGORIES,
    framework_label,
    pool_framework_mix,
    venue_label,
)

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
        if not isinstance(c, Claim):  # a stars claim has no share to draw
            continue
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


MIX_STYLES: dict[str, tuple[str, str]] = {
    "pytorch": (OKABE_ITO["vermillion"], ""),
    "tensorflow": (OKABE_ITO["blue"], ""),
    "pytorch+tensorflow": (OKABE_ITO["reddish_purple"], "//"),
    "jax": (OKABE_ITO["bluish_green"], ""),
    "other": (OKABE_ITO["grey"], ".."),
}
"""(colour, hatch) per framework-mix category: the frameworks' own colours, hatched for mixes."""


def plot_framework_mix(mix: pd.DataFrame) -> Figure:
    """Stacked shares of D1 papers per year, all venues pooled, in ``MIX_CATEGORIES``.

    ``mix`` has the columns of ``trends.query_framework_mix``. Each year is one bar of height
    100% split into the categories (each bar segment's gid is ``mix:<category>``); tick labels give
    the year's n. An empty frame gives a figure that says there is no data.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.suptitle("Framework mix of papers with scanned code (D1), all venues pooled")
    pooled = pool_framework_mix(mix)
    if pooled.empty or int(pooled["denominator_size"].max()) == 0:
        _no_data(ax, "No D1 papers yet")
        return fig
    years = sorted(int(y) for y in pooled["year"].unique())
    table = pooled.pivot(index="year", columns="category", values="share").reindex(years)
    n_by_year = pooled.groupby("year")["denominator_size"].max()
    bottom = pd.Series(0.0, index=years)
    for cat, text in MIX_CATEGORIES.items():
        values = table[cat].fillna(0.0) * 100
        colour, hatch = MIX_STYLES[cat]
        bars = ax.bar(
            years,
            values,
            bottom=bottom,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.6,
            label=text,
            width=0.7,
        )
        for rect in bars:
            rect.set_gid(f"mix:{cat}")
        for x, v, b in zip(years, values, bottom, strict=True):
            if v >= 6:  # label segments big enough to hold their number
                ax.text(
                    x,
                    b + v / 2,
                    f"{v:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if cat != "other" else "black",
                )
        bottom = bottom + values
    ax.set_xticks(years)
    ax.set_xticklabels([_tick(y, n_by_year) for y in years])
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_xlabel("Year (n = D1 papers, all venues)")
    ax.set_ylabel("Share of D1 papers (%)")
    ax.set_title(
        "Each D1 paper counted once: PyTorch and TensorFlow together form their own category",
        fontsize=8,
        loc="left",
        color="#444444",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    return fig


def plot_small_multiples(
    df: pd.DataFrame,
    denominator: str = "D1",
    *,
    max_frameworks: int = 4,
    ncols: int = 3,
) -> Figure:
    """One figure, one panel per venue: share per year of the most used frameworks.

    ``df`` has the columns of ``trends.query_adoption``. The frameworks drawn (at most
    ``max_frameworks``, most used over all venues first) are the same in every panel, with the
    same colours, y axes shared (0–100%). Each panel shows its lines (gid
    ``share:<venue>:<framework>``), 95% bands and the per-year n on its ticks; its title gives
    the venue and its total n. Venues without data say so.
    """
    sub = df[df["denominator"] == denominator]
    venues = sorted(sub["venue"].unique())
    n_panels = max(1, len(venues))
    cols = min(ncols, n_panels)
    rows = math.ceil(n_panels / cols)
    fig = Figure(figsize=(4.2 * cols + 1.8, 3.2 * rows + 0.8), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(f"Papers using each framework, per venue ({denominator}; bands: 95% interval)")
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    if not venues:
        _no_data(axes[0], f"No data for {denominator} yet")
        return fig
    totals = sub.groupby("framework")["numerator"].sum()
    totals = totals[totals > 0]
    frameworks = sorted(totals.index, key=lambda f: (-int(totals[f]), f))[:max_frameworks]
    for ax, venue in zip(axes, venues, strict=False):
        v = sub[sub["venue"] == venue]
        n_by_year = v.groupby("year")["denominator_size"].max()
        years = sorted(int(y) for y in n_by_year.index)
        total_n = int(n_by_year.sum())
        if total_n == 0:
            _no_data(ax, f"{venue_label(venue)}: no {denominator} papers", fontsize=10)
            continue
        for fw in frameworks:
            colour, style = framework_style(fw)
            d = v[v["framework"] == fw].set_index("year").reindex(years)
            valid = d["denominator_size"].fillna(0) > 0
            pct = d["share"].astype(float) * 100
            ax.plot(
                years,
                pct.where(valid),
                color=colour,
                linestyle=style,
                marker="o",
                markersize=4,
                label=framework_label(fw),
                gid=f"share:{venue}:{fw}",
            )
            ax.fill_between(
                [y for y, ok in zip(years, valid, strict=True) if ok],
                (d["ci_low"].astype(float) * 100)[valid],
                (d["ci_high"].astype(float) * 100)[valid],
                color=colour,
                alpha=0.15,
                lw=0,
            )
        ax.set_title(f"{venue_label(venue)} (n = {total_n:,})", fontsize=10)
        ax.set_xticks(years)
        ax.set_xticklabels([_tick(y, n_by_year) for y in years], fontsize=7)
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[: len(venues)]:
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(f"Share of {denominator} papers (%)")
        if ax.get_subplotspec().is_last_row() or ax is axes[len(venues) - 1]:
            ax.set_xlabel("Year (n)")
    for ax in axes[len(venues) :]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], color=framework_style(f)[0], linestyle=framework_style(f)[1], marker="o")
        for f in frameworks
    ]
    if handles:
        fig.legend(
            handles,
            [framework_label(f) for f in frameworks],
            loc="outside right upper",
            frameon=False,
            fontsize=9,
        )
    return fig


def _no_data(ax: Axes, text: str, fontsize: int = 14) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=fontsize)
    ax.set_axis_off()


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
