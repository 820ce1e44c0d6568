"""Dependency declarations: which packages a repository says it needs. Pure: text in, names out.

Readers for requirements files, ``setup.py`` (read with ``ast``, never executed), ``setup.cfg``,
``pyproject.toml`` (PEP 621, PEP 735 groups, build requirements, Poetry, PDM, uv, pixi),
conda ``environment.yml`` (conda specs and the nested ``pip:`` list), ``Pipfile``, Dockerfiles
(``FROM`` images, with ``ARG`` defaults substituted, and ``pip``/``conda install`` in ``RUN``)
and shell install commands (also used for notebook ``!pip install`` lines).

Each returns a :class:`Manifest` with distribution names as written (extras, versions, markers,
URLs stripped); mapping names to frameworks is the alias table's job. A file that cannot be
read yields what could be salvaged and ``problem`` says why.
"""

from __future__ import annotations

import ast
import collections
import configparser
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_SDIST = re.compile(r"(.+?)-\d")
_VCS_PREFIX = re.compile(r"^(?:git|hg|svn|bzr)\+", re.I)
_PIP_OPTIONS_WITH_VALUE = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-f", "--find-links", "-i", "--index-url",
        "--extra-index-url", "--trusted-host", "-t", "--target", "--prefix", "--root", "--src",
        "--cache-dir", "--platform", "--python-version", "--implementation", "--abi",
        "--upgrade-strategy", "--global-option", "--install-option", "-C", "--config-settings",
        "--progress-bar", "--log", "--proxy", "--timeout", "--retries", "--report",
        "--python", "-p", "--channel", "-n", "--name", "--file", "--index", "--default-index",
    }
)  # fmt: skip
_SHELL_SPLIT = re.compile(r"&&|\|\||[;|\n]")
# Installer -> the sub-commands that install packages named on the command line.
_INSTALLERS = {
    "pip": ("install",),
    "pip3": ("install",),
    "conda": ("install", "create"),
    "mamba": ("install", "create"),
    "micromamba": ("install", "create"),
    "uv": ("add", "install"),  # `uv add x`, `uv pip install x`
    "poetry": ("add",),
}


@dataclass
class Manifest:
    """What a manifest declares: distribution names and (Dockerfiles) base images."""

    packages: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    problem: str | None = None


# -- single requirement specs -----------------------------------------------------------------


def _name_from_url(url: str) -> str | None:
    """Distribution name from a URL or path: ``#egg=``, a wheel/sdist file name, or the last
    part of a VCS repository URL (``git+https://github.com/o/detectron2.git@v0.6``)."""
    egg = _EGG.search(url)
    if egg:
        return egg.group(1)
    path = unquote(urlsplit(_VCS_PREFIX.sub("", url)).path).rstrip("/")
    if "/archive/" in path:  # https://github.com/o/name/archive/<ref>.zip
        path = path.split("/archive/", 1)[0]
    last = path.rsplit("/", 1)[-1]
    if last.endswith(".whl"):
        return last.split("-", 1)[0]
    for suffix in (".tar.gz", ".tar.bz2", ".tgz", ".zip"):
        if last.endswith(suffix):
            match = _SDIST.match(last[: -len(suffix)])
            return match.group(1) if match else last[: -len(suffix)]
    last = last.split("@", 1)[0]
    if last.endswith(".git"):
        last = last[:-4]
    return last if _NAME.fullmatch(last) else None


def requirement_name(spec: str) -> str | None:
    """Distribution name of one requirement (PEP 508, pip line, URL or conda spec), or None.

    ``torch>=1.7; python_version>"3"`` -> torch; ``tensorflow-gpu==1.15.*`` -> tensorflow-gpu;
    ``pytorch::pytorch=1.7.1=py3.8`` -> pytorch; ``mmcv @ git+https://...`` -> mmcv;
    ``https://download.pytorch.org/whl/cu110/torch-1.7.1%2Bcu110-cp38-...whl`` -> torch.
    """
    spec = spec.strip().strip("'\"").strip()
    if not spec or spec.startswith(("#", "-", ".", "/", "~", "$")):
        return None
    if "@" in spec and "://" in spec.split("@", 1)[1][:40]:  # PEP 508 direct reference
        spec = spec.split("@", 1)[0].strip()
    elif "://" in spec or spec.startswith(("git+", "hg+", "file:")):
        return _name_from_url(spec)
    if "::" in spec:  # conda channel::package
        spec = spec.split("::", 1)[1]
    match = _NAME.match(spec)
    return match.group(0) if match else None


