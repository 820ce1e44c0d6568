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
only through their TF*/Flax* classes. Neutral roots (tensorboardX, onnx, ...) never vote; the
reasons say so when they could be mistaken for a framework.

:func:`scan_tar_stream` and :func:`scan_path` combine an archive walk and a scan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import tarfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
from scraper.detect.classify import Hit, Verdict, decide
from scraper.detect.manifests import parse_manifest
from scraper.detect.notebooks import lua_requires, notebook_code
from scraper.detect.paths import (
    LANGUAGE_NAMES,
    ROLE_WEIGHTS,
    file_kind,
    language_of,
    languages_from_extensions,
    package_copies,
    role_weight,
    top_level_modules,
    wants,
)
from scraper.detect.python import FileImports, extract_imports
from scraper.models import FrameworkEvidence

DETECTOR_VERSION = "1.1"  # 1.1: package copies vendored, duplicates once, aux-only ignored
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

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        data = asdict(self)
        data["evidence"] = [asdict(e) for e in self.evidence]
        return data


@dataclass
class _CodeFile:
    path: str
    source: str  # 'code' or 'notebook'
    imports: FileImports
    text: str
    digest: bytes = b""  # of the file's content: identical copies count once
    attributes: list[tuple[str, str]] | None = None  # (base, class) such as (transformers, TFX)


