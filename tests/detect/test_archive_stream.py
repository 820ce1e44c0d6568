"""The tar walk's stream reader (``archive._LeanStream``) reads what tarfile's own stream
reader reads: the same members, bytes and stats, and the same reasons for broken input, on
plain, gzip, bzip2 and xz streams, cut or corrupted anywhere."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import random
import tarfile
from collections.abc import Callable

import pytest
from tarfiles import make_tar

import scraper.archive as archive
from scraper.archive import ArchiveStats, ScanLimits, iter_tar

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda data: data,
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


def _tarfile_stream(
    reader: archive._GuardedReader, probe: type[tarfile.TarInfo]
) -> tarfile.TarFile:
    """The reference: tarfile's own stream reader."""
    return tarfile.open(fileobj=reader, mode="r|*", tarinfo=probe)


def _walk(
    data: bytes, chunks: int | None = None
) -> tuple[list[tuple[str, bytes]], dict[str, object]]:
    stats = ArchiveStats()
    source: object = io.BytesIO(data) if chunks is None else _Trickle(data, chunks)
    members = list(iter_tar(source, ScanLimits(max_file_bytes=400_000), stats, _wanted, True))
    return members, dataclasses.asdict(stats)


def _wanted(path: str) -> bool:
    return not path.endswith(".bin")


class _Trickle:
    """A stream that hands out at most ``chunk`` bytes per read (a slow network)."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data = io.BytesIO(data)
        self.chunk = chunk

    def read(self, size: int = -1) -> bytes:
        return self.data.read(self.chunk if size < 0 else min(size, self.chunk))


def _repository(seed: int) -> bytes:
    rnd = random.Random(seed)
    members = []
    for i in range(rnd.randint(1, 40)):
        size = rnd.choice([0, 1, 511, 512, 513, 10_240, 70_000, 300_000, 500_000])
        body = bytes(rnd.getrandbits(8) for _ in range(min(size, 256))) * (size // 256 + 1)
        name = rnd.choice(["a.py", "b.bin", "requirements.txt", "n.ipynb", "c.bin"])
        members.append((f"repo/d{i % 4}/{i}{name}", body[:size]))
    return make_tar(members, gz=False)


def _both(monkeypatch: pytest.MonkeyPatch, data: bytes, chunks: int | None = None) -> None:
    lean = _walk(data, chunks)
    with monkeypatch.context() as patch:
        patch.setattr(archive, "_open_stream", _tarfile_stream)
        reference = _walk(data, chunks)
    assert lean == reference


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
@pytest.mark.parametrize("seed", range(6))
def test_lean_stream_reads_what_tarfile_reads(
    monkeypatch: pytest.MonkeyPatch, compression: str, seed: int
) -> None:
    data = COMPRESSORS[compression](_repository(seed))
    _both(monkeypatch, data)
    _both(monkeypatch, data, chunks=777)  # short reads from the source


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_lean_stream_fails_where_tarfile_fails(
    monkeypatch: pytest.MonkeyPatch, compression: str
) -> None:
    rnd = random.Random(7)
    data = COMPRESSORS[compression](_repository(3))
    variants = [b"", data[:100], data[: len(data) // 2], data[: len(data) - 1], data + b"junk"]
    for _ in range(8):
        broken = bytearray(data)
        broken[rnd.randrange(len(broken))] ^= 0xFF
        variants.append(bytes(broken))
    for variant in variants:
        _both(monkeypatch, variant)


def test_skipping_a_large_member_keeps_little_in_the_buffer() -> None:
    data = make_tar([("repo/big.bin", b"\0" * 5_000_000), ("repo/a.py", b"import torch")], gz=False)
    reader = archive._GuardedReader(io.BytesIO(data))
    tar = archive._open_stream(reader, tarfile.TarInfo)
    names = [member.name for member in tar]
    stream = tar.fileobj
    assert names == ["repo/big.bin", "repo/a.py"]
    assert isinstance(stream, archive._LeanStream)
    assert len(stream._out) <= archive._LeanStream.RAW_CHUNK + tarfile.BLOCKSIZE


class _Counting:
    """A source that counts the bytes it has handed out."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.data.read(size)
        self.given += len(chunk)
        return chunk


def test_a_plain_stream_is_not_read_far_ahead_of_the_walk() -> None:
    """A pipe or a download is scanned as it arrives: the walk asks for what it needs (one
    record at least), not for a large chunk it would then wait for."""
    first = b"import torch\n" * 100
    data = make_tar(
        [("repo/a.py", first), ("repo/big.bin", b"\0" * 3_000_000), ("repo/b.py", b"x")], gz=False
    )
    source = _Counting(data)
    walk = iter_tar(source, ScanLimits(), ArchiveStats(), _wanted, True)
    assert next(walk) == ("a.py", first)
    assert source.given <= 3 * tarfile.BLOCKSIZE + len(first) + tarfile.RECORDSIZE
    assert [path for path, _ in walk] == ["b.py"]
