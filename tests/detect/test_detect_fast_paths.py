"""The fast paths of the scan give the answers of the careful code they stand in for.

Each fast path is checked against its reference, on hand-picked tricky inputs and on generated
ones: the one-pass import reader against the careful per-occurrence reader (imports, aliases
and the Python 2 flag), the notebook image stripping against plain JSON decoding, the
attribute finder against its regular expression, the plain shell splitting against shlex, the
setup.py walk against ast.walk.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scraper.detect.aliases import load_aliases
from scraper.detect.manifests import _PLAIN_SHELL, _walk, parse_install_command
from scraper.detect.notebooks import (
    _LINE_BREAK,
    _LUA_REQUIRE,
    NotebookCode,
    _plain,
    lua_requires,
    notebook_code,
    split_cell,
    without_images,
)
from scraper.detect.paths import _file_kind, file_kind, wants
from scraper.detect.python import (
    _IMPORT_OR_PY2,
    _PY2_EXCEPT,
    _PY2_PRINT,
    _PY2_TAIL,
    _lines,
    _string_test,
    _string_test_before,
    _triple_string_spans,
    extract_imports,
    extract_imports_careful,
    extract_imports_fast,
    python2_syntax,
)
from scraper.detect.scan import _AttributeFinder


def careful(text: str) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, str]]:
    found = extract_imports_careful(text)
    return found.imports, found.aliases


def fast(text: str) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, str]]:
    found = extract_imports_fast(text)
    return found.imports, found.aliases


def problem_of(text: str, *, as_bytes: bool = False) -> str | None:
    """What extract_imports must say about a clean UTF-8 file: the careful Python 2 test (a
    file given as bytes without "import" anywhere is not looked at)."""
    if as_bytes and "import" not in text:
        return None
    return "Python 2 syntax" if python2_syntax(text) else None


# -- the one-pass import reader -----------------------------------------------------------------

TRICKY = [
    "import torch\nimport torch.nn as nn\n",
    "import os, torch.optim as optim, jax\n",
    "import a ,b as  c,d\n",
    "from jax import (numpy as jnp,\n    random)  # rng\n",
    "from x import (\n    a,  # first\n    b,\n)\n",
    "from x import (a,\n# import inside a comment\n b)\n",
    "from x import (\n",  # never closed
    "from x import ( a , b , )\n",
    "from x import *\n",
    "from . import utils\nfrom .models import net\nfrom .. import x\nfrom.models import y\n",
    "from . import (\n    a,\n    b,\n)\nimport torch\n",
    "from flax import \\\n    linen as nn\n",
    "x = 1 + \\\nimport torch\n",  # a continuation: not an import
    "import torch \\\n    , jax\n",
    "x = 1; import caffe\n",
    "import keras; import theano\n",
    "try: import dynet\nexcept ImportError: pass\n",
    "if USE_TF: import tensorflow as tf\n",
    "def f():\n    import chainer\n    return chainer\n",
    "m = __import__('paddle')\n",
    'm = importlib.import_module("oneflow.nn")\n',
    "import importlib\nfrom importlib import import_module\n",
    '"""Usage:\n\n    import fake\n"""\nimport real\n',
    "'''\nimport fake\n'''\nimport real\n",
    '"""a\n"""\nx = """\nimport fake\n"""\nimport real\n',
    '"""doc with \'\'\' inside\n"""\nimport real\n"""\nimport fake\n"""\n',
    '# it\'s "quoted"\n"""Doc."""\nimport torch\n',
    'x = "a"\n"""Doc."""\nimport torch\n',
    '"""open\nimport never_closed\n',
    "s = 'import not_a_statement'\nimport real\n",
    "# import commented_out\nimport real\n",
    "# x; import sneaky\nimport real\n",
    ">>> import doctest_line\nimport real\n",
    "import x  # a comment; import y\n",
    "important = 1\nimports = []\nx = reimport(3)\nimport real\n",
    "from import import x\n",
    "import as\n",
    "from x import import\n",
    "import café\n",
    "\f import torch\n",
    "\timport torch\n\t\tfrom jax import numpy\n",
    "print 'hello'\nimport torch\n",
    "import torch\nprint 'hello'\n",
    "import torch\n" + "x = 1\n" * 50 + "try:\n    pass\nexcept Exception, e:\n    pass\n",
    "from x import (\n    print as p)\nimport torch\n",
    "import torch\r\nimport jax\r\n",
    "import torch\rprint 'x'\r",
    "",
    "import",
    "import torch",
    "from x import (a, b",
    "x" * 3000 + "\nimport torch\n",
    " " * 300 + "import torch\n",
    "import " + "a" * 1600 + "\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_one_pass_reader_agrees_with_the_careful_reader(text: str) -> None:
    assert fast(text) == careful(text)
    found = extract_imports(text)
    assert (found.imports, found.aliases) == careful(text)
    assert found.problem == problem_of(text)


