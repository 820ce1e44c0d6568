"""The framework alias table (``data/frameworks.toml``) as lookup structures.

The file's format is documented at its top. :func:`load_aliases` reads and checks it;
:class:`AliasTable` answers "which framework does this import / package / image mean?".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from scraper.errors import ConfigError

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "frameworks.toml"

_ID = re.compile(r"[a-z][a-z0-9-]*")
_PEP503 = re.compile(r"[-_.]+")

# What an import resolves to: ("framework", id), ("neutral", root) or ("multi", root).
Target = tuple[str, str]
_VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class BackendVariable:
    """An environment variable that chooses a library's backend (``[backend_settings.<name>]``
    in the table; read by :mod:`scraper.detect.backends`)."""

    name: str  # KERAS_BACKEND
    library: str  # a framework id (keras) or a multi-backend import (dgl, tensorlayerx)
    values: dict[str, str]  # lower-case value -> framework id, "" = a backend, not a framework
    json_files: tuple[str, ...] = ()  # keras.json: its "backend" key sets the variable
    lists_backend_from: int | None = None  # declared major version that lists the backend
    lists_backend_apis: tuple[str, ...] = ()  # modules only that version has (keras.ops)


def normalize_package(name: str) -> str:
    """PEP 503 normal form of a distribution name: ``Torch_Vision`` -> ``torch-vision``."""
    return _PEP503.sub("-", name.strip()).lower()


def _image_name(image: str) -> str:
    """A Docker image reference without registry defaults, tag or digest, lower case."""
    name = image.strip().lower().split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    for prefix in ("docker.io/", "index.docker.io/", "registry.hub.docker.com/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name


@dataclass
class AliasTable:
    """Lookups built from the alias table. Build it with :func:`load_aliases`."""

    version: int
    digest: str  # sha256 of the file, first 12 hex digits
    order: tuple[str, ...]  # framework ids in table order (the tie-break order)
    names: dict[str, str]  # id -> display name
    imports: dict[str, Target]  # dotted import prefix -> target
    packages: dict[str, Target]  # normalised package name -> target
    package_prefixes: list[tuple[str, Target]]  # "mxnet-cu" -> target (from "mxnet-cu*")
    docker: list[tuple[str, bool, str]]  # (image, is_prefix, framework id)
    lua: dict[str, str]  # Lua module -> framework id
    notes: dict[str, str]  # neutral root -> why it does not count
    name_prefixes: dict[str, str]  # multi-backend class-name prefix -> framework id
    module_markers: dict[str, str]  # multi-backend module-path marker -> framework id
    backend_variables: dict[str, BackendVariable] = field(default_factory=dict)
    _memo: dict[str, tuple[str, Target] | None] = field(default_factory=dict, repr=False)
    _roots: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    # (module, names) of an import -> what the scan makes of it (scraper.detect.scan): a pure
    # function of the table, so the scans sharing the table share it (bounded there).
    targets_memo: dict[tuple[str, tuple[str, ...]], list[tuple[Target, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def lookup_import(self, module: str) -> tuple[str, Target] | None:
        """``(matched prefix, target)`` for a dotted module name; the longest prefix wins."""
        if module in self._memo:
            return self._memo[module]
        parts = module.split(".")
        found = None
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            target = self.imports.get(key)
            if target is not None:
                found = (key, target)
                break
        if len(self._memo) < 20_000:  # bounded: memory must not grow with the repository
            self._memo[module] = found
        return found

    def package_roots(self) -> frozenset[str]:
        """Top-level import names of frameworks and multi-backend libraries (``torch``,
        ``theano``, ``detectron2``, ``transformers``...): packages whose copy in a repository
        is vendored code."""
        found = self._roots.get("package")
        if found is None:
            found = frozenset(
                name
                for name, (kind, _) in self.imports.items()
                if "." not in name and kind in ("framework", "multi")
            )
            self._roots["package"] = found
        return found

    def import_roots(self) -> frozenset[str]:
        """The first component of every import entry: an import whose root is not among
        them can match nothing in the table."""
        found = self._roots.get("import")
        if found is None:
            found = frozenset(name.split(".", 1)[0] for name in self.imports)
            self._roots["import"] = found
        return found

    def lookup_package(self, name: str) -> Target | None:
        """Target of a pip/conda distribution name (any spelling), or None."""
        key = normalize_package(name)
        target = self.packages.get(key)
        if target is not None:
            return target
        for prefix, prefixed in self.package_prefixes:
            if key.startswith(prefix):
                return prefixed
        return None

    def lookup_image(self, image: str) -> str | None:
        """Framework id of a Docker image reference (``pytorch/pytorch:1.7-cuda11``), or None."""
        name = _image_name(image)
        for pattern, is_prefix, framework in self.docker:
            if name == pattern or (is_prefix and name.startswith(pattern)):
                return framework
        return None

    def multi_backend_framework(self, module: str, names: tuple[str, ...]) -> dict[str, set[str]]:
        """Frameworks a multi-backend import votes for: framework -> the names that say so."""
        votes: dict[str, set[str]] = {}
        full: list[str] | None = None  # `from dgl.nn import pytorch`: dgl.nn.pytorch
        for marker, framework in self.module_markers.items():
            if marker in module:
                votes.setdefault(framework, set()).add(module)
                continue
            if "." not in marker:  # a name part (modeling_tf_): only in the module path
                continue
            if full is None:
                full = [f"{module}.{name}" for name in names]
            for path in full:
                if marker in path:
                    votes.setdefault(framework, set()).add(path)
        for name in (*names, module.rsplit(".", 1)[-1]):
            framework = self.class_framework(name)
            if framework:
                votes.setdefault(framework, set()).add(name)
        return votes

    def class_framework(self, name: str) -> str | None:
        """``TFBertModel`` -> tensorflow, ``FlaxBertModel`` -> jax, ``BertModel`` -> None."""
        for prefix, framework in self.name_prefixes.items():
            if name.startswith(prefix) and len(name) > len(prefix) and name[len(prefix)].isupper():
                return framework
        return None


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where} must be a table of strings")
    return dict(value)


class _Builder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.imports: dict[str, Target] = {}
        self.packages: dict[str, Target] = {}
        self.prefixes: list[tuple[str, Target]] = []

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def add_import(self, name: str, target: Target) -> None:
        if not all(part.isidentifier() for part in name.split(".")):
            raise self.fail(f"{name!r} is not a Python module name ({target[1]})")
        if name in self.imports and self.imports[name] != target:
            raise self.fail(f"import {name!r} is listed twice ({self.imports[name]} and {target})")
        self.imports[name] = target

    def add_package(self, name: str, target: Target) -> None:
        if name.endswith("*"):
            self.prefixes.append((normalize_package(name[:-1]), target))
            return
        key = normalize_package(name)
        if key in self.packages and self.packages[key] != target:
            raise self.fail(f"package {name!r} is listed twice ({self.packages[key]} and {target})")
        self.packages[key] = target


def parse_aliases(raw: bytes, path: Path = DEFAULT_PATH) -> AliasTable:
    """Build an :class:`AliasTable` from the bytes of a frameworks.toml. Raises ConfigError."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or restore it") from exc
    build = _Builder(path)
    frameworks = data.get("frameworks")
    if not isinstance(frameworks, dict) or not frameworks:
        raise build.fail("no [frameworks.<id>] tables")
    names: dict[str, str] = {}
    docker: list[tuple[str, bool, str]] = []
    lua: dict[str, str] = {}
    for fw_id, spec in frameworks.items():
        if not _ID.fullmatch(fw_id) or fw_id == "other":
            raise build.fail(f"framework id {fw_id!r} must be lower-case letters, digits, '-'")
        if not isinstance(spec, dict):
            raise build.fail(f"[frameworks.{fw_id}] must be a table")
        names[fw_id] = str(spec.get("name", fw_id))
        for name in _strings(spec.get("imports"), f"frameworks.{fw_id}.imports"):
            build.add_import(name, ("framework", fw_id))
        for name in _strings(spec.get("packages"), f"frameworks.{fw_id}.packages"):
            build.add_package(name, ("framework", fw_id))
        for image in _strings(spec.get("docker"), f"frameworks.{fw_id}.docker"):
            is_prefix = image.endswith("*")
            docker.append((_image_name(image.rstrip("*")), is_prefix, fw_id))
        for module in _strings(spec.get("lua_requires"), f"frameworks.{fw_id}.lua_requires"):
            lua[module] = fw_id
    neutral = data.get("neutral", {})
    for name in _strings(neutral.get("imports"), "neutral.imports"):
        build.add_import(name, ("neutral", name.split(".", 1)[0]))
    for name in _strings(neutral.get("packages"), "neutral.packages"):
        build.add_package(name, ("neutral", normalize_package(name.rstrip("*"))))
    multi = data.get("multi_backend", {})
    for name in _strings(multi.get("imports"), "multi_backend.imports"):
        build.add_import(name, ("multi", name))
    for name in _strings(multi.get("packages"), "multi_backend.packages"):
        build.add_package(name, ("multi", normalize_package(name)))
    name_prefixes = _str_map(multi.get("name_prefixes"), "multi_backend.name_prefixes")
    module_markers = _str_map(multi.get("module_markers"), "multi_backend.module_markers")
    for where, mapping in (("name_prefixes", name_prefixes), ("module_markers", module_markers)):
        unknown = set(mapping.values()) - set(names)
        if unknown:
            raise build.fail(f"multi_backend.{where} names unknown frameworks {sorted(unknown)}")
    multi_imports = {name for name, (kind, _) in build.imports.items() if kind == "multi"}
    variables = _backend_variables(data.get("backend_settings", {}), names, multi_imports, build)
    docker.sort(key=lambda d: -len(d[0]))  # the most specific image first
    build.prefixes.sort(key=lambda p: -len(p[0]))
    return AliasTable(
        version=int(data.get("version", 0)),
        digest=hashlib.sha256(raw).hexdigest()[:12],
        order=tuple(names),
        names=names,
        imports=build.imports,
        packages=build.packages,
        package_prefixes=build.prefixes,
        docker=docker,
        lua=lua,
        notes=_str_map(neutral.get("notes"), "neutral.notes"),
        name_prefixes=name_prefixes,
        module_markers=module_markers,
        backend_variables=variables,
    )


