"""Text of a PDF, page by page (pure: bytes in, strings out), read with PDFium.

PDFium is Chrome's PDF engine, used through pypdfium2's binary wheels; it reads a real paper 3
to 15 times faster than pypdf did, with the same code links (``benchmarks/pdf_speed.py``).
pypdfium2 is imported inside :func:`extract_pages`, so importing this module stays cheap for
code that only needs :class:`PdfError` (``fwcensus scan`` never loads PDFium).

PDFium is not thread-safe: no two of its calls may run at the same time, even on different
documents. Every call of a document's life (open, pages, text pages, close) is made holding
:data:`_PDFIUM_LOCK`, and every handle is closed explicitly before the lock is released, never
left to a garbage-collector finaliser that could run on another thread. ctypes releases the GIL
during each call, so the process's other threads keep running while one reads a PDF; PDFs
themselves are read one at a time per process (:mod:`scraper.pdfwork` spreads them over
processes).

How PDFium's text differs from pypdf's: a run of spaces inside a line comes out as one space;
characters outside Unicode's Basic Multilingual Plane (e.g. the mathematical italic letters of
some math fonts) are dropped by its text API; a word hyphenated at the end of a line, which
PDFium joins and marks, is given back as pypdf gave it (``"-"``, then the next line).
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from scraper.errors import FwcensusError

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument

_HEAD_BYTES = 1024  # the PDF spec lets "%PDF-" appear anywhere in the first 1024 bytes
_TAIL_BYTES = 1024  # ... and Acrobat accepts "%%EOF" anywhere in the last 1024 bytes

# One lock for every PDFium call in the process (PDFium keeps global state, e.g. its last error).
_PDFIUM_LOCK = threading.Lock()

# PDFium's load errors (FPDF_ERR_* in fpdfview.h, a stable part of its public API).
_ERR_PASSWORD = 4  # a password other than the empty one is needed
_ERR_SECURITY = 5  # an encryption scheme (security handler) PDFium does not support
_LOAD_ERRORS = {
    1: "unknown error",
    2: "file access error",
    3: "data format error",
    6: "page not found or content error",
}

# PDFium joins a word hyphenated at the end of a line with the next line and puts U+FFFE (a
# noncharacter) where the hyphen and the line break were; any other U+FFFE is a glyph without
# a Unicode value.
_JOINED_HYPHEN = re.compile("\ufffe(?=\\w)")


class PdfError(FwcensusError):
    """The bytes are not a readable PDF. ``reason`` is a short code for the store.

    Reasons: ``empty``, ``html`` (an HTML page was served instead of a PDF), ``not_pdf``,
    ``encrypted``, ``broken``.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[PdfError], tuple[str, str]]:
        # crosses the process boundary intact when raised in a PDF reader process
        return (PdfError, (str(self), self.reason))


def extract_pages(data: bytes, max_pages: int | None = None) -> list[str]:
    """Return the text of each page (at most ``max_pages`` pages), in order.

    One string per page, lines separated by ``"\\n"``, without NUL characters. Raises
    :class:`PdfError` for empty input, an HTML error or login page served instead of the PDF,
    other non-PDF bytes, a download that looks truncated (no ``%%EOF`` in its last 1024 bytes:
    ``broken``), an encrypted PDF that the empty password does not open or whose encryption
    PDFium does not support (``encrypted``), and a PDF too broken to open or without pages
    (``broken``). A page whose text cannot be extracted gives ``""`` (the other pages are
    still returned); if no page can be read at all, that is a ``broken`` PdfError.

    Thread-safe: concurrent calls take turns (see the module docstring).
    """
    if max_pages is not None and max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    _check_header(data)
    _check_complete(data)
    with _PDFIUM_LOCK:
        texts = _read_locked(data, max_pages)
    if all(text is None for text in texts):
        raise PdfError(f"no page of the PDF could be read ({len(texts)} tried)", "broken")
    return ["" if text is None else _clean(text) for text in texts]


def _check_header(data: bytes) -> None:
    if not data or not data.strip():
        raise PdfError("the file is empty (0 bytes of PDF); the download probably failed", "empty")
    head = data[:_HEAD_BYTES]
    if b"%PDF-" in head:
        return
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or (
        b"<html" in lowered
    ):
        raise PdfError(
            "got an HTML page instead of a PDF (the server sent an error, login or "
            "bot-check page); check the PDF URL in a browser",
            "html",
        )
    preview = head[:16]
    raise PdfError(f"not a PDF file (it starts with {preview!r}, not %PDF-)", "not_pdf")


def _check_complete(data: bytes) -> None:
    """A PDF ends with ``%%EOF``: without one near the end, the download was cut off.

    PDFium rebuilds a damaged cross-reference table and could read the first pages of a
    truncated file as if they were the whole paper, so this is checked before it is asked.
    """
    if b"%%EOF" not in data[-_TAIL_BYTES:]:
        raise PdfError(
            f"the PDF is damaged: it looks truncated (no %%EOF marker in its last "
            f"{_TAIL_BYTES} bytes; {len(data):,} bytes received), the download was probably "
            "cut off; download it again",
            "broken",
        )


def _read_locked(data: bytes, max_pages: int | None) -> list[str | None]:
    """PDFium's raw text of each page wanted, ``None`` for a page it cannot read.

    Call holding :data:`_PDFIUM_LOCK`; every handle is closed before this returns.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    # Loaded through the raw API so that a document without pages is closed too (the
    # PdfDocument constructor would raise without closing it). ``data`` outlives the document:
    # PDFium reads from the bytes object's own buffer.
    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)  # None: the empty password
    if not raw:
        raise _load_error(pdfium_c.FPDF_GetLastError())
    document = pdfium.PdfDocument(raw)  # owns ``raw`` from here on
    try:
        count = len(document)
        if count < 1:
            raise PdfError("the PDF has no pages", "broken")
        wanted = count if max_pages is None else min(count, max_pages)
        return [_page_text(document, number) for number in range(wanted)]
    finally:
        document.close()


def _page_text(document: PdfDocument, number: int) -> str | None:
    """One page's text as PDFium gives it, or ``None`` if the page cannot be read."""
    try:
        page = document.get_page(number)
    except Exception:  # one damaged page must not lose the rest of the paper
        return None
    try:
        textpage = page.get_textpage()
        try:
            # an explicit range: pypdfium2 4.x would redirect a default-range call to
            # get_text_bounded(), which lays lines out differently
            return textpage.get_text_range(0, textpage.count_chars())
        finally:
            textpage.close()
    except Exception:
        return None
    finally:
        page.close()


def _load_error(code: int) -> PdfError:
    if code == _ERR_PASSWORD:
        return PdfError(
            "the PDF is encrypted with a password (the empty password does not open it); "
            "it cannot be read",
            "encrypted",
        )
    if code == _ERR_SECURITY:
        return PdfError(
            "the PDF is encrypted with a security handler PDFium does not support; "
            "it cannot be read",
            "encrypted",
        )
    detail = _LOAD_ERRORS.get(code, f"error code {code}")
    return PdfError(
        f"the PDF is damaged and cannot be read (PDFium: {detail}); download it again, "
        "or skip this paper",
        "broken",
    )


def _clean(text: str) -> str:
    """PDFium's page text -> lines separated by ``"\\n"``, no NUL, no U+FFFE."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JOINED_HYPHEN.sub("-\n", text).replace("\ufffe", "")
    return text.replace("\x00", "")
