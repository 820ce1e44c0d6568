"""Accuracy of the framework detector on real research repositories, labelled by hand.

``data/accuracy/labels.csv`` lists repositories linked from conference papers, each with the
commit that was read and the framework a person found by reading its model and training code
(``label``; ``none`` when the code uses no deep-learning framework) plus any other framework the
code really uses (``secondary``, ``;``-separated). This script scans every labelled repository
*at that commit* and compares:

* **primary agreement**: the detector's ``primary`` (None counts as ``none``) equals ``label``;
* **secondary recall**: the share of labelled secondary frameworks the detector lists as used.

The tree is read the way a real scan reads a codeload tarball: ``git archive --format=tar
COMMIT`` is piped into :func:`scraper.detect.scan_tar_stream` (nothing is extracted, nothing
from the repository runs). Mirrors fetched with a size limit may lack big blobs (images,
weights); ``git archive`` refuses such a commit, so the missing files are left out of a tree
written to a throw-away object directory (the mirror is never written to) and that tree is
archived instead. The number of files left out is reported.

    python benchmarks/accuracy.py --mirrors DIR            # DIR/OWNER+REPO/repo bare git dirs
    python benchmarks/accuracy.py --mirrors DIR --json out.json --only tkipf/gcn

Exit status: 0 when agreement reaches ``--target`` (default 0.97), 1 below it, 2 when a
labelled repository cannot be read. Results are recorded in docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scraper.detect import ScanResult, scan_tar_stream  # noqa: E402

LABELS = ROOT / "data" / "accuracy" / "labels.csv"
COLUMNS = ("repo", "commit", "venue", "year", "label", "secondary", "reason")
NONE = "none"


class LabelError(ValueError):
    """labels.csv is malformed; the message names the line and what to fix."""


class MirrorError(RuntimeError):
    """A labelled repository or commit is not in the mirrors directory."""


@dataclass(frozen=True)
class Label:
    repo: str  # owner/name
    commit: str
    venue: str
    year: int
    label: str  # framework id or "none"
    secondary: tuple[str, ...]
    reason: str


@dataclass
class Outcome:
    """The detector's answer for one labelled repository."""

    label: Label
    primary: str  # "none" when the detector found no framework
    frameworks: tuple[str, ...]
    confidence: float
    reasons: tuple[str, ...] = ()
    status: str = "ok"
    files_scanned: int = 0
    missing_blobs: int = 0
    seconds: float = 0.0

    @property
    def agrees(self) -> bool:
        return self.primary == self.label.label


@dataclass
class Summary:
    total: int
    agreed: int
    secondary_expected: int
    secondary_found: int
    misses: list[Outcome] = field(default_factory=list)
    secondary_missed: list[tuple[str, str]] = field(default_factory=list)  # (repo, framework)
    extra: list[tuple[str, str]] = field(default_factory=list)  # listed but not labelled

    @property
    def agreement(self) -> float:
        return self.agreed / self.total if self.total else 0.0


# -- pure parts ---------------------------------------------------------------------------------


