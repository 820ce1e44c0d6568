"""Which modules a Python source file imports. Pure: text or bytes in, records out.

Two extractors with the same output:

* :func:`extract_imports_fast` (the one scans use) looks at every occurrence of the word
  ``import``, checks what precedes it on its line with a small regular expression and parses
  the statement by hand, without parsing the rest of the file. It reads every form:
  ``import a.b as c, d``, ``from a.b import (c, d)`` over several lines, ``try: import x``,
  ``if cond: import x``, statements after ``;``, imports nested in functions, and
  ``__import__("x")`` / ``importlib.import_module("x")`` with a literal. Lines inside
  triple-quoted strings are ignored, so a docstring saying "import torch" is not an import.
  It never raises, whatever the input, and reads Python 2 and broken files just as well.
  On 8,000 files of the standard library and installed packages it was about 25x faster
  than ``ast.parse`` + ``ast.walk`` (what pipreqs does per file) and agreed with it on all
  but 7 files, each of which builds code inside a string literal. Lines longer than
  ``MAX_LINE`` characters (minified code) are only looked at up to that length, which keeps
  hostile one-line files linear.

  It is built in three layers that give the same answer:

  - a statement reader (``_lines``): a search for the word (not a regular expression
    stepping through every line) finds each ``import``, and on the way the Python 2
    statements; one regular expression, matched where its line starts, reads every plain
    statement (``import a.b as c, d``, ``from a import b``, ``from a import (b,`` over lines,
    comments allowed) and the occurrences it covers are skipped; the others get the careful
    reader's own tests, one by one. When the text holds an ``import`` the careful reader
    would read elsewhere (``x = 1; import y``, ``try: import y``, a dynamic import, a
    continued line), it declines;
  - a leaner version of the careful loop (``_quick``) for most of the declined files;
  - the careful loop itself (:func:`extract_imports_careful`), the reference both are tested
    against, on every input (``tests/detect/test_detect_fast_paths.py``).
* :func:`extract_imports_ast` walks a real ``ast`` parse and is the reference the fast extractor
  is tested against. It raises ``SyntaxError`` / ``ValueError`` on files Python 3 rejects.

:func:`extract_imports` decodes bytes (BOM, NUL bytes, invalid UTF-8, coding cookies) and runs
one of them. A file is *unparseable* when it cannot be decoded cleanly, contains NUL bytes, or
(fast mode) shows Python 2-only syntax — ``print x``, ``print >>f``, ``except E, e:`` —
or (``thorough=True``) when ``ast.parse`` rejects it. Its imports are still returned. The
Python 2 test (:func:`python2_syntax`) runs only when the statement reader's search found
what it looks for, or the reader declined the file. A scan passes ``roots`` (the alias
table's top-level names): the imports of other modules may then be left out early.

Relative imports (``from . import x``, ``from .models import y``) are dropped: they are always
the repository's own code.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field

MAX_LINE = 2000  # longest line prefix / statement line looked at (minified files)
_BOM = b"\xef\xbb\xbf"
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.M)

# What may stand before the ``import`` keyword on its logical line: nothing, a one-line
# compound header (``try:``, ``if x:``, ``else:``, ``def f():`` ...) or anything ending in
# ``;``; then optionally ``from module`` (group 1).
_PREFIX = re.compile(
    r"(?:[ \t]*(?:(?:try|else|finally|(?:if|elif|while|for|with|except|def|class)\b[^\n#]*?)"
    r"[ \t]*:[ \t]*)?|.*;[ \t]*)(from[ \t]*\.*[ \t]*[\w.]*[ \t]+)?"
)
_DYNAMIC_ARG = re.compile(r"""\(\s*(['"])([A-Za-z_][\w.]*)\1""")
# Everything up to and including the next triple-quoted string (group 1). Comments and short
# strings are consumed whole on the way, so quotes inside them are not mistaken for a
# docstring. Applied with ``match`` where the previous match ended: linear time. The runs
# inside strings and comments are possessive: each character is looked at once (the
# alternatives start with different characters, so giving characters back never helped).
_Q3 = '"""'
_A3 = "'''"
_UNTIL_TRIPLE = re.compile(
    r"(?>[^\"'#]++|#[^\n]*+"
    r"|(?!" + _Q3 + r")\"(?:[^\"\\\n]++|\\.)*+\"?"
    r"|(?!" + _A3 + r")'(?:[^'\\\n]++|\\.)*+'?)*?"
    r"(" + _Q3 + r"(?:[^\"\\]++|\\.|\"(?!\"\"))*+(?:" + _Q3 + r"|\Z)"
    r"|" + _A3 + r"(?:[^'\\]++|\\.|'(?!''))*+(?:" + _A3 + r"|\Z))",
    re.S,
)
_FROM = re.compile(r"from\s*(\.*)\s*([\w.]*)\s+import\b\s*(.*)", re.S)
# Python 2-only statements: ``print x`` / ``print >>f, x`` and ``except E, e:`` (the two forms
# nearly every Python 2 file has). The print pattern runs only when "print" occurs at all.
_PY2_PRINT = re.compile(r"print(?:[ \t]*>>|[ \t]+[\"'\w])")
# The except pattern starts at its "x" and looks back for the "e": the regex engine scans for
# the first letter of a literal prefix, and "x" is far rarer than "e" (matches start 1 late).
_PY2_EXCEPT = re.compile(r"xcept(?<=except)[ \t]+(?:[\w.]+|\([^)\n]*\))[ \t]*,[ \t]*\w+[ \t]*:")

# Both, in one pass (a match of either pattern is a match of this one, so no match means
# python2_syntax finds nothing): the regular expression engine scans for the "p" that starts
# "print" and sits in "except" (one scan of the text instead of two), then tries the rest of
# either pattern.
_PY2_TAIL = re.compile(
    r"p(?:rint(?:[ \t]*>>|[ \t]+[\"'\w])"
    r"|t(?<=except)[ \t]+(?:[\w.]+|\([^)\n]*\))[ \t]*,[ \t]*\w+[ \t]*:)"
)
# The statement reader's search: the next ``import`` (matched at its "p": "port" after "im")
# or the next match of _PY2_TAIL, whichever comes first. The engine scans for "p" once for
# both (``str.find`` for "import" and a search for Python 2 statements read the text twice).
_IMPORT_OR_PY2 = re.compile(
    r"p(?:ort(?<=import)|rint(?:[ \t]*>>|[ \t]+[\"'\w])"
    r"|t(?<=except)[ \t]+(?:[\w.]+|\([^)\n]*\))[ \t]*,[ \t]*\w+[ \t]*:)"
)

# The statement reader (:func:`_lines`): a plain import statement line, matched where its line
# starts. Identifiers are ASCII and never the word ``import``; comments hold no ``;`` (after
# one, the careful reader would see an import).
_ID = r"(?!import(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*+"
_DOTTED = rf"{_ID}(?:\.{_ID})*+"
_ALIAS = rf"(?:[ \t]++as[ \t]++{_ID})?+"
_NAME = rf"{_ID}{_ALIAS}"
_NAMES = rf"{_NAME}(?:[ \t]*+,[ \t]*+{_NAME})*+"
_GAP = r"(?:[ \t\n]++|#[^\n;]*+)*+"  # inside parentheses: blanks, newlines, comments
_FROM_NAMES = rf"(?:\*|{_NAMES}|\({_GAP}{_NAME}(?:{_GAP},{_GAP}{_NAME})*+{_GAP},?+{_GAP}\))"
_TAIL = r"[ \t]*+(?:#[^\n;]*+)?+(?=\n|\Z)"  # blanks, a comment, the end of the line
_STATEMENT = re.compile(
    r"[ \t]*+(?:"
    rf"import[ \t]++({_DOTTED}{_ALIAS}(?:[ \t]*+,[ \t]*+{_DOTTED}{_ALIAS})*+){_TAIL}"  # 1
    # 2 (absolute: the module) or 3 (relative: its first dot), then 4 (the names)
    rf"|from(?:[ \t]++({_DOTTED})|[ \t]*+(\.)\.*+(?:[ \t]*+{_DOTTED})?+)"
    rf"[ \t]++import[ \t]++({_FROM_NAMES}){_TAIL}"
    r")"
)
# Lines without quotes, or with quotes only in a comment (a licence header): matched up to
# the first triple quote, it shows that no string starts before it.
_NO_STRINGS = re.compile(r"(?:[^\n\"'#]*+(?:#[^\n]*+)?+\n)*+[^\n\"'#]*+")
_LONG = 1500  # longer matches are checked line by line (the careful reader's MAX_LINE)


@dataclass
class FileImports:
    """Imports of one file.

    ``imports``: ``(module, names)`` pairs, where ``names`` are the names of a
    ``from module import ...`` (empty for ``import module`` and dynamic imports).
    ``aliases``: local name -> module for ``import module as name``.
    ``problem``: why the file is unparseable (None when it is fine).
    """

    imports: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    @property
    def unparseable(self) -> bool:
        return self.problem is not None

    @property
    def modules(self) -> set[str]:
        return {module for module, _ in self.imports}

    @property
    def roots(self) -> set[str]:
        return {module.split(".", 1)[0] for module, _ in self.imports}


def decode_source(data: bytes) -> tuple[str, str | None]:
    """Text of a source file and the decoding problem, if any (None when clean)."""
    problem = None
    if data.startswith(_BOM):
        data = data[3:]
    if b"\x00" in data:
        problem = "NUL bytes"
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8"), problem
    except UnicodeDecodeError:
        pass
    cookie = _COOKIE.search(data, 0, 400)
    if cookie:
        try:
            codec = codecs.lookup(cookie.group(1).decode("ascii")).name
            return data.decode(codec), problem
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", "replace"), problem or "invalid UTF-8"


def _is_dotted(name: str) -> bool:
    if name.isidentifier():  # the common case, one C call
        return True
    return "." in name and all(part.isidentifier() for part in name.split("."))


def _triple_string_spans(text: str, end: int) -> list[tuple[int, int]]:
    """Spans of the triple-quoted strings that start before ``end``."""
    spans = []
    pos = 0
    while pos < end:
        match = _UNTIL_TRIPLE.match(text, pos)
        if match is None or match.start(1) >= end:
            break
        spans.append(match.span(1))
        pos = match.end()
    return spans


def _inside(spans: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _statement_text(text: str, start: int) -> str:
    """The logical line starting at ``start``: follows backslash continuations and an open
    parenthesis; comments are removed."""
    pieces = []
    pos = start
    depth = 0
    length = len(text)
    while pos < length:
        end = text.find("\n", pos, pos + MAX_LINE)
        if end < 0:
            end = min(length, pos + MAX_LINE)
        line = text[pos:end]
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        depth += line.count("(") - line.count(")")
        if line.endswith("\\"):
            pieces.append(line[:-1])
        else:
            pieces.append(line)
            if depth <= 0:
                break
        pos = end + 1
        if len(pieces) > 200:  # an unclosed parenthesis: stop, do not read the whole file
            break
    return " ".join(pieces)


def _parse_statement(stmt: str, out: FileImports) -> None:
    """Parse ``import ...`` / ``from ... import ...`` (one simple statement) into ``out``."""
    stmt = stmt.strip()
    if stmt.startswith("import"):
        body = stmt[6:]
        if not body[:1].isspace():
            return
        for item in body.split(","):
            words = item.split()
            if not words:
                continue
            module = words[0]
            if not _is_dotted(module):
                return
            if len(words) == 3 and words[1] == "as" and words[2].isidentifier():
                out.aliases[words[2]] = module
            elif len(words) != 1:
                return
            out.imports.append((module, ()))
    elif stmt.startswith("from"):
        match = _FROM.match(stmt)
        if not match or match.group(1):  # relative import: the repository's own code
            return
        module = match.group(2)
        if not _is_dotted(module):
            return
        names = []
        for item in match.group(3).strip().strip("()").split(","):
            words = item.split()
            if words and (words[0] == "*" or words[0].isidentifier()):
                names.append(words[0])
        out.imports.append((module, tuple(names)))


def _string_test(text: str, end: int) -> Callable[[int], bool] | None:
    """A test "is this position inside a triple-quoted string?" for positions before ``end``,
    or None when the text has no triple quotes.

    When only one kind of triple quote occurs, an even number of times, the occurrences pair
    up as string delimiters and the parity of those before a position is enough. Otherwise (an
    odd count means a stray one in a comment, a short string or escaped; both kinds may nest)
    the text is tokenised properly.
    """
    double = text.count(_Q3)
    single = text.count(_A3)
    if not double and not single:
        return None
    if double % 2 == 0 and single % 2 == 0 and not (double and single):
        delimiter = _Q3 if double else _A3
        positions = []
        pos = text.find(delimiter)
        while 0 <= pos < end:
            positions.append(pos)
            pos = text.find(delimiter, pos + 3)
        return lambda at: bisect.bisect_left(positions, at) % 2 == 1
    spans = _triple_string_spans(text, end)
    starts = [s for s, _ in spans]
    return lambda at: _inside(spans, starts, at)


def _string_test_before(text: str, end: int) -> Callable[[int], bool] | None:
    """:func:`_string_test` for positions before ``end``, without reading the whole text in
    the usual case: the only triple-quoted string before ``end`` is the module docstring.

    When no quote precedes the first triple quote but in comments, the string it opens ends
    at the next one of its kind (no backslash in between), and no other triple quote lies
    between that end and ``end``, both ways of :func:`_string_test` (pairing or tokenising)
    find that one string and nothing else before ``end``.
    """
    double = text.find(_Q3, 0, end)
    single = text.find(_A3, 0, end)
    if double < 0 and single < 0:
        return None
    if single < 0 or 0 <= double < single:
        first, delimiter, other, other_delimiter = double, _Q3, single, _A3
    else:
        first, delimiter, other, other_delimiter = single, _A3, double, _Q3
    close = text.find(delimiter, first + 3, end)
    if (
        close >= 0
        and (first == 0 or _NO_STRINGS.match(text, 0, first).end() == first)
        and text.find("\\", first + 3, close) < 0
        and text.find(delimiter, close + 3, end) < 0
        # The first of the other kind before ``end`` is known: none (-1), or one after
        # ``close`` (then there is one after it), or one inside the string (look on).
        and (other < 0 or (other < close and text.find(other_delimiter, close + 3, end) < 0))
    ):
        stop = close + 3
        return lambda at: first <= at < stop
    return _string_test(text, end)


def _is_word_at(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _line_start(text: str, pos: int) -> int:
    """Start of the line holding ``pos``, or -1 when it lies more than ``MAX_LINE`` characters
    back (no import statement has such a prefix; looking further would make minified
    one-line files quadratic)."""
    low = max(0, pos - MAX_LINE)
    start = text.rfind("\n", low, pos) + 1
    if start == 0 and low > 0:
        return -1
    return start


def _line_prefix(text: str, pos: int) -> str | None:
    """Text from the start of the logical line to ``pos`` (follows backslash continuations),
    or None when it is too long to be an import's."""
    start = _line_start(text, pos)
    if start < 0:
        return None
    prefix = text[start:pos]
    for _ in range(8):
        if start < 2 or text[start - 2] != "\\":
            break
        previous = _line_start(text, start - 1)
        if previous < 0:
            return None
        prefix = text[previous : start - 2] + " " + prefix
        start = previous
    return prefix


def extract_imports_fast(text: str) -> FileImports:
    """Imports found without parsing the whole file (see the module docstring). Never raises.

    Every occurrence of the word ``import`` is looked at in its line: a statement when only
    whitespace, a one-line compound header, a ``;`` or ``from module`` stands before it.
    ``_lines`` reads the usual files; ``_quick`` most of those it declines; the
    rest (a dynamic import, a line continued from the previous one) go to
    :func:`extract_imports_careful`. All give its answer (the tests compare them).
    """
    if "import" not in text:
        return FileImports()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = _lines(text)[0]
    if found is None:
        found = _quick(text)
    return found if found is not None else _careful(text)


def _lines(text: str, keep: Container[str] | None = None) -> tuple[FileImports | None, bool]:
    """The imports of a text whose every ``import`` sits in a plain statement line, and
    whether the text may hold a Python 2 statement; ``(None, ...)`` for other texts.

    Each occurrence of ``import`` (found by a search for the word, not by a regular expression
    stepping through every line: that read most of the time) is looked at from the start of
    its line: :data:`_STATEMENT` matches the plain statements there, ``import a.b as c, d``,
    ``from a import b, c as d`` and ``from a import (b,\\n c)`` over lines, with comments,
    and the occurrences it covers are skipped. Any other occurrence gets the careful reader's
    own tests: a part of a word (``importlib``), a comment, prose or a doctest line is ignored
    as it ignores them; a dynamic import, a line it would read as a statement (``x = 1;
    import y``, ``try: import y``), a statement continuing a line, or one too long, and the
    answer is None: the careful reader decides. Statements inside triple-quoted strings are
    dropped as the careful reader drops them. With ``keep``, only imports whose top-level name
    is in it are returned.

    The search for the next ``import`` (:data:`_IMPORT_OR_PY2`) also looks for what
    :func:`python2_syntax` looks for, on the whole text but the statements it reads (on their
    first line the test counts nothing; their other lines are searched): when the flag is
    False, the test finds nothing. (With None, the flag says nothing: the caller tests.)
    """
    py2 = False
    seek = _IMPORT_OR_PY2.search
    found: list[tuple[int, int, str, str]] = []  # (line start, kind, module or body, names)
    length = len(text)
    failed = -1  # the start of the last line found not to be a statement: tried once only
    at = 0  # where the next search starts
    stop = -1  # where the statement just read ends (a newline or the end follows), or -1
    while True:
        # Statements usually follow each other: the line after one is tried first, without a
        # search. (Before its "import", the search could only find what the Python 2 test
        # does not count: "from module" precedes it on its line.)
        match = _STATEMENT.match(text, stop + 1) if 0 <= stop < length else None
        if match is not None:
            start = stop + 1
        else:
            # The next "import" at or after ``at``; until a Python 2 statement is seen, the
            # same search looks for them (then str.find is enough).
            if py2:
                pos = text.find("import", at)
            else:
                hit = seek(text, at)
                if hit is None:
                    break
                pos = hit.start()
                if text[pos + 1] == "o":  # "import" (never begun before ``at``: see below)
                    pos -= 2
                else:
                    py2 = True
                    pos = text.find("import", at)
            if pos < 0:
                break
            low = pos - MAX_LINE if pos > MAX_LINE else 0
            start = text.rfind("\n", low, pos) + 1
            if start == 0 and low > 0:
                return None, py2  # deep in a long line (minified code): not read here
            match = _STATEMENT.match(text, start) if start != failed else None
        if match is None:  # the tests of the careful reader (_careful), occurrence by occurrence
            failed = start
            stop = -1
            end = pos + 6
            before = text[pos - 1] if pos else " "
            after = text[end] if end < length else " "
            if before.isalnum() or before == "_" or after.isalnum() or after == "_":
                if text.startswith("__import__(", pos - 2) or text.startswith(
                    "import_module(", pos
                ):
                    return None, py2  # a dynamic import
            else:
                prefix = _line_prefix(text, pos)
                if prefix is not None and _PREFIX.fullmatch(prefix):
                    return None, py2  # a statement the careful reader reads
            at = end  # (no Python 2 statement starts inside the word)
            continue
        if start >= 2 and text[start - 2] == "\\":
            return None, py2  # continues the previous line
        stop = match.end()
        if stop - start > _LONG and _too_long(match.group(0)):
            return None, py2
        at = stop  # (every occurrence up to ``stop`` is the statement's)
        if match.lastindex == 1:  # (on one line)
            body = match.group(1)
            # With ``keep``, only statements that import a module it holds are kept (before
            # the string test: it then reads less, or nothing).
            if keep is None or (
                _may_keep(body, keep)
                if "," in body
                else body.split(None, 1)[0].partition(".")[0] in keep  # "a.b" or "a.b as c"
            ):
                found.append((start, 1, body, ""))
            elif " as" in body or "\tas" in body:
                found.append((start, 2, body, ""))  # may rebind an alias kept before: unbind it
            continue
        module, relative, names = match.group(2, 3, 4)
        # A Python 2 statement the search skipped: on a line of names in parentheses (on the
        # statement's first line "from" precedes it: the test would not count it).
        if not py2 and "\n" in names:
            py2 = _PY2_TAIL.search(text, start, stop) is not None
        if not relative and (keep is None or module.partition(".")[0] in keep):
            found.append((start, 3, module, names))
    out = FileImports()
    if not found:
        return out, py2
    in_string = _string_test_before(text, found[-1][0] + 1)
    imports = out.imports
    for at, kind, module, names in found:
        if in_string is not None and in_string(at):
            continue
        if kind == 1:  # import a.b as c, d
            if "," in module or " " in module or "\t" in module:
                for item in module.split(","):
                    words = item.split()
                    if keep is not None and words[0].partition(".")[0] not in keep:
                        if len(words) == 3:  # "import other as name" unbinds a kept name
                            out.aliases.pop(words[2], None)
                        continue
                    if len(words) == 3:
                        out.aliases[words[2]] = words[0]
                    imports.append((words[0], ()))
            else:  # (kept above)
                imports.append((module, ()))
        elif kind == 2:  # a statement not kept whose "as" names leave the aliases
            for item in module.split(","):
                words = item.split()
                if len(words) == 3:
                    out.aliases.pop(words[2], None)
        elif names == "*" or names.isidentifier():
            imports.append((module, (names,)))
        else:
            if "#" in names:
                names = " ".join(line.split("#", 1)[0] for line in names.split("\n"))
            kept = []
            for item in names.strip("()").split(","):
                words = item.split()
                if words:
                    kept.append(words[0])
            imports.append((module, tuple(kept)))
    return out, py2


def _may_keep(module: str, keep: Container[str]) -> bool:
    """True when the module of ``from module import ...``, or one of the modules of the body
    of ``import a.b as c, d``, has its top-level name in ``keep``."""
    if "," in module or " " in module or "\t" in module:
        return any(item.split()[0].partition(".")[0] in keep for item in module.split(","))
    return module.partition(".")[0] in keep


def _too_long(statement: str) -> bool:
    """True when a statement has a line the careful reader would cut (MAX_LINE) or more
    lines than it follows."""
    lines = statement.split("\n")
    return len(lines) > 150 or any(len(line) > _LONG for line in lines)


def _quick(text: str) -> FileImports | None:
    """The careful extractor's answer for texts without dynamic imports and without an import
    on a line continued by a backslash, or None for those.

    The same steps as :func:`_careful`, in fewer Python operations per occurrence: a
    statement on one line without a comment, parenthesis or backslash is taken as it stands,
    and the triple-quoted strings are located only when one starts before the last import
    (most files import at the top).
    """
    length = len(text)
    positions: list[int] = []
    statements: list[str] = []
    pos = text.find("import")
    while pos >= 0:
        end = pos + 6
        before = text[pos - 1] if pos else " "
        after = text[end] if end < length else " "
        if before.isalnum() or before == "_" or after.isalnum() or after == "_":
            if text.startswith("__import__(", pos - 2) or text.startswith("import_module(", pos):
                return None  # a dynamic import: the careful extractor reads its argument
            pos = text.find("import", end)
            continue
        low = pos - MAX_LINE if pos > MAX_LINE else 0
        start = text.rfind("\n", low, pos) + 1
        if start == 0 and low > 0:  # too far into a long line to be an import
            pos = text.find("import", end)
            continue
        if start >= 2 and text[start - 2] == "\\":
            return None  # the line continues the previous one
        lead = ""
        if start < pos:
            prefix = text[start:pos]
            if prefix.strip(" \t"):
                head = _PREFIX.fullmatch(prefix)
                if head is None:
                    pos = text.find("import", end)
                    continue
                lead = head.group(1) or ""
        line_end = text.find("\n", end, pos + MAX_LINE)
        if line_end < 0:
            statement = _statement_text(text, pos)
        else:
            statement = text[pos:line_end]
            if "#" in statement or "(" in statement or "\\" in statement:
                statement = _statement_text(text, pos)
        statement = lead + statement
        positions.append(pos)
        statements.append(statement.split(";", 1)[0] if ";" in statement else statement)
        pos = text.find("import", end)
    out = FileImports()
    if not positions:
        return out
    last = positions[-1] + 1
    in_string = None
    if text.find(_Q3, 0, last) >= 0 or text.find(_A3, 0, last) >= 0:
        in_string = _string_test(text, last)
    for at, statement in zip(positions, statements, strict=True):
        if in_string is None or not in_string(at):
            _parse_statement(statement, out)
    return out


def extract_imports_careful(text: str) -> FileImports:
    """The reference algorithm of the fast extractor, for every text (see
    :func:`extract_imports_fast`, which uses it for the texts :func:`_quick` declines)."""
    if "import" not in text:
        return FileImports()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _careful(text)


def _careful(text: str) -> FileImports:
    out = FileImports()
    found: list[tuple[int, bool]] = []  # (position of "import", is a dynamic import)
    pos = text.find("import")
    while pos >= 0:
        end = pos + 6
        if _is_word_at(text, pos, end):
            found.append((pos, False))
        elif text.startswith("__import__(", pos - 2) or text.startswith("import_module(", pos):
            found.append((pos, True))
        pos = text.find("import", end)
    # First the statements, then (only if one could sit in a docstring) the string spans.
    accepted: list[tuple[int, bool, str]] = []  # (position, dynamic, module or statement)
    for pos, dynamic in found:
        prefix = _line_prefix(text, pos)
        if prefix is None:
            continue
        if dynamic:
            match = _DYNAMIC_ARG.match(text, text.find("(", pos, pos + 16))
            if match and "#" not in prefix and _is_dotted(match.group(2)):
                accepted.append((pos, True, match.group(2)))
            continue
        head = _PREFIX.fullmatch(prefix)
        if head is not None:
            # The statement runs to the end of its logical line; a ``;`` ends it.
            statement = (head.group(1) or "") + _statement_text(text, pos)
            accepted.append((pos, False, statement.split(";", 1)[0]))
    if not accepted:
        return out
    in_string = _string_test(text, accepted[-1][0] + 1)
    for pos, dynamic, payload in accepted:
        if in_string is not None and in_string(pos):
            continue
        if dynamic:
            out.imports.append((payload, ()))
        else:
            _parse_statement(payload, out)
    return out


def python2_syntax(text: str) -> bool:
    """True when the text has Python 2-only statements (outside triple-quoted strings)."""
    hits = []
    patterns = ((_PY2_PRINT, 0), (_PY2_EXCEPT, 1)) if "print" in text else ((_PY2_EXCEPT, 1),)
    for pattern, shift in patterns:
        for match in pattern.finditer(text):
            start = match.start() - shift
            line_start = _line_start(text, start)
            if line_start >= 0 and not text[line_start:start].strip():
                hits.append(start)
    if not hits:
        return False
    in_string = _string_test(text, max(hits) + 1)
    return in_string is None or any(not in_string(pos) for pos in hits)


def extract_imports_ast(text: str) -> FileImports:
    """Imports from a full ``ast`` parse (the reference). Raises SyntaxError/ValueError."""
    tree = ast.parse(text)
    out = FileImports()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.imports.append((alias.name, ()))
                if alias.asname:
                    out.aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                out.imports.append((node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            arg = node.args[0]
            if (
                name in ("__import__", "import_module")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and _is_dotted(arg.value)
            ):
                out.imports.append((arg.value, ()))
    return out


def extract_imports(
    data: bytes | str, *, thorough: bool = False, roots: Container[str] | None = None
) -> FileImports:
    """Imports of a Python file given as bytes (decoded here) or text. Never raises.

    Fast mode (default) uses :func:`extract_imports_fast`; ``thorough=True`` tries
    :func:`extract_imports_ast` first and falls back to the fast extractor when the file does
    not parse. Either way an unparseable file still yields its imports, with ``problem`` set.
    With ``roots``, the fast mode may leave out the imports whose top-level name is not in it
    (a scan needs only the names its alias table knows; the others cost time to keep).
    """
    if isinstance(data, bytes):
        if b"import" not in data:  # cheap pre-check: no import statement of any form
            return FileImports(problem="NUL bytes" if b"\x00" in data else None)
        text, problem = decode_source(data)
    else:
        text, problem = data, None
    if thorough and problem is None:
        try:
            return extract_imports_ast(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            found = extract_imports_fast(text)
            found.problem = f"{type(exc).__name__}: {exc}"[:200]
            return found
    found = None
    lines = text
    if "import" in text:
        if "\r" in text:
            lines = text.replace("\r\n", "\n").replace("\r", "\n")
        found, py2 = _lines(lines, roots)
        if found is None:  # the careful way, and the Python 2 test on its own
            found = _quick(lines)
            if found is None:
                found = _careful(lines)
            py2 = True
    if found is None:
        found = FileImports()
        py2 = True
    # The statement reader's search found nothing the test looks for (in the text's own
    # lines): no need to look. Otherwise (or with carriage returns) the test decides.
    if problem is None and (py2 or lines is not text) and python2_syntax(text):
        problem = "Python 2 syntax"
    found.problem = problem
    return found
