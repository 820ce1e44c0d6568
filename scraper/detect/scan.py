"""Scanning a repository's files for framework evidence, and the result of a scan.

:func:`scan` takes ``(path, bytes)`` pairs (from :mod:`scraper.archive` or anywhere else) and
returns a :class:`ScanResult`: the status of the scan, the raw evidence per framework and kind,
and the verdict of :mod:`scraper.detect.classify` with its reasons. Evidence kinds:

* ``import``: own code (.py, .lua) imports the framework;
* ``notebook``: an own notebook imports it;
* ``import_aux``: only tests, docs, examples' helpers, setup scripts, conversion scripts or
  vendored code import it (weighted down);
* ``requirement``: a manifest, setup script or notebook ``!pip install`` declares it;
* ``config``: a Dockerfile base image (``FROM pytorch/pytorch``) or a Caffe ``.prototxt``.

An import of one of the repository's own top-level modules never counts (a root-level
``torch.py`` shadows the real torch). A directory holding a copy of a framework or
multi-backend library (``Theano-master/theano/__init__.py``) is vendored code, and identical
copies of one file (a helper copied into every experiment folder) count once, in the copy with
the highest weight. Multi-backend libraries (transformers, diffusers) vote
only through their TF*/Flax* classes; dgl and tensorlayerx through the backend they are shown to
use (``dgl.nn.pytorch`` imports, or a DGLBACKEND / TL_BACKEND setting found by
:mod:`scraper.detect.backends`, which also notes Keras's backend). Neutral roots (tensorboardX,
onnx, ...) never vote; the reasons say so when they could be mistaken for a framework.

Memory does not grow with the number of files. Per file, only what the verdict needs waits
(the imports the alias table knows, a 64-bit content hash); at ``PENDING_CAP`` such files it
is folded into per-framework summaries of bounded size (:class:`~scraper.detect.classify.
Evidence`): counts, scores, the best-ranked files and names the reasons show. Everything else
is counters or capped sets. A repository under the cap (all 100 labelled ones) gets exactly
the verdict of one pass over all its hits; above it, each fold judges vendored copies,
identical copies and the repository's own modules with the paths seen so far.

:func:`scan_tar_stream` and :func:`scan_path` combine an archive walk and a scan.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
import tarfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from scraper.archive import (
    MALFORMED,
    ArchiveStats,
    ScanLimits,
    iter_directory,
    iter_tar,
    iter_zip,
    safe_path,
)
from scraper.detect.aliases import AliasTable, load_aliases
from scraper.detect.backends import KINDS as BACKEND_KINDS
from scraper.detect.backends import SETTINGS_ONLY_KINDS, BackendFinder
from scraper.detect.classify import Evidence, Hit, Verdict
from scraper.detect.manifests import parse_manifest
from scraper.detect.notebooks import lua_requires, notebook_code
from scraper.detect.paths import (
    LANGUAGE_NAMES,
    ROLE_WEIGHTS,
    file_kind,
    language_of,
    languages_from_extensions,
    outermost_copies,
    package_copy,
    path_role,
    top_level_modules,
    wants,
)
from scraper.detect.python import FileImports, extract_imports
from scraper.models import FrameworkEvidence

DETECTOR_VERSION = "1.2"  # 1.2: backend settings (Keras, DGL, TensorLayerX)
INCOMPLETE_FACTOR = 0.8
DEFAULT_LIMITS = ScanLimits()
_CODE_LANGUAGES = ("python", "jupyter")


@dataclass
class ScanResult:
    """What a scan found. ``status``: 'ok', 'empty' (no files), 'too_large' (a cap stopped the
    walk; the verdict covers what was read), 'error' (a broken archive or unreadable input;
    same). ``primary`` None means no deep-learning framework was found."""

    status: str = "ok"
    detail: str | None = None
    commit: str | None = None
    files_seen: int = 0
    files_scanned: int = 0
    bytes_scanned: int = 0
    unparseable_files: int = 0
    evidence: list[FrameworkEvidence] = field(default_factory=list)
    primary: str | None = None
    frameworks: list[str] = field(default_factory=list)
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # links, unsafe, large, broken
    detector_version: str = DETECTOR_VERSION
    alias_table: str = ""  # version and digest of data/frameworks.toml used
    # Library -> the backends it is set to or shown to use: {"keras": ["theano"]} from
    # KERAS_BACKEND or keras.json, {"dgl": ["pytorch"]} from dgl.nn.pytorch or DGLBACKEND.
    # In the JSON output; the store keeps it only in the reasons (no column for it).
    backends: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        data = asdict(self)
        data["evidence"] = [asdict(e) for e in self.evidence]
        return data


# Memory stays bounded whatever the number of files: per-file evidence waits in a list of at
# most PENDING_CAP files, then is folded into per-framework summaries (classify.Evidence).
# A fold decides vendored copies, identical copies and the repository's own modules with the
# paths seen so far, so a repository of more than PENDING_CAP files with evidence (in the 100
# labelled ones: at most 561, microsoft/LoRA) is judged on slightly less context.
PENDING_CAP = 5_000
DIGEST_CAP = 20_000  # identical copies recognised across folds (8-byte hashes)
PATHS_CAP = 10_000  # own top-level modules and package-copy directories remembered


class _CodeFile(NamedTuple):
    """A code file that imports something the alias table knows, reduced to what the verdict
    needs: for each such import, ``(root, kind, value, shown, votes)`` (see
    :meth:`_Collector._entries`). A tuple: one is made per code file."""

    path: str
    source: str  # 'code' or 'notebook'
    entries: list[tuple[str, str, str, str, dict[str, set[str]] | None]]
    digest: int  # hash() of the file's content (64 bits): identical copies count once


@dataclass
class _Notes:
    """Counts behind the notes of the reasons, summed over folds."""

    copies_removed: int = 0
    shadowed: dict[str, str] = field(default_factory=dict)  # own root -> framework
    neutral: Counter[str] = field(default_factory=Counter)  # neutral root -> files
    multi_votes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    multi_silent: Counter[str] = field(default_factory=Counter)


class _AttributeFinder:
    r"""``base.TFSomething`` attribute uses: ``(base, name)`` pairs, as
    ``re.findall(r"\b([A-Za-z_]\w*)\.((?:TF|Flax)[A-Z]\w*)", text)`` gives them, in fewer
    steps: that pattern is tried at every character, this one only at a ``.`` followed by
    a prefix, after a cheap test that the text holds one at all."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len)[::-1])
        self.markers = tuple(f".{p}" for p in prefixes)
        self.name = re.compile(rf"\.((?:{alternatives})[A-Z]\w*)") if prefixes else None

    def findall(self, text: str) -> list[tuple[str, str]]:
        if self.name is None or not any(marker in text for marker in self.markers):
            return []
        found = []
        consumed = 0  # where the previous match ended: matches do not overlap
        for match in self.name.finditer(text):
            dot = match.start()
            low = max(consumed, dot - 200)
            run = _WORD_RUN.search(text, low, dot)  # the word just before the dot
            if run is None:
                continue
            start = run.start()
            if start == low and low > 0 and _WORD_CHAR.match(text, low - 1):
                if low == consumed:
                    continue  # the word began inside the previous match: no word boundary
                run = _WORD_RUN.search(text, consumed, dot)  # a word of over 200 characters
                start = run.start() if run is not None else dot
                if start == consumed and consumed > 0 and _WORD_CHAR.match(text, start - 1):
                    continue
            if _BASE_START.match(text, start, dot):
                found.append((text[start:dot], match.group(1)))
                consumed = match.end()
        return found


