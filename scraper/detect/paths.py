"""What a repository path is: which kind of file, which part of the repository, which language.

Pure string functions on POSIX relative paths (as the archive walkers yield them).

Roles weight evidence like a person reading the repository would: the repository's own model
and training code counts fully; examples and benchmarks count half; tests, build scripts, docs,
one-off weight-conversion scripts and vendored third-party code count little; generated
protobuf modules not at all. The first matching rule wins, in this order:

=========== ====== ================================================================
role        weight matched by
=========== ====== ================================================================
generated   0.0    ``*_pb2.py``, ``*_pb2_grpc.py``
vendored    0.05   a directory named third_party, vendor, external, extern, 3rdparty,
                   site-packages, node_modules, ...; also (decided by the scan, which
                   sees every path) a directory holding a copy of a known package, see
                   :func:`package_copies`
converter   0.1    file names such as ``convert_*tf*_to_pytorch*.py``,
                   ``*convert*checkpoint*``, ``*convert*weights*``, ``tf2pt*``
setup       0.3    ``setup.py``, ``setup_*.py``, ``conftest.py``
test        0.3    a tests/test/testing directory, ``test_*.py``, ``*_test.py``
docs        0.2    a doc/docs/documentation/sphinx directory
example     0.5    an example(s)/demo(s)/tutorial(s)/sample(s)/benchmark(s) directory
own         1.0    everything else
=========== ====== ================================================================
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from fnmatch import fnmatchcase

ROLE_WEIGHTS: dict[str, float] = {
    "own": 1.0,
    "example": 0.5,
    "test": 0.3,
    "setup": 0.3,
    "docs": 0.2,
    "converter": 0.1,
    "vendored": 0.05,
    "generated": 0.0,
}
OWN_CODE_WEIGHT = 0.5  # roles at or above this weight count as the repository's own code

_VENDORED_DIRS = frozenset(
    {
        "third_party", "thirdparty", "third-party", "3rdparty", "3rd_party", "3rd-party",
        "vendor", "vendors", "vendored", "external", "externals", "extern", "site-packages",
        "dist-packages", "node_modules", ".eggs", ".tox", ".venv", "venv", "virtualenv",
    }
)  # fmt: skip
_TEST_DIRS = frozenset({"test", "tests", "testing", "unittest", "unittests", "unit_tests"})
_DOC_DIRS = frozenset({"doc", "docs", "documentation", "sphinx", "_docs"})
_EXAMPLE_DIRS = frozenset(
    {
        "example", "examples", "demo", "demos", "tutorial", "tutorials", "sample", "samples",
        "benchmark", "benchmarks",
    }
)  # fmt: skip
_CONVERTER_PATTERNS = (
    "convert*tf*to*",
    "convert*to*tf*",
    "convert*pytorch*",
    "convert*torch*",
    "convert*keras*",
    "convert*jax*",
    "convert*flax*",
    "convert*caffe*",
    "*convert*checkpoint*",
    "*convert*ckpt*",
    "*convert*weight*",
    "*convert*model*",
    "tf2pt*",
    "tf2torch*",
    "pt2tf*",
    "torch2tf*",
    "caffe2pytorch*",
    "caffe2tf*",
    "*_tf_to_pytorch*",
    "*_pytorch_to_tf*",
)

# Languages by file suffix (lower case). .h counts as C/C++ ("cpp"); .m as MATLAB (Objective-C
# is rare in research code).
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyx": "python",
    ".ipynb": "jupyter",
    ".m": "matlab",
    ".mlx": "matlab",
    ".c": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".h": "cpp",
    ".cu": "cuda",
    ".cuh": "cuda",
    ".jl": "julia",
    ".lua": "lua",
    ".r": "r",
    ".java": "java",
    ".scala": "scala",
    ".go": "go",
    ".rs": "rust",
    ".swift": "swift",
}
LANGUAGE_NAMES: dict[str, str] = {
    "python": "Python",
    "jupyter": "Jupyter",
    "matlab": "MATLAB",
    "c": "C",
    "cpp": "C++",
    "cuda": "CUDA",
    "julia": "Julia",
    "lua": "Lua",
    "r": "R",
    "java": "Java",
    "scala": "Scala",
    "go": "Go",
    "rust": "Rust",
    "swift": "Swift",
}

_REQUIREMENTS = re.compile(r"(?:.*requirement.*|requires|reqs)\.(?:txt|in|pip)")
_CONDA_ENV = re.compile(r"(?:.*[-_.])?(?:environment|env|conda)(?:[-_.].*)?\.ya?ml")


def file_kind(path: str) -> str | None:
    """Which reader handles this file: 'python', 'notebook', 'requirements', 'setup_py',
    'setup_cfg', 'pyproject', 'conda_env', 'pipfile', 'dockerfile', 'lua', 'prototxt',
    'shell', 'keras_json' (both read for backend settings only), or None
    (not read; counted by extension only)."""
    last = _LAST_WANTED
    if last[0] is path:  # asked by the archive walk (wants) just before: same string
        return last[1]
    return _file_kind(path)


def _file_kind(path: str) -> str | None:
    slash = path.rfind("/")
    dot = path.rfind(".")
    # (the suffix of the file name; no mapping of str.lower makes or removes a ".")
    suffix = path[dot:].lower() if dot > slash else ""
    kind = _BY_SUFFIX.get(suffix)
    if kind is not None:
        if kind == "python" and path[slash + 1 :].lower() == "setup.py":
            return "setup_py"
        return kind
    if suffix not in _OTHER_SUFFIXES and path[slash + 1 : slash + 11].lower() != "dockerfile":
        return None  # most files (images, C++, data): none of the tests below can pass
    base = path[slash + 1 :]
    low = base.lower()
    if suffix in (".txt", ".in", ".pip") and (
        _REQUIREMENTS.fullmatch(low)
        or (slash >= 0 and path[path.rfind("/", 0, slash) + 1 : slash].lower() == "requirements")
    ):
        return "requirements"
    if suffix in (".yml", ".yaml") and _CONDA_ENV.fullmatch(low):
        return "conda_env"
    if low == "setup.cfg":
        return "setup_cfg"
    if low == "pyproject.toml":
        return "pyproject"
    if base == "Pipfile":
        return "pipfile"
    if low.startswith("dockerfile") or low.endswith(".dockerfile"):
        return "dockerfile"
    if low in _BACKEND_JSON:
        return "keras_json"
    return None


# Shell scripts and keras.json are read only for backend settings (scraper.detect.backends);
# _BACKEND_JSON lists the json_files of data/frameworks.toml's [backend_settings].
_BY_SUFFIX = {
    ".py": "python",
    ".ipynb": "notebook",
    ".lua": "lua",
    ".prototxt": "prototxt",
    ".sh": "shell",
}
_BACKEND_JSON = frozenset({"keras.json"})
# The suffixes of the other kinds (requirements, conda, setup.cfg, pyproject.toml, Pipfile,
# "name.dockerfile", keras.json); a Dockerfile ("Dockerfile.gpu", "dockerfile-cuda") may have
# any suffix.
_OTHER_SUFFIXES = frozenset(
    {".txt", ".in", ".pip", ".yml", ".yaml", ".cfg", ".toml", "", ".dockerfile", ".json"}
)
# The last path wants() accepted, with its kind: the scan asks file_kind() about that very
# string next. One tuple, replaced whole, so a reader never sees half of an update.
_LAST_WANTED: tuple[str | None, str | None] = (None, None)


def wants(path: str) -> bool:
    """True for files worth reading. Everything else is only counted by extension (see
    ``ArchiveStats.extensions``), which is enough to tell a MATLAB or C++ repository apart."""
    global _LAST_WANTED
    kind = _file_kind(path)
    if kind is None:
        return False
    _LAST_WANTED = (path, kind)
    return True


def path_role(path: str) -> str:
    """The part of the repository a file belongs to (see the module docstring)."""
    directory, slash, name = path.rpartition("/")
    where = _directory_role(directory) if slash else ""
    low = name.lower()
    if _NAME_HINT.search(low) is None:  # most files: no rule on the file name can apply
        return where or "own"
    if low.endswith(("_pb2.py", "_pb2_grpc.py")):
        return "generated"
    if where == "vendored":
        return "vendored"
    if "convert" in low or "2pt" in low or "2tf" in low or "2torch" in low or "2pytorch" in low:
        stem = low.rsplit(".", 1)[0]
        if any(fnmatchcase(stem, pattern) for pattern in _CONVERTER_PATTERNS):
            return "converter"
    if low in ("setup.py", "conftest.py") or (low.startswith("setup_") and low.endswith(".py")):
        return "setup"
    if (
        where == "test"
        or (low.startswith("test_") and low.endswith(".py"))
        or low.endswith("_test.py")
    ):
        return "test"
    return where or "own"  # docs, example


# Found in every file name that a rule of path_role tests (_pb2, convert, 2pt, 2tf, 2torch,
# 2pytorch, setup.py, setup_, conftest.py, test_, _test.py); one search instead of those
# tests on the common name.
_NAME_HINT = re.compile("_pb2|convert|2p|2t|setup|test")


# directory -> what its parts make of the files under it ("vendored", "test", "docs",
# "example" or ""): the files of a repository share few directories, and splitting and
# testing every path's directories again was most of path_role's cost.
_DIRECTORY_ROLES: dict[str, str] = {}


def _directory_role(directory: str) -> str:
    role = _DIRECTORY_ROLES.get(directory)
    if role is None:
        if directory.isascii():  # one lower() for all parts (per part otherwise: final sigma)
            parts = directory.lower().split("/")
        else:
            parts = [part.lower() for part in directory.split("/")]
        role = _parts_role(parts)
        if len(_DIRECTORY_ROLES) >= 4096:  # bounded: directories differ across repositories
            _DIRECTORY_ROLES.clear()
        _DIRECTORY_ROLES[directory] = role
    return role


def _parts_role(parts: list[str]) -> str:
    """The role of the directory parts, in path_role's order of precedence."""
    if not _VENDORED_DIRS.isdisjoint(parts):
        return "vendored"
    if not _TEST_DIRS.isdisjoint(parts):
        return "test"
    if not _DOC_DIRS.isdisjoint(parts):
        return "docs"
    if not _EXAMPLE_DIRS.isdisjoint(parts):
        return "example"
    return ""