def test_the_one_pass_reader_reads_plain_files_and_declines_the_others() -> None:
    plain = "import torch\nfrom jax import (numpy as jnp,\n  random)\n# import x\n"
    found, python2 = _lines(plain)
    assert found is not None and not python2
    assert found.imports == [("torch", ()), ("jax", ("numpy", "random"))]
    assert _lines("x = 1; import caffe\n")[0] is None  # the careful reader decides
    assert _lines("x = 1 + \\\nimport torch\n")[0] is None
    assert _lines("m = __import__('paddle')\n")[0] is None
    assert _lines("import torch\nprint 'x'\n")[1]  # a Python 2 line: the test looks


def test_roots_leave_out_the_imports_a_scan_does_not_need() -> None:
    text = b"import os, torch.nn as nn\nfrom numpy import array\nfrom jax import (grad,\n jit)\n"
    everything = extract_imports(text)
    kept = extract_imports(text, roots={"torch", "jax"})
    assert kept.imports == [m for m in everything.imports if m[0].split(".")[0] in {"torch", "jax"}]
    assert kept.aliases == {"nn": "torch.nn"}


def test_one_pass_reader_on_real_code() -> None:
    root = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    files = sorted(root.glob("*.py"))[:200]
    if len(files) < 50:
        pytest.skip("standard library sources not installed")
    declined = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert fast(text) == careful(text), path.name
        declined += _lines(text.replace("\r\n", "\n"))[0] is None
    assert declined < len(files)  # the fast path is taken


# Each branch of the statement reader (_lines), with whether it reads the text (True) or
# declines it to the careful reader (False); either way the answer must be the careful one.
BRANCHES = [
    ("import torch\nimport numpy as np\n", True),  # statements, matched at their line start
    ("from importlib import import_module as im\n", True),  # three occurrences, one statement
    ("import os  # import this\n", True),  # an occurrence in the statement's comment
    ("from x import (a,\n    import_b,  # import c\n    d)\n", True),  # in its later lines
    ("from x import (a,  # note (b)\n    c)\nimport torch\n", True),  # ")" in a comment
    ("import importlib\nx = importlib.util\n", True),  # part of a word: ignored
    ("# import torch\nimport jax\n", True),  # a comment line: ignored
    ('"""\n    >>> import doctest_line\n"""\nimport real\n', True),  # a doctest line
    ("print('import this')\nimport real\n", True),  # in a string on a code line
    ("x = 1; import caffe\n", False),  # a statement after ";": the careful reader's
    ("try: import dynet\nexcept ImportError: pass\n", False),  # after a compound header
    ("m = __import__('paddle')\n", False),  # dynamic imports
    ("m = importlib.import_module('oneflow')\n", False),
    ("x = 1 + \\\nimport torch\n", False),  # a line continued from the previous one
    ("from x import (\n" + "    a,\n" * 151 + ")\n", True),  # long, read as a whole
    ("from x import (\n" + "    a,\n" * 250 + ")\n", False),  # longer than it reads
    ("import " + "a" * 1600 + "\n", False),  # a line it would cut
    ("x = 1  " + "y" * 2500 + " import torch\n", False),  # deep in a long line
    ("import a, " + "importa, " * 300 + "; import torch\n", False),  # a line tried once
    # The line after a statement is tried first, without a search:
    ("import os\nimport torch\nfrom jax import numpy\n\nimport x\n", True),
    ("import os  # a note \\\nimport torch\n", False),  # continued: by a comment's "\\"
    ("from print import x\nimport torch\n", True),  # "print x" not at a line start
    ("import os\n\n\nimport torch\n", True),  # blank lines: back to the search
]


@pytest.mark.parametrize(("text", "reads"), BRANCHES)
def test_each_branch_of_the_statement_reader_gives_the_careful_answer(
    text: str, reads: bool
) -> None:
    found, python2 = _lines(text)
    assert (found is not None) == reads
    if found is not None:
        assert (found.imports, found.aliases) == careful(text)
        assert python2 or not python2_syntax(text)  # (declined: the caller tests)
    assert fast(text) == careful(text)


