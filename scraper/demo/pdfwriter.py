"""A tiny dependency-free PDF 1.4 writer for the offline demo and the tests.

It writes text only: Helvetica, one line per entry, top to bottom, and optional footnote lines
in a smaller font at the bottom of a page. PDFium (``scraper.pdf``), pypdf and any PDF viewer
can read the result, so tests can build papers with code links, URLs broken across lines,
footnotes and a references section without committing binary files.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH = 612  # US Letter, in points
PAGE_HEIGHT = 792
MARGIN_LEFT = 72
TOP = 720
BODY_SIZE = 10
BODY_LEADING = 13
FOOTNOTE_SIZE = 7
FOOTNOTE_LEADING = 9
BOTTOM = 54  # baseline of the lowest footnote line
MAX_BODY_LINES = 46


def make_pdf(
    pages: Sequence[Sequence[str]],
    footnotes: Sequence[Sequence[str]] | None = None,
) -> bytes:
    """Build a PDF with one page per entry of ``pages``, one text line per string.

    ``footnotes[i]`` (optional) holds the footnote lines of page ``i``, set in a smaller font at
    the bottom of the page, below a short rule. Text is encoded as WinAnsi (Latin-1 plus a few
    typographic characters); characters outside it become ``?``. Raises ValueError when a page
    has more lines than fit on it (split the text over more pages instead).
    """
    if not pages:
        raise ValueError("a PDF needs at least one page")
    notes = list(footnotes or [])
    if len(notes) > len(pages):
        raise ValueError(f"{len(notes)} footnote lists for {len(pages)} pages")
    notes += [[] for _ in range(len(pages) - len(notes))]

    objects: list[bytes] = []  # object n is objects[n - 1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # the page tree, filled in once the page objects are numbered
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    page_refs: list[int] = []
    for lines, page_notes in zip(pages, notes, strict=True):
        stream = _content_stream(list(lines), list(page_notes))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_no = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, content_no)
        )
        page_refs.append(len(objects))
    kids = b" ".join(b"%d 0 R" % n for n in page_refs)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_refs))
    return _serialise(objects)


def _content_stream(lines: list[str], notes: list[str]) -> bytes:
    note_top = BOTTOM + FOOTNOTE_LEADING * (len(notes) - 1) if notes else BOTTOM
    lowest_body = note_top + FOOTNOTE_LEADING + 12 if notes else BOTTOM
    room = int((TOP - lowest_body) / BODY_LEADING) + 1
    if len(lines) > min(room, MAX_BODY_LINES):
        raise ValueError(
            f"{len(lines)} lines do not fit on one page (at most {min(room, MAX_BODY_LINES)} "
            "with these footnotes); split them over more pages"
        )
    ops: list[bytes] = []
    for i, line in enumerate(lines):
        ops.append(_text(line, BODY_SIZE, TOP - i * BODY_LEADING))
    if notes:
        rule_y = note_top + FOOTNOTE_LEADING + 2
        ops.append(b"0.5 w %d %d m %d %d l S" % (MARGIN_LEFT, rule_y, MARGIN_LEFT + 144, rule_y))
        for i, line in enumerate(notes):
            ops.append(_text(line, FOOTNOTE_SIZE, note_top - i * FOOTNOTE_LEADING))
    return b"\n".join(ops)


def _text(line: str, size: int, y: int) -> bytes:
    return b"BT /F1 %d Tf %d %d Td (%s) Tj ET" % (size, MARGIN_LEFT, y, _escape(line))


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _serialise(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)
