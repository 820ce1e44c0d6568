"""Backend settings (KERAS_BACKEND, DGLBACKEND, TL_BACKEND, keras.json) and the libraries
they resolve: scraper/detect/backends.py and rule 6 of scraper/detect/classify.py."""

from __future__ import annotations

import json

import pytest

from scraper.detect import ScanResult, scan
from scraper.detect.aliases import DEFAULT_PATH, load_aliases, parse_aliases
from scraper.detect.backends import BackendFinder
from scraper.detect.paths import file_kind, wants
from scraper.errors import ConfigError


def f(path: str, *lines: str) -> tuple[str, bytes]:
    return path, ("\n".join(lines) + "\n").encode()


def notebook(path: str, *cells: str) -> tuple[str, bytes]:
    doc = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "source": cell.splitlines(keepends=True), "metadata": {}}
            for cell in cells
        ],
    }
    return path, json.dumps(doc, indent=1).encode()


def reasons(result: ScanResult) -> str:
    return "\n".join(result.reasons)


KERAS_MODEL = f("model.py", "import keras", "from keras.layers import Dense")


# -- the forms of a setting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "backend"),
    [
        (f("train.py", "import os", 'os.environ["KERAS_BACKEND"] = "jax"', "import keras"), "jax"),
        (f("train.py", "import os", "os.environ['KERAS_BACKEND']='theano'"), "theano"),
        (f("train.py", 'os.environ.setdefault("KERAS_BACKEND", "torch")'), "pytorch"),
        (f("train.py", "os.putenv('KERAS_BACKEND', 'cntk')"), "cntk"),
        (f("launch.py", 'env = {**os.environ, "KERAS_BACKEND": "jax"}'), "jax"),
        (f("launch.py", 'os.system("KERAS_BACKEND=theano python train.py")'), "theano"),
        (
            f("launch.py", 'subprocess.call("cd x && KERAS_BACKEND=jax python t.py", shell=True)'),
            "jax",
        ),
        (f("run.sh", "#!/bin/sh", "export KERAS_BACKEND=theano", "python train.py"), "theano"),
        (f("scripts/run.sh", "KERAS_BACKEND=jax python train.py --epochs 3"), "jax"),
        (f("run.sh", 'env KERAS_BACKEND="tensorflow" python train.py'), "tensorflow"),
        (f("Dockerfile", "FROM python:3.11", "ENV KERAS_BACKEND=tensorflow"), "tensorflow"),
        (f("Dockerfile", "FROM python:3.11", "ENV KERAS_BACKEND torch"), "pytorch"),
        (f("docker/Dockerfile", "FROM python:3.11", "ENV A=1 \\", "    KERAS_BACKEND=jax"), "jax"),
        (
            f(
                "Dockerfile",
                "FROM python:2.7",
                """RUN mkdir ~/.keras && echo '{"backend": "theano"}' > ~/.keras/keras.json""",
            ),
            "theano",
        ),
        (
            f(
                "environment.yml",
                "name: x",
                "dependencies:",
                "  - keras",
                "variables:",
                "  KERAS_BACKEND: jax",
            ),
            "jax",
        ),
        (f(".keras/keras.json", '{"floatx": "float32", "backend": "theano"}'), "theano"),
        (notebook("demo.ipynb", "%env KERAS_BACKEND=jax", "import keras"), "jax"),
        (notebook("demo.ipynb", "!KERAS_BACKEND=torch python train.py"), "pytorch"),
        (
            notebook("demo.ipynb", "%%bash\nexport KERAS_BACKEND=theano\npython train.py"),
            "theano",
        ),
        (
            notebook("demo.ipynb", "import os\nos.environ['KERAS_BACKEND'] = 'jax'\nimport keras"),
            "jax",
        ),
        (f("train.py", 'os.environ["KERAS_BACKEND"] = "numpy"'), "numpy"),  # not a framework
    ],
)
def test_each_form_of_a_keras_backend_setting_is_read(
    setting: tuple[str, bytes], backend: str
) -> None:
    result = scan([KERAS_MODEL, setting])
    assert result.primary == "keras" and result.frameworks == ["keras"]
    assert result.backends == {"keras": [backend]}
    assert f"keras backend: {backend} (" in reasons(result)