@pytest.mark.parametrize(
    "text",
    [
        "import torch\nprint 'x'\n",  # at a line start
        "import torch\ndef f():\n    print >>sys.stderr, 'x'\n",
        "try:\n    import torch\nexcept ImportError, e:\n    pass\n",  # before the last import
        "from x import (a,\nprint 'b')\n",  # a line a statement's parentheses span
        "\fprint 'x'\nimport torch\n",  # after other blanks than spaces and tabs
        "import torch\nprint import_this\n",  # "import" inside what the search matched
        "from x import (a,\n    print as p)\n",  # a line of a statement the search skipped
        "from x import (a,\n    b)\nimport os\nexcept E, e:\n",
    ],
)
def test_the_statement_reader_flags_every_python2_statement(text: str) -> None:
    assert python2_syntax(text)
    found, python2 = _lines(text)
    assert python2 or found is None  # (declined: the caller tests)
    assert extract_imports(text).problem == "Python 2 syntax"


def _same_string_tests(text: str) -> None:
    """The docstring shortcut answers "is this statement inside a triple-quoted string?" as
    the careful test does, where the readers ask it: at the start of lines that start with
    ``import`` or ``from``, up to each of them (None: nowhere)."""
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    asked = [at for at in starts if text[at:].lstrip(" \t").startswith(("import", "from"))]
    for last in asked:
        quick = _string_test_before(text, last + 1)
        careful_test = _string_test(text, last + 1)
        before = [at for at in asked if at <= last]
        got = [quick is not None and quick(at) for at in before]
        assert got == [careful_test is not None and careful_test(at) for at in before], last


@pytest.mark.parametrize(
    "text",
    [
        '"""Doc."""\nimport torch\n',
        '"""Doc with \'\'\' inside."""\nimport torch\n',  # the other kind inside the string
        "'''Doc with \"\"\" inside.'''\nimport torch\n",
        "\"\"\"Doc.\"\"\"\nimport torch\nx = '''s'''\nimport jax\n",  # the other kind after it
        '"""Doc."""\nimport torch\nx = """s"""\nimport jax\n',  # the same kind after it
        "\"\"\"Doc ''' x.\"\"\"\nx = '''\nimport fake\n'''\nimport real\n",  # inside and after
        '\'\'\'Doc """ x.\'\'\'\nx = """\nimport fake\n"""\nimport real\n',
        "'''a'''\"\"\"b\"\"\"\nimport x\n",
        '# a "quote"\n"""Doc."""\nimport torch\n',
        'x = "a"\n"""Doc."""\nimport torch\n',
        '"""Doc \\""" still"""\nimport torch\n',
        '"""never closed\nimport torch\n',
    ],
)
def test_the_docstring_shortcut_gives_the_careful_string_test(text: str) -> None:
    _same_string_tests(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(['"""', "'''", '"', "'", "#", "\\", "\n", "x", " ", "\nimport x"]),
        max_size=24,
    )
)
def test_the_docstring_shortcut_on_quote_soup(parts: list[str]) -> None:
    _same_string_tests("".join(parts))


# The tokenizer as it was written before its runs were made possessive (the reference: a
# run given back character by character never let another match through).
_Q3, _A3 = '"""', "'''"
_UNTIL_TRIPLE_BACKTRACKING = re.compile(
    r"(?>[^\"'#]+|#[^\n]*"
    r"|(?!" + _Q3 + r")\"(?:[^\"\\\n]|\\.)*\"?"
    r"|(?!" + _A3 + r")'(?:[^'\\\n]|\\.)*'?)*?"
    r"(" + _Q3 + r"(?:[^\"\\]|\\.|\"(?!\"\"))*(?:" + _Q3 + r"|\Z)"
    r"|" + _A3 + r"(?:[^'\\]|\\.|'(?!''))*(?:" + _A3 + r"|\Z))",
    re.S,
)


def _spans_by(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    while (match := pattern.match(text, pos)) is not None:
        spans.append(match.span(1))
        pos = match.end()
    return spans


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(['"""', "'''", '"', "'", "#", "\\", "\n", "x", " ", '""', "''"]),
        max_size=40,
    )
)
@example(['"""', "x", "\\"])  # a backslash at the end of an unclosed string
@example(['"', "\\", '"', '"""', "#", '"""', "\n", "'''"])
def test_the_tokenizer_finds_the_spans_the_backtracking_one_found(parts: list[str]) -> None:
    text = "".join(parts)
    assert _triple_string_spans(text, len(text) + 1) == _spans_by(_UNTIL_TRIPLE_BACKTRACKING, text)


