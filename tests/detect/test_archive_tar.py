"""Streaming tar walks: safety, caps, broken archives, the commit in the pax header."""

from __future__ import annotations

import gzip
import io
import random
import tarfile

from tarfiles import add_member, make_tar

from scraper.archive import ArchiveStats, ScanLimits, iter_tar, safe_path

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"


class ReadOnly:
    """A stream with nothing but ``read`` (like an HTTP body or stdin): no seek, no tell."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._buf.read(size)


def walk(
    data: bytes, limits: ScanLimits | None = None, strip_top: bool = True, want=None
) -> tuple[dict[str, bytes], ArchiveStats]:
    stats = ArchiveStats()
    files = dict(
        iter_tar(ReadOnly(data), limits or ScanLimits(), stats, want or (lambda p: True), strip_top)
    )
    return files, stats


def test_reads_codeload_style_tarball_from_non_seekable_stream() -> None:
    data = make_tar(
        [("repo-main/train.py", b"import torch\n"), ("repo-main/models/net.py", b"x = 1\n")],
        pax={"comment": SHA},
    )
    files, stats = walk(data)
    assert files == {"train.py": b"import torch\n", "models/net.py": b"x = 1\n"}
    assert stats.commit == SHA
    assert stats.truncated is None
    assert stats.files_seen == 2 and stats.files_read == 2
    assert stats.bytes_read == len(b"import torch\n") + len(b"x = 1\n")
    assert stats.extensions == {".py": 2}


def test_plain_uncompressed_tar_and_no_strip() -> None:
    data = make_tar([("a/b.py", b"1"), ("c.py", b"2")], gz=False)
    files, stats = walk(data, strip_top=False)
    assert files == {"a/b.py": b"1", "c.py": b"2"}
    assert stats.commit is None


def test_unwanted_files_are_counted_but_not_read() -> None:
    data = make_tar([("r/a.py", b"import x"), ("r/b.m", b"% matlab"), ("r/c.m", b"% matlab")])
    files, stats = walk(data, want=lambda p: p.endswith(".py"))
    assert list(files) == ["a.py"]
    assert stats.files_read == 1 and stats.files_seen == 3
    assert stats.extensions == {".py": 1, ".m": 2}


def test_links_devices_and_unsafe_paths_are_skipped() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        add_member(tar, "r/ok.py", b"fine")
        add_member(tar, "r/link.py", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add_member(tar, "r/hard.py", type=tarfile.LNKTYPE, linkname="r/ok.py")
        add_member(tar, "r/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        add_member(tar, "r/blk", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
        add_member(tar, "r/fifo", type=tarfile.FIFOTYPE)
        add_member(tar, "/etc/evil.py", b"absolute")
        add_member(tar, "r/../../evil.py", b"traversal")
        add_member(tar, "r/sub/../../../x.py", b"traversal")
    files, stats = walk(buf.getvalue())
    assert files == {"ok.py": b"fine"}
    assert stats.skipped_links == 2
    assert stats.skipped_unsafe == 6  # 3 devices/FIFO + absolute + 2 traversals
    assert stats.skipped_unsafe + stats.skipped_links + stats.files_read == 9
    assert stats.truncated is None


def test_safe_path_rules() -> None:
    assert safe_path("./repo/./a//b.py", strip_top=True) == "a/b.py"
    assert safe_path("/abs/path.py") is None
    assert safe_path("C:\\windows\\x.py") is None
    assert safe_path("a/../b.py") is None
    assert safe_path("a\\..\\b.py") is None
    assert safe_path("top-only.py", strip_top=True) == "top-only.py"


def test_member_over_file_cap_is_skipped_and_counted() -> None:
    big = b"#" * 5000
    data = make_tar([("r/big.py", big), ("r/small.py", b"import os\n")])
    files, stats = walk(data, ScanLimits(max_file_bytes=1000))
    assert list(files) == ["small.py"]
    assert stats.skipped_large == 1
    assert stats.truncated is None


def test_notebooks_have_their_own_larger_cap() -> None:
    nb = b"{" + b" " * 3000 + b"}"
    data = make_tar([("r/a.ipynb", nb), ("r/b.py", b" " * 3000)])
    files, stats = walk(data, ScanLimits(max_file_bytes=1000, max_notebook_bytes=10_000))
    assert list(files) == ["a.ipynb"]
    assert stats.skipped_large == 1


def test_member_count_cap_stops_the_walk() -> None:
    data = make_tar([(f"r/f{i}.py", b"x") for i in range(10)])
    files, stats = walk(data, ScanLimits(max_members=4))
    assert len(files) == 4
    assert stats.truncated == "member cap 4 reached"
    assert stats.cap_hit


def test_byte_cap_stops_before_reading_past_it() -> None:
    data = make_tar([(f"r/f{i}.py", b"y" * 100) for i in range(10)])
    files, stats = walk(data, ScanLimits(max_total_bytes=350))
    assert len(files) == 3
    assert stats.bytes_read == 300
    assert stats.truncated is not None and stats.truncated.startswith("byte cap 350 reached")
    assert stats.cap_hit


def test_stream_cap_stops_a_tar_bomb_without_decompressing_it() -> None:
    data = make_tar([("r/a.py", b"x"), ("r/zeros.bin", b"\0" * 200_000), ("r/b.py", b"y")])
    files, stats = walk(data, ScanLimits(max_stream_bytes=100_000))
    assert files == {"a.py": b"x"}
    assert stats.truncated is not None and stats.truncated.startswith("stream cap")
    assert stats.cap_hit


def test_truncated_gzip_ends_with_a_reason_not_an_exception() -> None:
    entries = [(f"r/f{i}.py", bytes(range(256)) * 40) for i in range(6)]
    data = make_tar(entries)
    files, stats = walk(data[: len(data) // 2])
    assert stats.truncated is not None
    assert stats.truncated.startswith("archive truncated")
    assert not stats.cap_hit
    assert len(files) < 6


def test_tar_cut_at_a_member_boundary_is_reported_as_truncated() -> None:
    data = make_tar([("r/a.py", b"a" * 512), ("r/b.py", b"b" * 512)], gz=False)
    # header(512) + data(512) per member: cut right after the first member, before the second
    files, stats = walk(data[:1024])
    assert files == {"a.py": b"a" * 512}
    assert stats.truncated == "archive truncated: ended without the end-of-archive marker"


def test_garbage_and_empty_input_are_not_archives() -> None:
    for data in (b"", b"this is not a tarball at all" * 10, gzip.compress(b"not a tar" * 100)):
        files, stats = walk(data)
        assert files == {}
        assert stats.truncated is not None and not stats.cap_hit


def test_corrupt_gzip_data_is_reported() -> None:
    data = bytearray(make_tar([("r/a.py", bytes(range(256)) * 200)]))
    for i in range(40, 200):
        data[i] ^= 0xFF
    _, stats = walk(bytes(data))
    assert stats.truncated is not None and not stats.cap_hit


def test_read_error_of_the_stream_becomes_a_reason() -> None:
    class Dropping(ReadOnly):
        def __init__(self, data: bytes) -> None:
            super().__init__(data)
            self.calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise ConnectionResetError("peer closed connection")
            return super().read(size)

    noise = random.Random(0).randbytes(100_000)  # incompressible: many reads needed
    data = make_tar([(f"r/f{i}.py", noise) for i in range(5)])
    stats = ArchiveStats()
    list(iter_tar(Dropping(data), ScanLimits(), stats, lambda p: True, True))
    assert stats.truncated is not None
    assert stats.truncated.startswith("download interrupted: ConnectionResetError")


def test_invalid_utf8_member_name_is_made_storable() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("r/caf\udce9.py")  # the raw byte 0xE9: not UTF-8
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    files, _ = walk(buf.getvalue())
    assert list(files) == ["caf\ufffd.py"]
    next(iter(files)).encode("utf-8")  # storable


def test_commit_only_from_a_hex_comment() -> None:
    _, stats = walk(make_tar([("r/a.py", b"")], pax={"comment": "not a sha"}))
    assert stats.commit is None


def test_mutated_archives_never_raise() -> None:
    """Random corruption of real-shaped archives (flipped, cut and inserted bytes) must end in
    a recorded reason, never an exception from tarfile's or zipfile's parsers."""
    import zipfile

    from scraper.archive import iter_zip

    rng = random.Random(7)
    tar_gz = make_tar([(f"repo/d{i}/f{i}.py", b"import torch\n" * 30) for i in range(4)])
    tar_plain = make_tar([(f"repo/f{i}.py", b"import jax\n" * 30) for i in range(4)], gz=False)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(4):
            archive.writestr(f"repo/f{i}.py", "import torch\n" * 30)
    bases = [tar_gz, tar_plain, zbuf.getvalue()]
    for _ in range(1500):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 6)):
            if not data:
                break
            at = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.6:
                data[at] = rng.randrange(256)
            elif choice < 0.8:
                del data[at:]
            else:
                data[at:at] = rng.randbytes(rng.randint(1, 40))
        raw = bytes(data)
        stats = ArchiveStats()
        list(iter_tar(ReadOnly(raw), ScanLimits(), stats, lambda p: True, True))
        zstats = ArchiveStats()
        list(iter_zip(io.BytesIO(raw), ScanLimits(), zstats, lambda p: True, True))