@pytest.mark.parametrize(
    "setting",
    [
        f("train.py", "import keras", 'if keras.backend.backend() == "theano":', "    pass"),
        f("train.py", 'if os.environ["KERAS_BACKEND"] == "jax":', "    pass"),
        f("train.py", 'assert os.environ["KERAS_BACKEND"] != "jax"'),
        f("train.py", 'backend = os.environ.get("KERAS_BACKEND", "tensorflow")'),
        f("train.py", '# os.environ["KERAS_BACKEND"] = "theano"'),
        f("train.py", 'os.environ["KERAS_BACKEND"] = backend  # not a literal'),
        f("train.py", 'print("Set KERAS_BACKEND=jax to run on JAX")'),
        f("train.py", 'cmd = f"KERAS_BACKEND={backend} python train.py"'),
        f("train.py", 'os.environ["KERAS_BACKEND"] = "plaidml.keras.backend"'),  # unknown value
        f("run.sh", "# export KERAS_BACKEND=jax", 'if [ "$KERAS_BACKEND" = "jax" ]; then :; fi'),
        f("run.sh", "KERAS_BACKEND=$1 python train.py", "echo ${KERAS_BACKEND:=jax}"),
        f("Dockerfile", "FROM python:3.11", "# ENV KERAS_BACKEND=jax"),
        f("tests/test_model.py", 'os.environ["KERAS_BACKEND"] = "jax"'),  # tests do not choose
        f("docs/conf.py", 'os.environ["KERAS_BACKEND"] = "jax"'),
        f("third_party/x/run.sh", "export KERAS_BACKEND=theano"),
    ],
)
def test_what_is_not_a_setting(setting: tuple[str, bytes]) -> None:
    result = scan([KERAS_MODEL, setting])
    assert result.primary == "keras"
    assert result.backends == {}
    assert "backend:" not in reasons(result)


def test_shell_scripts_and_keras_json_are_read_only_for_settings() -> None:
    assert file_kind("scripts/train.sh") == "shell" and wants("scripts/train.sh")
    assert file_kind("docker/keras.json") == "keras_json" and wants("docker/keras.json")
    assert not wants("config.json")
    for variable in load_aliases().backend_variables.values():
        for name in variable.json_files:  # paths.py must read every json file the table names
            assert wants(f"x/{name}")
    result = scan([f("install.sh", "pip install torch"), f("train.py", "import numpy")])
    assert result.primary is None  # a shell script's installs are not declarations
    assert result.files_scanned == 2


# -- Keras -----------------------------------------------------------------------------------------


def test_keras_1_on_theano_notes_the_backend_and_stays_keras() -> None:
    result = scan(
        [
            f("models.py", "from keras.models import Sequential", "from keras import backend as K"),
            f("train.py", "import keras", "from models import build"),
            f("requirements.txt", "keras==1.2.2", "theano==0.9"),
            f("run.sh", "KERAS_BACKEND=theano THEANO_FLAGS=device=gpu python train.py"),
        ]
    )
    assert result.primary == "keras"
    assert result.frameworks == ["keras"]  # Keras 1/2: the backend is noted, not listed
    assert result.backends == {"keras": ["theano"]}
    assert "keras backend: theano (KERAS_BACKEND in run.sh)" in reasons(result)
    assert result.to_json()["backends"] == {"keras": ["theano"]}


@pytest.mark.parametrize(
    "marker",
    [
        f("requirements.txt", "keras>=3.0", "numpy"),
        f("pyproject.toml", "[project]", 'name = "x"', 'dependencies = ["keras >= 3.3"]'),
        f("pyproject.toml", "[tool.poetry.dependencies]", 'keras = "^3.1"'),
        f("ops.py", "import keras", "x = keras.ops.mean(y)"),
        f("ops.py", "from keras import layers, ops"),
        f("ops.py", "import keras", "keras.config.set_floatx('float16')"),
        f("ops.py", "import keras_core as keras"),
        notebook("demo.ipynb", "!pip install -q keras==3.2.1", "import keras"),
    ],
)
def test_keras_3_with_a_visible_backend_lists_it_after_keras(marker: tuple[str, bytes]) -> None:
    result = scan(
        [
            f("model.py", "import keras", "from keras import layers"),
            f("train.py", "import os", 'os.environ["KERAS_BACKEND"] = "jax"', "import keras"),
            marker,
        ]
    )
    assert result.primary == "keras"
    assert result.frameworks == ["keras", "jax"]
    assert result.backends == {"keras": ["jax"]}
    assert "keras 3 (" in reasons(result) and "runs on jax here: jax listed as used" in reasons(
        result
    )
    assert "jax" not in {e.framework for e in result.evidence}  # listed, not scored


