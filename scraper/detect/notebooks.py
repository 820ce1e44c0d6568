"""Jupyter notebooks and Lua files: the code they hold. Pure: bytes in, records out.

A notebook's code cells are joined into one Python text with IPython line magics (``%...``)
and shell escapes (``!...``) blanked out; what those lines install (``!pip install torch``,
``%conda install pytorch``) is returned separately as requirement evidence. Cells run by a
shell (``%%bash``, ``%%sh``, ``%%script``, ``%%system``) count only for what they install;
cells in another language (``%%html``, ``%%javascript``, ``%%latex``, ...) are skipped.
Notebook formats 4 (``cells``) and 3 (``worksheets[].cells``, ``input``) are read. A notebook
that is not valid JSON is salvaged: the code is recovered from its JSON string literals.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from scraper.detect.manifests import parse_install_command

_SHELL_MAGICS = frozenset({"bash", "sh", "script", "system", "shell"})
_FOREIGN_MAGICS = frozenset(
    {"html", "javascript", "js", "latex", "markdown", "svg", "perl", "ruby", "r", "sql", "md"}
)
_JSON_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_SALVAGE_KEY = re.compile(r'"(cell_type|source|input)"\s*:\s*')
_SEPARATOR = re.compile(r"[\s,]*")
# A line (of ``source.split("\n")``) whose ``lstrip()`` starts with "!" or "%": the first line,
# or one after a "\n". Two patterns, not one with re.M "^": a search for the literal "\n" jumps
# from line end to line end, where "^" was tried at every character (most of split_cell's time).
_MAGIC_FIRST_LINE = re.compile(r"[^\S\n]*[!%]")
_MAGIC_NEXT_LINE = re.compile(r"\n[^\S\n]*[!%]")
_LINE_BREAK = re.compile(
    "[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]"
)  # where str.splitlines splits
_LUA_REQUIRE = re.compile(r"""\brequire\s*\(?\s*["']([\w.\-]+)["']""")


@dataclass
class NotebookCode:
    """The Python code of a notebook, what its shell lines install, and any problem.
    ``shell``: the blanked-out lines, for backend settings (scraper.detect.backends): shell
    commands (``!`` lines without the ``!``, lines of shell cells) and line magics (``%env``)."""

    code: str = ""
    installs: list[str] = field(default_factory=list)
    problem: str | None = None
    shell: list[str] = field(default_factory=list)


def _cell_source(cell: dict[str, object]) -> str:
    source = cell.get("source", cell.get("input", ""))
    if isinstance(source, list):
        try:
            return "".join(source)  # (lines are strings; anything else is left out below)
        except TypeError:
            return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _code_cells(doc: object) -> list[str]:
    if not isinstance(doc, dict):
        return []
    cells = doc.get("cells")
    if not isinstance(cells, list):  # nbformat 3
        cells = []
        worksheets = doc.get("worksheets")
        for sheet in worksheets if isinstance(worksheets, list) else []:
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                cells.extend(sheet["cells"])
    return [
        _cell_source(cell)
        for cell in cells
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    ]


def split_cell(source: str, out: NotebookCode) -> str:
    """The Python of one cell (magics blanked, line count kept); installs go to ``out``."""
    if "%" not in source and "!" not in source:  # no magic, no shell escape: as it is
        return source
    if not _has_magic_line(source):  # "%" and "!" only inside lines ("%d" % x, !=)
        return source
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0].lower() if len(first) > 2 else ""
        if magic in _SHELL_MAGICS:
            for line in lines[1:]:
                out.installs.extend(parse_install_command(line))
            out.shell.extend(lines[1:])
            return ""
        if magic in _FOREIGN_MAGICS:
            return ""
        lines[0] = ""
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            out.installs.extend(parse_install_command(stripped.lstrip("!%")))
            out.shell.append(stripped[1:] if stripped[0] == "!" else stripped)
            kept.append("")
        else:
            kept.append(line)
    return "\n".join(kept)


def _has_magic_line(source: str) -> bool:
    """True when a line of ``source`` is a line magic or a shell escape."""
    return (
        _MAGIC_FIRST_LINE.match(source) is not None or _MAGIC_NEXT_LINE.search(source) is not None
    )


def notebook_code(data: bytes) -> NotebookCode:
    """Code cells of a notebook file as one Python text. Never raises."""
    out = NotebookCode()
    try:
        doc = json.loads(without_images(data))
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError
        try:  # the error as the file itself gives it (positions in the message)
            doc = json.loads(data)
        except (ValueError, RecursionError) as exc:
            out.problem = f"not valid notebook JSON: {str(exc)[:120]}"
            sources = _salvage(data)
            out.code = "\n".join(split_cell(source, out) for source in sources)
            return out
    sources = _code_cells(doc)
    if not isinstance(doc, dict):
        out.problem = "not a notebook (JSON but not an object)"
    out.code = "\n".join(split_cell(source, out) for source in sources)
    return out


_IMAGE_KEY = b'"image/'
_IMAGE_VALUE = re.compile(rb'(?:png|jpeg|gif)":[ \t]*"')
MIN_IMAGE = 1024  # shorter image strings are left in place


def without_images(data: bytes) -> bytes:
    """The notebook with the base64 data of its PNG/JPEG/GIF outputs emptied (``""``).

    Those strings are most of a notebook's bytes (30 of the 34 MB of notebooks in the labelled
    repositories), and decoding them as JSON was most of the time spent on notebooks. Only
    the value of an ``"image/..."`` key is emptied, and only when it is ASCII on one line and
    its backslashes all start ``\\n`` escapes: the text then decodes to the same cells, and is
    valid JSON when the original is, with one exception. A raw control character other than
    a newline inside image data makes the original invalid JSON but not the emptied one:
    such a notebook, broken inside its image data, is read instead of being salvaged (and not
    counted as unparseable). Checking every byte for those would cost about what the JSON
    decoding saves.
    """
    start = data.find(_IMAGE_KEY)
    if start < 0:
        return data
    pieces = []
    kept = 0
    ascii_only = data.isascii()  # then no slice needs the test (word-at-a-time, cheap)
    while start >= 0:
        value = _IMAGE_VALUE.match(data, start + len(_IMAGE_KEY))
        # A quote not after a backslash starts a string in valid JSON: here the key.
        if value is None or (start > 0 and data[start - 1] == 0x5C):
            start = data.find(_IMAGE_KEY, start + 1)
            continue
        begin = value.end()
        end = data.find(b'"', begin)
        if end < 0:
            break
        if end - begin >= MIN_IMAGE and _plain(data, begin, end, ascii_only):
            pieces.append(data[kept:begin])
            kept = end
        start = data.find(_IMAGE_KEY, end)
    if not pieces:
        return data
    pieces.append(data[kept:])
    return b"".join(pieces)


def _plain(data: bytes, begin: int, end: int, ascii_only: bool) -> bool:
    """True for the content of a JSON string that can be emptied (see :func:`without_images`):
    cheap tests only (word-at-a-time and memchr), no per-byte loop over the image."""
    if not ascii_only and not data[begin:end].isascii():
        return False
    if data.endswith(b"\\", begin, end):
        return False
    if data.find(b"\n", begin, end) >= 0:  # (memchr; the other control bytes: see above)
        return False
    # Backslashes only in "\\n" escapes: Jupyter ends image data with one, Colab wraps the
    # base64 into lines with them.
    backslash = data.find(b"\\", begin, end)
    if backslash < 0 or (backslash == end - 2 and data[end - 1] == 0x6E):  # "n"
        return True
    # Each backslash must start one: a regular expression finds one that does not in a
    # single C-level scan (counting both, as before, read the string twice, slower).
    return _NOT_NEWLINE_ESCAPE.search(data, backslash, end) is None


_NOT_NEWLINE_ESCAPE = re.compile(rb"\\(?!n)")  # (at the end of the string: not followed by n)


def _json_string(text: str, pos: int) -> tuple[str | None, int]:
    """The JSON string literal at ``pos`` (decoded) and the position after it."""
    match = _JSON_STRING.match(text, pos)
    if match is None:
        return None, pos
    try:
        value = json.loads(f'"{match.group(1)}"')
    except ValueError:
        value = None
    return (value if isinstance(value, str) else None), match.end()


def _salvage(data: bytes) -> list[str]:
    """Code cells recovered from a notebook whose JSON is broken (cut off, hand-edited): the
    ``source``/``input`` strings of cells not marked as markdown/raw, read as far as they go."""
    text = data.decode("utf-8", "replace")
    cells = []
    cell_type = None
    for key in _SALVAGE_KEY.finditer(text):
        pos = key.end()
        if key.group(1) == "cell_type":
            cell_type, _ = _json_string(text, pos)
            continue
        if cell_type not in (None, "code"):
            continue
        lines = []
        if text.startswith("[", pos):
            pos += 1
            while True:
                separator = _SEPARATOR.match(text, pos)
                pos = separator.end() if separator else pos
                value, pos_after = _json_string(text, pos)
                if value is None or pos_after == pos:
                    break
                lines.append(value)
                pos = pos_after
        else:
            value, _ = _json_string(text, pos)
            lines.append(value or "")
        cells.append("".join(lines))
        cell_type = None
    return cells


def lua_requires(text: str) -> list[str]:
    """Modules a Lua file ``require``s (``require 'nn'``, ``require("cunn")``), comments
    (``--``) skipped."""
    last = text.rfind("require")
    if last < 0:
        return []
    # The lines after the one holding the last "require" hold none: not split or looked at.
    end = _LINE_BREAK.search(text, last)
    if end is not None:
        text = text[: end.start()]
    found = []
    for line in text.splitlines():
        if "require" not in line:  # nor in its code: most lines, not split at "--"
            continue
        code = line.split("--", 1)[0]
        if "require" in code:
            found.extend(m.group(1) for m in _LUA_REQUIRE.finditer(code))
    return found