_ident = st.sampled_from(["torch", "jax", "nn", "np", "a", "b_2", "x", "import_utils", "mport"])
_dotted = st.lists(_ident, min_size=1, max_size=3).map(".".join)
_pad = st.sampled_from(["", " ", "    ", "\t", "  \t"])
_tail = st.sampled_from(["", "  # c", "  # x; import y", " \\", "  # import z"])
_line = st.one_of(
    st.builds(lambda p, m, t: f"{p}import {m}{t}", _pad, _dotted, _tail),
    st.builds(lambda p, m, a, t: f"{p}import {m} as {a}{t}", _pad, _dotted, _ident, _tail),
    st.builds(lambda m, n: f"import {m}, {n}", _dotted, _dotted),
    st.builds(lambda p, m, n, t: f"{p}from {m} import {n}{t}", _pad, _dotted, _ident, _tail),
    st.builds(
        lambda m, ns: "from {} import (\n    {},\n)".format(m, ",\n    ".join(ns)),
        _dotted,
        st.lists(_ident, min_size=1, max_size=3),
    ),
    st.builds(lambda m, n: f"from {m} import ({n}  # note\n    , b)", _dotted, _ident),
    st.builds(lambda d, m: f"from {d}{m} import x", st.sampled_from([".", "..", ". "]), _dotted),
    st.builds(lambda m: f"try:\n    import {m}\nexcept ImportError:\n    pass", _dotted),
    st.builds(lambda m: f"try: import {m}\nexcept: pass", _dotted),
    st.builds(lambda m: f"x = 1; import {m}", _dotted),
    st.builds(lambda m: f"y = __import__('{m}')", _dotted),
    st.builds(lambda m: f'"""\nimport {m}\n"""', _dotted),
    st.builds(lambda m: f"'''\n    import {m}\n'''", _dotted),
    st.builds(lambda m: f"s = '''{m}'''", _dotted),
    st.builds(lambda m: f"# import {m}", _dotted),
    st.builds(lambda m: f"    >>> import {m}", _dotted),
    st.builds(lambda m: f"x = '{m}'  # not an import", _dotted),
    st.builds(lambda m: f"print '{m}'", _dotted),
    st.builds(lambda m: f"print >>f, {m}", _dotted),
    st.builds(lambda m: f"except {m}, e:", _dotted),
    st.builds(lambda m: f"    print({m})", _dotted),
    st.sampled_from(['"""', "'''", "x = 1", "", "def f():", "    pass", "\\", "import", "(", ")"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_line, min_size=1, max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_one_pass_reader_equals_careful_reader_on_generated_programs(
    lines: list[str], newline: str
) -> None:
    text = newline.join(lines) + newline
    assert fast(text) == careful(text)
    found = extract_imports(text.encode())
    assert Counter(found.imports) == Counter(careful(text)[0])
    assert found.problem == problem_of(text, as_bytes=True)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["import", "from", " ", "\n", "(", ")", "\\", ";", ":", "#", '"""', "'''",
                         '"', "'", "x", ".", ",", "as", "try", "print", "except", ">>", "\t",
                         "\f", "torch"]),
        max_size=60,
    )
)  # fmt: skip
def test_one_pass_reader_equals_careful_reader_on_import_like_soup(tokens: list[str]) -> None:
    text = "".join(tokens)
    assert fast(text) == careful(text)
    assert extract_imports(text).problem == problem_of(text)


# -- notebooks ----------------------------------------------------------------------------------


def _notebook(outputs: list[dict[str, object]], source: str = "import torch\n") -> bytes:
    cell = {"cell_type": "code", "source": [source], "outputs": outputs}
    return json.dumps({"cells": [cell], "nbformat": 4}, indent=1).encode()


PNG = "iVBORw0KGgo" + "A" * 3000 + "=="


@pytest.mark.parametrize(
    "payload",
    [
        PNG,
        PNG + "\n",  # Jupyter's final newline
        "\n".join(PNG[i : i + 76] for i in range(0, len(PNG), 76)) + "\n",  # Colab's lines
    ],
)
def test_image_data_is_emptied_and_the_cells_stay(payload: str) -> None:
    data = _notebook([{"output_type": "display_data", "data": {"image/png": payload}}])
    stripped = without_images(data)
    assert len(stripped) < len(data) - 2000
    doc = json.loads(stripped)
    assert doc["cells"][0]["source"] == ["import torch\n"]
    assert doc["cells"][0]["outputs"][0]["data"]["image/png"] == ""
    assert notebook_code(data).code == "import torch\n"