def test_keras_2_or_no_version_evidence_only_notes_a_jax_backend() -> None:
    setting = f("train.py", 'os.environ["KERAS_BACKEND"] = "jax"')
    for files in (
        [KERAS_MODEL, setting],
        [KERAS_MODEL, setting, f("requirements.txt", "keras>=2.4,<3", "tf-keras>=2.16")],
        [KERAS_MODEL, setting, f("requirements.txt", "keras-nlp>=0.3")],
        [KERAS_MODEL, setting, f("ops.py", "import tensorflow as tf", "tf.keras.ops.mean(x)")],
    ):
        result = scan(files)
        assert "jax" not in result.frameworks, files
        assert result.backends == {"keras": ["jax"]}


def test_keras_3_backend_imported_directly_is_decided_by_the_usual_rules() -> None:
    result = scan(
        [
            f("model.py", "import keras", "from keras import ops"),
            f("layers.py", "import jax", "import jax.numpy as jnp"),
            f("train.py", "import jax", "from flax import linen"),
            f("run.sh", "KERAS_BACKEND=jax python train.py"),
        ]
    )
    assert result.primary == "jax"  # two own files import jax, one imports keras
    assert result.frameworks == ["jax", "keras"]  # jax once, not appended again


def test_keras_backend_setting_without_keras_is_ignored() -> None:
    result = scan([f("train.py", "import torch"), f("run.sh", "export KERAS_BACKEND=jax")])
    assert result.frameworks == ["pytorch"] and result.backends == {}
    assert "backend" not in reasons(result)


# -- DGL and TensorLayerX --------------------------------------------------------------------------


def test_dgl_votes_through_its_nn_backend_module() -> None:
    result = scan(
        [
            f("gnn.py", "import dgl", "from dgl.nn.pytorch import GraphConv"),
            f("layers.py", "import dgl.nn.pytorch as dglnn"),
            f("data.py", "from dgl.nn import pytorch as dglnn"),
        ]
    )
    assert result.primary == "pytorch" and result.frameworks == ["pytorch"]
    assert result.backends == {"dgl": ["pytorch"]}
    assert "dgl used with the pytorch backend (dgl.nn.pytorch" in reasons(result)

    result = scan([f("gnn.py", "import dgl", "from dgl.nn.mxnet import GraphConv")])
    assert result.primary == "mxnet"


def test_dgl_backend_from_dglbackend() -> None:
    result = scan(
        [
            f("gnn.py", "import dgl", "import numpy as np", "g = dgl.graph(([0], [1]))"),
            f("train.py", "import dgl", "from dgl.data import CoraGraphDataset"),
            f("run.sh", "DGLBACKEND=tensorflow python train.py"),
        ]
    )
    assert result.primary == "tensorflow" and result.frameworks == ["tensorflow"]
    assert result.backends == {"dgl": ["tensorflow"]}
    assert "dgl used with the tensorflow backend (DGLBACKEND=tensorflow)" in reasons(result)

    # The module a file imports wins over the setting for that file.
    result = scan(
        [
            f("gnn.py", "from dgl.nn.pytorch import GraphConv"),
            f("train.py", "import os", "os.environ['DGLBACKEND'] = 'mxnet'", "import dgl"),
        ]
    )
    assert result.evidence and {e.framework for e in result.evidence} == {"pytorch", "mxnet"}


def test_bare_dgl_does_not_vote() -> None:
    result = scan([f("gnn.py", "import dgl", "import torch", "import torch.nn as nn")])
    assert result.primary == "pytorch"
    assert result.backends == {}
    assert (
        "dgl imported in 1 file without a visible backend (dgl.nn.pytorch/tensorflow/mxnet "
        "imports or DGLBACKEND): does not vote"
    ) in reasons(result)

    alone = scan([f("gnn.py", "import dgl", "import numpy as np")])
    assert alone.primary is None  # DGL's default (PyTorch) is not evidence

    unrelated = scan([f("train.py", "import torch"), f("run.sh", "export DGLBACKEND=mxnet")])
    assert unrelated.frameworks == ["pytorch"] and unrelated.backends == {}


def test_tensorlayerx_follows_tl_backend_and_tensorlayer_stays_tensorflow() -> None:
    result = scan(
        [
            f(
                "model.py",
                "import os",
                "os.environ['TL_BACKEND'] = 'paddle'",
                "import tensorlayerx",
            ),
            f("train.py", "import tensorlayerx as tlx", "from tensorlayerx.nn import Linear"),
        ]
    )
    assert result.primary == "paddle"
    assert result.backends == {"tensorlayerx": ["paddle"]}

    assert scan([f("model.py", "import tensorlayerx as tlx")]).primary is None
    assert scan([f("model.py", "import tensorlayer as tl")]).primary == "tensorflow"