# Patterns of the line readers, compiled once (a module-level re call looks its pattern up in
# re's cache at every call: once per line here).
_COMMENT = re.compile(r"(?:^|\s)#")  # where a comment starts (requirements, conda files)
_PIP3_X = re.compile(r"pip3\.\d+")
_CONTINUATION = re.compile(r"\\[ \t]*\r?\n")  # a Dockerfile line continued
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')  # the strings of RUN ["pip", "install", ...]


def _uncommented(line: str) -> str:
    """``line`` up to its comment (see ``_COMMENT``). Most lines hold no "#": the pattern, tried
    at every character, is not run on them."""
    return _COMMENT.split(line, maxsplit=1)[0] if "#" in line else line


# -- requirements.txt -------------------------------------------------------------------------


def parse_requirements(text: str) -> Manifest:
    """A pip requirements file. ``-r``/``-c`` includes, index options and comments are skipped;
    ``-e <url>#egg=name`` gives ``name``."""
    out = Manifest()
    for raw in text.replace("\\\n", " ").splitlines():
        line = _uncommented(raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            words = line.split(None, 1)
            if words[0] in ("-e", "--editable") and len(words) == 2:
                name = _name_from_url(words[1].strip())
                if name:
                    out.packages.append(name)
            continue
        name = requirement_name(line.split(" --", 1)[0])
        if name:
            out.packages.append(name)
    return out


# -- shell commands (Dockerfile RUN, notebook !pip) -------------------------------------------


def _install_specs(words: list[str]) -> list[str]:
    specs = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            if word in _PIP_OPTIONS_WITH_VALUE:
                skip = True
            elif word in ("-e", "--editable"):
                continue
            continue
        name = requirement_name(word)
        if name:
            specs.append(name)
    return specs


def parse_install_command(command: str) -> list[str]:
    """Package names installed by a shell command line: ``pip install``, ``pip3 install``,
    ``python -m pip install``, ``uv pip install``, ``conda``/``mamba install`` (several commands
    joined by ``&&``, ``;`` or ``|`` are all read). ``-r file``, paths and variables are
    skipped."""
    names: list[str] = []
    if not _may_install(command):
        return names
    for part in _SHELL_SPLIT.split(command):
        if _PLAIN_SHELL.fullmatch(part):  # no quote, escape or comment: shlex splits on blanks
            words = part.split()
        else:
            try:
                words = shlex.split(part, comments=True)
            except ValueError:  # unbalanced quotes
                words = part.split()
        words = [w.strip("'\"") for w in words]
        for i, word in enumerate(words):
            base = word.rsplit("/", 1)[-1]
            if _PIP3_X.fullmatch(base):
                base = "pip"
            verbs = [w for w in words[i + 1 : i + 4] if w in _INSTALLERS.get(base, ())]
            if verbs:
                start = words.index(verbs[0], i + 1) + 1
                names.extend(_install_specs(words[start:]))
                break
    return names


def _may_install(command: str) -> bool:
    """False when no word of the command can be an installing sub-command: none of them
    occurs, and no quote or backslash could build one (``ins'tall'``). Most notebook magics
    (``%matplotlib inline``) are ruled out without tokenising them."""
    return (
        any(verb in command for verb in _VERBS)
        or "'" in command
        or '"' in command
        or "\\" in command
    )


_VERBS = tuple(sorted({verb for verbs in _INSTALLERS.values() for verb in verbs}))
# Printable ASCII, blanks and line ends, but no quote, backslash or "#": shlex.split (POSIX,
# comments on) gives what str.split gives, without its character-by-character reading.
_PLAIN_SHELL = re.compile(r"[^\"'\\#\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\U0010ffff]*")


# -- setup.py ---------------------------------------------------------------------------------

_SETUP_KEYWORDS = ("install_requires", "extras_require", "setup_requires", "requires")


def _string_constants(
    node: ast.AST, assigned: dict[str, list[ast.AST]], depth: int = 0
) -> list[str]:
    """String literals in an expression, following names assigned elsewhere in the file.
    Dict keys are skipped (``extras_require={"tf": [...]}``: "tf" is not a package)."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.Dict):
        children: list[ast.AST] = list(node.values)
    elif isinstance(node, ast.Name):
        children = assigned.get(node.id, []) if depth < 3 else []
        depth += 1
    elif isinstance(node, ast.JoinedStr):  # f"torch>={VERSION}": the literal head is enough
        head = node.values[0] if node.values else None
        return (
            [head.value] if isinstance(head, ast.Constant) and isinstance(head.value, str) else []
        )
    else:
        children = list(ast.iter_child_nodes(node))
    return [s for child in children for s in _string_constants(child, assigned, depth)]


# Nodes without statements or calls below them: never an assignment or a setup() call.
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop,
           ast.boolop, ast.alias)  # fmt: skip


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``tree`` in the order of :func:`ast.walk` (breadth first, fields in order),
    leaves left out (see ``_LEAVES``), with less work per node."""
    queue = collections.deque([tree])
    pop = queue.popleft
    push = queue.append
    node_type = ast.AST
    leaves = _LEAVES
    while queue:
        node = pop()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                if not isinstance(value, leaves):
                    push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type) and not isinstance(item, leaves):
                        push(item)
        yield node


