"""Tar archives built in memory for the archive and scan tests."""

from __future__ import annotations

import io
import tarfile


def add_member(tar: tarfile.TarFile, name: str, data: bytes = b"", **attrs: object) -> None:
    """Add ``name`` holding ``data``; ``attrs`` set other TarInfo fields (type, linkname...)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if data else None)


def make_tar(
    entries: list[tuple[str, bytes]], *, gz: bool = True, pax: dict[str, str] | None = None
) -> bytes:
    """A PAX-format tar (gzipped unless ``gz=False``) of ``(name, data)`` regular files."""
    buf = io.BytesIO()
    mode = "w:gz" if gz else "w"
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT, pax_headers=pax) as tar:
        for name, data in entries:
            add_member(tar, name, data)
    return buf.getvalue()