@functools.lru_cache(maxsize=16)
def _attribute_finder(prefixes: tuple[str, ...]) -> _AttributeFinder:
    """One finder per set of prefixes (it is read only): made once, not once per scan."""
    return _AttributeFinder(prefixes)


_WORD_RUN = re.compile(r"\w+\Z")
_WORD_CHAR = re.compile(r"\w")
_BASE_START = re.compile(r"[A-Za-z_]")


class _Collector:
    """Accumulates per-file findings; :meth:`finish` turns them into a ScanResult."""

    def __init__(self, table: AliasTable, thorough: bool, count_languages: bool = True) -> None:
        self.table = table
        self.thorough = thorough
        self.files = 0
        self.bytes = 0
        # Files per language, counted here only when no archive walk counts every file's
        # extension (see _languages).
        self.count_languages = count_languages
        self.languages: Counter[str] = Counter()
        self.own_modules: set[str] = set()
        self.copy_dirs: dict[str, str] = {}  # directory -> package, in the order seen
        self.package_roots = table.package_roots()
        self.import_roots = table.import_roots()
        self.pending_hits: list[Hit] = []  # declarations, configs, Lua code
        self.pending_code: list[_CodeFile] = []
        self.pending_files = 0
        self.folded_digests: set[int] = set()
        self.evidence = Evidence()
        self.notes = _Notes()
        self.problems: list[tuple[str, str]] = []  # the first three, shown in the reasons
        self.problem_count = 0
        self.attributes = _attribute_finder(tuple(table.name_prefixes))
        self.targets_cache = table.targets_memo  # shared by the scans using the table
        self.backends = BackendFinder(table)

    def add(self, path: str, data: bytes) -> None:
        self.files += 1
        self.bytes += len(data)
        if self.count_languages:
            language = language_of(path)
            if language is not None:
                self.languages[language] += 1
        if path.endswith(".py") and (path.count("/") <= 2 or path.endswith("/__init__.py")):
            self._layout(path)
        kind = file_kind(path)
        if kind == "python":  # most files: their imports, and backend settings
            self._python(path, data, "code")
            self.backends.add(path, kind, data, roots=self._roots_of(path))
            if self.pending_files >= PENDING_CAP:
                self._fold()
            return
        found = None
        if kind == "setup_py":
            self._python(path, data, "code")
        if kind == "notebook":
            found = notebook_code(data)
            problem = self._python(path, found.code, "notebook")
            if found.problem or problem:
                self._problem(path, found.problem or problem or "")
            self._declared(path, found.installs)
        elif kind == "lua":
            self._lua(path, data)
        elif kind == "prototxt":
            if b"layer" in data and "caffe" in self.table.names:
                self._hits([Hit("caffe", path, "config", 1, ("Caffe .prototxt",))])
        elif kind in SETTINGS_ONLY_KINDS:
            pass
        elif kind is not None and kind != "python":  # setup.py: code and manifest
            manifest = parse_manifest(kind, _text(data))
            if manifest.problem:
                self._problem(path, manifest.problem)
            hits = self._declarations(path, manifest.packages)
            for image in manifest.images:
                framework = self.table.lookup_image(image)
                if framework:
                    hits.append(Hit(framework, path, "config", 1, (image,)))
            self._hits(hits)
        if kind in BACKEND_KINDS:
            roots = self._roots_of(path)
            if found is None:
                self.backends.add(path, kind, data, roots=roots)
            else:
                self.backends.add(path, kind, data, found.code, found.shell, roots)
        if self.pending_files >= PENDING_CAP:
            self._fold()

    def _roots_of(self, path: str) -> set[str] | tuple[()]:
        """The import roots the alias table knows of the code file just added (the backend
        pass looks for version APIs only in files importing the library), () for none."""
        last = self.pending_code[-1] if self.pending_code else None
        return {e[0] for e in last.entries} if last and last.path is path else ()

    def _layout(self, path: str) -> None:
        """Remember what a ``.py`` path says about the layout: the repository's own top-level
        modules (see :func:`top_level_modules`) and copies of known packages (see
        :func:`package_copies`)."""
        if path.count("/") <= 2 and len(self.own_modules) < PATHS_CAP:
            self.own_modules |= top_level_modules([path])
        if path.endswith("/__init__.py") and len(self.copy_dirs) < PATHS_CAP:
            copy = package_copy(path, self.package_roots)
            if copy is not None:
                self.copy_dirs.setdefault(*copy)

    def _problem(self, path: str, why: str) -> None:
        self.problem_count += 1
        if len(self.problems) < 3:
            self.problems.append((path, why))

    def _hits(self, hits: list[Hit]) -> None:
        if hits:
            self.pending_hits.extend(hits)
            self.pending_files += 1

    def _python(self, path: str, data: bytes | str, source: str) -> str | None:
        """Record the imports of Python code; returns the parse problem, if any (recorded
        here for .py files, by the caller for notebooks)."""
        imports = extract_imports(data, thorough=self.thorough, roots=self.import_roots)
        if imports.problem and source == "code":
            self._problem(path, imports.problem)
        entries = self._entries(imports, data) if imports.imports else None
        if entries:
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
            self.pending_code.append(_CodeFile(path, source, entries, hash(raw)))
            self.pending_files += 1
        return imports.problem

    def _entries(
        self, imports: FileImports, data: bytes | str
    ) -> list[tuple[str, str, str, str, dict[str, set[str]] | None]]:
        """What the alias table makes of a file's imports, before the repository's own
        modules are known: ``(root, kind, value, shown, votes)`` for each target of each
        import it knows. ``votes`` (multi-backend imports only): framework -> class names."""
        entries: list[tuple[str, str, str, str, dict[str, set[str]] | None]] = []
        attributes: list[tuple[str, str]] | None = None
        roots = self.import_roots
        cache = self.targets_cache
        for module, names in imports.imports:
            root = module.split(".", 1)[0]
            if root not in roots:  # no table entry starts with it: nothing to look up
                continue
            targets = cache.get((module, names))
            if targets is None:
                targets = list(self._targets(module, names)) if self._known(module, names) else []
                if len(cache) >= 4096:  # bounded: the same imports recur across files
                    cache.clear()
                cache[(module, names)] = targets
            for (kind, value), shown in targets:
                votes = None
                if kind == "multi":
                    if attributes is None:  # once per file, whatever its number of imports
                        text = data if isinstance(data, str) else _text(data)
                        attributes = list(dict.fromkeys(self.attributes.findall(text)))
                    votes = self._multi_votes(module, names, imports.aliases, attributes)
                entries.append((root, kind, value, shown, votes))
        return entries

    def _known(self, module: str, names: tuple[str, ...]) -> bool:
        lookup = self.table.lookup_import
        return lookup(module) is not None or any(lookup(f"{module}.{n}") for n in names)

    def _lua(self, path: str, data: bytes) -> None:
        counts: Counter[str] = Counter()
        names: dict[str, set[str]] = defaultdict(set)
        for module in lua_requires(_text(data)):
            root = module.split(".", 1)[0]
            framework = self.table.lua.get(root)
            if framework:
                counts[framework] += 1
                names[framework].add(root)
        self._hits(
            [
                Hit(framework, path, "code", n, tuple(sorted(names[framework])))
                for framework, n in counts.items()
            ]
        )

    def _declared(self, path: str, packages: list[str]) -> None:
        self._hits(self._declarations(path, packages))

    def _declarations(self, path: str, packages: list[str]) -> list[Hit]:
        counts: Counter[str] = Counter()
        names: dict[str, list[str]] = defaultdict(list)
        for package in packages:
            target = self.table.lookup_package(package)
            if target and target[0] == "framework":
                counts[target[1]] += 1
                if package not in names[target[1]]:
                    names[target[1]].append(package)
        return [
            Hit(framework, path, "requirement", n, tuple(names[framework]))
            for framework, n in counts.items()
        ]

    # -- folding and finishing -------------------------------------------------------------------

    def _copies(self) -> dict[str, str]:
        return outermost_copies(self.copy_dirs)

    def _fold(self) -> None:
        """Turn the waiting per-file evidence into hits, with what the paths seen so far say
        about the layout, and add them to the summaries."""
        copies = self._copies()
        own = self.own_modules - {"setup", "__init__"}
        hits = []
        for hit in self.pending_hits:
            if _under(hit.path, copies):
                hit = dataclasses.replace(hit, role="vendored")
            hits.append(hit)
        hits += self._code_hits(own, copies)
        self.evidence.add(hits)
        self.pending_hits = []
        self.pending_code = []
        self.pending_files = 0

    def finish(self, stats: ArchiveStats | None) -> ScanResult:
        self._fold()
        notes: list[str] = []
        for directory, package in self._copies().items():
            notes.append(f"{directory}/ holds a copy of {package}: counted as vendored code")
        notes += self._notes()
        verdict = self.evidence.verdict(self.table.order)
        used = {root: list(votes) for root, votes in self.notes.multi_votes.items()}
        backend_notes, backends = self.backends.finish(verdict.scores, verdict.frameworks, used)
        notes += backend_notes
        result = ScanResult(
            commit=stats.commit if stats else None,
            files_seen=max(stats.files_seen if stats else 0, self.files),
            files_scanned=self.files,
            bytes_scanned=self.bytes,
            unparseable_files=self.problem_count,
            evidence=verdict.evidence,
            primary=verdict.primary,
            frameworks=verdict.frameworks,
            confidence=verdict.confidence,
            languages=self._languages(stats),
            alias_table=f"v{self.table.version}-{self.table.digest}",
            backends=backends,
        )
        if stats is not None:
            result.skipped = {
                "links": stats.skipped_links,
                "unsafe": stats.skipped_unsafe,
                "large": stats.skipped_large,
                "broken": stats.skipped_broken,
            }
        if stats is not None and stats.truncated:
            result.status = "too_large" if stats.cap_hit else "error"
            result.detail = stats.truncated
        elif result.files_seen == 0:
            result.status = "empty"
            result.detail = "no files in the repository"
        result.reasons = self._reasons(verdict, result, notes, stats)
        if result.primary is None:
            result.confidence = self._none_confidence(result)
        if result.status in ("too_large", "error"):
            result.confidence = round(result.confidence * INCOMPLETE_FACTOR, 3)
        return result

    def _distinct_code(self, copies: dict[str, str]) -> list[tuple[_CodeFile, str]]:
        """The waiting code files with identical copies removed (the copy of highest weight
        stays, and a copy of a file already folded goes), each with its role ('vendored'
        when under a package copy, else the path's)."""
        best: dict[int, tuple[float, int]] = {}  # digest -> (weight, index)
        roles: list[str] = []
        for index, item in enumerate(self.pending_code):
            # The role is decided here once ("vendored" or the path's): the hits carry it.
            role = "vendored" if copies and _under(item.path, copies) else path_role(item.path)
            roles.append(role)
            if item.digest in self.folded_digests:
                continue
            weight = ROLE_WEIGHTS[role]
            old = best.get(item.digest)
            if old is None or weight > old[0]:
                best[item.digest] = (weight, index)
        kept = sorted(index for _, index in best.values())
        self.notes.copies_removed += len(self.pending_code) - len(kept)
        room = DIGEST_CAP - len(self.folded_digests)
        if room > 0:
            self.folded_digests.update(itertools.islice(best, room))
        return [(self.pending_code[i], roles[i]) for i in kept]

    def _code_hits(self, own: set[str], copies: dict[str, str]) -> list[Hit]:
        hits: list[Hit] = []
        notes = self.notes
        for item, role in self._distinct_code(copies):
            counts: dict[str, int] = {}  # framework -> imports, in the order first seen
            roots: dict[str, set[str]] = {}
            neutral: set[str] = set()
            silent: set[str] = set()
            for root, kind, value, shown, votes in item.entries:
                if root in own:
                    if kind == "framework":
                        notes.shadowed.setdefault(root, value)
                    continue
                if kind == "framework":
                    if value in counts:  # (counts and roots always get a key together)
                        counts[value] += 1
                        roots[value].add(shown)
                    else:
                        counts[value] = 1
                        roots[value] = {shown}
                elif kind == "neutral":
                    if value not in neutral:
                        neutral.add(value)
                        notes.neutral[value] += 1
                elif kind == "multi" and votes is not None:
                    if not votes:  # no backend of its own: a DGLBACKEND-style setting's
                        votes = self.backends.votes_for(value)
                    for framework, why in votes.items():
                        counts[framework] = counts.get(framework, 0) + 1
                        roots.setdefault(framework, set()).add(value)
                        seen = notes.multi_votes.setdefault(value, {}).setdefault(framework, set())
                        seen |= why
                        if len(seen) > 3:  # the reasons show the first three
                            seen.intersection_update(sorted(seen)[:3])
                    if not votes and value not in silent:
                        silent.add(value)
                        notes.multi_silent[value] += 1
            for framework, n in counts.items():
                names = tuple(sorted(roots[framework]))
                hits.append(Hit(framework, item.path, item.source, n, names, role))
        return hits

    def _notes(self) -> list[str]:
        notes: list[str] = []
        counts = self.notes
        if counts.copies_removed:
            shown = _count(counts.copies_removed, "identical copy")
            notes.append(f"{shown} of framework-importing files counted once")
        for root, framework in sorted(counts.shadowed.items()):
            notes.append(f"'{root}' is the repository's own module here, not {framework}")
        for root, n in sorted(counts.neutral.items()):
            note = self.table.notes.get(root)
            if note:
                notes.append(f"{root} imported in {_count(n, 'file')}: {note}")
        for root, votes in sorted(counts.multi_votes.items()):
            backend = self.backends.silent_hint(root) is not None  # dgl: a backend, not classes
            for framework, why in sorted(votes.items()):
                shown = ", ".join(sorted(why)[:3])
                used = f"the {framework} backend" if backend else f"{framework} classes"
                notes.append(f"{root} used with {used} ({shown}): counted as {framework}")
        prefixes = "/".join(self.table.name_prefixes)
        for root, n in sorted(counts.multi_silent.items()):
            if root not in counts.multi_votes:
                hint = self.backends.silent_hint(root)
                what = f"a visible backend ({hint})" if hint else f"{prefixes} classes"
                notes.append(
                    f"{root} imported in {_count(n, 'file')} without {what}: does not vote"
                )
        return notes

    def _targets(self, module: str, names: tuple[str, ...]) -> Iterator[tuple[Any, str]]:
        """(target, root shown in reasons) for one import statement. For ``from a.b import c``
        a longer table entry ``a.b.c`` wins over ``a.b`` / ``a``."""
        found = self.table.lookup_import(module)
        plain = False
        for name in names:
            longer = self.table.lookup_import(f"{module}.{name}")
            if longer and (found is None or len(longer[0]) > len(found[0])):
                yield longer[1], longer[0]
            else:
                plain = True
        if found and (plain or not names):
            yield found[1], found[0].split(".", 1)[0]

    def _multi_votes(
        self,
        module: str,
        names: tuple[str, ...],
        aliases: dict[str, str],
        attributes: list[tuple[str, str]],
    ) -> dict[str, set[str]]:
        votes = self.table.multi_backend_framework(module, names)
        bases = {module.split(".", 1)[0]} | {
            alias for alias, target in aliases.items() if target == module
        }
        for base, name in attributes:
            if base in bases:
                framework = self.table.class_framework(name)
                if framework:
                    votes.setdefault(framework, set()).add(name)
        return votes

    def _languages(self, stats: ArchiveStats | None) -> dict[str, int]:
        if stats is not None and stats.extensions:
            return languages_from_extensions(stats.extensions)
        return dict(sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0])))

    def _reasons(
        self, verdict: Verdict, result: ScanResult, notes: list[str], stats: ArchiveStats | None
    ) -> list[str]:
        reasons = list(verdict.reasons)
        if result.primary is None and result.status != "empty":
            reasons.insert(0, _no_framework_reason(result))
        reasons.extend(notes)
        if self.problem_count:
            shown = "; ".join(f"{p} ({why})" for p, why in self.problems)
            more = ", ..." if self.problem_count > 3 else ""
            reasons.append(
                f"{_count(self.problem_count, 'file')} could not be parsed cleanly, "
                f"read line by line: {shown}{more}"
            )
        if stats is not None:
            if stats.skipped_large:
                reasons.append(f"{_count(stats.skipped_large, 'file')} over the size cap not read")
            if stats.truncated:
                reasons.append(f"scan incomplete: {stats.truncated}")
        return reasons

    def _none_confidence(self, result: ScanResult) -> float:
        if result.status == "empty":
            return 0.0
        python_files = sum(result.languages.get(lang, 0) for lang in _CODE_LANGUAGES)
        if python_files == 0:
            return 0.7
        return round(0.5 + 0.4 * (1.0 - math.exp(-python_files / 3.0)), 3)


