"""Safe, streaming walks over repository contents: tarballs, zip files and directories.

Nothing here writes to disk or executes anything. Each walker yields ``(path, bytes)`` for the
regular files a ``want(path)`` predicate accepts, and fills an :class:`ArchiveStats` as it goes:

* links (symbolic and hard) are never followed or read; device files, FIFOs, absolute paths,
  drive letters and ``..`` components are skipped as unsafe;
* a wanted file over ``max_file_bytes`` is skipped and counted, never read;
* the walk stops, with ``stats.truncated`` saying why, when ``max_members`` entries were seen,
  when reading the next wanted file would pass ``max_total_bytes`` (uncompressed bytes read), or
  when the archive claims more than ``max_stream_bytes`` of uncompressed data (a tar bomb would
  otherwise keep the CPU busy decompressing data nobody reads). ``stats.cap_hit`` tells these
  "too large" stops apart from a broken archive;
* a broken or truncated archive (bad gzip data, a cut-off download, a missing end-of-archive
  marker) ends the walk with ``stats.truncated`` set, never with an exception. So does a read
  error of the underlying stream (a dropped connection): the reason names it.

Every regular file, read or not, is counted in ``stats.extensions`` by lower-case suffix, so a
caller can tell a MATLAB or C++ repository from a Python one without reading those files
(past ``MAX_EXTENSIONS`` different suffixes, new ones are counted together under ``"*"``).

Memory stays flat whatever the number of members: nothing is kept per member (tarfile's own
list of headers is emptied as the walk goes), only counters and the member being read.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

Want = Callable[[str], bool]

# What tarfile and zipfile raise on malformed input. Besides their own errors, crafted headers
# make them fail with built-in exceptions (TypeError from ord() on a short field, ValueError on
# a negative seek, NotImplementedError on an unknown zip version, UnicodeDecodeError on names).
# Only calls into those modules are wrapped, so a bug in our own code is not mistaken for a
# broken archive.
MALFORMED: tuple[type[Exception], ...] = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)

SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
MAX_EXTENSIONS = 1_000  # different suffixes counted one by one (a hostile archive could
# hold a new one per member); later ones share the key "*", which no suffix can be


@dataclass(frozen=True)
class ScanLimits:
    """Caps for one walk. ``max_total_bytes`` counts uncompressed bytes *read* (wanted files);
    ``max_stream_bytes`` counts the uncompressed size of every member walked past."""

    max_file_bytes: int = 1_000_000
    max_total_bytes: int = 300_000_000
    max_members: int = 200_000
    max_notebook_bytes: int = 20_000_000  # notebooks carry their outputs (images) inline
    max_stream_bytes: int = 5_000_000_000

    def file_cap(self, path: str) -> int:
        if path.lower().endswith(".ipynb"):
            return max(self.max_file_bytes, self.max_notebook_bytes)
        return self.max_file_bytes


@dataclass
class ArchiveStats:
    """What a walk saw, read and skipped, and why it stopped early (if it did)."""

    members_seen: int = 0
    files_seen: int = 0  # regular files, read or not
    files_read: int = 0
    bytes_read: int = 0
    skipped_links: int = 0
    skipped_unsafe: int = 0
    skipped_large: int = 0  # wanted files over the per-file cap
    skipped_broken: int = 0  # members that could not be read (bad CRC, encrypted, I/O error)
    commit: str | None = None
    truncated: str | None = None
    cap_hit: bool = False  # True when ``truncated`` is a size/count cap, not a broken archive
    extensions: dict[str, int] = field(default_factory=dict)

    def stop(self, reason: str, *, cap: bool) -> None:
        if self.truncated is None:
            self.truncated = reason
            self.cap_hit = cap


# -- path safety ------------------------------------------------------------------------------


def safe_path(raw: str, *, strip_top: bool = False) -> str | None:
    """The member path as a clean relative POSIX path, or None when it is unsafe.

    Unsafe: absolute paths, Windows drive letters, ``..`` components, NUL characters. Leading
    ``./`` and empty components are dropped. With ``strip_top`` the first component is removed
    (codeload tarballs put everything under ``{repo}-{ref}/``); a path with no directory part
    keeps its name.
    """
    name = raw.replace("\\", "/")
    if "\x00" in name or name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    if strip_top and len(parts) > 1:
        parts = parts[1:]
    return "/".join(parts)


def _clean_text(name: str) -> str:
    """Make a decoded name storable: undecodable bytes (surrogate escapes) become U+FFFD."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name


