"""Dependency declarations: each manifest kind, notebooks and Lua."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.detect.manifests import (
    parse_conda_env,
    parse_dockerfile,
    parse_install_command,
    parse_pipfile,
    parse_pyproject,
    parse_requirements,
    parse_setup_cfg,
    parse_setup_py,
    requirement_name,
)
from scraper.detect.notebooks import lua_requires, notebook_code
from scraper.detect.python import extract_imports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
MANIFESTS = FIXTURES / "manifests"


def read(name: str) -> str:
    return (MANIFESTS / name).read_text()


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("torch>=1.7; python_version>'3'", "torch"),
        ("tensorflow-gpu==1.15.*", "tensorflow-gpu"),
        ("jax[cuda12_pip]>=0.4", "jax"),
        ("pytorch::pytorch=1.7.1=py3.8_cuda11.0", "pytorch"),
        ("mmcv @ git+https://github.com/open-mmlab/mmcv.git", "mmcv"),
        ("git+https://github.com/NVIDIA/apex@master#egg=apex", "apex"),
        ("git+https://github.com/facebookresearch/detectron2.git@v0.6", "detectron2"),
        ("https://github.com/openai/CLIP/archive/refs/heads/main.zip", "CLIP"),
        ("https://x.org/whl/torch-1.7.1%2Bcu110-cp38-cp38-linux_x86_64.whl", "torch"),
        ("https://files.example.org/Theano-1.0.5.tar.gz", "Theano"),
        ("./local/path", None),
        ("-r other.txt", None),
        ("", None),
    ],
)
def test_requirement_name(spec: str, name: str | None) -> None:
    assert requirement_name(spec) == name


def test_requirements_txt() -> None:
    found = parse_requirements(read("requirements.txt"))
    assert found.packages == [
        "torch", "torchvision", "tensorflow-gpu", "pytorch-lightning", "numpy", "apex", "mmcv",
        "torchaudio", "detectron2",
    ]  # fmt: skip


def test_setup_py_is_read_not_run() -> None:
    found = parse_setup_py(read("setup.py"))
    assert found.problem is None
    assert set(found.packages) == {"numpy", "torch", "timm", "tensorflow", "jax", "flax"}


def test_python2_setup_py_falls_back_to_text() -> None:
    found = parse_setup_py(read("setup_py2.py"))
    assert found.packages == ["Theano", "Lasagne"]
    assert found.problem is not None and "SyntaxError" in found.problem


def test_setup_cfg() -> None:
    assert parse_setup_cfg(read("setup.cfg")).packages == [
        "numpy",
        "jax",
        "optax",
        "tensorflow-cpu",
    ]
    broken = parse_setup_cfg("install_requires = torch\n[[[")
    assert broken.problem is not None and broken.packages == []


def test_pyproject_pep621_and_poetry() -> None:
    pep621 = parse_pyproject(read("pyproject_pep621.toml")).packages
    assert pep621 == ["torch", "einops", "lightning", "tensorflow", "pytest", "sphinx",
                      "setuptools", "torch"]  # fmt: skip
    poetry = parse_pyproject(read("pyproject_poetry.toml")).packages
    assert poetry == ["poetry-core", "jax", "flax", "pytest"]
    assert parse_pyproject("[project\n").problem is not None


def test_conda_environment_with_pip_section() -> None:
    found = parse_conda_env(read("environment.yml"))
    assert found.packages == [
        "python", "pytorch", "torchvision", "cudatoolkit", "pip", "tensorboardX", "mxnet-cu112",
    ]  # fmt: skip
    flow = parse_conda_env("dependencies: [python=3.9, tensorflow, keras]\n")
    assert flow.packages == ["python", "tensorflow", "keras"]


def test_pipfile() -> None:
    assert parse_pipfile(read("Pipfile")).packages == ["paddlepaddle-gpu", "numpy", "pytest"]


def test_dockerfile_images_args_stages_and_installs() -> None:
    found = parse_dockerfile(read("Dockerfile"))
    assert found.images == ["nvcr.io/nvidia/pytorch:22.04-py3"]  # `FROM build` is a stage
    assert found.packages == ["timm", "einops", "tensorboardX", "faiss-gpu"]
    tf = parse_dockerfile(read("Dockerfile.tf"))
    assert tf.images == ["tensorflow/tensorflow:2.11.0-gpu"]
    assert tf.packages == ["tensorflow-addons"]


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("pip install torch torchvision", ["torch", "torchvision"]),
        ("pip3 install -U 'tensorflow>=2' -q", ["tensorflow"]),
        ("python -m pip install --index-url https://x/simple jax", ["jax"]),
        ("conda install -c pytorch pytorch cudatoolkit=11.3 -y", ["pytorch", "cudatoolkit"]),
        ("conda create -n env python=3.8 pytorch", ["python", "pytorch"]),
        ("uv pip install flax", ["flax"]),
        ("cd x && pip install -r requirements.txt && pip install -e .", []),
        ("apt-get install -y python3-pip", []),
        ("pip install 'unbalanced", ["unbalanced"]),
    ],
)
def test_install_commands(command: str, names: list[str]) -> None:
    assert parse_install_command(command) == names


def test_notebook_code_cells_magics_and_installs() -> None:
    found = notebook_code((FIXTURES / "demo.ipynb").read_bytes())
    assert found.problem is None
    assert found.installs == ["torch", "torchvision", "timm", "jax"]
    imports = extract_imports(found.code)
    assert imports.modules == {"torch", "torch.nn.functional", "models.net", "timm"}
    assert "tensorflow" not in found.code  # markdown cells are not code
    assert "keras" not in found.code  # outputs are not code


def test_old_notebook_format() -> None:
    found = notebook_code((FIXTURES / "old_format.ipynb").read_bytes())
    assert extract_imports(found.code).modules == {"caffe", "numpy"}


def test_broken_notebook_is_salvaged_from_its_code_cells() -> None:
    data = (FIXTURES / "demo.ipynb").read_bytes()
    markdown = b'"# Demo\\n",\n'
    assert markdown in data
    data = data.replace(markdown, b'"# Demo\\n",\n    "import tensorflow\\n",\n')
    cut = data[: data.index(b'"%%time')]
    found = notebook_code(cut)
    assert found.problem is not None and found.problem.startswith("not valid notebook JSON")
    assert extract_imports(found.code).modules == {"torch", "torch.nn.functional", "models.net"}
    assert found.installs == ["torch", "torchvision", "timm", "jax"]


def test_notebook_that_is_not_json_or_not_an_object() -> None:
    assert notebook_code(b"\xff\xfe garbage").problem is not None
    assert notebook_code(b"[1, 2]").problem is not None


def test_lua_requires() -> None:
    text = (FIXTURES / "train.lua").read_text()
    assert lua_requires(text) == ["torch", "nn", "cunn", "optim", "utils.misc"]