class _Collector:
    """Accumulates per-file findings; :meth:`finish` turns them into a ScanResult."""

    def __init__(self, table: AliasTable, thorough: bool) -> None:
        self.table = table
        self.thorough = thorough
        self.paths: list[str] = []
        self.bytes = 0
        self.code: list[_CodeFile] = []
        self.hits: list[Hit] = []
        self.problems: list[tuple[str, str]] = []
        prefixes = "|".join(re.escape(p) for p in sorted(table.name_prefixes, key=len)[::-1])
        # ``base.TFSomething``: only names a multi-backend prefix can start, so the text is
        # scanned once per file for little more than those prefixes.
        self.attribute = (
            re.compile(rf"\b([A-Za-z_]\w*)\.((?:{prefixes})[A-Z]\w*)") if prefixes else None
        )

    def add(self, path: str, data: bytes) -> None:
        self.paths.append(path)
        self.bytes += len(data)
        kind = file_kind(path)
        if kind == "python" or kind == "setup_py":
            self._python(path, data, "code")
        if kind == "notebook":
            found = notebook_code(data)
            problem = self._python(path, found.code, "notebook")
            if found.problem or problem:
                self.problems.append((path, found.problem or problem or ""))
            self._declared(path, found.installs)
        elif kind == "lua":
            self._lua(path, data)
        elif kind == "prototxt":
            if b"layer" in data and "caffe" in self.table.names:
                self.hits.append(Hit("caffe", path, "config", 1, ("Caffe .prototxt",)))
        elif kind is not None and kind != "python":
            manifest = parse_manifest(kind, _text(data))
            if manifest.problem:
                self.problems.append((path, manifest.problem))
            self._declared(path, manifest.packages)
            for image in manifest.images:
                framework = self.table.lookup_image(image)
                if framework:
                    self.hits.append(Hit(framework, path, "config", 1, (image,)))

    def _python(self, path: str, data: bytes | str, source: str) -> str | None:
        """Record the imports of Python code; returns the parse problem, if any (recorded
        here for .py files, by the caller for notebooks)."""
        imports = extract_imports(data, thorough=self.thorough)
        if imports.problem and source == "code":
            self.problems.append((path, imports.problem))
        # Only imports the alias table knows can matter; keeping just those keeps the memory
        # per file small (a repository may hold 200,000 files).
        imports.imports = [(m, n) for m, n in imports.imports if self._known(m, n)]
        if imports.imports:
            modules = {m for m, _ in imports.imports}
            imports.aliases = {a: m for a, m in imports.aliases.items() if m in modules}
            text = ""  # kept only when needed: attribute use such as transformers.TFAutoModel
            if self._uses_multi_backend(imports):
                text = data if isinstance(data, str) else _text(data)
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            self.code.append(_CodeFile(path, source, imports, text, digest))
        return imports.problem

    def _known(self, module: str, names: tuple[str, ...]) -> bool:
        lookup = self.table.lookup_import
        return lookup(module) is not None or any(lookup(f"{module}.{n}") for n in names)

    def _uses_multi_backend(self, imports: FileImports) -> bool:
        for module, _ in imports.imports:
            found = self.table.lookup_import(module)
            if found and found[1][0] == "multi":
                return True
        return False

    def _lua(self, path: str, data: bytes) -> None:
        counts: Counter[str] = Counter()
        names: dict[str, set[str]] = defaultdict(set)
        for module in lua_requires(_text(data)):
            root = module.split(".", 1)[0]
            framework = self.table.lua.get(root)
            if framework:
                counts[framework] += 1
                names[framework].add(root)
        for framework, n in counts.items():
            self.hits.append(Hit(framework, path, "code", n, tuple(sorted(names[framework]))))

    def _declared(self, path: str, packages: list[str]) -> None:
        counts: Counter[str] = Counter()
        names: dict[str, list[str]] = defaultdict(list)
        for package in packages:
            target = self.table.lookup_package(package)
            if target and target[0] == "framework":
                counts[target[1]] += 1
                if package not in names[target[1]]:
                    names[target[1]].append(package)
        for framework, n in counts.items():
            self.hits.append(Hit(framework, path, "requirement", n, tuple(names[framework])))

    # -- finishing -----------------------------------------------------------------------------

    def finish(self, stats: ArchiveStats | None) -> ScanResult:
        own = top_level_modules([p for p in self.paths if p.endswith(".py")])
        notes: list[str] = []
        copies = package_copies(self.paths, self.table.package_roots())
        for directory, package in copies.items():
            notes.append(f"{directory}/ holds a copy of {package}: counted as vendored code")
        roles = {p: "vendored" for p in self.paths if _under(p, copies)}
        hits = [dataclasses.replace(h, role=roles.get(h.path, h.role)) for h in self.hits]
        hits += self._code_hits(own, notes, roles)
        verdict = decide(hits, self.table.order)
        result = ScanResult(
            commit=stats.commit if stats else None,
            files_seen=max(stats.files_seen if stats else 0, len(self.paths)),
            files_scanned=len(self.paths),
            bytes_scanned=self.bytes,
            unparseable_files=len(self.problems),
            evidence=verdict.evidence,
            primary=verdict.primary,
            frameworks=verdict.frameworks,
            confidence=verdict.confidence,
            languages=self._languages(stats),
            alias_table=f"v{self.table.version}-{self.table.digest}",
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

    def _distinct_code(self, roles: dict[str, str]) -> tuple[list[_CodeFile], int]:
        """Code files with identical copies removed (the copy of highest weight stays), and
        how many copies were removed."""

        def weight(item: _CodeFile) -> float:
            role = roles.get(item.path)
            return ROLE_WEIGHTS[role] if role else role_weight(item.path)

        best: dict[bytes, _CodeFile] = {}
        for item in self.code:
            old = best.get(item.digest)
            if old is None or weight(item) > weight(old):
                best[item.digest] = item
        kept = {id(item) for item in best.values()}
        return [item for item in self.code if id(item) in kept], len(self.code) - len(best)

    def _code_hits(self, own: set[str], notes: list[str], roles: dict[str, str]) -> list[Hit]:
        hits: list[Hit] = []
        code, copies = self._distinct_code(roles)
        if copies:
            shown = _count(copies, "identical copy")
            notes.append(f"{shown} of framework-importing files counted once")
        neutral: dict[str, list[str]] = defaultdict(list)
        multi_votes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        multi_silent: dict[str, list[str]] = defaultdict(list)
        shadowed: dict[str, str] = {}
        for item in code:
            counts: Counter[str] = Counter()
            roots: dict[str, set[str]] = defaultdict(set)
            for module, names in item.imports.imports:
                root = module.split(".", 1)[0]
                for target, shown in self._targets(module, names):
                    kind, value = target
                    if root in own:
                        if kind == "framework":
                            shadowed.setdefault(root, value)
                        continue
                    if kind == "framework":
                        counts[value] += 1
                        roots[value].add(shown)
                    elif kind == "neutral" and item.path not in neutral[value]:
                        neutral[value].append(item.path)
                    elif kind == "multi":
                        votes = self._multi_votes(module, names, item)
                        for framework, why in votes.items():
                            counts[framework] += 1
                            roots[framework].add(value)
                            multi_votes[value][framework] |= why
                        if not votes and item.path not in multi_silent[value]:
                            multi_silent[value].append(item.path)
            for framework, n in counts.items():
                names = tuple(sorted(roots[framework]))
                hits.append(Hit(framework, item.path, item.source, n, names, roles.get(item.path)))
        for root, framework in sorted(shadowed.items()):
            notes.append(f"'{root}' is the repository's own module here, not {framework}")
        for root, paths in sorted(neutral.items()):
            note = self.table.notes.get(root)
            if note:
                notes.append(f"{root} imported in {_count(len(paths), 'file')}: {note}")
        for root, votes in sorted(multi_votes.items()):
            for framework, why in sorted(votes.items()):
                shown = ", ".join(sorted(why)[:3])
                notes.append(f"{root} used with {framework} classes ({shown}): counted as "
                             f"{framework}")  # fmt: skip
        prefixes = "/".join(self.table.name_prefixes)
        for root, paths in sorted(multi_silent.items()):
            if root not in multi_votes:
                notes.append(
                    f"{root} imported in {_count(len(paths), 'file')} without {prefixes} "
                    "classes: does not vote"
                )
        return hits

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
        self, module: str, names: tuple[str, ...], item: _CodeFile
    ) -> dict[str, set[str]]:
        votes = self.table.multi_backend_framework(module, names)
        bases = {module.split(".", 1)[0]} | {
            alias for alias, target in item.imports.aliases.items() if target == module
        }
        if item.attributes is None:  # once per file, whatever its number of imports
            found = self.attribute.findall(item.text) if self.attribute else []
            item.attributes = list(dict.fromkeys(found))
        for base, name in item.attributes:
            if base in bases:
                framework = self.table.class_framework(name)
                if framework:
                    votes.setdefault(framework, set()).add(name)
        return votes

    def _languages(self, stats: ArchiveStats | None) -> dict[str, int]:
        if stats is not None and stats.extensions:
            return languages_from_extensions(stats.extensions)
        counts: Counter[str] = Counter(
            lang for lang in map(language_of, self.paths) if lang is not None
        )
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def _reasons(
        self, verdict: Verdict, result: ScanResult, notes: list[str], stats: ArchiveStats | None
    ) -> list[str]:
        reasons = list(verdict.reasons)
        if result.primary is None and result.status != "empty":
            reasons.insert(0, _no_framework_reason(result, self.code))
        reasons.extend(notes)
        if self.problems:
            shown = "; ".join(f"{p} ({why})" for p, why in self.problems[:3])
            more = ", ..." if len(self.problems) > 3 else ""
            reasons.append(
                f"{_count(len(self.problems), 'file')} could not be parsed cleanly, "
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


def _no_framework_reason(result: ScanResult, code: list[_CodeFile]) -> str:
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
    collector = _Collector(aliases or load_aliases(), thorough)
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