def _suffix(path: str) -> str:
    """The lower-case suffix of a clean relative path, as ``PurePosixPath(path).suffix``
    gives it ("" for ``.bashrc``, ``name.`` or no dot at all)."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _count_file(stats: ArchiveStats, path: str) -> None:
    stats.files_seen += 1
    suffix = _suffix(path)
    _count_suffix(stats.extensions, suffix)


def _count_suffix(extensions: dict[str, int], suffix: str) -> None:
    if suffix not in extensions and len(extensions) >= MAX_EXTENSIONS:
        suffix = "*"
    extensions[suffix] = extensions.get(suffix, 0) + 1


def _admit(path: str, size: int, limits: ScanLimits, stats: ArchiveStats) -> bool:
    """Decide whether a wanted file of ``size`` bytes may be read; may stop the walk."""
    if size > limits.file_cap(path):
        stats.skipped_large += 1
        return False
    if stats.bytes_read + size > limits.max_total_bytes:
        stats.stop(f"byte cap {limits.max_total_bytes} reached (uncompressed bytes read)", cap=True)
        return False
    return True


def _took(stats: ArchiveStats, data: bytes) -> None:
    stats.files_read += 1
    stats.bytes_read += len(data)


# -- tar --------------------------------------------------------------------------------------


class _GuardedReader:
    """Wraps the caller's stream: a read error (dropped connection, timeout) becomes a recorded
    reason instead of an exception escaping from deep inside tarfile."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.error: str | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.raw.read(size)
        except Exception as exc:  # any transport error ends the walk; it is reported, not lost
            self.error = f"{type(exc).__name__}: {exc}"
            raise tarfile.ReadError("download interrupted") from exc
        return data if data is not None else b""


class _EndProbe(tarfile.TarInfo):
    """Notes whether the walk met the zero block that ends every complete tar archive.

    tarfile stops silently when the data simply runs out between members; this is how a
    download cut at a member boundary is told apart from a complete archive.
    """

    end_marker = False

    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> tarfile.TarInfo:
        if len(buf) == tarfile.BLOCKSIZE and buf.count(0) == tarfile.BLOCKSIZE:
            cls.end_marker = True
        return super().frombuf(buf, encoding, errors)