def role_weight(path: str) -> float:
    return ROLE_WEIGHTS[path_role(path)]


def language_of(path: str) -> str | None:
    low = path[path.rfind("/") + 1 :].lower()
    dot = low.rfind(".")
    return LANGUAGES.get(low[dot:]) if dot >= 0 else None


def languages_from_extensions(extensions: dict[str, int]) -> dict[str, int]:
    """File counts per language from ``ArchiveStats.extensions`` (suffix -> count)."""
    counts: dict[str, int] = {}
    for suffix, n in extensions.items():
        lang = LANGUAGES.get(suffix.lower())
        if lang:
            counts[lang] = counts.get(lang, 0) + n
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def top_level_modules(paths: list[str]) -> set[str]:
    """Names the repository itself defines at import level: root-level ``*.py`` modules and
    packages (a root-level or ``src/`` directory holding ``__init__.py``). An import of one of
    these is the repository's own code, never a framework — but a vendored framework directory
    without ``__init__.py`` at the root (``caffe/python/caffe``) is not "own"."""
    own: set[str] = set()
    for path in paths:
        parts = path.split("/")
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        if len(parts) == 1 and parts[0].endswith(".py"):
            own.add(parts[0][:-3])
        elif len(parts) == 2 and parts[1] == "__init__.py":
            own.add(parts[0])
    own.discard("setup")
    own.discard("__init__")
    return own


