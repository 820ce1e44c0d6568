"""Python import extraction: every form, broken files, and fast == ast on real code."""

from __future__ import annotations

import keyword
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.detect.python import (
    decode_source,
    extract_imports,
    extract_imports_ast,
    extract_imports_fast,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"


def modules(source: str | bytes, **kw: bool) -> set[str]:
    return extract_imports(source if isinstance(source, bytes) else source.encode(), **kw).modules


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import torch\n", {"torch"}),
        ("import torch.nn as nn\n", {"torch.nn"}),
        ("import os, torch.optim as optim, jax\n", {"os", "torch.optim", "jax"}),
        ("from tensorflow.compat import v1\n", {"tensorflow.compat"}),
        ("import tensorflow.compat.v1 as tf\n", {"tensorflow.compat.v1"}),
        ("from jax import (numpy as jnp,\n    random)  # rng\n", {"jax"}),
        ("from flax import \\\n    linen as nn\n", {"flax"}),
        ("from \\\n  mxnet import gluon\n", {"mxnet"}),
        ("def f():\n    import chainer\n    return chainer\n", {"chainer"}),
        ("try:\n    import apex\nexcept ImportError:\n    apex = None\n", {"apex"}),
        ("try: import dynet\nexcept ImportError: pass\n", {"dynet"}),
        ("if USE_TF: import tensorflow as tf\n", {"tensorflow"}),
        ("x = 1; import caffe\n", {"caffe"}),
        ("import keras; import theano\n", {"keras", "theano"}),
        ("m = __import__('paddle')\n", {"paddle"}),
        ('m = importlib.import_module("oneflow.nn")\n', {"oneflow.nn"}),
        ("class A:\n    def g(self):\n        from mindspore import nn\n", {"mindspore"}),
        ("from . import utils\nfrom .models import net\nfrom .. import x\n", set()),
        ("from.models import net\n", set()),
        ("importlib.import_module('.sub', __package__)\n", set()),
    ],
)
def test_import_forms(source: str, expected: set[str]) -> None:
    assert modules(source) == expected
    assert extract_imports_ast(source).modules == expected


def test_from_import_names_and_aliases_are_kept() -> None:
    found = extract_imports(b"from transformers import TFBertModel, AutoTokenizer as T\n")
    assert found.imports == [("transformers", ("TFBertModel", "AutoTokenizer"))]
    found = extract_imports(b"import transformers as hf\n")
    assert found.aliases == {"hf": "transformers"}


def test_text_that_only_looks_like_imports_is_ignored() -> None:
    source = textwrap.dedent(
        '''
        """Usage:

            import fake_in_docstring
            from fake_pkg import thing
        """
        # import commented_out
        s = "import not_a_statement"
        important = 1
        imports = []
        x = reimport(3)
        def g():
            \'\'\'
            import also_fake
            \'\'\'
            y = "a" + """
        import in_string
        """
            return y
        import real
        '''
    )
    assert modules(source) == {"real"}
    assert extract_imports_ast(source).modules == {"real"}


def test_python2_file_still_yields_imports() -> None:
    data = (FIXTURES / "py2_train.py").read_bytes()
    found = extract_imports(data)
    assert found.modules == {"os", "cPickle", "numpy", "theano", "theano.tensor", "lasagne"}
    assert found.problem == "Python 2 syntax"
    with pytest.raises(SyntaxError):
        extract_imports_ast(data.decode())
    thorough = extract_imports(data, thorough=True)
    assert thorough.modules == found.modules
    assert thorough.problem is not None and thorough.problem.startswith("SyntaxError")


def test_python3_file_is_not_flagged() -> None:
    found = extract_imports(b'print("x")\nprint (1)\nimport torch\n"""\nprint x\n"""\n')
    assert found.problem is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xef\xbb\xbfimport torch\n", None),  # a BOM is fine
        (b"import torch\x00\x00\nimport jax\n", "NUL bytes"),
        (b"# caf\xe9\nimport torch\n", "invalid UTF-8"),
        (b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport torch\n", None),
        (b"import torch\r\nimport jax\r\n", None),
    ],
)
def test_broken_bytes_still_yield_imports(data: bytes, problem: str | None) -> None:
    found = extract_imports(data)
    assert "torch" in found.modules
    assert found.problem == problem


def test_tabs_and_spaces_mix_is_caught_in_thorough_mode() -> None:
    data = b"if True:\n\timport torch\n        import jax\n"
    found = extract_imports(data, thorough=True)
    assert found.modules == {"torch", "jax"}
    assert found.problem is not None and "TabError" in found.problem


def test_decode_source_reports_problems() -> None:
    assert decode_source(b"\xef\xbb\xbfx = 1") == ("x = 1", None)
    text, problem = decode_source(b"\xff\xfe bad")
    assert problem == "invalid UTF-8" and "\ufffd" in text


def _stdlib_files(limit: int) -> list[Path]:
    root = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    files = sorted(p for p in root.glob("*.py"))
    return files[:limit]


def test_fast_extractor_matches_ast_on_real_code() -> None:
    files = _stdlib_files(150)
    if len(files) < 50:
        pytest.skip("standard library sources not installed")
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            reference = extract_imports_ast(text)
        except SyntaxError:
            continue
        fast = extract_imports_fast(text)
        assert Counter(fast.imports) == Counter(reference.imports), path.name
        compared += 1
    assert compared >= 50


# -- properties -------------------------------------------------------------------------------

_KEYWORDS = set(keyword.kwlist) | {"print", "exec"}
_ident = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in _KEYWORDS)
_dotted = st.lists(_ident, min_size=1, max_size=3).map(".".join)
_names = st.lists(_ident, min_size=1, max_size=3)


def _paren_import(module: str, names: list[str]) -> str:
    body = ",\n    ".join(names)
    return f"from {module} import (\n    {body},\n)"


_import_stmt = st.one_of(
    st.builds(lambda m: f"import {m}", _dotted),
    st.builds(lambda m, a: f"import {m} as {a}", _dotted, _ident),
    st.builds(lambda m, n: f"from {m} import {', '.join(n)}", _dotted, _names),
    st.builds(_paren_import, _dotted, _names),
    st.builds(lambda m: f"try:\n    import {m}\nexcept ImportError:\n    pass", _dotted),
    st.builds(lambda m: f"def f():\n    import {m}\n    return 1", _dotted),
    st.builds(lambda m: f'"""\nimport {m}\n"""', _dotted),
    st.builds(lambda m: f"# import {m}", _dotted),
    st.builds(lambda m: f"x = '{m}'  # not an import", _dotted),
    st.builds(lambda m: f"y = __import__('{m}')", _dotted),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_import_stmt, min_size=1, max_size=8))
def test_fast_equals_ast_on_generated_programs(statements: list[str]) -> None:
    source = "\n".join(statements) + "\n"
    reference = extract_imports_ast(source)
    assert Counter(extract_imports_fast(source).imports) == Counter(reference.imports)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extractor_never_raises_on_any_text(text: str) -> None:
    found = extract_imports(text)
    assert all(isinstance(m, str) for m in found.modules)
    extract_imports(text, thorough=True)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_extractor_never_raises_on_any_bytes(data: bytes) -> None:
    extract_imports(data)
    extract_imports(b"import torch\n" + data, thorough=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["import", "from", " ", "\n", "(", ")", "\\", ";", ":", "#",
                                 '"""', "'''", '"', "'", "x", ".", ",", "as", "try", "if"]),
                max_size=60))  # fmt: skip
def test_extractor_never_raises_on_import_like_soup(tokens: list[str]) -> None:
    extract_imports("".join(tokens).encode())