class _LeanStream(tarfile._Stream):
    """tarfile's stream reader (``mode="r|*"``: plain, gzip, bzip2 or xz, detected the same
    way, read with the same decompressors and errors), with a cheaper buffer.

    tarfile's own keeps what a read leaves over as a new bytes object, copied at every read:
    a 512-byte header read out of a block of decompressed data copies the rest of the block,
    and walking past a member reads it one 10 kB record at a time. Here the leftover stays
    where it is (an offset into it moves), and a skip drops whole chunks unread. A plain tar
    stream is asked for no more than the walk needs: what a read lacks (at least one 10 kB
    record, as tarfile asks), or what a skip passes over (in steps of up to ``RAW_CHUNK``).
    Reading further ahead would wait for data not needed yet (a pipe or a download fed as
    it is scanned would then stall in turns). Compressed streams keep tarfile's record-sized
    reads, so one decompression step stays as small as before (a gzip bomb cannot inflate
    more at once). Only forward seeks, as before.
    """

    RAW_CHUNK = 1 << 18
    _out = b""  # the bytes not handed out yet: _out[_at:] (decompressed, or plain tar)
    _at = 0

    def _chunk(self, want: int) -> bytes:
        """The next piece of the tar data, b"" at its end (as tarfile's _read reads it): of
        a plain stream at most ``want`` bytes (but see _StreamProxy: its first read returns
        the block it looked at), of a compressed one what a record decompresses to."""
        while True:
            if self.buf:  # raw bytes left by the gzip header parsing
                raw = self.buf
                self.buf = b""
            else:
                raw = self.fileobj.read(want if self.comptype == "tar" else self.bufsize)
                if not raw:
                    return b""
            if self.comptype == "tar":
                return raw
            try:
                out = self.cmp.decompress(raw)
            except self.exception as exc:
                raise tarfile.ReadError("invalid compressed data") from exc
            if out:
                return out

    def _read(self, size: int) -> bytes:
        out, at = self._out, self._at
        end = at + size
        if end <= len(out):
            self._at = end
            return out[at:end]
        parts = [out[at:]]
        have = len(out) - at
        while have < size:
            chunk = self._chunk(max(size - have, self.bufsize))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._out = data
        self._at = min(size, len(data))
        return data[:size]

    def seek(self, pos: int = 0) -> int:
        if pos < self.pos:
            raise tarfile.StreamError("seeking backwards is not allowed")
        skip = pos - self.pos
        left = len(self._out) - self._at
        if skip <= left:
            self._at += skip
            self.pos = pos
            return pos
        self.pos += left
        skip -= left
        self._out, self._at = b"", 0
        while skip > 0:
            chunk = self._chunk(min(skip, self.RAW_CHUNK))
            if not chunk:
                break
            if len(chunk) > skip:
                self._out, self._at = chunk, skip
                self.pos += skip
                break
            self.pos += len(chunk)
            skip -= len(chunk)
        return self.pos


def _open_stream(reader: _GuardedReader, probe: type[tarfile.TarInfo]) -> tarfile.TarFile:
    """``tarfile.open(fileobj=reader, mode="r|*", tarinfo=probe)``, as tarfile builds it, on
    a :class:`_LeanStream`."""
    stream = _LeanStream(None, "r", "*", reader, tarfile.RECORDSIZE)
    try:
        tar = tarfile.TarFile(None, "r", stream, tarinfo=probe)  # type: ignore[arg-type]
    except BaseException:
        stream.close()
        raise
    tar._extfileobj = False  # closing the archive closes the stream, as tarfile.open's does
    return tar


def _commit_from_pax(headers: dict[str, str]) -> str | None:
    value = headers.get("comment", "").strip()
    if 7 <= len(value) <= 64 and all(c in "0123456789abcdef" for c in value.lower()):
        return value.lower()
    return None