def _no_framework_reason(result: ScanResult) -> str:
    languages = result.languages
    python_files = sum(languages.get(lang, 0) for lang in _CODE_LANGUAGES)
    others = [(lang, n) for lang, n in languages.items() if lang not in _CODE_LANGUAGES]
    if python_files == 0:
        if not others:
            return "no Python code and no recognised source files"
        lang, n = others[0]
        name = LANGUAGE_NAMES.get(lang, lang)
        return f"no Python code: {name} repository ({_count(n, f'{name} file')})"
    line = f"no deep-learning framework imported or declared ({_count(python_files, 'Python file')}"
    line += " or notebooks)" if languages.get("jupyter") else ")"
    if others and others[0][1] > python_files:
        lang, n = others[0]
        line += f"; mostly {LANGUAGE_NAMES.get(lang, lang)} ({_count(n, 'file')})"
    return line


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def _under(path: str, directories: dict[str, str]) -> bool:
    return any(path.startswith(d + "/") for d in directories)


def _text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")


def scan(
    members: Iterable[tuple[str, bytes]],
    stats: ArchiveStats | None = None,
    *,
    aliases: AliasTable | None = None,
    thorough: bool = False,
) -> ScanResult:
    """Scan ``(path, bytes)`` pairs and classify the repository.

    ``stats`` (from the archive walk that produced ``members``) supplies the commit, the
    number of files seen, per-extension counts for ``languages`` and why the walk stopped
    early. ``thorough=True`` parses every Python file with ``ast`` first (slower; the default
    regular-expression extractor reads the same imports on real code).
    """
    collector = _Collector(aliases or load_aliases(), thorough, count_languages=stats is None)
    for path, data in members:
        collector.add(path, data)
    return collector.finish(stats)


