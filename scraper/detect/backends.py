"""Backend settings: which backend a repository tells a multi-backend library to use.

Keras (``KERAS_BACKEND``, ``keras.json``), DGL (``DGLBACKEND``) and TensorLayerX
(``TL_BACKEND``) choose their backend from an environment variable. The variables, their
values and what each value means come from ``[backend_settings]`` in ``data/frameworks.toml``.
Nothing is executed: a bounded, regular-expression pass reads the files the scan reads anyway,
and only those that contain a variable's name (or, for the version check, the library's
name): one substring test per file on the common path.

What counts as a setting (a literal value, in a file of the repository's own code or
examples; tests, docs and vendored code are ignored):

* Python (``.py``, notebook code): ``os.environ["V"] = "x"``,
  ``os.environ.setdefault("V", "x")``, ``os.putenv("V", "x")``, ``monkeypatch.setenv("V", "x")``,
  a ``"V": "x"`` dict entry (``env={**os.environ, "V": "x"}``, ``os.environ.update({...})``),
  and a string that starts a shell command with it (``os.system("V=x python train.py")``,
  ``"... && export V=x"``);
* shell (``*.sh``, notebook ``!`` lines and ``%%bash`` cells, Dockerfile lines):
  ``export V=x``, ``V=x python train.py``, ``env V=x ...``;
* notebook ``%env V=x`` / ``%env V x``; Dockerfile ``ENV V=x`` / ``ENV V x``;
  conda ``environment.yml`` ``variables:`` (``V: x``); a ``keras.json`` ``"backend": "x"``.

Not settings: a line commented out (``#`` before it on its line), a check
(``keras.backend.backend() == "theano"``, ``os.environ["V"] == "x"``,
``os.environ.get("V", "x")``, ``[ "$V" = x ]``), a value that is not a literal
(``os.environ["V"] = backend``, ``V=$1``), prose in a string (``"set V=x to use JAX"``) and a
value the table does not know (ignored). A setting quoted in a docstring as an instruction is
read as a setting (a regular-expression pass cannot tell; it has not been seen in practice).

What a setting does (see the rules in :mod:`scraper.detect.classify`): for a multi-backend
import (dgl, tensorlayerx) it makes the imports that show no backend of their own vote for the
framework set; for Keras it is noted in the reasons and in ``ScanResult.backends``, and for
Keras 3 (declared ``keras>=3`` or using ``keras.ops``/``keras.config``/``keras_core``) its
framework is listed as used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from scraper.detect.aliases import AliasTable, BackendVariable
from scraper.detect.paths import OWN_CODE_WEIGHT, role_weight

# File kinds (scraper.detect.paths.file_kind) read here; "shell" and "keras_json" only here.
KINDS = frozenset(
    {
        "python", "setup_py", "notebook", "dockerfile", "conda_env", "shell", "keras_json",
        "requirements", "setup_cfg", "pyproject", "pipfile",
    }
)  # fmt: skip
SETTINGS_ONLY_KINDS = frozenset({"shell", "keras_json"})
_DECLARING_KINDS = frozenset(
    {"setup_py", "notebook", "dockerfile", "conda_env", "shell", "requirements", "setup_cfg",
     "pyproject", "pipfile"}
)  # fmt: skip
_CODE_KINDS = frozenset({"python", "setup_py"})
_WRITING_KINDS = frozenset({"dockerfile", "shell"})
_VALUE = r"[A-Za-z][\w.-]*"
_Q = r"""[rRuU]?(['"])"""
PATHS_KEPT = 3  # files remembered per value (the reasons show them)
EVIDENCE_KEPT = 2  # what marked the multi-backend version, per library


@dataclass
class _Setting:
    count: int = 0
    where: list[str] = field(default_factory=list)  # "KERAS_BACKEND in run.sh", first few


class BackendFinder:
    """Collects the backend settings of one scan (bounded: a few paths per variable and
    value) and what marks a library's multi-backend version (Keras 3)."""

    def __init__(self, table: AliasTable) -> None:
        self.table = table
        self.variables = table.backend_variables
        self.settings: dict[tuple[str, str], _Setting] = {}  # (variable, value) -> where
        self.versioned: dict[str, list[str]] = {}  # library -> what marked its version
        self._compile()

    def _compile(self) -> None:
        compiled = _compiled(self.variables)
        self.json_files = compiled.json_files
        self.json_needles = compiled.json_needles
        self.libraries = compiled.libraries
        self.by_library = compiled.by_library
        self.version_libraries = compiled.version_libraries
        patterns = compiled.patterns
        self.needles = patterns.needles
        self.str_needles = patterns.str_needles
        if patterns.python is None:
            return
        self.python = patterns.python
        self.shell = patterns.shell
        self.env_magic = patterns.env_magic
        self.docker_env = patterns.docker_env
        self.yaml = patterns.yaml
        self.json_backend = patterns.json_backend
        self.declared = patterns.declared
        self.apis = patterns.apis
        self.api_roots = patterns.api_roots
        self.any_api_root = compiled.any_api_root

    # -- reading files ---------------------------------------------------------------------------

    def add(
        self,
        path: str,
        kind: str,
        data: bytes,
        code: str | None = None,
        shell: list[str] | None = None,
        roots: set[str] | tuple[()] = (),
    ) -> None:
        """Read one file the scan has read. Notebooks: ``code`` and ``shell`` as the scan
        extracted them (:class:`~scraper.detect.notebooks.NotebookCode`), ``data`` unused.
        ``roots``: the import roots of a code file (the version APIs are looked for only in
        files importing the library). Cheap when the file names no variable: one substring
        test (for manifests, two)."""
        if not self.variables:
            return
        if kind == "notebook":
            self._notebook(path, code or "", "\n".join(shell) if shell else "", roots)
            return
        needles = self.needles  # (usually one: "BACKEND")
        named = needles[0] in data if len(needles) == 1 else any(n in data for n in needles)
        if kind == "python":
            if not named and (not roots or self.any_api_root.isdisjoint(roots)):
                return  # (most files)
            libraries = (
                [lib for lib, roots_ in self.api_roots.items() if not roots_.isdisjoint(roots)]
                if roots
                else []
            )
        else:  # manifests, scripts, setup.py: small files
            libraries = [lib for lib, raw, _ in self.version_libraries if raw in data.lower()]
        if kind == "keras_json":
            name = path.rsplit("/", 1)[-1]
            json_files = [name] if name in self.json_files else []
        elif kind in _WRITING_KINDS:  # echo '{"backend": ...}' > ~/.keras/keras.json
            json_files = [name for name, raw in self.json_needles if raw in data]
        else:
            json_files = []
        if not (named or libraries or json_files):
            return
        if role_weight(path) < OWN_CODE_WEIGHT:  # tests, docs, vendored code: not the choice
            return
        text = _text(data)
        self._json(path, text, json_files)
        if kind == "keras_json":
            return
        if named:
            if kind in _CODE_KINDS:
                self._find(path, text, self.python)
            elif kind == "shell":
                self._find(path, text, [self.shell])
            elif kind == "dockerfile":
                self._find(path, text, [self.shell, self.docker_env])
            elif kind == "conda_env":
                self._find(path, text, [self.yaml])
        declared = text if kind in _DECLARING_KINDS else None
        source = text if kind in _CODE_KINDS else None
        for library in libraries:
            self._version(library, path, declared, source)

    def _notebook(self, path: str, code: str, shell: str, roots: set[str] | tuple[()]) -> None:
        """A notebook's Python and its shell lines and line magics (``%env``)."""
        in_code = any(needle in code for needle in self.str_needles)
        in_shell = bool(shell) and any(needle in shell for needle in self.str_needles)
        json_files = [name for name in self.json_files if name in shell] if shell else []
        apis = [lib for lib, roots_ in self.api_roots.items() if not roots_.isdisjoint(roots)]
        low = shell.lower()
        declared = [lib for lib, _, _ in self.version_libraries if lib in low] if shell else []
        if not (in_code or in_shell or json_files or apis or declared):
            return
        if role_weight(path) < OWN_CODE_WEIGHT:
            return
        if in_code:
            self._find(path, code, self.python)
        if in_shell:
            self._find(path, shell, [self.shell, self.env_magic])
        self._json(path, shell, json_files)
        for library in dict.fromkeys(apis + declared):
            self._version(
                library,
                path,
                shell if library in declared else None,
                code if library in apis else None,
            )

    def _json(self, path: str, text: str, json_files: list[str]) -> None:
        for name in json_files:
            variable = self.json_files[name]
            for match in self.json_backend.finditer(text):
                self._record(variable.name, match.group("val"), f"{name} in {path}")

    def _find(self, path: str, text: str, patterns: list[re.Pattern[str]]) -> None:
        for pattern in patterns:
            for match in pattern.finditer(text):
                start = match.start("var")
                line_start = text.rfind("\n", 0, start) + 1
                if "#" in text[line_start:start]:  # commented out (or after a # in a string)
                    continue
                self._record(
                    match.group("var"), match.group("val"), f"{match.group('var')} in {path}"
                )

    def _record(self, name: str, value: str, where: str) -> None:
        variable = self.variables.get(name)
        value = value.lower()
        if variable is None or value not in variable.values:
            return  # an unknown value: ignored
        setting = self.settings.setdefault((name, value), _Setting())
        setting.count += 1
        if len(setting.where) < PATHS_KEPT and where not in setting.where:
            setting.where.append(where)

    def _version(self, library: str, path: str, declared: str | None, source: str | None) -> None:
        """What marks the multi-backend version of ``library`` (Keras 3): a declaration of
        its version in ``declared`` (a manifest, shell lines), one of its APIs in ``source``
        (code). Both looked for at the library's name only (str.find), never per position."""
        variable = self.libraries[library]
        found = self.versioned.setdefault(library, [])
        if len(found) >= EVIDENCE_KEPT:
            return
        since = variable.lists_backend_from
        if since is not None and declared:
            low = declared.lower()
            pattern = self.declared[library]
            for start in _occurrences(low, library):
                if start and (low[start - 1].isalnum() or low[start - 1] in "_.-"):
                    continue  # tf-keras, my_keras
                match = pattern.match(low, start)
                if match is None or _commented(low, start):
                    continue
                major = match.group("major") or match.group("table_major")
                if major and int(major) >= since:
                    found.append(f"{path} declares {declared[start : match.end()]}")
                    return
        if source:
            for literal, pattern in self.apis[library]:
                for start in _occurrences(source, literal):
                    if pattern is None:
                        end = start + len(literal)
                        before = source[start - 1] if start else " "
                        after = source[end] if end < len(source) else " "
                        if before.isalnum() or before in "_." or after.isalnum() or after == "_":
                            continue  # tf.keras.ops, my_keras_core
                        shown = literal
                    else:
                        match = pattern.match(source, start)
                        if match is None:
                            continue
                        shown = " ".join(match.group(0).split())
                    if not _commented(source, start):
                        found.append(f"{shown} in {path}")
                        return

    # -- what the settings mean ------------------------------------------------------------------

    def votes_for(self, library: str) -> dict[str, set[str]]:
        """framework -> settings, for a multi-backend import that shows no backend of its own
        (``import dgl`` with ``DGLBACKEND=tensorflow`` set: tensorflow)."""
        votes: dict[str, set[str]] = {}
        for variable in self.by_library.get(library, ()):
            for (name, value), _ in self.settings.items():
                if name == variable.name and variable.values[value]:
                    votes.setdefault(variable.values[value], set()).add(f"{name}={value}")
        return votes

    def silent_hint(self, library: str) -> str | None:
        """What would have shown a backend library's backend, for the "does not vote" note:
        "dgl.nn.pytorch/tensorflow/mxnet imports or DGLBACKEND"; None for other libraries."""
        variables = self.by_library.get(library)
        if not variables:
            return None
        markers = [m for m in self.table.module_markers if m.startswith(f"{library}.")]
        heads = {m.rpartition(".")[0] for m in markers}
        shown = []
        if len(heads) == 1:
            (head,) = heads
            shown.append(f"{head}.{'/'.join(m.rpartition('.')[2] for m in markers)} imports")
        else:
            shown += [f"{m} imports" for m in markers]
        shown += [v.name for v in variables]
        return " or ".join(shown)

    def backends(self, library: str) -> list[str]:
        """Backends set for a library: framework ids, or the value when it is not one
        (numpy), most often set first."""
        found: dict[str, int] = {}
        for variable in self.by_library.get(library, ()):
            for (name, value), setting in self.settings.items():
                if name == variable.name:
                    shown = variable.values[value] or value
                    found[shown] = found.get(shown, 0) + setting.count
        return sorted(found, key=lambda b: (-found[b], b))

    def finish(
        self, scores: dict[str, float], frameworks: list[str], multi_used: dict[str, list[str]]
    ) -> tuple[list[str], dict[str, list[str]]]:
        """Notes for the reasons and ``ScanResult.backends``; appends to ``frameworks`` the
        backend of a multi-backend version of a library that is used (Keras 3).
        ``multi_used``: multi-backend import -> the frameworks its imports voted for."""
        notes: list[str] = []
        result: dict[str, list[str]] = {}
        for library, variables in self.by_library.items():
            if library in self.table.names:  # keras: noted, listed for Keras 3
                if library not in scores:
                    continue
                backends = self.backends(library)
                if not backends:
                    continue
                result[library] = backends
                notes.append(f"{library} backend: {self._shown(variables)}")
                marked = self.versioned.get(library)
                if marked and library in frameworks:
                    for backend in backends:
                        if backend in self.table.names and backend not in frameworks:
                            frameworks.append(backend)
                            since = variables[0].lists_backend_from
                            name = f"{library} {since}" if since else f"multi-backend {library}"
                            notes.append(
                                f"{name} ({marked[0]}) runs on {backend} here: {backend} "
                                "listed as used"
                            )
            elif library in multi_used:
                result[library] = sorted(multi_used[library]) or self.backends(library)
        return notes, result

    def _shown(self, variables: list[BackendVariable]) -> str:
        parts = []
        for variable in variables:
            values = [
                (s.count, value, s) for (n, value), s in self.settings.items() if n == variable.name
            ]
            for _, value, setting in sorted(values, key=lambda t: (-t[0], t[1])):
                where = ", ".join(setting.where[:2]) + (", ..." if setting.count > 2 else "")
                parts.append(f"{variable.values[value] or value} ({where})")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Patterns:
    """What :class:`BackendFinder` compiles from the variables of a table (shared by every
    scan with the same variables: read only). ``python`` and the other patterns are None
    when the table has no variables."""

    needles: list[bytes]
    str_needles: list[str]
    python: list[re.Pattern[str]] | None = None
    shell: re.Pattern[str] | None = None
    env_magic: re.Pattern[str] | None = None
    docker_env: re.Pattern[str] | None = None
    yaml: re.Pattern[str] | None = None
    json_backend: re.Pattern[str] | None = None
    declared: dict[str, re.Pattern[str]] = field(default_factory=dict)
    apis: dict[str, list[tuple[str, re.Pattern[str] | None]]] = field(default_factory=dict)
    api_roots: dict[str, frozenset[str]] = field(default_factory=dict)


# Unbounded: keyed by variable names, a process meets a handful of tables; a bounded cache
# could evict patterns that a _COMPILED entry still shares, and two tables would stop sharing.
@cache
def _patterns(variables: tuple[tuple[str, str, tuple[str, ...], bool], ...]) -> _Patterns:
    """The patterns for ``(name, library, lists_backend_apis, has lists_backend_from)`` of
    each variable, in table order: everything the patterns are made of, so two tables with
    the same key get equal patterns."""
    names = [name for name, _, _, _ in variables]
    needles = _needles(names)
    str_needles = [needle.decode() for needle in needles]
    if not names:
        return _Patterns(needles, str_needles)
    var = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    v = rf"(?P<var>{var})"
    value = rf"(?P<val>{_VALUE})"
    python = [
        re.compile(rf"""environ\s*\[\s*(['"]){v}\1\s*\]\s*=(?!=)\s*{_Q}{value}\3"""),
        re.compile(rf"""\b(?:setdefault|putenv|setenv)\s*\(\s*(['"]){v}\1\s*,\s*{_Q}{value}\3"""),
        re.compile(rf"""(['"]){v}\1\s*:\s*{_Q}{value}\3"""),
        # a string that starts a shell command with the setting
        re.compile(
            rf"""(?:['"]\s*|(?:&&|;|\benv|\bexport)\s+)(?:(?:export|env)\s+)?{v}=(['"]?)"""
            rf"""{value}(?![\w{{$-])"""
        ),
    ]
    shell = re.compile(rf"""(?<![\w$.{{/"'\[-]){v}=(?P<q>["']?){value}(?P=q)(?![\w.{{$-])""")
    env_magic = re.compile(rf"""^\s*%env\s+{v}(?:\s*=\s*|\s+)(?P<q>["']?){value}(?P=q)\s*$""", re.M)
    docker_env = re.compile(rf"""^\s*ENV\s+{v}\s+(?P<q>["']?){value}(?P=q)""", re.M | re.I)
    yaml = re.compile(rf"""^\s*{v}\s*:\s*(?P<q>["']?){value}(?P=q)\s*(?:#.*)?$""", re.M)
    # keras.json, also as written by `echo '{"backend": "theano"}' > ~/.keras/keras.json`
    json_backend = re.compile(rf'\\?"backend\\?"\s*:\s*\\?"{value}\\?"')
    declared: dict[str, re.Pattern[str]] = {}
    apis: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
    api_roots: dict[str, frozenset[str]] = {}
    for _, library, library_apis, since in variables:
        if not (since or library_apis):  # (as BackendFinder.version_libraries)
            continue
        spec = r"""\s*(?:\^|~=?|>=|===?|>)?\s*"""
        # matched where the library's name starts (found by str.find: no scan per position)
        declared[library] = re.compile(
            rf"""{re.escape(library)}(?:(?:\[[^\]\n]*\])?["']?\s*(?:===?|>=|~=|>|=)\s*"""
            rf"""["']?{spec}(?P<major>\d+)"""
            rf"""|["']?\s*=\s*\{{[^}}\n]*\bversion\s*=\s*["']{spec}(?P<table_major>\d+))""",
            re.I,
        )
        forms: list[tuple[str, re.Pattern[str] | None]] = []
        for api in library_apis:
            head, _, last = api.rpartition(".")
            forms.append((api, None))  # keras.ops, keras_core: the name itself
            if head:  # from keras import layers, ops
                forms.append(
                    (
                        f"from {head} ",
                        re.compile(rf"from\s+{re.escape(head)}\s+import\s+[^\n#]*?\b{last}\b"),
                    )
                )
        apis[library] = forms
        api_roots[library] = frozenset({library} | {api.split(".", 1)[0] for api in library_apis})
    return _Patterns(
        needles, str_needles, python, shell, env_magic, docker_env, yaml, json_backend,
        declared, apis, api_roots,
    )  # fmt: skip


@dataclass(frozen=True)
class _Compiled:
    """What :class:`BackendFinder` derives from a table's variables (read only)."""

    json_files: dict[str, BackendVariable]  # keras.json -> its variable
    json_needles: list[tuple[str, bytes]]
    libraries: dict[str, BackendVariable]
    by_library: dict[str, list[BackendVariable]]
    version_libraries: list[tuple[str, bytes, BackendVariable]]
    patterns: _Patterns
    any_api_root: frozenset[str]


# variables dict -> what is derived from it, by identity: a scan of a small repository spent
# a sixth of its time deriving it again. The entry holds the dict itself, so its id cannot be
# reused while the entry lives.
_COMPILED: dict[int, tuple[dict[str, BackendVariable], _Compiled]] = {}


def _compiled(variables: dict[str, BackendVariable]) -> _Compiled:
    entry = _COMPILED.get(id(variables))
    if entry is not None and entry[0] is variables:
        return entry[1]
    if len(_COMPILED) >= 16:  # bounded (tests build many tables)
        _COMPILED.clear()
    compiled = _compile(variables)
    _COMPILED[id(variables)] = (variables, compiled)
    return compiled


def _compile(variables: dict[str, BackendVariable]) -> _Compiled:
    json_files = {f: v for v in variables.values() for f in v.json_files}
    by_library: dict[str, list[BackendVariable]] = {}
    for variable in variables.values():
        by_library.setdefault(variable.library, []).append(variable)
    # The needles and regular expressions depend only on the variables' names, libraries
    # and version APIs: shared by the tables with the same ones.
    patterns = _patterns(
        tuple(
            (v.name, v.library, v.lists_backend_apis, v.lists_backend_from is not None)
            for v in variables.values()
        )
    )
    versioned = [
        v for v in variables.values() if v.lists_backend_from is not None or v.lists_backend_apis
    ]
    return _Compiled(
        json_files=json_files,
        json_needles=[(f, f.encode()) for f in json_files],
        libraries={v.library: v for v in variables.values()},
        by_library=by_library,
        version_libraries=[(v.library, v.library.encode(), v) for v in versioned],
        patterns=patterns,
        any_api_root=frozenset().union(*patterns.api_roots.values()),
    )


def _occurrences(text: str, literal: str) -> list[int]:
    """Where ``literal`` starts in ``text`` (at most 1000 places: bounded work per file)."""
    found = []
    start = text.find(literal)
    while start >= 0 and len(found) < 1000:
        found.append(start)
        start = text.find(literal, start + 1)
    return found


def _commented(text: str, start: int) -> bool:
    """True when a ``#`` comes before ``start`` on its line (a comment, or after one)."""
    return "#" in text[text.rfind("\n", 0, start) + 1 : start]


def _needles(names: list[str]) -> list[bytes]:
    """Substrings that every file naming a variable contains: the longest substring common
    to all names when it is long enough (KERAS_BACKEND, DGLBACKEND, TL_BACKEND: BACKEND), else
    the names themselves."""
    if not names:
        return []
    first = min(names, key=len)
    for size in range(len(first), 5, -1):
        for start in range(len(first) - size + 1):
            part = first[start : start + size]
            if all(part in name for name in names):
                return [part.encode()]
    return [name.encode() for name in names]


def _text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")