def parse_setup_py(text: str) -> Manifest:
    """``install_requires`` / ``extras_require`` / ``setup_requires`` of a setup.py, read from
    its syntax tree (literal lists, and names assigned a literal elsewhere in the file). The
    file is never executed. A file Python 3 cannot parse is read with a regular expression."""
    out = Manifest()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        out.problem = f"{type(exc).__name__}: {exc}"[:200]
        for block in re.finditer(
            r"(?:install_requires|setup_requires|extras_require)\s*=\s*[\[{(]([^\]})]*)", text
        ):
            for literal in re.findall(r"""["']([^"'\n]+)["']""", block.group(1)):
                name = requirement_name(literal)
                if name:
                    out.packages.append(name)
        return out
    if text.isascii() and not any(keyword in text for keyword in _SETUP_KEYWORDS):
        return out  # no keyword argument of interest can be in the tree
    assigned: dict[str, list[ast.AST]] = {}
    calls: list[ast.Call] = []
    for node in _walk(tree):  # one walk: assignments, and the calls in the walk's order
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, ast.AugAssign | ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            assigned.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.Call) and node.keywords:
            calls.append(node)
    for node in calls:
        for keyword in node.keywords:
            if keyword.arg not in _SETUP_KEYWORDS:
                continue
            for literal in _string_constants(keyword.value, assigned):
                for line in literal.splitlines():
                    name = requirement_name(line)
                    if name:
                        out.packages.append(name)
    return out


# -- setup.cfg, pyproject.toml, Pipfile --------------------------------------------------------


def parse_setup_cfg(text: str) -> Manifest:
    """``[options] install_requires`` / ``setup_requires`` and ``[options.extras_require]``."""
    out = Manifest()
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        out.problem = f"not a valid setup.cfg: {str(exc).splitlines()[0]}"
        return out
    values: list[str] = []
    if parser.has_section("options"):
        for key in ("install_requires", "setup_requires"):
            values.append(parser.get("options", key, fallback=""))
    if parser.has_section("options.extras_require"):
        values.extend(v for _, v in parser.items("options.extras_require"))
    for value in values:
        # setuptools' "list-semi": one item per line, or ";"-separated on a single line
        for line in value.splitlines() if "\n" in value.strip() else value.split(";"):
            name = requirement_name(line)
            if name:
                out.packages.append(name)
    return out


def _pep508_list(value: Any) -> list[str]:
    names = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                name = requirement_name(item)
                if name:
                    names.append(name)
    return names