@pytest.mark.parametrize(
    "raw",
    [
        b'"image/png": "' + b"A" * 2000 + b'\\"' + b"B" * 10 + b'"',  # an escaped quote
        b'"image/png": "' + b"A" * 2000 + b"\\x" + b'"',  # an invalid escape
        b'"image/png": "' + "é".encode() * 1000 + b'"',  # not ASCII
        b'"image/png": "' + b"A" * 2000 + b'\nB"',  # a raw newline
        b'"image/png": "' + b"A" * 100 + b'"',  # too short to bother
        b'\\"image/png": "' + b"A" * 2000 + b'"',  # inside a string
    ],
)
def test_image_strings_that_are_not_plain_base64_are_left_alone(raw: bytes) -> None:
    data = b'{"x": {' + raw + b"}}"
    assert without_images(data) == data


def test_the_one_known_difference_a_raw_control_byte_inside_image_data() -> None:
    """Documented in without_images: checking every byte of the image data for control
    characters would cost what the stripping saves, so such a broken notebook is read."""
    data = _notebook([{"output_type": "display_data", "data": {"image/png": PNG}}])
    broken = data.replace(b"AAAA", b"AA\tA", 1)
    with pytest.raises(ValueError):
        json.loads(broken)
    found = notebook_code(broken)
    assert found.problem is None and found.code == "import torch\n"


def test_a_broken_notebook_is_reported_with_the_error_of_the_file_itself() -> None:
    data = _notebook([{"output_type": "display_data", "data": {"image/png": PNG}}])
    cut = data[: len(data) - 40]
    found = notebook_code(cut)
    try:
        json.loads(cut)
    except ValueError as exc:
        assert found.problem == f"not valid notebook JSON: {str(exc)[:120]}"
    assert "import torch" in found.code


# -- attributes, shell lines, setup.py ---------------------------------------------------------

_REFERENCE = re.compile(r"\b([A-Za-z_]\w*)\.((?:Flax|TF)[A-Z]\w*)")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "b", "1", "_", ".", "TF", "Flax", "M", "x", " ", "\n", "é", "Ω",
                         ".TFBert", "transformers", "(", "w" * 250]),
        max_size=30,
    )
)  # fmt: skip
def test_attribute_finder_equals_its_regular_expression(parts: list[str]) -> None:
    text = "".join(parts)
    assert _AttributeFinder(("TF", "Flax")).findall(text) == _REFERENCE.findall(text)


_SHELL_CHARS = st.sampled_from(list(" \t\nabc-=<>./:@+!$%&()*,?[]^_`{}|~09ABZ"))


@settings(max_examples=500, deadline=None)
@given(st.lists(_SHELL_CHARS, max_size=30))
def test_plain_shell_lines_split_as_shlex_splits_them(chars: list[str]) -> None:
    line = "".join(chars)
    assert _PLAIN_SHELL.fullmatch(line)
    assert line.split() == shlex.split(line, comments=True)


@pytest.mark.parametrize(
    "line",
    [
        "pip install torch==1.8 'jax[cpu]'",
        "pip ins'tall' torch",
        "pip install torch # and nothing else",
        "conda install -c pytorch pytorch",
        "matplotlib inline",
    ],
)
def test_install_commands_with_and_without_quotes(line: str) -> None:
    names = parse_install_command(line)
    if "install" in line.replace("'", "") and "matplotlib" not in line:
        assert names
    else:
        assert names == []


def test_setup_walk_meets_calls_and_assignments_in_ast_walk_order() -> None:
    root = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    files = sorted(root.glob("*.py"))[:60]
    if len(files) < 20:
        pytest.skip("standard library sources not installed")
    kinds = (ast.Call, ast.Assign, ast.AugAssign, ast.AnnAssign)
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        expected = [node for node in ast.walk(tree) if isinstance(node, kinds)]
        assert [node for node in _walk(tree) if isinstance(node, kinds)] == expected


def test_file_kind_remembers_only_the_path_just_wanted() -> None:
    assert wants("src/train.py") and file_kind("src/train.py") == "python"
    assert not wants("README.md")
    assert file_kind("src/train.py") == "python"
    assert file_kind("setup.py") == "setup_py"
    assert file_kind("requirements/dev.txt") == "requirements"
    assert file_kind("notes.txt") is None


