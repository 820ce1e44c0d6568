"""notebooks/explore.ipynb runs against the demo database, without Jupyter."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"


def _code_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _run(source: str, namespace: dict[str, Any], name: str) -> Any:
    """Execute one cell like Jupyter does: the value of a final expression is its output."""
    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


def test_notebook_is_stripped_and_holds_no_logic() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    for source in _code_cells():
        tree = ast.parse(source)
        assert not any(
            isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While | ast.Lambda)
            for n in ast.walk(tree)
        ), source
    assert any("from analysis import explore" in s for s in _code_cells())


def test_notebook_runs_on_the_demo_database(
    demo_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    matplotlib.use("Agg")
    monkeypatch.setenv("FWCENSUS_DB", str(demo_database[0]))
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    outputs = [_run(src, namespace, f"<cell {i}>") for i, src in enumerate(_code_cells())]
    assert namespace["db_path"] == Path(demo_database[0])
    frames = [o for o in outputs if isinstance(o, pd.DataFrame)]
    figures = [o for o in outputs if isinstance(o, Figure)]
    assert len(frames) == 4 and len(figures) == 1
    trend, changes, tf_d1, tf_d3 = frames
    assert {"venue", "year", "n", "PyTorch %", "TensorFlow %"} <= set(trend.columns)
    assert set(trend["venue"]) == {"CVPR", "ICCV"}
    # the demo's "b" repositories were TensorFlow at the conference and are PyTorch today
    assert len(changes) == 3 and set(changes.venue) == {"cvpr"}
    assert set(zip(changes.at_publication, changes.today, strict=True)) == {
        ("tensorflow", "pytorch")
    }
    assert "at publication" in namespace["note"]
    # CVPR 2021 in the demo: 5 of 8 D1 papers use TensorFlow, 4 use PyTorch
    assert (tf_d1.venue.iloc[0], tf_d1.year.iloc[0]) == ("CVPR", 2021)
    assert (tf_d1.tensorflow > tf_d1.pytorch).all() and (tf_d3.tensorflow > tf_d3.pytorch).all()
    assert len(figures[0].axes) >= 2