def _table_keys(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [k for k in value if isinstance(k, str) and k.lower() != "python"]


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def parse_pyproject(text: str) -> Manifest:
    """Dependencies of a pyproject.toml: PEP 621 ``dependencies`` and
    ``optional-dependencies``, PEP 735 ``dependency-groups``, ``build-system.requires``,
    Poetry (``tool.poetry.dependencies``, groups, dev-dependencies), PDM, uv and pixi."""
    out = Manifest()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.problem = f"not valid TOML: {exc}"
        return out
    names = out.packages
    names += _pep508_list(_get(data, "project", "dependencies"))
    for group in (_get(data, "project", "optional-dependencies") or {}).values():
        names += _pep508_list(group)
    for group in (_get(data, "dependency-groups") or {}).values():
        names += _pep508_list(group)
    names += _pep508_list(_get(data, "build-system", "requires"))
    poetry = _get(data, "tool", "poetry") or {}
    names += _table_keys(_get(poetry, "dependencies"))
    names += _table_keys(_get(poetry, "dev-dependencies"))
    for group in (_get(poetry, "group") or {}).values():
        names += _table_keys(_get(group, "dependencies"))
    for group in (_get(data, "tool", "pdm", "dev-dependencies") or {}).values():
        names += _pep508_list(group)
    names += _pep508_list(_get(data, "tool", "uv", "dev-dependencies"))
    pixi = _get(data, "tool", "pixi") or {}
    names += _table_keys(_get(pixi, "dependencies"))
    names += _table_keys(_get(pixi, "pypi-dependencies"))
    return out


def parse_pipfile(text: str) -> Manifest:
    """``[packages]`` and ``[dev-packages]`` of a Pipfile (TOML)."""
    out = Manifest()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.problem = f"not valid TOML: {exc}"
        return out
    out.packages += _table_keys(data.get("packages"))
    out.packages += _table_keys(data.get("dev-packages"))
    return out


# -- environment.yml --------------------------------------------------------------------------

_TOP_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:(.*)")
_ITEM = re.compile(r"(\s*)-\s*(.*)")


def parse_conda_env(text: str) -> Manifest:
    """A conda environment file: the ``dependencies`` list (conda specs such as
    ``pytorch::pytorch=1.7``) and its nested ``pip:`` list. Read line by line (no YAML
    library needed); flow lists (``dependencies: [a, b]``) are understood too."""
    out = Manifest()
    section = None
    pip_indent: int | None = None
    for raw in text.splitlines():
        line = _uncommented(raw).rstrip()
        if not line.strip():
            continue
        if not line[0].isspace() and not line.startswith("-"):
            top = _TOP_KEY.match(line)
            section = top.group(1) if top else None
            pip_indent = None
            if top and section == "dependencies" and top.group(2).strip().startswith("["):
                for item in top.group(2).strip().strip("[]").split(","):
                    name = requirement_name(item)
                    if name:
                        out.packages.append(name)
            continue
        if section != "dependencies":
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        indent = len(item.group(1))
        value = item.group(2).strip().strip("'\"")
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        if value.rstrip(":").strip() == "pip" and value.endswith(":"):
            pip_indent = indent  # the nested list holds pip requirements: same syntax
            continue
        name = requirement_name(value)
        if name:
            out.packages.append(name)
    return out


# -- Dockerfile -------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)(?::-([^}]*))?\}?")


def parse_dockerfile(text: str) -> Manifest:
    """Base images (``FROM``, with ``ARG`` defaults substituted; build stages referring to an
    earlier stage are not images) and packages installed by ``RUN`` commands."""
    out = Manifest()
    logical = _CONTINUATION.sub(" ", text)
    args: dict[str, str] = {}
    stages: set[str] = set()
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 1)
        instruction = words[0].upper()
        rest = words[1] if len(words) > 1 else ""
        if instruction == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip().strip("'\"")
        elif instruction == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            if not parts:
                continue
            image = _VARIABLE.sub(lambda m: args.get(m.group(1), m.group(2) or ""), parts[0])
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.add(parts[2].lower())
            if image and image.lower() not in stages and image.lower() != "scratch":
                out.images.append(image)
        elif instruction == "RUN":
            if rest.startswith("["):  # exec form: RUN ["pip", "install", "torch"]
                rest = " ".join(_QUOTED.findall(rest))
            out.packages += parse_install_command(rest)
    return out


PARSERS = {
    "requirements": parse_requirements,
    "setup_py": parse_setup_py,
    "setup_cfg": parse_setup_cfg,
    "pyproject": parse_pyproject,
    "pipfile": parse_pipfile,
    "conda_env": parse_conda_env,
    "dockerfile": parse_dockerfile,
}


def parse_manifest(kind: str, text: str) -> Manifest:
    """Dispatch on the kind :func:`scraper.detect.paths.file_kind` gave. Never raises for
    malformed input (RecursionError on absurdly nested input is reported as a problem)."""
    try:
        return PARSERS[kind](text)
    except RecursionError:
        return Manifest(problem="too deeply nested to read")
