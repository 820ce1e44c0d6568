"""Framework mentions in paper text: the method of the 2019 "State of ML frameworks" study.

A weaker signal than code (a paper may cite TensorFlow without using it), so it is stored
apart (``paper_mentions``) and reported side by side with the code-based shares, never merged.
Pure: text in, counts out.
"""

from __future__ import annotations

import re

# framework id -> pattern over lower-cased text. Word boundaries keep "jaxpr"/"kerasify" out.
PATTERNS: dict[str, re.Pattern[str]] = {
    "pytorch": re.compile(r"\bpy-?\s?torch\b"),
    "tensorflow": re.compile(r"\btensor-?\s?flow\b"),
    "keras": re.compile(r"\bkeras\b"),
    "jax": re.compile(r"\bjax\b"),
    "mxnet": re.compile(r"\bmx-?net\b"),
    "caffe": re.compile(r"\bcaffe2?\b"),
    "theano": re.compile(r"\btheano\b"),
    "chainer": re.compile(r"\bchainer\b"),
    "paddle": re.compile(r"\bpaddle-?paddle\b"),
    "mindspore": re.compile(r"\bmind-?spore\b"),
}


def count_mentions(text: str) -> dict[str, int]:
    """Occurrences of each framework's name in ``text`` (frameworks with none are left out)."""
    lowered = text.lower()
    counts = {fw: len(pattern.findall(lowered)) for fw, pattern in PATTERNS.items()}
    return {fw: n for fw, n in counts.items() if n}