def package_copies(paths: Iterable[str], packages: Container[str]) -> dict[str, str]:
    """Directories holding a copy of a known third-party package: ``{directory: package}``.

    Research repositories often carry a whole framework or library in the tree
    (``Theano-master/theano/__init__.py``, ``det/detectron2/__init__.py``,
    ``examples/src/transformers/__init__.py``). Everything under such a directory is that
    project's code, not the paper's, and is weighted as vendored. A package at the root or
    directly under ``src/`` is the repository's own (a fork of the library itself). A copy in
    a ``src/`` layout (``examples/NLU/src/transformers/``) means the whole project folder
    around it (``examples/NLU/``, with its tests and example scripts) is the copy.
    """
    copies: dict[str, str] = {}
    for path in paths:
        copy = package_copy(path, packages)
        if copy is not None:
            copies.setdefault(*copy)
    return outermost_copies(copies)


def package_copy(path: str, packages: Container[str]) -> tuple[str, str] | None:
    """``(directory, package)`` when ``path`` is the ``__init__.py`` of a copy of a known
    package (see :func:`package_copies`), else None."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "__init__.py" or parts[-2] not in packages:
        return None
    directory = "/".join(parts[:-2])
    if directory == "src":
        return None
    if directory.endswith("/src"):
        directory = directory[:-4]
    return directory, parts[-2]


def outermost_copies(copies: dict[str, str]) -> dict[str, str]:
    """The copies not nested in another one (a copy inside a copy adds nothing), sorted."""
    return {
        d: pkg
        for d, pkg in sorted(copies.items())
        if not any(d.startswith(other + "/") for other in copies if other != d)
    }
