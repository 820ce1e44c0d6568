"""Whole-repository scans: the verdicts a careful reader would reach, and why."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.archive import ArchiveStats, ScanLimits
from scraper.detect import ScanResult, scan, scan_path, scan_tar_stream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
REPOS = FIXTURES / "repos"
SHA = "0123456789abcdef0123456789abcdef01234567"

Members = list[tuple[str, bytes]]


def py(path: str, *lines: str) -> tuple[str, bytes]:
    return path, ("\n".join(lines) + "\n").encode()


def evidence(result: ScanResult) -> dict[tuple[str, str], int]:
    return {(e.framework, e.kind): e.files for e in result.evidence}


def reasons(result: ScanResult) -> str:
    return "\n".join(result.reasons)


def test_pytorch_repository_fixture() -> None:
    result = scan_path(REPOS / "pytorch_repo")
    assert result.status == "ok"
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch"]
    assert evidence(result) == {
        ("pytorch", "import"): 2,  # train.py, models/net.py
        ("pytorch", "import_aux"): 2,  # tests/net_shapes.py, the converter
        ("pytorch", "requirement"): 1,
        ("tensorflow", "import_aux"): 3,  # vendored code and the converter
        ("tensorflow", "requirement"): 1,
    }
    text = reasons(result)
    assert "pytorch: 2 files import torch (train.py, models/net.py)" in text
    assert "tensorflow not counted: imported only outside the main code" in text
    assert "tensorboardX imported in 1 file: logging only, not counted as TensorFlow" in text
    assert result.confidence > 0.6
    assert result.languages == {"python": 10}
    assert result.files_seen == 12 and result.files_scanned == 11  # README.md is not read


def test_tensorboard_logging_does_not_make_a_pytorch_repo_tensorflow() -> None:
    result = scan(
        [
            py("train.py", "import torch", "from tensorboardX import SummaryWriter"),
            py("log.py", "from torch.utils.tensorboard import SummaryWriter"),
            py("viz.py", "import tensorboard", "from tensorboardX import SummaryWriter"),
            ("requirements.txt", b"torch\ntensorboard\ntensorboardX\n"),
        ]
    )
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch"]
    assert all(e.framework == "pytorch" for e in result.evidence)


def test_transformers_votes_only_through_tf_or_flax_classes() -> None:
    tf = scan(
        [
            py("model.py", "from transformers import TFBertModel, BertTokenizer"),
            py("train.py", "import tensorflow as tf", "from model import build"),
        ]
    )
    assert tf.primary == "tensorflow"
    assert "transformers used with tensorflow classes (TFBertModel)" in reasons(tf)

    flax = scan(
        [py("run.py", "import transformers as hf", "m = hf.FlaxBertModel.from_pretrained(x)")]
    )
    assert flax.primary == "jax"

    pt = scan(
        [
            py("run.py", "import torch", "from transformers import AutoModel, AutoTokenizer"),
            py("data.py", "from transformers import Trainer, TrainingArguments"),
        ]
    )
    assert pt.primary == "pytorch" and pt.frameworks == ["pytorch"]

    silent = scan([py("run.py", "from transformers import pipeline", "p = pipeline('x')")])
    assert silent.primary is None
    assert "transformers imported in 1 file without TF/Flax classes: does not vote" in reasons(
        silent
    )


def test_vendored_code_and_converters_do_not_flip_the_label() -> None:
    members = [
        py("model.py", "import torch"),
        py("train.py", "import torch", "import torchvision"),
        py("tools/convert_tf_weights_to_pytorch.py", "import tensorflow as tf", "import torch"),
        py("convert_checkpoint.py", "import tensorflow as tf"),
    ]
    members += [
        py(f"third_party/slim/nets/net{i}.py", "import tensorflow as tf", f"N = {i}")
        for i in range(30)
    ]
    members += [
        py(f"external/tf_models/m{i}_pb2.py", "import tensorflow", f"N = {i}") for i in range(10)
    ]
    result = scan(members)
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch"]
    assert evidence(result)[("tensorflow", "import_aux")] == 42


def test_two_frameworks_really_used() -> None:
    members = [py(f"pt/m{i}.py", "import torch", f"N = {i}") for i in range(6)]
    members += [py(f"tf/m{i}.py", "import tensorflow as tf", f"N = {i}") for i in range(3)]
    result = scan(members)
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch", "tensorflow"]
    one_file = scan([*members[:6], py("tf_baseline.py", "import tensorflow as tf")])
    assert one_file.frameworks == ["pytorch"]
    assert "tensorflow not counted: 1 own file" in reasons(one_file)


def test_keras_with_tensorflow_is_tensorflow() -> None:
    members = [py(f"k{i}.py", "from keras.layers import Dense") for i in range(4)]
    members.append(py("main.py", "import tensorflow as tf", "import keras"))
    result = scan(members)
    assert result.primary == "tensorflow"
    assert result.frameworks == ["tensorflow", "keras"]
    assert "keras is imported together with tensorflow" in reasons(result)

    alone = scan([py("a.py", "from keras.models import Sequential")])
    assert alone.primary == "keras"
    tf_keras = scan([py("a.py", "from tensorflow import keras", "import tensorflow.keras as K")])
    assert tf_keras.primary == "tensorflow" and tf_keras.frameworks == ["tensorflow"]


def test_jax_from_tfp_substrate_and_flax() -> None:
    result = scan(
        [
            py("a.py", "from tensorflow_probability.substrates import jax as tfp"),
            py("b.py", "import tensorflow_probability.substrates.jax as tfp", "import flax"),
        ]
    )
    assert result.primary == "jax" and result.frameworks == ["jax"]


def test_lua_torch_is_not_pytorch() -> None:
    result = scan([("train.lua", (FIXTURES / "train.lua").read_bytes()), ("util.lua", b"x = 1\n")])
    assert result.primary == "lua-torch"
    assert result.frameworks == ["lua-torch"]
    assert result.languages == {"lua": 2}
    assert "pytorch" not in {e.framework for e in result.evidence}


def test_matlab_repository_has_no_framework() -> None:
    result = scan_path(REPOS / "matlab_repo")
    assert result.status == "ok"
    assert result.primary is None and result.frameworks == []
    assert result.languages == {"matlab": 4}
    assert result.reasons[0] == "no Python code: MATLAB repository (4 MATLAB files)"
    assert result.files_seen == 6 and result.files_scanned == 0


def test_non_python_language_counts_come_from_the_archive_walk() -> None:
    stats = ArchiveStats(files_seen=13, extensions={".cpp": 8, ".cu": 3, ".h": 2})
    result = scan([], stats)
    assert result.languages == {"cpp": 10, "cuda": 3}
    assert result.reasons[0] == "no Python code: C++ repository (10 C++ files)"


def test_python_without_framework() -> None:
    result = scan([py("a.py", "import numpy as np", "import sklearn"), py("b.py", "x = 1")])
    assert result.primary is None
    assert result.reasons[0].startswith("no deep-learning framework imported or declared")
    assert 0.5 < result.confidence < 0.9


def test_requirements_alone_give_a_less_confident_label() -> None:
    declared = scan([("requirements.txt", b"torch==1.8\nnumpy\n"), py("run.py", "import numpy")])
    imported = scan([py("run.py", "import torch")])
    assert declared.primary == "pytorch" and imported.primary == "pytorch"
    assert declared.confidence < imported.confidence
    code_beats_declaration = scan(
        [
            ("requirements.txt", b"tensorflow\n"),
            ("environment.yml", b"dependencies:\n  - tensorflow\n"),
            py("main.py", "import torch"),
        ]
    )
    assert code_beats_declaration.primary == "pytorch"
    assert "tensorflow not counted: only declared" in reasons(code_beats_declaration)


def test_docker_base_image_and_prototxt_are_config_evidence() -> None:
    docker = scan([("docker/Dockerfile", b"FROM pytorch/pytorch:1.9.0-cuda11.1-cudnn8-runtime\n")])
    assert docker.primary == "pytorch"
    assert evidence(docker) == {("pytorch", "config"): 1}
    caffe = scan([("models/deploy.prototxt", b'name: "Net"\nlayer {\n  name: "data"\n}\n')])
    assert caffe.primary == "caffe"


def test_notebook_only_repository() -> None:
    result = scan([("demo.ipynb", (FIXTURES / "demo.ipynb").read_bytes())])
    assert result.primary == "pytorch"
    assert evidence(result)[("pytorch", "notebook")] == 1
    assert evidence(result)[("pytorch", "requirement")] == 1  # !pip install torch ...
    assert evidence(result)[("jax", "requirement")] == 1  # %%bash pip install jax
    assert result.frameworks == ["pytorch"]


def test_own_top_level_module_shadows_a_framework_name() -> None:
    result = scan(
        [
            py("sonnet/__init__.py", "from .core import Module"),
            py("sonnet/core.py", "import numpy"),
            py("train.py", "import sonnet", "import jax"),
        ]
    )
    assert result.primary == "jax"
    assert "tensorflow" not in {e.framework for e in result.evidence}
    assert "'sonnet' is the repository's own module here, not tensorflow" in reasons(result)


def test_vendored_caffe_without_init_is_still_caffe() -> None:
    result = scan(
        [
            py("caffe-fast-rcnn/python/caffe/__init__.py", "from .pycaffe import Net"),
            py("tools/train_net.py", "import caffe"),
        ]
    )
    assert result.primary == "caffe"


def test_thorough_mode_reaches_the_same_verdict() -> None:
    members = [
        py("train.py", "import torch", "def f():", "    import torchvision"),
        ("old.py", (FIXTURES / "py2_train.py").read_bytes()),
    ]
    members += [py("model.py", "import torch.nn as nn")]
    fast, thorough = scan(members), scan(members, thorough=True)
    assert fast.primary == thorough.primary == "pytorch"
    assert fast.frameworks == thorough.frameworks
    assert fast.evidence == thorough.evidence
    assert fast.unparseable_files == thorough.unparseable_files == 1


def test_unparseable_files_are_counted_and_explained() -> None:
    result = scan([("train.py", (FIXTURES / "py2_train.py").read_bytes())])
    assert result.primary == "theano"
    assert result.unparseable_files == 1
    assert "train.py (Python 2 syntax)" in reasons(result)
    assert scan([py("a.py", "import torch")]).unparseable_files == 0


def test_empty_and_incomplete_scans() -> None:
    empty = scan([], ArchiveStats())
    assert empty.status == "empty" and empty.primary is None and empty.confidence == 0.0

    capped = ArchiveStats(files_seen=5, truncated="byte cap 10 reached", cap_hit=True)
    partial = scan([py("a.py", "import torch")], capped)
    full = scan([py("a.py", "import torch")])
    assert partial.status == "too_large" and partial.detail == "byte cap 10 reached"
    assert partial.primary == "pytorch"
    assert partial.confidence < full.confidence
    assert "scan incomplete: byte cap 10 reached" in reasons(partial)

    broken = scan([], ArchiveStats(truncated="archive truncated: unexpected end of data"))
    assert broken.status == "error"


def test_to_json_is_serialisable_and_complete() -> None:
    result = scan([py("a.py", "import torch"), ("requirements.txt", b"torch\n")])
    data = json.loads(json.dumps(result.to_json()))
    for key in ("primary", "frameworks", "confidence", "evidence", "reasons", "status",
                "files_scanned", "commit", "languages", "detector_version"):  # fmt: skip
        assert key in data
    assert data["evidence"][0] == {
        "framework": "pytorch",
        "kind": "import",
        "files": 1,
        "occurrences": 1,
        "top_files": ["a.py"],
    }


def _repo_files(root: Path) -> list[tuple[str, bytes]]:
    return sorted(
        (str(p.relative_to(root)), p.read_bytes()) for p in root.rglob("*") if p.is_file()
    )


def _tarball(root: Path, top: str, sha: str | None = None) -> bytes:
    """Shaped like a codeload tarball: pax global header, then directory entries before
    their files, everything under one top directory."""
    buf = io.BytesIO()
    pax = {"comment": sha} if sha else None
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers=pax) as tar:
        dirs = {"."} | {str(Path(n).parent) for n, _ in _repo_files(root)}
        for folder in sorted(dirs):
            info = tarfile.TarInfo(top if folder == "." else f"{top}/{folder}")
            info.type = tarfile.DIRTYPE
            info.mode = 0o775
            tar.addfile(info)
        for name, data in _repo_files(root):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class _Body:
    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._buf.read(size)


def test_scan_tar_stream_matches_the_directory_scan() -> None:
    root = REPOS / "pytorch_repo"
    streamed = scan_tar_stream(_Body(_tarball(root, "pytorch_repo-main", SHA)))
    direct = scan_path(root)
    assert streamed.commit == SHA
    assert streamed.primary == direct.primary == "pytorch"
    assert evidence(streamed) == evidence(direct)
    assert streamed.reasons == direct.reasons


def test_scan_path_on_tar_and_zip_files(tmp_path: Path) -> None:
    root = REPOS / "pytorch_repo"
    tgz = tmp_path / "repo.tar.gz"
    tgz.write_bytes(_tarball(root, "repo-v1.0"))
    zipped = tmp_path / "repo.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("repo-main/", b"")
        archive.writestr("repo-main/models/", b"")
        for name, data in _repo_files(root):
            archive.writestr(f"repo-main/{name}", data)
        archive.comment = SHA.encode()
    from_tar = scan_path(tgz)
    from_zip = scan_path(zipped)
    assert from_tar.primary == from_zip.primary == "pytorch"
    assert evidence(from_tar) == evidence(from_zip) == evidence(scan_path(root))
    assert from_zip.commit == SHA
    for result in (from_tar, from_zip):  # the top directory was stripped
        assert "train.py" in result.evidence[0].top_files


def test_scan_path_keeps_paths_of_an_archive_without_a_top_directory(tmp_path: Path) -> None:
    flat = tmp_path / "flat.tar"
    with tarfile.open(flat, "w") as tar:
        for name, data in [("train.py", b"import torch\n"), ("tests/t.py", b"import jax\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = scan_path(flat)
    assert evidence(result) == {("pytorch", "import"): 1, ("jax", "import_aux"): 1}


def test_scan_path_errors_say_what_went_wrong(tmp_path: Path) -> None:
    missing = scan_path(tmp_path / "nope.tar.gz")
    assert missing.status == "error" and "no such file" in (missing.detail or "")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"<html>rate limited</html>")
    result = scan_path(junk)
    assert result.status == "error" and "not a readable tar archive" in (result.detail or "")


def test_limits_are_passed_through(tmp_path: Path) -> None:
    result = scan_path(REPOS / "pytorch_repo", ScanLimits(max_members=3))
    assert result.status == "too_large"
    assert result.detail == "member cap 3 reached"


def test_hostile_file_contents_in_a_tarball_still_yield_imports() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in [
            ("r/nul.py", b"import torch\x00\x00\nx = 1\n"),
            ("r/latin.py", b"# caf\xe9 cr\xe8me\nimport torch.nn as nn\n"),
            ("r/bom.py", b"\xef\xbb\xbfimport torchvision\n"),
            ("r/bin.ipynb", bytes(range(256))),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = scan_tar_stream(_Body(buf.getvalue()))
    assert result.status == "ok"
    assert result.skipped == {"links": 0, "unsafe": 0, "large": 0, "broken": 0}
    assert result.primary == "pytorch"
    assert evidence(result)[("pytorch", "import")] == 3
    assert result.unparseable_files == 3  # NUL bytes, invalid UTF-8, a notebook that is not JSON
    assert "r/" not in reasons(result)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "a.py",
            "n.ipynb",
            "requirements.txt",
            "setup.py",
            "setup.cfg",
            "pyproject.toml",
            "environment.yml",
            "Pipfile",
            "Dockerfile",
            "x.lua",
            "m.prototxt",
            "README.md",
        ]
    ),
    st.binary(max_size=400),
)
def test_scan_never_raises_on_any_file_content(path: str, data: bytes) -> None:
    result = scan([(path, data)])
    assert result.status == "ok"
    json.dumps(result.to_json())