def iter_tar(
    fileobj: Any,
    limits: ScanLimits,
    stats: ArchiveStats,
    want: Want,
    strip_top: bool,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(path, bytes)`` for wanted regular files of a tar stream (plain, gzip, bzip2 or
    xz). Only ``fileobj.read`` is used, so an HTTP body or stdin works. Never raises for a
    broken archive: the walk ends and ``stats.truncated`` says why."""
    reader = _GuardedReader(fileobj)
    probe: type[_EndProbe] = type("_WalkProbe", (_EndProbe,), {})
    try:
        tar = _open_stream(reader, probe)
    except MALFORMED as exc:
        stats.stop(_broken_reason(exc, reader, opening=True), cap=False)
        return
    walked = 0
    try:
        while True:
            try:
                member = tar.next()
            except MALFORMED as exc:
                stats.stop(_broken_reason(exc, reader), cap=False)
                return
            if member is None:
                break
            # tarfile keeps every header it has read (about 0.5 kB each) for random access,
            # which a stream never needs: drop them, so memory does not grow with the members.
            tar.members.clear()
            if stats.commit is None:
                stats.commit = _commit_from_pax(tar.pax_headers)
            stats.members_seen += 1
            if stats.members_seen > limits.max_members:
                stats.stop(f"member cap {limits.max_members} reached", cap=True)
                return
            walked += max(member.size, 0)
            if walked > limits.max_stream_bytes:
                stats.stop(
                    f"stream cap {limits.max_stream_bytes} reached (uncompressed archive size)",
                    cap=True,
                )
                return
            path = _tar_wanted(member, limits, stats, want, strip_top)
            if stats.truncated:
                return
            if path is None:
                continue
            try:
                handle = tar.extractfile(member)
                data = handle.read(member.size) if handle is not None else None
            except MALFORMED as exc:
                stats.stop(_broken_reason(exc, reader), cap=False)
                return
            if data is None:
                stats.skipped_unsafe += 1
                continue
            _took(stats, data)
            yield path, data
    finally:
        with contextlib.suppress(*MALFORMED):
            tar.close()
    if not probe.end_marker:
        stats.stop("archive truncated: ended without the end-of-archive marker", cap=False)


def _tar_wanted(
    member: tarfile.TarInfo,
    limits: ScanLimits,
    stats: ArchiveStats,
    want: Want,
    strip_top: bool,
) -> str | None:
    """The clean path of a member to read, or None (counted as skipped where it applies)."""
    if member.isdir():
        return None
    if member.issym() or member.islnk():
        stats.skipped_links += 1
        return None
    if not member.isreg():  # character/block devices, FIFOs, unknown types
        stats.skipped_unsafe += 1
        return None
    path = safe_path(_clean_text(member.name), strip_top=strip_top)
    if not path:
        stats.skipped_unsafe += 1
        return None
    _count_file(stats, path)
    if not want(path) or not _admit(path, member.size, limits, stats):
        return None
    return path


def _broken_reason(exc: BaseException, reader: _GuardedReader, *, opening: bool = False) -> str:
    if reader.error:
        return f"download interrupted: {reader.error}"
    text = str(exc) or type(exc).__name__
    if opening:
        return f"not a readable tar archive: {text}"
    return f"archive truncated or corrupt: {text}"


# -- zip --------------------------------------------------------------------------------------


def _zip_commit(comment: bytes) -> str | None:
    """``git archive --format=zip`` stores the commit id as the archive comment."""
    try:
        text = comment.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return _commit_from_pax({"comment": text})


def iter_zip(
    path_or_fileobj: str | os.PathLike[str] | IO[bytes],
    limits: ScanLimits,
    stats: ArchiveStats,
    want: Want,
    strip_top: bool,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(path, bytes)`` for wanted regular files of a zip archive (needs a seekable file).

    Declared sizes are checked before reading and actual sizes while reading (a member that
    inflates past its declared size or the cap is skipped as too large or broken)."""
    try:
        archive = zipfile.ZipFile(path_or_fileobj)
    except MALFORMED as exc:
        stats.stop(f"not a readable zip archive: {exc}", cap=False)
        return
    with archive:
        stats.commit = _zip_commit(archive.comment)
        for info in archive.infolist():
            stats.members_seen += 1
            if stats.members_seen > limits.max_members:
                stats.stop(f"member cap {limits.max_members} reached", cap=True)
                return
            item = _zip_member(archive, info, limits, stats, want, strip_top)
            if stats.truncated:
                return
            if item is not None:
                yield item


def _zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: ScanLimits,
    stats: ArchiveStats,
    want: Want,
    strip_top: bool,
) -> tuple[str, bytes] | None:
    if info.is_dir():
        return None
    mode = (info.external_attr >> 16) & 0xFFFF
    if mode and stat.S_ISLNK(mode):
        stats.skipped_links += 1
        return None
    if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        stats.skipped_unsafe += 1
        return None
    path = safe_path(_clean_text(info.filename), strip_top=strip_top)
    if not path:
        stats.skipped_unsafe += 1
        return None
    _count_file(stats, path)
    if not want(path) or not _admit(path, info.file_size, limits, stats):
        return None
    cap = limits.file_cap(path)
    try:
        with archive.open(info) as handle:
            data = handle.read(cap + 1)
    except MALFORMED:
        stats.skipped_broken += 1  # bad CRC, size lies, encryption, unsupported compression
        return None
    if len(data) > cap:
        stats.skipped_large += 1
        return None
    _took(stats, data)
    return path, data


# -- directory --------------------------------------------------------------------------------