def scan_tar_stream(
    fileobj: Any, limits: ScanLimits = DEFAULT_LIMITS, strip_top: bool = True
) -> ScanResult:
    """Scan a tar(.gz) stream such as a codeload tarball, read once, never stored."""
    stats = ArchiveStats()
    return scan(iter_tar(fileobj, limits, stats, wants, strip_top), stats)


def _single_top(entries: Iterable[tuple[str, bool]]) -> bool:
    """True when every ``(name, is_dir)`` entry lies under one top-level directory
    (``repo-main/...``), as in GitHub's tarballs and zip files."""
    tops = set()
    nested = False
    for name, is_dir in entries:
        clean = safe_path(name)
        if not clean:
            continue
        top, sep, _ = clean.partition("/")
        nested = nested or bool(sep)
        tops.add(top if (sep or is_dir) else "/" + top)  # a file at the top is not a directory
        if len(tops) > 1:
            return False
    return nested and len(tops) == 1


def _tar_has_single_top(path: Path, sample: int = 1000) -> bool:
    """Looks at the first ``sample`` member names only (a second full pass would double the
    decompression work)."""
    entries = []
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                entries.append((member.name, member.isdir()))
                if len(entries) >= sample:
                    break
    except MALFORMED:
        return False  # the scan itself will report what is wrong with the archive
    return _single_top(entries)


def scan_path(path: str | Path, limits: ScanLimits = DEFAULT_LIMITS) -> ScanResult:
    """Scan a directory, a ``.tar``/``.tar.gz``/``.tgz`` (or bz2/xz) file or a ``.zip`` file.
    A single top-level directory in an archive (as GitHub makes them) is stripped."""
    target = Path(path)
    stats = ArchiveStats()
    if target.is_dir():
        return scan(iter_directory(target, limits, stats, wants), stats)
    if not target.is_file():
        return ScanResult(status="error", detail=f"no such file or directory: {target}")
    if zipfile.is_zipfile(target):
        try:
            with zipfile.ZipFile(target) as archive:
                strip = _single_top((i.filename, i.is_dir()) for i in archive.infolist())
        except MALFORMED as exc:
            return ScanResult(status="error", detail=f"not a readable zip archive: {exc}")
        return scan(iter_zip(target, limits, stats, wants, strip), stats)
    strip = _tar_has_single_top(target)
    with target.open("rb") as handle:
        return scan(iter_tar(handle, limits, stats, wants, strip), stats)