def test_alias_table_roots_are_cached_and_complete() -> None:
    table = load_aliases()
    assert table.import_roots() is table.import_roots()
    assert {name.split(".")[0] for name in table.imports} == table.import_roots()
    assert table.package_roots() <= table.import_roots()


# -- the faster steps of this session, each against what it replaced ------------------------------

ROOTS = frozenset({"torch", "jax", "tensorflow", "keras", "caffe", "chainer", "paddle", "theano"})
MORE_TRICKY = [
    b"\xef\xbb\xbfimport torch\nimport os\n",  # a BOM
    b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport theano as th\n",  # a coding cookie
    b"import torch\n\tx = 1\n        y = 2\nimport jax.numpy as jnp\n",  # tabs and spaces
    b"import tensorflow as tf\nprint 'loss', 1\nexcept ValueError, e:\n",  # Python 2
    b"import a.b as c, torch.nn as nn, os\nfrom torch.utils import data as d\n",
    b"def f():\n    try:\n        import chainer\n    except ImportError:\n        pass\n",
    b"x = __import__('paddle')\ny = importlib.import_module('jax.numpy')\n",
    b"s = 'import torch'\nt = \"from jax import grad\"\n# import keras\nimport os\n",
    b'"""\nimport torch\n"""\nimport os\n' + b"x = 1\n" * 40 + b"import caffe\n",
    b"import os\x00\nimport torch\n",  # a NUL byte
    b"import torch\r\nprint 'x'\r\n",
    # a name bound to a kept module, then to one that is not (hypothesis found these)
    b"import torch as torch\nimport nn as torch\n",
    b"import torch as t, nn as t\n",
    b"import jax as j\nimport os.path as j, sys\n",
]


def _kept(found: tuple[list[tuple[str, tuple[str, ...]]], dict[str, str]]) -> tuple[object, ...]:
    imports, aliases = found
    keep = [m for m in imports if m[0].split(".")[0] in ROOTS]
    return keep, {a: m for a, m in aliases.items() if m.split(".")[0] in ROOTS}


@pytest.mark.parametrize("data", [t.encode() for t in TRICKY] + MORE_TRICKY)
def test_roots_keep_what_the_careful_reader_keeps(data: bytes) -> None:
    """With ``roots`` the one-pass reader filters while it reads (a scan's case): the imports
    and aliases of those roots, and the problem, are the careful reader's."""
    found = extract_imports(data, roots=ROOTS)
    everything = extract_imports(data)
    text = everything_text = data.decode("utf-8", "replace")
    if everything_text.startswith("\ufeff"):
        text = everything_text[1:]
    assert _kept((found.imports, found.aliases)) == _kept(careful(text.replace("\x00", "")))
    assert found.problem == everything.problem


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, min_size=1, max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_roots_keep_what_the_careful_reader_keeps_on_generated_programs(
    lines: list[str], newline: str
) -> None:
    text = newline.join(lines) + newline
    found = extract_imports(text.encode(), roots={"torch", "jax", "np", "a"})
    keep = {"torch", "jax", "np", "a"}
    imports, aliases = careful(text)
    assert Counter(m for m in found.imports if m[0].split(".")[0] in keep) == Counter(
        m for m in imports if m[0].split(".")[0] in keep
    )
    assert {a: m for a, m in found.aliases.items() if m.split(".")[0] in keep} == {
        a: m for a, m in aliases.items() if m.split(".")[0] in keep
    }
    assert found.problem == problem_of(text, as_bytes=True)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["print", "except", "xcept", "p", "t", " ", "\t", "\n", ">>", "'", '"',
                         "x", ",", "e", ":", "(", ")", "a.b", "import", "rint", "excep",
                         "im", "port"]),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=60),
)  # fmt: skip
def test_the_one_scan_for_python2_statements_finds_what_the_two_find(
    tokens: list[str], start: int
) -> None:
    text = "".join(tokens)
    two = _PY2_PRINT.search(text, start) or _PY2_EXCEPT.search(text, start)
    assert (_PY2_TAIL.search(text, start) is not None) == (two is not None)
    # The statement reader's search: the first "import" or match of _PY2_TAIL, at its "p" (the
    # look-behind sees the text before ``start``: the reader never starts inside a word).
    hit = _IMPORT_OR_PY2.search(text, start)
    word = text.find("import", max(0, start - 2))
    tail = _PY2_TAIL.search(text, start)
    firsts = [p + 2 for p in (word,) if p >= 0] + ([tail.start()] if tail else [])
    assert (hit.start() if hit else None) == (min(firsts) if firsts else None)
    if hit is not None:
        assert (text[hit.start() + 1] == "o") == (word >= 0 and hit.start() == word + 2)