# -- unchanged: transformers -----------------------------------------------------------------------


def test_transformers_is_unchanged() -> None:
    tf = scan([f("model.py", "from transformers import TFBertModel", "import tensorflow as tf")])
    assert tf.primary == "tensorflow" and tf.backends == {}
    assert "transformers used with tensorflow classes (TFBertModel)" in reasons(tf)
    pt = scan([f("run.py", "import torch", "from transformers import AutoModel")])
    assert pt.primary == "pytorch"
    assert "transformers imported in 1 file without TF/Flax classes: does not vote" in reasons(pt)


# -- the table -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('\njax = "jax"\n', '\njax = "jaxx"\n', "names unknown frameworks ['jaxx']"),
        ('library = "dgl"', 'library = "dglx"', "must name a framework id or a [multi_backend]"),
        ("lists_backend_from = 3", 'lists_backend_from = "3"', "must be an integer"),
        ("[backend_settings.DGLBACKEND]", "[backend_settings.dgl-backend]", "not an environment"),
    ],
)
def test_table_errors_are_clear(old: str, new: str, message: str) -> None:
    raw = DEFAULT_PATH.read_text()
    assert old in raw
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_aliases(raw.replace(old, new, 1).encode())


def test_table_backend_settings() -> None:
    table = load_aliases()
    keras = table.backend_variables["KERAS_BACKEND"]
    assert keras.library == "keras" and keras.values["torch"] == "pytorch"
    assert keras.values["numpy"] == ""  # a backend, not a framework
    assert table.backend_variables["DGLBACKEND"].library == "dgl"
    assert table.lookup_import("dgl.nn.pytorch") == ("dgl", ("multi", "dgl"))
    assert table.multi_backend_framework("dgl.nn.tensorflow.conv", ()) == {
        "tensorflow": {"dgl.nn.tensorflow.conv"}
    }


# -- what is compiled once per table ---------------------------------------------------------------


def test_compiled_patterns_follow_the_table_they_are_made_for() -> None:
    raw = DEFAULT_PATH.read_text()
    renamed = parse_aliases(raw.replace("KERAS_BACKEND", "MY_KERAS_BACKEND").encode())
    setting = f("train.py", "import os", 'os.environ["MY_KERAS_BACKEND"] = "jax"', "import keras")
    usual = f("train.py", "import os", 'os.environ["KERAS_BACKEND"] = "jax"', "import keras")
    assert scan([usual]).backends == {"keras": ["jax"]}
    assert scan([setting], aliases=renamed).backends == {"keras": ["jax"]}
    assert scan([usual], aliases=renamed).backends == {}  # not this table's variable
    assert scan([setting]).backends == {}
    assert scan([usual]).backends == {"keras": ["jax"]}  # the default table's patterns again
    default = BackendFinder(load_aliases())
    assert BackendFinder(renamed).python is not default.python
    assert BackendFinder(load_aliases()).python is default.python  # compiled once


def test_shared_patterns_never_share_the_values_of_another_table() -> None:
    raw = DEFAULT_PATH.read_text()
    assert '\njax = "jax"\n' in raw
    other = parse_aliases(raw.replace('\njax = "jax"\n', '\njax = "pytorch"\n', 1).encode())
    assert BackendFinder(other).python is BackendFinder(load_aliases()).python  # same names
    usual = f("train.py", "import os", 'os.environ["KERAS_BACKEND"] = "jax"', "import keras")
    assert scan([usual], aliases=other).backends == {"keras": ["pytorch"]}
    assert scan([usual]).backends == {"keras": ["jax"]}
    # What is derived from a table's variables is derived once per table, never shared:
    default = BackendFinder(load_aliases())
    assert BackendFinder(load_aliases()).libraries is default.libraries
    assert BackendFinder(other).libraries is not default.libraries
    assert BackendFinder(other).libraries["keras"].values["jax"] == "pytorch"


def test_import_targets_are_remembered_per_table() -> None:
    raw = DEFAULT_PATH.read_text()
    assert '"torch", "torchvision"' in raw
    without_torch = parse_aliases(raw.replace('"torch", "torchvision"', '"torchvision"').encode())
    code = f("train.py", "import torch", "import torch.nn as nn")
    assert scan([code]).primary == "pytorch"  # remembered by the default table
    assert scan([code], aliases=without_torch).primary is None
    assert scan([code]).primary == "pytorch"
    assert without_torch.targets_memo is not load_aliases().targets_memo