def parse_labels(text: str) -> list[Label]:
    """Rows of labels.csv. Raises LabelError naming the line for a bad header, an empty field,
    a year that is not a number, a commit that is not 40 hex digits or a repeated repository."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise LabelError(f"labels.csv header must be {','.join(COLUMNS)}; got {reader.fieldnames}")
    labels: list[Label] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        missing = [c for c in COLUMNS if c != "secondary" and not (row.get(c) or "").strip()]
        if missing:
            raise LabelError(f"labels.csv line {line}: empty {', '.join(missing)}")
        repo = row["repo"].strip()
        commit = row["commit"].strip().lower()
        if repo.count("/") != 1:
            raise LabelError(f"labels.csv line {line}: repo {repo!r} is not owner/name")
        if len(commit) != 40 or any(ch not in "0123456789abcdef" for ch in commit):
            raise LabelError(f"labels.csv line {line}: commit must be 40 hex digits")
        if not row["year"].strip().isdigit():
            raise LabelError(f"labels.csv line {line}: year {row['year']!r} is not a number")
        if repo.lower() in seen:
            raise LabelError(f"labels.csv line {line}: {repo} is listed twice")
        seen.add(repo.lower())
        secondary = tuple(s.strip() for s in (row["secondary"] or "").split(";") if s.strip())
        labels.append(
            Label(
                repo=repo,
                commit=commit,
                venue=row["venue"].strip(),
                year=int(row["year"]),
                label=row["label"].strip(),
                secondary=secondary,
                reason=row["reason"].strip(),
            )
        )
    return labels


def check_framework_ids(labels: list[Label], known: set[str]) -> list[str]:
    """Problems: labels naming a framework id the alias table does not have."""
    problems = []
    for item in labels:
        for fw in (item.label, *item.secondary):
            if fw != NONE and fw not in known:
                problems.append(f"{item.repo}: unknown framework id {fw!r}")
    return problems


def outcome_from_result(label: Label, result: ScanResult, **extra: Any) -> Outcome:
    return Outcome(
        label=label,
        primary=result.primary or NONE,
        frameworks=tuple(result.frameworks),
        confidence=result.confidence,
        reasons=tuple(result.reasons),
        status=result.status,
        files_scanned=result.files_scanned,
        **extra,
    )


def summarise(outcomes: list[Outcome]) -> Summary:
    """Primary agreement, secondary recall, and the misses."""
    summary = Summary(
        total=len(outcomes),
        agreed=sum(o.agrees for o in outcomes),
        secondary_expected=0,
        secondary_found=0,
    )
    for o in outcomes:
        if not o.agrees:
            summary.misses.append(o)
        for fw in o.label.secondary:
            summary.secondary_expected += 1
            if fw in o.frameworks:
                summary.secondary_found += 1
            else:
                summary.secondary_missed.append((o.label.repo, fw))
        labelled = {o.label.label, *o.label.secondary}
        for fw in o.frameworks:
            if fw not in labelled:
                summary.extra.append((o.label.repo, fw))
    return summary


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]


def format_report(summary: Summary, outcomes: list[Outcome]) -> str:
    """The text printed at the end of a run."""
    lines = [
        f"primary agreement: {summary.agreed}/{summary.total} = {summary.agreement:.1%}",
    ]
    if summary.secondary_expected:
        lines.append(
            f"secondary recall: {summary.secondary_found}/{summary.secondary_expected} labelled "
            "second frameworks listed as used"
        )
    by_label: dict[str, list[int]] = {}
    for o in outcomes:
        cell = by_label.setdefault(o.label.label, [0, 0])
        cell[0] += o.agrees
        cell[1] += 1
    lines.append(
        "per label: "
        + ", ".join(
            f"{k} {a}/{n}" for k, (a, n) in sorted(by_label.items(), key=lambda kv: -kv[1][1])
        )
    )
    if summary.misses:
        lines.append("")
        lines.append("misses:")
        rows = [["repo", "label", "detected", "conf", "frameworks", "first reason"]]
        for o in summary.misses:
            first = o.reasons[0] if o.reasons else ""
            rows.append(
                [o.label.repo, o.label.label, o.primary, f"{o.confidence:.2f}",
                 ",".join(o.frameworks) or "-", first[:90]]
            )  # fmt: skip
        lines.extend(_table(rows))
    if summary.secondary_missed:
        lines.append("")
        lines.append(
            "secondary not listed: "
            + ", ".join(f"{repo} ({fw})" for repo, fw in summary.secondary_missed)
        )
    if summary.extra:
        lines.append(
            "listed but not labelled: " + ", ".join(f"{repo} ({fw})" for repo, fw in summary.extra)
        )
    return "\n".join(lines)


def mirror_gitdir(mirrors: Path, repo: str) -> Path:
    """``MIRRORS/OWNER+NAME/repo`` (matched case-insensitively, as GitHub names are)."""
    want = repo.replace("/", "+")
    direct = mirrors / want / "repo"
    if direct.is_dir():
        return direct
    for entry in mirrors.iterdir() if mirrors.is_dir() else ():
        if entry.name.lower() == want.lower() and (entry / "repo").is_dir():
            return entry / "repo"
    raise MirrorError(
        f"{repo}: no mirror at {direct}. Put a bare clone there "
        f"(git clone --bare https://github.com/{repo} {direct}) or a symlink to one."
    )


# -- git I/O -------------------------------------------------------------------------------------


def _git(gitdir: Path, *args: str, env: dict[str, str] | None = None, data: bytes = b"") -> bytes:
    proc = subprocess.run(
        ["git", "-C", str(gitdir), *args], input=data, capture_output=True, env=env, check=False
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise MirrorError(f"git {' '.join(args[:2])} in {gitdir} failed: {message}")
    return proc.stdout


def missing_blobs(gitdir: Path, commit: str) -> list[str]:
    """Paths of the commit whose blobs the mirror lacks (size-limited snapshots)."""
    listing = _git(gitdir, "ls-tree", "-r", "-z", "--full-tree", commit)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        _mode, kind, obj = meta.split()
        if kind == b"blob":
            entries.append((obj, path))
    if not entries:
        return []
    checked = _git(
        gitdir, "cat-file", "--batch-check", data=b"".join(obj + b"\n" for obj, _ in entries)
    )
    return [
        path.decode("utf-8", "replace")
        for (_obj, path), line in zip(entries, checked.splitlines(), strict=True)
        if line.endswith(b" missing")
    ]


@contextmanager
def archive_stream(gitdir: Path, commit: str) -> Iterator[tuple[Any, int]]:
    """``(stdout of git archive, files left out)``. When blobs are missing, a tree without them
    is written to a temporary object directory (the mirror stays untouched) and archived."""
    missing = missing_blobs(gitdir, commit)
    with tempfile.TemporaryDirectory(prefix="fwc-accuracy-") as tmp:
        env = None
        target = commit
        if missing:
            objects = _git(gitdir, "rev-parse", "--git-path", "objects").decode().strip()
            objects_dir = Path(objects)
            if not objects_dir.is_absolute():
                objects_dir = (gitdir / objects_dir).resolve()
            (Path(tmp) / "objects").mkdir()
            env = dict(os.environ)
            env["GIT_DIR"] = str(gitdir)
            env["GIT_INDEX_FILE"] = str(Path(tmp) / "index")
            env["GIT_OBJECT_DIRECTORY"] = str(Path(tmp) / "objects")
            env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(objects_dir)
            _git(gitdir, "read-tree", commit, env=env)
            paths = b"".join(p.encode() + b"\0" for p in missing)
            _git(gitdir, "update-index", "--force-remove", "-z", "--stdin", env=env, data=paths)
            target = _git(gitdir, "write-tree", env=env).decode().strip()
        proc = subprocess.Popen(
            ["git", "-C", str(gitdir), "archive", "--format=tar", target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            yield proc.stdout, len(missing)
            proc.stdout.read()  # type: ignore[union-attr]  # drain what the scan did not need
        finally:
            error = proc.stderr.read() if proc.stderr else b""  # type: ignore[union-attr]
            code = proc.wait()
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
        if code != 0:
            raise MirrorError(f"git archive {target} failed: {error.decode('utf-8', 'replace')}")


def scan_label(mirrors: Path, label: Label) -> Outcome:
    gitdir = mirror_gitdir(mirrors, label.repo)
    started = time.perf_counter()
    with archive_stream(gitdir, label.commit) as (stream, missing):
        result = scan_tar_stream(stream, strip_top=False)
    seconds = time.perf_counter() - started
    return outcome_from_result(label, result, missing_blobs=missing, seconds=round(seconds, 3))


# -- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="DIR with OWNER+REPO/repo")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--only", nargs="*", default=None, help="owner/name ... to scan")
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--verbose", action="store_true", help="print each repository's reasons")
    args = parser.parse_args(argv)

    from scraper.detect import load_aliases

    try:
        labels = parse_labels(args.labels.read_text(encoding="utf-8"))
    except (OSError, LabelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = check_framework_ids(labels, set(load_aliases().order))
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 2
    if args.only:
        wanted = {r.lower() for r in args.only}
        labels = [item for item in labels if item.repo.lower() in wanted]
    outcomes: list[Outcome] = []
    failed = 0
    for item in labels:
        try:
            outcome = scan_label(args.mirrors, item)
        except MirrorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        outcomes.append(outcome)
        mark = "ok  " if outcome.agrees else "MISS"
        note = f" ({outcome.missing_blobs} big blobs absent)" if outcome.missing_blobs else ""
        print(
            f"{mark} {item.repo:50s} label={item.label:10s} detected={outcome.primary:10s} "
            f"conf={outcome.confidence:.2f} files={outcome.files_scanned}{note}"
        )
        if args.verbose or not outcome.agrees:
            for reason in outcome.reasons:
                print(f"       {reason}")
    summary = summarise(outcomes)
    print()
    print(format_report(summary, outcomes))
    if args.json:
        payload = [
            {
                "repo": o.label.repo, "commit": o.label.commit, "label": o.label.label,
                "secondary": list(o.label.secondary), "primary": o.primary,
                "frameworks": list(o.frameworks), "confidence": o.confidence,
                "status": o.status, "files_scanned": o.files_scanned,
                "missing_blobs": o.missing_blobs, "seconds": o.seconds,
                "reasons": list(o.reasons),
            }
            for o in outcomes
        ]  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    if failed:
        print(f"{failed} labelled repositories could not be read", file=sys.stderr)
        return 2
    return 0 if summary.agreement >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
