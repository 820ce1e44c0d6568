"""The alias table and path rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.detect.aliases import DEFAULT_PATH, load_aliases, normalize_package, parse_aliases
from scraper.detect.paths import file_kind, path_role, top_level_modules, wants
from scraper.errors import ConfigError

FRAMEWORK_IDS = (
    "pytorch", "tensorflow", "keras", "jax", "mxnet", "paddle", "chainer", "theano", "caffe",
    "dynet", "mindspore", "oneflow", "cntk", "lua-torch",
)  # fmt: skip


def test_default_table_has_the_stable_ids_in_order() -> None:
    table = load_aliases()
    assert table.order == FRAMEWORK_IDS
    assert DEFAULT_PATH.name == "frameworks.toml" and DEFAULT_PATH.parent.name == "data"
    assert len(table.digest) == 12 and table.version >= 1


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("torch", ("framework", "pytorch")),
        ("torch.utils.tensorboard", ("framework", "pytorch")),
        ("pytorch_lightning.callbacks", ("framework", "pytorch")),
        ("tensorflow.keras.layers", ("framework", "tensorflow")),
        ("tf_keras", ("framework", "tensorflow")),
        ("keras.layers", ("framework", "keras")),
        ("flax.linen", ("framework", "jax")),
        ("tensorflow_probability", ("framework", "tensorflow")),
        ("tensorflow_probability.substrates.jax.distributions", ("framework", "jax")),
        ("tensorflow_probability.substrates.numpy", ("neutral", "tensorflow_probability")),
        ("tensorboardX", ("neutral", "tensorboardX")),
        ("tensorboard", ("neutral", "tensorboard")),
        ("transformers.models.bert", ("multi", "transformers")),
        ("lasagne.layers", ("framework", "theano")),
        ("caffe2.python", ("framework", "caffe")),
    ],
)
def test_import_lookup_longest_prefix(module: str, target: tuple[str, str]) -> None:
    found = load_aliases().lookup_import(module)
    assert found is not None and found[1] == target


def test_unknown_and_lookalike_imports_are_not_frameworks() -> None:
    table = load_aliases()
    for module in ("torchy", "jaxtyping", "tensorflowjs_helper", "numpy", "kerasextra"):
        found = table.lookup_import(module)
        assert found is None or found[1][0] != "framework", module


@pytest.mark.parametrize(
    ("package", "framework"),
    [
        ("torch", "pytorch"),
        ("PyTorch", "pytorch"),
        ("pytorch_lightning", "pytorch"),
        ("tensorflow-gpu", "tensorflow"),
        ("TensorFlow_GPU", "tensorflow"),
        ("tf-nightly", "tensorflow"),
        ("mxnet-cu112", "mxnet"),
        ("paddlepaddle-gpu", "paddle"),
        ("Theano", "theano"),
        ("dm-haiku", "jax"),
    ],
)
def test_package_lookup(package: str, framework: str) -> None:
    assert load_aliases().lookup_package(package) == ("framework", framework)


def test_neutral_packages_and_images() -> None:
    table = load_aliases()
    assert table.lookup_package("tensorboardX") == ("neutral", "tensorboardx")
    assert table.lookup_package("cupy-cuda11x")[0] == "neutral"
    assert table.lookup_image("pytorch/pytorch:1.9.0-cuda11.1-cudnn8-runtime") == "pytorch"
    assert table.lookup_image("docker.io/tensorflow/tensorflow:2.4.0-gpu") == "tensorflow"
    assert table.lookup_image("nvcr.io/nvidia/pytorch:22.04-py3") == "pytorch"
    assert table.lookup_image("nvcr.io/nvidia/tensorflow:22.04-tf2-py3") == "tensorflow"
    assert table.lookup_image("ubuntu:20.04") is None
    assert table.lookup_image("nvidia/cuda:11.3.1-cudnn8-devel-ubuntu20.04") is None


def test_multi_backend_class_names() -> None:
    table = load_aliases()
    assert table.class_framework("TFBertModel") == "tensorflow"
    assert table.class_framework("FlaxT5ForConditionalGeneration") == "jax"
    assert table.class_framework("TrainingArguments") is None
    assert table.class_framework("Flaxen") is None
    assert table.multi_backend_framework("transformers.models.bert.modeling_tf_bert", ()) == {
        "tensorflow": {"transformers.models.bert.modeling_tf_bert"}
    }


def test_normalize_package() -> None:
    assert normalize_package("Torch_Vision..Extra") == "torch-vision-extra"


def test_missing_table_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="restore it"):
        load_aliases(tmp_path / "frameworks.toml")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (b"[frameworks\n", "not valid TOML"),
        (b"version = 1\n", "no \\[frameworks"),
        (b'[frameworks.A]\nimports = ["a"]\n', "framework id 'A'"),
        (b'[frameworks.other]\nimports = ["a"]\n', "framework id 'other'"),
        (
            b'[frameworks.x]\nimports = ["a"]\n[frameworks.y]\nimports = ["a"]\n',
            "import 'a' is listed twice",
        ),
        (
            b'[frameworks.x]\npackages = ["A_b"]\n[frameworks.y]\npackages = ["a-b"]\n',
            "package 'a-b' is listed twice",
        ),
        (b'[frameworks.x]\nimports = "torch"\n', "must be a list of strings"),
        (b'[frameworks.x]\nimports = ["not-a-module"]\n', "not a Python module name"),
        (
            b'[frameworks.x]\nimports = ["a"]\n[multi_backend.name_prefixes]\nTF = "y"\n',
            "unknown frameworks",
        ),
    ],
)
def test_malformed_tables_are_rejected(toml: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_aliases(toml, Path("frameworks.toml"))


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("train.py", "python"),
        ("setup.py", "setup_py"),
        ("notebooks/Demo.ipynb", "notebook"),
        ("requirements.txt", "requirements"),
        ("requirements-gpu.txt", "requirements"),
        ("requirements/base.txt", "requirements"),
        ("dev_requirements.in", "requirements"),
        ("environment.yml", "conda_env"),
        ("env/environment_cuda11.yaml", "conda_env"),
        ("conda.yaml", "conda_env"),
        ("setup.cfg", "setup_cfg"),
        ("pyproject.toml", "pyproject"),
        ("Pipfile", "pipfile"),
        ("Pipfile.lock", None),
        ("docker/Dockerfile", "dockerfile"),
        ("Dockerfile.gpu", "dockerfile"),
        ("gpu.dockerfile", "dockerfile"),
        ("train.lua", "lua"),
        ("models/deploy.prototxt", "prototxt"),
        ("README.md", None),
        ("configs/model.yaml", None),
        ("demo.m", None),
        ("weights/model.pth", None),
    ],
)
def test_file_kinds(path: str, kind: str | None) -> None:
    assert file_kind(path) == kind
    assert wants(path) is (kind is not None)


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("train.py", "own"),
        ("src/model/net.py", "own"),
        ("tests/test_net.py", "test"),
        ("model_test.py", "test"),
        ("docs/conf.py", "docs"),
        ("examples/mnist.py", "example"),
        ("third_party/slim/nets.py", "vendored"),
        ("lib/External/x.py", "vendored"),
        ("proto/model_pb2.py", "generated"),
        ("convert_tf_checkpoint_to_pytorch.py", "converter"),
        ("tools/convert_bert_original_tf_checkpoint_to_pytorch.py", "converter"),
        ("scripts/convert_weights.py", "converter"),
        ("tf2pt.py", "converter"),
        ("convert_dataset.py", "own"),
        ("setup.py", "setup"),
        ("conftest.py", "setup"),
    ],
)
def test_path_roles(path: str, role: str) -> None:
    assert path_role(path) == role


def test_top_level_modules() -> None:
    paths = ["train.py", "setup.py", "mypkg/__init__.py", "mypkg/core.py", "src/other/__init__.py",
             "caffe/python/caffe/__init__.py", "tools/x.py"]  # fmt: skip
    assert top_level_modules(paths) == {"train", "mypkg", "other"}
