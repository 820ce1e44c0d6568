"""Zip and directory walks: links, unsafe names, size lies, caps."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from scraper.archive import ArchiveStats, ScanLimits, iter_directory, iter_zip

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"


def _zip(entries: list[tuple[str, bytes, int | None]], comment: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
        archive.comment = comment
    return buf.getvalue()


def walk_zip(data: bytes, limits: ScanLimits | None = None) -> tuple[dict, ArchiveStats]:
    stats = ArchiveStats()
    files = dict(iter_zip(io.BytesIO(data), limits or ScanLimits(), stats, lambda p: True, True))
    return files, stats


def test_zip_reads_files_and_commit_from_the_comment() -> None:
    data = _zip(
        [("repo-main/a.py", b"import torch", None), ("repo-main/b/c.py", b"x", 0o100644)],
        comment=SHA.encode(),
    )
    files, stats = walk_zip(data)
    assert files == {"a.py": b"import torch", "b/c.py": b"x"}
    assert stats.commit == SHA


def test_zip_skips_symlinks_devices_and_unsafe_names() -> None:
    data = _zip(
        [
            ("r/ok.py", b"ok", None),
            ("r/link.py", b"/etc/passwd", stat.S_IFLNK | 0o777),
            ("r/fifo", b"", stat.S_IFIFO | 0o644),
            ("/abs.py", b"x", None),
            ("r/../../up.py", b"x", None),
            ("r\\..\\..\\win.py", b"x", None),
        ]
    )
    files, stats = walk_zip(data)
    assert files == {"ok.py": b"ok"}
    assert stats.skipped_links == 1
    assert stats.skipped_unsafe == 4


def test_zip_member_lying_about_its_size_is_not_read() -> None:
    payload = b"a" * 200_000
    data = bytearray(_zip([("r/bomb.py", payload, None), ("r/ok.py", b"fine", None)]))
    # Declare 100 bytes instead of 200000 in the local header and the central directory.
    real = struct.pack("<I", len(payload))
    fake = struct.pack("<I", 100)
    assert data.count(real) == 2
    data = bytearray(bytes(data).replace(real, fake))
    files, stats = walk_zip(bytes(data))
    assert files == {"ok.py": b"fine"}
    assert stats.skipped_broken == 1  # inflating stops at the declared size: CRC mismatch


def test_zip_declared_size_over_cap_is_skipped_unread() -> None:
    data = _zip([("r/big.py", b"#" * 5000, None), ("r/small.py", b"s", None)])
    files, stats = walk_zip(data, ScanLimits(max_file_bytes=1000))
    assert files == {"small.py": b"s"}
    assert stats.skipped_large == 1


def test_zip_member_cap() -> None:
    data = _zip([(f"r/f{i}.py", b"x", None) for i in range(8)])
    files, stats = walk_zip(data, ScanLimits(max_members=3))
    assert len(files) == 3
    assert stats.truncated == "member cap 3 reached" and stats.cap_hit


def test_not_a_zip() -> None:
    files, stats = walk_zip(b"PK\x03\x04 broken")
    assert files == {}
    assert stats.truncated is not None and stats.truncated.startswith("not a readable zip")


def walk_dir(root: Path, limits: ScanLimits | None = None) -> tuple[dict, ArchiveStats]:
    stats = ArchiveStats()
    return dict(iter_directory(root, limits or ScanLimits(), stats, lambda p: True)), stats


def test_directory_walk_is_sorted_skips_git_and_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.py").write_bytes(b"z")
    (tmp_path / "a.py").write_bytes(b"a")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.py").write_bytes(b"secret")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_bytes(b"outside")
    (tmp_path / "link.py").symlink_to(outside)
    (tmp_path / "linkdir").symlink_to(tmp_path.parent)
    files, stats = walk_dir(tmp_path)
    assert list(files) == ["a.py", "b/z.py"]
    assert stats.skipped_links == 2
    assert stats.files_seen == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_directory_walk_never_opens_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "ok.py").write_bytes(b"ok")
    files, stats = walk_dir(tmp_path)
    assert files == {"ok.py": b"ok"}
    assert stats.skipped_unsafe == 1


def test_directory_caps(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.py").write_bytes(b"x" * 100)
    (tmp_path / "huge.py").write_bytes(b"x" * 2000)
    files, stats = walk_dir(tmp_path, ScanLimits(max_file_bytes=1000))
    assert "huge.py" not in files and stats.skipped_large == 1
    files, stats = walk_dir(tmp_path, ScanLimits(max_total_bytes=250))
    assert len(files) == 2 and stats.cap_hit


def test_missing_directory_is_a_reason(tmp_path: Path) -> None:
    files, stats = walk_dir(tmp_path / "nope")
    assert files == {} and stats.truncated is not None and "not a directory" in stats.truncated


def test_directory_walk_counts_are_there_at_each_file_and_when_stopped_early(
    tmp_path: Path,
) -> None:
    """The walk keeps its per-entry counts in locals: what a consumer reads on the way and
    after closing the walk early must still be the entries seen so far."""
    (tmp_path / "a.py").write_bytes(b"a")
    (tmp_path / "b.txt").write_bytes(b"b")
    (tmp_path / "c.py").write_bytes(b"c")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "e.py").write_bytes(b"e")
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    stats = ArchiveStats()
    walk = iter_directory(tmp_path, ScanLimits(), stats, lambda p: p.endswith(".py"))
    assert next(walk)[0] == "a.py"
    assert (stats.members_seen, stats.files_seen, stats.files_read) == (1, 1, 1)
    assert next(walk)[0] == "c.py"
    assert (stats.members_seen, stats.files_seen, stats.extensions) == (3, 3, {".py": 2, ".txt": 1})
    walk.close()  # stopped before d/ and link.py
    assert (stats.members_seen, stats.files_seen, stats.skipped_links) == (3, 3, 0)
    files, stats = walk_dir(tmp_path)
    assert list(files) == ["a.py", "b.txt", "c.py", "d/e.py"]
    assert (stats.members_seen, stats.files_seen, stats.skipped_links) == (6, 4, 1)
    files, stats = walk_dir(tmp_path, ScanLimits(max_members=2))
    assert list(files) == ["a.py", "b.txt"] and stats.members_seen == 3 and stats.cap_hit
