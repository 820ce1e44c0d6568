"""Benchmark: how fast the framework scan reads repositories, next to pipreqs, and its memory.

Four parts, run from the repository root:

    python benchmarks/scan_speed.py --mirrors DIR             # all four parts
    python benchmarks/scan_speed.py --mirrors DIR --skip-rss  # without the 1 GB stream

1. **Per-tree throughput.** Every repository of ``data/accuracy/labels.csv`` found in DIR
   (``OWNER+REPO/repo`` bare git dirs) is checked out at its labelled commit into a temporary
   directory (deleted afterwards). The same directory is then read by
   ``scraper.detect.scan_path`` (fwcensus: every file walked, Python files, notebooks and
   manifests read) and by ``pipreqs.get_all_imports`` (pipreqs 0.5: ``ast.parse`` of every
   ``.py`` file). pipreqs stops at the first file Python 3 cannot parse; those trees are listed
   with the exception, and the throughput ratio is computed on the trees both tools read to
   the end. The scan of a ``git archive`` tar held in memory is timed too (the path real
   scans take: a tarball stream). Each timing is the best of ``--repeat`` runs (default 5),
   the three timings of a tree taken in turn (fwcensus, tar, pipreqs, fwcensus, ...) so that
   each tool's best comes from the same stretch of time.
2. **One CLI call over ten repositories.** Ten ``git archive`` tarballs are written to the
   temporary directory and ``fwcensus scan T1 ... T10 --json`` runs once, so the command's
   start-up (Python, imports, alias table) is paid and counted.
3. **Peak memory on a ~1 GB tar stream.** A synthetic tar (many small Python files, some
   requirements files and notebooks, big binary blobs) is generated on the fly and piped into
   ``fwcensus scan -`` (stdin), and into the scanning core alone (``scan_tar_stream`` on
   stdin, without the command line's imports); each child reports its own peak RSS (``VmHWM``
   from /proc, which starts afresh at exec; ``ru_maxrss`` would carry the parent's size across
   fork and exec). The same is done for a stream a tenth of the size: memory that stays flat
   while the stream grows tenfold shows that the scan streams instead of buffering.
4. **MB/s per core and 2 worker processes.** The checked-out trees of part 1 are scanned
   (``scan_path``) by a pool of 1, then of 2 worker processes, trees handed out one at a time,
   biggest first. Each pool is started and warmed (imports, alias table) before it is timed;
   the best of ``--repeat`` passes counts. MB/s per core is the rate divided by the processes;
   the scaling is the 1-process time over the 2-process time (2.0 would be perfect).

Nothing from the repositories runs; results are recorded in docs/benchmarks-scan.md.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import accuracy  # noqa: E402  (benchmarks/accuracy.py: labels, mirrors, git archive)

from scraper.detect import scan_path, scan_tar_stream  # noqa: E402

MB = 1_000_000
FRAMEWORK_IMPORTS = (
    "import torch", "import torch.nn as nn", "import tensorflow as tf", "import jax",
    "import numpy as np", "from torch.utils.data import DataLoader", "import os", "import sys",
)  # fmt: skip


# -- pure parts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """What a checked-out tree holds (counted once, used for every rate)."""

    files: int
    bytes: int
    py_files: int
    py_bytes: int


@dataclass
class Timing:
    repo: str
    tree: Tree
    fwcensus_s: float
    tar_s: float
    pipreqs_s: float | None  # None: pipreqs stopped on an error
    pipreqs_error: str | None = None


@dataclass
class Totals:
    trees: int = 0
    files: int = 0
    bytes: int = 0
    fwcensus_s: float = 0.0
    pipreqs_s: float = 0.0
    both_trees: int = 0
    both_files: int = 0
    both_bytes: int = 0
    both_fwcensus_s: float = 0.0
    tar_s: float = 0.0
    aborted: list[tuple[str, str]] = field(default_factory=list)


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def totals(timings: list[Timing]) -> Totals:
    """Sums over all trees, and over the trees pipreqs read to the end (the fair ratio)."""
    out = Totals()
    for t in timings:
        out.trees += 1
        out.files += t.tree.files
        out.bytes += t.tree.bytes
        out.fwcensus_s += t.fwcensus_s
        out.tar_s += t.tar_s
        if t.pipreqs_s is None:
            out.aborted.append((t.repo, t.pipreqs_error or "error"))
            continue
        out.both_trees += 1
        out.both_files += t.tree.files
        out.both_bytes += t.tree.bytes
        out.both_fwcensus_s += t.fwcensus_s
        out.pipreqs_s += t.pipreqs_s
    return out


def format_totals(t: Totals) -> list[str]:
    lines = [
        f"{t.trees} trees, {t.files} files, {t.bytes / MB:.1f} MB",
        f"fwcensus scan_path, all trees:  {t.fwcensus_s:7.3f} s  "
        f"{rate(t.files, t.fwcensus_s):9.0f} files/s  {rate(t.bytes / MB, t.fwcensus_s):7.1f} MB/s",
        f"fwcensus tar stream, all trees: {t.tar_s:7.3f} s  "
        f"{rate(t.files, t.tar_s):9.0f} files/s  {rate(t.bytes / MB, t.tar_s):7.1f} MB/s",
        f"pipreqs read {t.both_trees} of {t.trees} trees to the end; on those "
        f"({t.both_files} files, {t.both_bytes / MB:.1f} MB):",
        f"  fwcensus scan_path:           {t.both_fwcensus_s:7.3f} s  "
        f"{rate(t.both_files, t.both_fwcensus_s):9.0f} files/s  "
        f"{rate(t.both_bytes / MB, t.both_fwcensus_s):7.1f} MB/s",
        f"  pipreqs get_all_imports:      {t.pipreqs_s:7.3f} s  "
        f"{rate(t.both_files, t.pipreqs_s):9.0f} files/s  "
        f"{rate(t.both_bytes / MB, t.pipreqs_s):7.1f} MB/s",
        f"  ratio (pipreqs time / fwcensus time): {rate(t.pipreqs_s, t.both_fwcensus_s):.1f}x",
    ]
    if t.aborted:
        lines.append(f"pipreqs stopped on {len(t.aborted)} trees (fwcensus read them all):")
        lines.extend(f"  {repo}: {why}" for repo, why in t.aborted)
    return lines


@dataclass(frozen=True)
class PoolRun:
    """One timed pass of a pool of ``processes`` workers over the trees."""

    processes: int
    seconds: float
    bytes: int
    files: int


def format_scaling(runs: list[PoolRun]) -> list[str]:
    """Rate, rate per core, and the speed-up of each pool over the 1-process pool."""
    base = next((r for r in runs if r.processes == 1), None)
    lines = []
    for run in runs:
        total = rate(run.bytes / MB, run.seconds)
        line = (
            f"  {run.processes} process{'es' if run.processes > 1 else '  '}: "
            f"{run.seconds:6.3f} s  {total:7.1f} MB/s  {total / run.processes:7.1f} MB/s per core"
            f"  {rate(run.files, run.seconds):7.0f} files/s"
        )
        if base is not None and run is not base:
            speedup = rate(base.seconds, run.seconds)
            line += f"  scaling {speedup:.2f}x ({speedup / run.processes:.0%} of linear)"
        lines.append(line)
    return lines


@dataclass(frozen=True)
class SyntheticFile:
    name: str
    size: int
    kind: str  # 'code', 'notebook', 'requirements' or 'blob'


def synthetic_plan(total_bytes: int, seed: int = 1) -> list[SyntheticFile]:
    """Members of a synthetic repository of about ``total_bytes``: 20% small Python files
    (2-14 kB), a few notebooks and requirements files, the rest big binary blobs (8-24 MB)
    that a scan walks past without reading."""
    rng = random.Random(seed)
    files: list[SyntheticFile] = []
    code_budget = total_bytes // 5
    used = 0
    i = 0
    while used < code_budget:
        size = rng.randint(2_000, 14_000)
        package = f"pkg{i // 200}/sub{(i // 20) % 10}"
        if i % 250 == 0:
            files.append(SyntheticFile(f"{package}/requirements.txt", 60, "requirements"))
        if i % 500 == 7:
            files.append(SyntheticFile(f"{package}/demo{i}.ipynb", size, "notebook"))
        files.append(SyntheticFile(f"{package}/module{i}.py", size, "code"))
        used += size
        i += 1
    while used < total_bytes:
        size = min(rng.randint(8 * MB, 24 * MB), max(total_bytes - used, 1))
        files.append(SyntheticFile(f"weights/blob{len(files)}.bin", size, "blob"))
        used += size
    return files


def synthetic_content(spec: SyntheticFile, seed: int = 1) -> bytes:
    """Deterministic content of one synthetic member, exactly ``spec.size`` bytes."""
    rng = random.Random(f"{seed}:{spec.name}")
    if spec.kind == "requirements":
        body = b"torch>=1.8\nnumpy\ntqdm\n"
    elif spec.kind == "blob":
        chunk = bytes(rng.getrandbits(8) for _ in range(4096))
        return (chunk * (spec.size // 4096 + 1))[: spec.size]
    else:
        lines = [rng.choice(FRAMEWORK_IMPORTS) for _ in range(6)]
        lines += [f"def f{n}(x):\n    return x * {n}  # import nothing here\n" for n in range(400)]
        text = "\n".join(lines)
        if spec.kind == "notebook":
            cell = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            text = f'{{"cells": [{{"cell_type": "code", "source": ["{cell}"]}}], "nbformat": 4}}'
        body = text.encode()
    return (body * (spec.size // max(len(body), 1) + 1))[: spec.size]


def write_synthetic_tar(out: IO[bytes], plan: list[SyntheticFile], seed: int = 1) -> int:
    """Write the plan as an uncompressed tar stream to ``out``; returns the bytes of content.
    Blobs share one buffer per size class, so the writer itself stays small."""
    written = 0
    blob_cache: dict[int, bytes] = {}
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for spec in plan:
            if spec.kind == "blob":
                key = spec.size
                if key not in blob_cache:
                    blob_cache.clear()
                    blob_cache[key] = synthetic_content(spec, seed)
                data = blob_cache[key]
            else:
                data = synthetic_content(spec, seed)
            info = tarfile.TarInfo(spec.name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
            written += len(data)
    return written


# -- measuring ------------------------------------------------------------------------------------


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def alternating(
    repeat: int,
    fwcensus: Callable[[], float],
    tar: Callable[[], float],
    pipreqs: Callable[[], tuple[float | None, str | None]],
) -> tuple[float, float, float | None, str | None]:
    """The best of ``repeat`` timings of each tool, their runs alternating (fwcensus, tar,
    pipreqs, fwcensus, ...): each tool's best is taken over the same stretch of time, so a
    slow minute of the machine (its speed drifts 10-15%) cannot fall on one tool's runs
    only. pipreqs is not run again once it has stopped on an error (it would again)."""
    fw_s = tar_s = float("inf")
    pip_s: float | None = None
    error: str | None = None
    for _ in range(repeat):
        fw_s = min(fw_s, fwcensus())
        tar_s = min(tar_s, tar())
        if error is None:
            seconds, error = pipreqs()
            if seconds is not None:
                pip_s = seconds if pip_s is None else min(pip_s, seconds)
    if error is not None:
        pip_s = None
    return fw_s, tar_s, pip_s, error


def tree_stats(directory: Path) -> Tree:
    files = size = py_files = py_size = 0
    for base, _dirs, names in os.walk(directory):
        for name in names:
            path = Path(base, name)
            if not path.is_file() or path.is_symlink():
                continue
            n = path.stat().st_size
            files += 1
            size += n
            if name.endswith(".py"):
                py_files += 1
                py_size += n
    return Tree(files, size, py_files, py_size)


def pipreqs_run(directory: Path) -> tuple[float | None, str | None]:
    """Seconds pipreqs' scan takes, or None and the error it stopped on (with the file, which
    pipreqs logs just before raising)."""
    import logging

    from pipreqs import pipreqs

    failed: list[str] = []

    class _Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("Failed on file: "):
                failed.append(message[len("Failed on file: ") :])

    handler = _Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    started = time.perf_counter()
    try:
        pipreqs.get_all_imports(str(directory))
    except Exception as exc:  # pipreqs raises whatever ast.parse or open raised
        where = f" in {os.path.relpath(failed[-1], directory)}" if failed else ""
        first = str(exc).splitlines()[0][:70] if str(exc) else ""
        return None, f"{type(exc).__name__}{where}: {first}"
    finally:
        root.removeHandler(handler)
    return time.perf_counter() - started, None


def checkout(gitdir: Path, commit: str, target: Path) -> bytes:
    """Extract the commit into ``target`` (benchmark only) and return the tar bytes."""
    with accuracy.archive_stream(gitdir, commit) as (stream, _missing):
        data = stream.read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        tar.extractall(target, filter="data")
    return data


def measure_trees(
    mirrors: Path, labels: list[accuracy.Label], work: Path, repeat: int
) -> tuple[list[Timing], dict[str, bytes]]:
    timings = []
    tars: dict[str, bytes] = {}
    for label in labels:
        try:
            gitdir = accuracy.mirror_gitdir(mirrors, label.repo)
        except accuracy.MirrorError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            continue
        target = work / label.repo.replace("/", "+")
        data = checkout(gitdir, label.commit, target)
        tars[label.repo] = data
        tree = tree_stats(target)
        fw_s, tar_s, pip_s, error = alternating(
            repeat,
            lambda t=target: timed(lambda: scan_path(t)),
            lambda d=data: timed(lambda: scan_tar_stream(io.BytesIO(d), strip_top=False)),
            lambda t=target: pipreqs_run(t),
        )
        timings.append(Timing(label.repo, tree, fw_s, tar_s, pip_s, error))
        shown = f"{pip_s:.3f}s" if pip_s is not None else f"stopped ({error})"
        print(
            f"  {label.repo:48s} {tree.files:5d} files {tree.bytes / MB:7.2f} MB  "
            f"fwcensus {fw_s:.3f}s  tar {tar_s:.3f}s  pipreqs {shown}"
        )
    return timings, tars


def _scan_tree(path: str) -> int:
    """Pool worker: scan one checked-out tree, return the files it read (results stay here)."""
    return scan_path(path).files_scanned


def _warm(_: int) -> int:
    from scraper.detect import load_aliases

    return len(load_aliases().order)


def pool_scaling(directories: list[Path], repeat: int, sizes: list[int]) -> list[PoolRun]:
    """Scan every tree with pools of 1 and 2 processes (see part 4 of the module docstring)."""
    stats = [tree_stats(d) for d in directories]
    order = sorted(range(len(directories)), key=lambda i: -stats[i].bytes)  # biggest first
    paths = [str(directories[i]) for i in order]
    total_bytes = sum(s.bytes for s in stats)
    total_files = sum(s.files for s in stats)
    runs = []
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    for processes in sizes:
        with context.Pool(processes) as pool:
            pool.map(_warm, range(processes * 4))
            for path in paths[: processes * 2]:  # page cache and first-call costs
                pool.apply(_scan_tree, (path,))

            def one_pass(pool: Any = pool) -> None:
                for _ in pool.imap_unordered(_scan_tree, paths, chunksize=1):
                    pass

            seconds = best_of(repeat, one_pass)
        runs.append(PoolRun(processes, seconds, total_bytes, total_files))
    return runs


def cli_over_ten(tars: dict[str, bytes], work: Path) -> list[str]:
    """One ``fwcensus scan`` process over the ten biggest trees' tarballs."""
    chosen = sorted(tars, key=lambda r: -len(tars[r]))[:10]
    paths = []
    for repo in chosen:
        path = work / f"{repo.replace('/', '+')}.tar"
        path.write_bytes(tars[repo])
        paths.append(str(path))
    fwcensus = shutil.which("fwcensus", path=str(Path(sys.executable).parent)) or "fwcensus"
    env = dict(os.environ)
    started = time.perf_counter()
    proc = subprocess.run(
        [fwcensus, "scan", *paths, "--json"], capture_output=True, env=env, check=False
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        return [f"fwcensus scan failed ({proc.returncode}): {proc.stderr.decode()[-300:]}"]
    startup = time.perf_counter()
    subprocess.run([fwcensus, "--help"], capture_output=True, env=env, check=False)
    startup = time.perf_counter() - startup
    size = sum(len(tars[r]) for r in chosen)
    return [
        f"fwcensus scan over 10 tarballs ({size / MB:.1f} MB of tar): {seconds:.2f} s wall, "
        f"one process",
        f"  of which start-up (fwcensus --help): {startup:.2f} s",
        f"  repositories: {', '.join(chosen)}",
    ]


_HWM = (
    "import sys\n"
    "def _hwm():\n"
    "    with open('/proc/self/status') as f:\n"
    "        kb = f.read().split('VmHWM:')[1].split()[0]\n"
    "    print('peak-kb', kb, file=sys.stderr)\n"
)
CORE_SCAN = _HWM + (
    "from scraper.detect import scan_tar_stream\n"
    "r = scan_tar_stream(sys.stdin.buffer, strip_top=False)\n"
    "print('{\"status\": \"' + r.status + '\"}')\n"
    "_hwm()\n"
)
CLI_SCAN = _HWM + (
    "from analysis.cli import main\n"
    "sys.argv = ['fwcensus', 'scan', '-', '--json']\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "_hwm()\n"
)


def peak_rss(total_bytes: int, code: str, seed: int = 1) -> tuple[float, float, int, str]:
    """(peak RSS in MB of a child running ``code`` fed a synthetic tar on stdin, seconds, stream
    bytes, the scan's status). The child reports its own high-water mark (``VmHWM``, which
    starts afresh at exec, unlike ``ru_maxrss`` that Linux carries across fork and exec)."""
    plan = synthetic_plan(total_bytes, seed)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    counter = _CountingWriter(proc.stdin)
    try:
        write_synthetic_tar(counter, plan, seed)
    except BrokenPipeError:
        pass  # the scan stopped reading (a cap): its status says why
    finally:
        proc.stdin.close()
    output = proc.stdout.read() if proc.stdout else b""  # small: read after the stream
    errors = proc.stderr.read() if proc.stderr else b""
    for pipe in (proc.stdout, proc.stderr):
        if pipe:
            pipe.close()
    proc.wait()
    seconds = time.perf_counter() - started
    peak = float("nan")
    for line in errors.decode("utf-8", "replace").splitlines():
        if line.startswith("peak-kb "):
            peak = int(line.split()[1]) / 1024
    scan_status = "?"
    text = output.decode("utf-8", "replace")
    marker = '"status": "'
    if marker in text:
        scan_status = text.split(marker, 1)[1].split('"', 1)[0]
    return peak, seconds, counter.count, scan_status


def memory_part(total_bytes: int) -> list[str]:
    commands = {"fwcensus scan -": CLI_SCAN, "scan core only": CORE_SCAN}
    lines = []
    for name, code in commands.items():
        for size in (total_bytes // 10, total_bytes):
            rss, seconds, streamed, status = peak_rss(size, code)
            lines.append(
                f"  {name:16s} stream {streamed / MB:6.0f} MB: peak RSS {rss:6.1f} MB, "
                f"{seconds:5.1f} s ({rate(streamed / MB, seconds):.0f} MB/s), status {status}"
            )
    return lines


class _CountingWriter(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = self.raw.write(data) or 0
        self.count += len(data)
        return n or len(data)


def ast_compare_on_bad_files(work: Path) -> list[str]:
    """What each tool does with files research repositories often hold."""
    cases = {
        "py2_print.py": b"import torch\nprint 'epoch', 1\n",
        "tabs_spaces.py": b"import tensorflow as tf\nif True:\n\tx = 1\n        y = 2\n",
        "bom.py": b"\xef\xbb\xbfimport jax\nx = 1\n",
        "latin1.py": b"# caf\xe9\nimport mxnet\n",
    }
    lines = []
    for name, data in cases.items():
        directory = work / f"bad_{name[:-3]}"
        directory.mkdir()
        (directory / name).write_bytes(data)
        _seconds, error = pipreqs_run(directory)
        result = scan_path(directory)
        lines.append(
            f"  {name:15s} pipreqs: {error or 'ok'}; fwcensus: primary={result.primary}, "
            f"unparseable={result.unparseable_files}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="DIR with OWNER+REPO/repo")
    parser.add_argument("--labels", type=Path, default=accuracy.LABELS)
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings (default 5)")
    parser.add_argument("--rss-bytes", type=int, default=1_000 * MB, help="synthetic stream")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args(argv)

    labels = accuracy.parse_labels(args.labels.read_text(encoding="utf-8"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"python {platform.python_version()}")
    if not args.skip_rss:
        print("\n3. peak memory on synthetic tar streams")
        print("\n".join(memory_part(args.rss_bytes)))
    with tempfile.TemporaryDirectory(prefix="fwc-speed-") as tmp:
        work = Path(tmp)
        print(f"\n1. per-tree throughput (best of {args.repeat})")
        timings, tars = measure_trees(args.mirrors, labels, work / "trees", args.repeat)
        print()
        print("\n".join(format_totals(totals(timings))))
        print("\nfiles pipreqs stops on, read by fwcensus:")
        print("\n".join(ast_compare_on_bad_files(work)))
        print("\n2. one CLI call over ten repositories")
        print("\n".join(cli_over_ten(tars, work)))
        directories = sorted(p for p in (work / "trees").iterdir() if p.is_dir())
        print(f"\n4. scan_path over the {len(directories)} trees with 1 and 2 worker processes "
              f"(best of {args.repeat}; {os.cpu_count()} CPUs)")  # fmt: skip
        print("\n".join(format_scaling(pool_scaling(directories, args.repeat, [1, 2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
