"""Memory stays bounded whatever the number of members: nothing is kept per member.

These tests look at the sizes of the data structures a scan keeps (never at timings or at the
process's memory): tarfile's list of headers, the per-file evidence waiting to be folded, the
identical-copy digests, the per-framework summaries and the suffix counts.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tarfiles import make_tar

from scraper.archive import MAX_EXTENSIONS, ArchiveStats, ScanLimits, iter_tar
from scraper.detect import load_aliases, scan
from scraper.detect.classify import NAMES_KEEP, TOP_KEEP, Evidence, Hit, decide
from scraper.detect.scan import DIGEST_CAP, PENDING_CAP, _Collector

# (the package exports the function scan, which hides its module of the same name)
scan_module = importlib.import_module("scraper.detect.scan")


def test_tarfile_does_not_keep_the_headers_of_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tarfile.TarFile] = []
    real_init = tarfile.TarFile.__init__

    def spy(self: tarfile.TarFile, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    data = make_tar(
        [(f"repo/f{i}.bin", b"x") for i in range(3000)] + [("repo/a.py", b"import torch")], gz=False
    )
    monkeypatch.setattr(tarfile.TarFile, "__init__", spy)  # however the walk opens the stream
    stats = ArchiveStats()
    files = dict(iter_tar(io.BytesIO(data), ScanLimits(), stats, lambda p: p.endswith(".py"), True))
    assert files == {"a.py": b"import torch"} and stats.members_seen == 3001
    assert len(opened[0].members) <= 1  # not 3001 TarInfo objects


def test_suffix_counts_are_capped() -> None:
    data = make_tar([(f"repo/f.x{i}", b"") for i in range(MAX_EXTENSIONS + 500)], gz=False)
    stats = ArchiveStats()
    list(iter_tar(io.BytesIO(data), ScanLimits(), stats, lambda p: False, True))
    assert len(stats.extensions) == MAX_EXTENSIONS + 1
    assert stats.extensions["*"] == 500
    assert sum(stats.extensions.values()) == stats.files_seen == MAX_EXTENSIONS + 500


def _sizes(collector: _Collector) -> dict[str, int]:
    groups = [g for s in collector.evidence.summaries.values() for g in s.groups.values()]
    return {
        "pending": len(collector.pending_code) + len(collector.pending_hits),
        "digests": len(collector.folded_digests),
        "top": max((len(g.top) for g in groups), default=0),
        "names": max((len(g.names) for g in groups), default=0),
        "problems": len(collector.problems),
    }


def test_evidence_kept_is_bounded_for_50000_code_files() -> None:
    collector = _Collector(load_aliases(), thorough=False)
    for i in range(50_000):
        body = f"import torch\nimport jax.numpy as jnp\nprint 'file {i}'\n".encode()
        collector.add(f"pkg{i // 500}/module{i}.py", body)
        if i % 10_000 == 9_999:
            sizes = _sizes(collector)
            assert sizes["pending"] <= PENDING_CAP
            assert sizes["digests"] <= DIGEST_CAP
            assert sizes["top"] <= TOP_KEEP and sizes["names"] <= NAMES_KEEP
            assert sizes["problems"] <= 3
    result = collector.finish(None)
    assert result.primary in ("pytorch", "jax") and set(result.frameworks) == {"pytorch", "jax"}
    assert result.files_scanned == 50_000
    assert result.unparseable_files == 50_000  # counted, though only three are named
    rows = {(e.framework, e.kind): e for e in result.evidence}
    assert rows[("pytorch", "import")].files == 50_000
    assert len(rows[("pytorch", "import")].top_files) == 5


def _repo() -> list[tuple[str, bytes]]:
    """A repository whose layout (its own modules, a vendored package copy) is seen before
    its code, as in a tarball of a tree sorted by path."""
    members = [
        ("Theano-master/theano/__init__.py", b"import theano.tensor\n"),
        ("models/__init__.py", b""),
        ("torch.py", b"x = 1\n"),  # shadows the real torch
        ("requirements.txt", b"tensorflow\nnumpy\n"),
    ]
    helper = b"import tensorflow as tf\nfrom transformers import TFBertModel\n"
    for i in range(12):
        members.append((f"Theano-master/theano/sub{i}.py", b"import theano\nimport numpy\n"))
        members.append((f"exp{i}/helper.py", helper))  # identical copies
        members.append((f"models/net{i}.py", f"import jax\nimport torch\n# {i}\n".encode()))
        members.append((f"tests/test_{i}.py", b"import tensorflow\n"))
    return members


def test_folding_with_the_layout_known_gives_the_unfolded_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = _repo()
    whole = scan(members)
    monkeypatch.setattr(scan_module, "PENDING_CAP", 5)
    folded = scan(members)
    assert folded.to_json() == whole.to_json()
    assert any("identical copies" in reason for reason in whole.reasons)
    assert any("'torch' is the repository's own module" in reason for reason in whole.reasons)


_frameworks = st.sampled_from(["pytorch", "tensorflow", "keras", "jax", "caffe"])
_paths = st.sampled_from(
    ["train.py", "models/net.py", "tests/test_a.py", "docs/conf.py", "examples/demo.py",
     "third_party/lib.py", "convert_tf_to_pytorch.py", "setup.py", "requirements.txt",
     "Dockerfile", "notebooks/demo.ipynb", "src/a.py", "src/b.py", "x_pb2.py"]
)  # fmt: skip
_hit = st.builds(
    Hit,
    framework=_frameworks,
    path=_paths,
    source=st.sampled_from(["code", "notebook", "requirement", "config"]),
    occurrences=st.integers(min_value=1, max_value=4),
    names=st.lists(st.sampled_from(["torch", "tf", "jax", "keras", "caffe"]), max_size=3).map(
        tuple
    ),
    role=st.sampled_from([None, None, "vendored"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_hit, max_size=25))
def test_summaries_fed_file_by_file_give_the_verdict_of_all_hits(hits: list[Hit]) -> None:
    order = load_aliases().order
    # As a scan makes them: a file's hits come together, with one role.
    roles: dict[str, str | None] = {}
    paths = list(dict.fromkeys(h.path for h in hits))
    hits = [
        dataclasses.replace(h, role=roles.setdefault(h.path, h.role))
        for path in paths
        for h in hits
        if h.path == path
    ]
    expected = decide(hits, order)
    evidence = Evidence()
    for path in paths:
        evidence.add([h for h in hits if h.path == path])
    got = evidence.verdict(order)
    assert (got.primary, got.frameworks, got.evidence, got.reasons) == (
        expected.primary,
        expected.frameworks,
        expected.evidence,
        expected.reasons,
    )
    assert got.scores.keys() == expected.scores.keys()
    for framework, score in expected.scores.items():
        assert got.scores[framework] == pytest.approx(score, abs=1e-3)
    assert got.confidence == pytest.approx(expected.confidence, abs=1e-3)