def _backend_variables(
    section: Any, frameworks: dict[str, str], multi: set[str], build: _Builder
) -> dict[str, BackendVariable]:
    """The ``[backend_settings.<VARIABLE>]`` tables, checked."""
    if not isinstance(section, dict):
        raise build.fail("[backend_settings] must be a table of [backend_settings.<VARIABLE>]")
    found: dict[str, BackendVariable] = {}
    for name, spec in section.items():
        where = f"backend_settings.{name}"
        if not _VARIABLE.fullmatch(name):
            raise build.fail(f"{where}: {name!r} is not an environment variable name")
        if not isinstance(spec, dict):
            raise build.fail(f"[{where}] must be a table")
        library = spec.get("library")
        if not isinstance(library, str) or (library not in frameworks and library not in multi):
            raise build.fail(
                f"{where}.library must name a framework id or a [multi_backend] import, "
                f"not {library!r}"
            )
        values = _str_map(spec.get("values"), f"{where}.values")
        if not values:
            raise build.fail(f"{where}.values is empty")
        unknown = {fw for fw in values.values() if fw and fw not in frameworks}
        if unknown:
            raise build.fail(f"{where}.values names unknown frameworks {sorted(unknown)}")
        since = spec.get("lists_backend_from")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool)):
            raise build.fail(f"{where}.lists_backend_from must be an integer (a major version)")
        apis = _strings(spec.get("lists_backend_apis"), f"{where}.lists_backend_apis")
        for api in apis:
            if not all(part.isidentifier() for part in api.split(".")):
                raise build.fail(f"{where}.lists_backend_apis: {api!r} is not a module name")
        found[name] = BackendVariable(
            name=name,
            library=library,
            values={value.lower(): fw for value, fw in values.items()},
            json_files=tuple(_strings(spec.get("json_files"), f"{where}.json_files")),
            lists_backend_from=since,
            lists_backend_apis=tuple(apis),
        )
    return found


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> AliasTable:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"framework alias table not found at {path}. It ships in the repository as "
            "data/frameworks.toml: restore it (git checkout data/frameworks.toml) or run "
            "fwcensus from a full checkout."
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the framework alias table {path}: {exc}") from exc
    return parse_aliases(raw, path)


def load_aliases(path: Path | None = None) -> AliasTable:
    """The alias table at ``path`` (default: ``data/frameworks.toml`` of this checkout).
    Parsed once per path and cached. Raises ConfigError with what to do when it is missing
    or malformed."""
    return _load_cached(path.resolve() if path is not None else _default_path())


@lru_cache(maxsize=1)
def _default_path() -> Path:
    return DEFAULT_PATH.resolve()  # once: resolving costs a system call per path component
