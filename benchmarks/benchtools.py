"""Small helpers shared by the benchmark scripts: plain-text tables and the load average."""

from __future__ import annotations

import os
from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A right-aligned text table with a dashed rule under the headers."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def load_average() -> str:
    """'load average 0.52 0.61 0.70' (other work on the machine skews the timings)."""
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (OSError, AttributeError):
        return "load average unknown"