def iter_directory(
    root: str | os.PathLike[str],
    limits: ScanLimits,
    stats: ArchiveStats,
    want: Want,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(path, bytes)`` for wanted regular files under ``root``, in sorted order.

    Symbolic links (to files or directories) are never followed; ``.git``, ``.hg`` and ``.svn``
    are skipped; FIFOs, sockets and devices are skipped as unsafe (opening a FIFO would block).
    """
    base = os.fspath(root)
    if not os.path.isdir(base):
        stats.stop(f"not a directory: {Path(base)}", cap=False)
        return
    stack: list[tuple[str, str]] = [(base, "")]
    max_members = limits.max_members
    extensions = stats.extensions
    # The per-entry counters live in locals (attribute writes for every entry otherwise) and
    # are written back before a file is read or yielded, and when the walk ends.
    seen = stats.members_seen
    files = stats.files_seen
    links = stats.skipped_links
    try:
        while stack:
            folder, prefix = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=_NAME)
            except OSError:
                stats.skipped_broken += 1
                continue
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                # A link is never followed: for anything else, following changes nothing
                # (and the calls without keyword arguments are cheaper).
                link = entry.is_symlink()
                is_dir = not link and entry.is_dir()
                name = entry.name
                if is_dir and name in SKIP_DIRS:
                    continue
                seen += 1
                if seen > max_members:
                    stats.members_seen = seen
                    stats.stop(f"member cap {max_members} reached", cap=True)
                    return
                if link:
                    links += 1
                    continue
                if not name.isascii():
                    name = _clean_text(name)
                if is_dir:
                    subdirs.append((entry.path, prefix + name + "/"))
                elif not entry.is_file():
                    stats.skipped_unsafe += 1
                else:
                    files += 1
                    dot = name.rfind(".")  # the suffix as _suffix gives it
                    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
                    if suffix in extensions:
                        extensions[suffix] += 1
                    else:
                        _count_suffix(extensions, suffix)
                    rel = prefix + name
                    if not want(rel):
                        continue
                    stats.members_seen = seen
                    stats.files_seen = files
                    item = _directory_file(entry.path, rel, limits, stats)
                    if stats.truncated:
                        return
                    if item is not None:
                        stats.skipped_links = links
                        yield item
            stack.extend(reversed(subdirs))  # popped in name order: depth-first, sorted
    finally:
        stats.members_seen = seen
        stats.files_seen = files
        stats.skipped_links = links


_NAME = attrgetter("name")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _directory_file(
    full: str, rel: str, limits: ScanLimits, stats: ArchiveStats
) -> tuple[str, bytes] | None:
    """Read one wanted regular file (counted already), or None when it cannot be."""
    try:
        fd = os.open(full, _OPEN_FLAGS)
    except OSError:
        stats.skipped_broken += 1
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for something else since listing
            stats.skipped_unsafe += 1
            return None
        size = info.st_size
        cap = limits.file_cap(rel)
        if size > cap:  # (as _admit decides, with the cap computed once)
            stats.skipped_large += 1
            return None
        if stats.bytes_read + size > limits.max_total_bytes:
            stats.stop(
                f"byte cap {limits.max_total_bytes} reached (uncompressed bytes read)", cap=True
            )
            return None
        try:
            data = _read_upto(fd, size, cap + 1)
        except OSError:
            stats.skipped_broken += 1
            return None
    finally:
        os.close(fd)
    if len(data) > cap:  # grew since fstat
        stats.skipped_large += 1
        return None
    stats.files_read += 1
    stats.bytes_read += len(data)
    return rel, data


def _read_upto(fd: int, expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file expected to hold ``expected`` bytes.

    One read of ``expected + 1`` bytes is the usual case; a buffer the size of the cap is
    never allocated. A short read of a regular file means its end; a file that grew since
    ``fstat`` is read on, up to ``limit``.
    """
    request = min(expected + 1, limit)
    data = os.read(fd, request)
    if len(data) < request or len(data) >= limit:
        return data
    parts = [data]
    total = len(data)
    while total < limit:
        chunk = os.read(fd, min(limit - total, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
