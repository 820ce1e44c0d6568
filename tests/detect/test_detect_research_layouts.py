"""Layouts met in real research repositories that once fooled the detector.

Each test is a small synthetic reproduction of a pattern found while measuring accuracy on
labelled repositories (docs/accuracy.md): a docs example in a C++ library, a whole framework
copied into the tree, one helper copied into every experiment folder, Keras and TensorFlow
demos side by side.
"""

from __future__ import annotations

from scraper.detect import ScanResult, scan
from scraper.detect.paths import package_copies


def py(path: str, *lines: str) -> tuple[str, bytes]:
    return path, ("\n".join(lines) + "\n").encode()


def evidence(result: ScanResult) -> dict[tuple[str, str], int]:
    return {(e.framework, e.kind): e.files for e in result.evidence}


def text(result: ScanResult) -> str:
    return "\n".join(result.reasons)


def cpp_library() -> list[tuple[str, bytes]]:
    return [(f"src/unit{i}.cc", b"int f() { return 0; }\n") for i in range(6)] + [
        py("python/setup_helpers.py", "import os"),
    ]


def test_a_docs_example_alone_does_not_make_a_framework_user() -> None:
    members = [*cpp_library(), py("python/doc/examples/bag.py", "import torch", "x = 1")]
    result = scan(members)
    assert result.primary is None and result.frameworks == []
    assert evidence(result) == {("pytorch", "import_aux"): 1}
    assert "pytorch not counted: imported only outside the main code, in docs code" in text(result)


def test_a_conversion_script_alone_does_not_make_a_framework_user() -> None:
    members = [(f"matlab/train{i}.m", b"net = vl_simplenn(net);\n") for i in range(5)]
    members.append(py("tools/convert_model_to_pytorch.py", "import torch", "import scipy.io"))
    result = scan(members)
    assert result.primary is None
    assert "converter code" in text(result)


def test_tests_still_count_when_nothing_else_imports_a_framework() -> None:
    result = scan([*cpp_library(), py("tests/test_ops.py", "import torch", "y = 2")])
    assert result.primary == "pytorch"


def test_a_declared_framework_is_still_counted_next_to_a_docs_example() -> None:
    members = [
        *cpp_library(),
        py("docs/example.py", "import torch"),
        ("requirements.txt", b"torch>=1.8\n"),
    ]
    assert scan(members).primary == "pytorch"


def test_package_copies() -> None:
    paths = [
        "Theano-master/theano/__init__.py",
        "Theano-master/theano/tensor/__init__.py",
        "det/detectron2/__init__.py",
        "examples/NLU/src/transformers/__init__.py",
        "theano/__init__.py",  # the repository is a fork of the library itself
        "src/torch/__init__.py",  # likewise, in a src/ layout
        "models/mynet/__init__.py",  # not a known package
        "lib/torch/utils/__init__.py",  # 'utils' is not a package root; 'torch' has no init
    ]
    copies = package_copies(paths, {"theano", "detectron2", "transformers", "torch"})
    assert copies == {
        "Theano-master": "theano",
        "det": "detectron2",
        "examples/NLU": "transformers",
    }


def test_a_copy_of_a_framework_in_the_tree_is_vendored_code() -> None:
    members = [py("Theano-master/theano/__init__.py", "from theano.compile import *")]
    members += [
        py(f"Theano-master/theano/tensor/op{i}.py", "import theano", f"OP = {i}")
        for i in range(300)
    ]
    members += [
        py("models/vae.py", "from keras.models import Model", "from keras.layers import Dense"),
        py("train.py", "from keras.optimizers import Adam", "import models.vae"),
        py("models/__init__.py", ""),
    ]
    result = scan(members)
    assert result.primary == "keras"
    assert result.frameworks == ["keras"]
    assert evidence(result)[("theano", "import_aux")] == 301
    assert "Theano-master/ holds a copy of theano: counted as vendored code" in text(result)


def test_a_copied_project_in_src_layout_is_vendored_as_a_whole() -> None:
    members = [
        py("lora/layers.py", "import torch", "import torch.nn as nn"),
        py("lora/utils.py", "import torch", "N = 1"),
        py("examples/NLU/src/transformers/__init__.py", "import torch"),
        py("examples/NLU/src/transformers/modeling_tf_bert.py", "import tensorflow as tf"),
    ]
    members += [
        py(f"examples/NLU/examples/run_tf_task{i}.py", "import tensorflow as tf", f"T = {i}")
        for i in range(6)
    ]
    result = scan(members)
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch"]
    assert "examples/NLU/ holds a copy of transformers" in text(result)


def test_identical_copies_of_a_file_count_once() -> None:
    helper = ("import theano", "import theano.tensor as T", "def kernel(x):", "    return x")
    members = [py(f"experiments/run{i}/gp.py", *helper) for i in range(12)]
    members += [
        py("vae/model.py", "from keras.layers import Dense", "A = 1"),
        py("vae/train.py", "from keras.models import load_model", "B = 2"),
    ]
    result = scan(members)
    assert result.primary == "keras"
    assert evidence(result)[("theano", "import")] == 1
    assert "11 identical copies of framework-importing files counted once" in text(result)


def test_the_copy_kept_is_the_one_of_highest_weight() -> None:
    same = ("import torch", "def f():", "    return torch.zeros(1)")
    members = [py("third_party/lib/f.py", *same), py("core/f.py", *same)]
    result = scan(members)
    assert evidence(result) == {("pytorch", "import"): 1}
    assert "core/f.py" in text(result)


def test_keras_and_tensorflow_demos_in_separate_files_are_scored_apart() -> None:
    members = [
        py("dropout-keras.ipynb.py", "from keras.layers import Dense", "K = 1"),
        py("spatial-dropout-keras.py", "from keras.layers import Conv2D", "K = 2"),
        py("dropout-tf.py", "import tensorflow as tf"),
    ]
    result = scan(members)
    assert result.primary == "keras"
    assert "keras is imported together with tensorflow" not in text(result)
    together = scan([*members, py("main.py", "import keras", "import tensorflow as tf")])
    assert together.primary == "tensorflow"


def test_vendored_code_of_any_size_never_outweighs_own_files() -> None:
    members = [py("net.py", "import torch"), py("train.py", "import torch", "Z = 0")]
    members += [
        py(f"third_party/tf_models/m{i}.py", "import tensorflow as tf", f"M = {i}")
        for i in range(400)
    ]
    result = scan(members)
    assert result.primary == "pytorch"
    assert result.frameworks == ["pytorch"]
    assert evidence(result)[("tensorflow", "import_aux")] == 400