def _plain_by_counting(data: bytes, begin: int, end: int) -> bool:
    """What ``_plain`` decided before: backslashes counted against ``\\n`` escapes."""
    if not data[begin:end].isascii() or data.endswith(b"\\", begin, end):
        return False
    if data.find(b"\n", begin, end) >= 0:
        return False
    return data.count(b"\\", begin, end) == data.count(b"\\n", begin, end)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"A", b"/", b"\\", b"n", b"\\n", b"\\\\", b"\n", b"\xc3\xa9"]),
                max_size=30))  # fmt: skip
def test_image_test_finds_what_counting_found(pieces: list[bytes]) -> None:
    data = b'"' + b"".join(pieces) + b'"'
    for ascii_only in (data.isascii(), False):
        assert _plain(data, 1, len(data) - 1, ascii_only) == _plain_by_counting(
            data, 1, len(data) - 1
        )


def _split_cell_line_by_line(source: str) -> tuple[str, list[str]]:
    """``split_cell`` as it was: every line looked at when the cell holds "%" or "!"."""
    out = NotebookCode()
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0].lower() if len(first) > 2 else ""
        if magic in ("bash", "sh", "script", "system", "shell"):
            for line in lines[1:]:
                out.installs.extend(parse_install_command(line))
            return "", out.installs
        if magic in ("html", "javascript", "js", "latex", "markdown", "svg", "perl", "ruby",
                     "r", "sql", "md"):  # fmt: skip
            return "", out.installs
        lines[0] = ""
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            out.installs.extend(parse_install_command(stripped.lstrip("!%")))
            kept.append("")
        else:
            kept.append(line)
    return "\n".join(kept), out.installs


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["%", "%%", "!", "!pip install torch", "%pip install jax", "%%bash\n",
                         "%%html\n", " ", "\t", "\n", "\r", "\x0b", "\x85", "\u2028", "\xa0",
                         "x", "!=", "'%d' % 3", "import torch", "%matplotlib inline"]),
        max_size=14,
    )
)  # fmt: skip
def test_cells_without_magic_lines_are_kept_as_they_are(tokens: list[str]) -> None:
    source = "".join(tokens)
    out = NotebookCode()
    assert (split_cell(source, out), out.installs) == _split_cell_line_by_line(source)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["require", "require 'nn'", "require('cunn')", 'require "torch"', "--",
                         "-- require 'x'", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85",
                         "\u2028", " ", "'", "nn", "local a = ", "requires"]),
        max_size=14,
    )
)  # fmt: skip
def test_lua_lines_after_the_last_require_change_nothing(tokens: list[str]) -> None:
    text = "".join(tokens)
    found = []
    for line in text.splitlines():
        code = line.split("--", 1)[0]
        if "require" in code:
            found.extend(m.group(1) for m in _LUA_REQUIRE.finditer(code))
    assert lua_requires(text) == found


def test_lua_line_breaks_are_those_of_splitlines() -> None:
    for code in range(0x3000):
        char = chr(code)
        assert bool(_LINE_BREAK.match(char)) == (len(f"a{char}b".splitlines()) > 1), hex(code)


def _file_kind_before(path: str) -> str | None:
    """``file_kind`` as it was, every test made for every file."""
    slash = path.rfind("/")
    base = path[slash + 1 :]
    low = base.lower()
    dot = low.rfind(".")
    suffix = low[dot:] if dot >= 0 else ""
    kinds = {
        ".py": "python",
        ".ipynb": "notebook",
        ".lua": "lua",
        ".prototxt": "prototxt",
        ".sh": "shell",  # read for backend settings only
    }
    if suffix in kinds:
        return "setup_py" if low == "setup.py" else kinds[suffix]
    if suffix in (".txt", ".in", ".pip") and (
        re.fullmatch(r"(?:.*requirement.*|requires|reqs)\.(?:txt|in|pip)", low)
        or (slash >= 0 and path[path.rfind("/", 0, slash) + 1 : slash].lower() == "requirements")
    ):
        return "requirements"
    if suffix in (".yml", ".yaml") and re.fullmatch(
        r"(?:.*[-_.])?(?:environment|env|conda)(?:[-_.].*)?\.ya?ml", low
    ):
        return "conda_env"
    if low == "setup.cfg":
        return "setup_cfg"
    if low == "pyproject.toml":
        return "pyproject"
    if base == "Pipfile":
        return "pipfile"
    if low.startswith("dockerfile") or low.endswith(".dockerfile"):
        return "dockerfile"
    if low == "keras.json":  # read for backend settings only
        return "keras_json"
    return None


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Dockerfile", "DOCKERFİLE", "DOC\u212aERFILE", "x.dockerfile", "Pipfile",
                         "setup.py", "SETUP.PY", "setup.cfg", "pyproject.toml", "requirements",
                         "reqs", "environment", "conda", ".", "-", "txt", "in", "yml", "ipynb",
                         "py", "PY", "lua", "prototxt", "sh", "keras", "json", "JSON", "a",
                         "ß", "İ", "Σ", "/", "dev"]),
        min_size=1,
        max_size=6,
    )
)  # fmt: skip
@example(["keras", ".", "json"])
@example(["a/", "KERAS", ".", "JSON"])
@example(["train", ".", "sh"])
@example(["a", ".", "json"])
def test_file_kind_with_its_quick_exit_gives_the_kinds_it_gave(parts: list[str]) -> None:
    path = "".join(parts)
    assert _file_kind(path) == _file_kind_before(path)


