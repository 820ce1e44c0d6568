"""Framework detection: which deep-learning frameworks a repository uses, and why.

Modules, each with one job:

* :mod:`~scraper.detect.paths` — file kinds, path roles and weights, languages, :func:`wants`;
* :mod:`~scraper.detect.python` — imports of Python source (fast regex extractor, ast reference);
* :mod:`~scraper.detect.notebooks` — notebook code cells and Lua ``require``;
* :mod:`~scraper.detect.manifests` — requirements, setup.py/cfg, pyproject, conda, Pipfile,
  Dockerfile;
* :mod:`~scraper.detect.aliases` — the alias table ``data/frameworks.toml``;
* :mod:`~scraper.detect.backends` — backend settings (KERAS_BACKEND, DGLBACKEND, TL_BACKEND,
  keras.json) and Keras 3 markers;
* :mod:`~scraper.detect.classify` — weighting and the verdict (the rule is documented there);
* :mod:`~scraper.detect.scan` — :func:`scan`, :class:`ScanResult` and the archive wrappers.
"""

from __future__ import annotations

from scraper.detect.aliases import AliasTable, load_aliases
from scraper.detect.paths import wants
from scraper.detect.scan import DETECTOR_VERSION, ScanResult, scan, scan_path, scan_tar_stream

__all__ = [
    "DETECTOR_VERSION",
    "AliasTable",
    "ScanResult",
    "load_aliases",
    "scan",
    "scan_path",
    "scan_tar_stream",
    "wants",
]
