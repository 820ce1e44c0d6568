"""Text of a PDF, page by page (pure: bytes in, strings out).

pypdf is imported inside :func:`extract_pages`, so importing this module stays cheap for code
that only needs :class:`PdfError`.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import TYPE_CHECKING

from scraper.errors import FwcensusError

if TYPE_CHECKING:
    from pypdf import PdfReader

_HEAD_BYTES = 1024  # the PDF spec lets "%PDF-" appear anywhere in the first 1024 bytes


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

    Raises :class:`PdfError` for empty input, an HTML error or login page served instead of the
    PDF, other non-PDF bytes, an encrypted PDF that an empty password does not open, and a PDF
    too broken to read. A page whose text cannot be extracted gives ``""`` (the other pages are
    still returned); if no page can be read at all, that is a ``broken`` PdfError. pypdf's
    warnings and log messages about sloppy-but-readable files are silenced.
    """
    if max_pages is not None and max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    _check_header(data)

    import pypdf
    from pypdf.errors import FileNotDecryptedError

    pypdf_logger = logging.getLogger("pypdf")
    old_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
                if reader.is_encrypted:
                    _decrypt(reader)
                count = len(reader.pages)
            except PdfError:
                raise
            except FileNotDecryptedError as exc:
                raise PdfError(
                    f"the PDF is encrypted and cannot be read: {exc}", "encrypted"
                ) from exc
            # pypdf raises many kinds of exception on damaged files (PyPdfError, ValueError,
            # KeyError, struct.error, RecursionError...): any of them means "broken PDF".
            except Exception as exc:
                raise PdfError(
                    f"the PDF is damaged and cannot be read ({type(exc).__name__}: {exc}); "
                    "download it again, or skip this paper",
                    "broken",
                ) from exc
            if count == 0:
                raise PdfError("the PDF has no pages", "broken")
            wanted = count if max_pages is None else min(count, max_pages)
            pages: list[str] = []
            failures = 0
            for number in range(wanted):
                try:
                    text = reader.pages[number].extract_text() or ""
                except Exception:  # one damaged page must not lose the rest of the paper
                    text = ""
                    failures += 1
                pages.append(text.replace("\x00", ""))
            if failures == wanted:
                raise PdfError(f"no page of the PDF could be read ({wanted} tried)", "broken")
            return pages
    finally:
        pypdf_logger.setLevel(old_level)


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


def _decrypt(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty user password, as PDF viewers do."""
    from pypdf.errors import DependencyError

    try:
        result = reader.decrypt("")
    except DependencyError as exc:
        raise PdfError(
            f"the PDF is AES-encrypted and pypdf needs the 'cryptography' package to open it "
            f"({exc})",
            "encrypted",
        ) from exc
    if not result:
        raise PdfError("the PDF is encrypted with a password; it cannot be read", "encrypted")