# -- the role of a path, with the roles of its directories remembered -------------------------


def _path_role_reference(path: str) -> str:
    """path_role as it was written before directories' roles were remembered."""
    from fnmatch import fnmatchcase

    from scraper.detect import paths

    if path.isascii():
        lowered = path.lower().split("/")
    else:
        lowered = [part.lower() for part in path.split("/")]
    low = lowered.pop()
    if low.endswith(("_pb2.py", "_pb2_grpc.py")):
        return "generated"
    if not paths._VENDORED_DIRS.isdisjoint(lowered):
        return "vendored"
    if "convert" in low or "2pt" in low or "2tf" in low or "2torch" in low or "2pytorch" in low:
        stem = low.rsplit(".", 1)[0]
        if any(fnmatchcase(stem, pattern) for pattern in paths._CONVERTER_PATTERNS):
            return "converter"
    if low in ("setup.py", "conftest.py") or (low.startswith("setup_") and low.endswith(".py")):
        return "setup"
    if (
        not paths._TEST_DIRS.isdisjoint(lowered)
        or (low.startswith("test_") and low.endswith(".py"))
        or low.endswith("_test.py")
    ):
        return "test"
    if not paths._DOC_DIRS.isdisjoint(lowered):
        return "docs"
    if not paths._EXAMPLE_DIRS.isdisjoint(lowered):
        return "example"
    return "own"


_PATH_PARTS = st.sampled_from(
    ["src", "third_party", "vendor", "tests", "test", "docs", "examples", "Tests", "models",
     "ΣΑΣ", "x"]
)  # fmt: skip
_FILE_NAMES = st.sampled_from(
    ["train.py", "model_pb2.py", "convert_tf_to_pytorch.py", "tf2torch.py", "setup.py",
     "setup_cuda.py", "conftest.py", "test_model.py", "model_test.py", "SETUP.PY",
     "Test_x.py", "utils.py", "convert.py", "2pt.py", "ΣΑΣ.py", "readme.md"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PATH_PARTS, max_size=4), _FILE_NAMES)
def test_path_role_with_remembered_directories_gives_the_roles_it_gave(
    parts: list[str], name: str
) -> None:
    from scraper.detect.paths import path_role

    path = "/".join([*parts, name])
    assert path_role(path) == _path_role_reference(path)
    assert path_role(path) == _path_role_reference(path)  # the directory's role remembered


# -- a cell's magic lines, without a "^" tried at every character ------------------------------


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["\n", " ", "\t", "!", "%", "x", "\r", "%%", "a != b"]), max_size=20)
)
def test_magic_line_test_finds_what_the_multiline_pattern_found(parts: list[str]) -> None:
    from scraper.detect.notebooks import _has_magic_line

    source = "".join(parts)
    assert _has_magic_line(source) == (re.search(r"^[^\S\n]*[!%]", source, re.M) is not None)


# -- a manifest line's comment, cut without the pattern on lines that hold no "#" --------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["torch", "#", " ", "\t", "==1.0", "x#y", "# c"]), max_size=8))
def test_uncommented_cuts_where_the_comment_pattern_cut(parts: list[str]) -> None:
    from scraper.detect.manifests import _COMMENT, _uncommented

    line = "".join(parts)
    assert _uncommented(line) == _COMMENT.split(line, maxsplit=1)[0]
