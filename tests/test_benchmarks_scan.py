"""The pure parts of benchmarks/accuracy.py and benchmarks/scan_speed.py, and the label set."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from benchload import load_benchmark

from scraper.detect import load_aliases, scan_tar_stream

ROOT = Path(__file__).resolve().parents[1]
SHA = "0123456789abcdef0123456789abcdef01234567"
HEADER = "repo,commit,venue,year,label,secondary,reason\n"


accuracy = load_benchmark("accuracy")
scan_speed = load_benchmark("scan_speed")


def label(repo: str = "a/b", lab: str = "pytorch", secondary: tuple[str, ...] = ()) -> object:
    return accuracy.Label(repo, SHA, "CVPR", 2020, lab, secondary, "reason")


def outcome(lab: object, primary: str, frameworks: tuple[str, ...] = ()) -> object:
    return accuracy.Outcome(lab, primary, frameworks or (primary,), 0.9, ("why",))


# -- labels ---------------------------------------------------------------------------------------


def test_parse_labels_reads_rows_and_splits_secondary() -> None:
    text = HEADER + f"Owner/Repo,{SHA.upper()},ICLR,2021,jax,tensorflow; pytorch,reads flax\n"
    (row,) = accuracy.parse_labels(text)
    assert row.repo == "Owner/Repo" and row.commit == SHA and row.year == 2021
    assert row.label == "jax" and row.secondary == ("tensorflow", "pytorch")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"a/b,{SHA},CVPR,2020,,,r", "empty label"),
        (f"a/b,{SHA[:-1]},CVPR,2020,pytorch,,r", "40 hex digits"),
        (f"ab,{SHA},CVPR,2020,pytorch,,r", "not owner/name"),
        (f"a/b,{SHA},CVPR,twenty,pytorch,,r", "not a number"),
    ],
)
def test_parse_labels_names_the_bad_line(line: str, message: str) -> None:
    with pytest.raises(accuracy.LabelError, match=f"line 2: .*{message}"):
        accuracy.parse_labels(HEADER + line + "\n")


def test_parse_labels_rejects_a_wrong_header_and_repeats() -> None:
    with pytest.raises(accuracy.LabelError, match="header"):
        accuracy.parse_labels("repo,label\na/b,pytorch\n")
    twice = HEADER + f"a/b,{SHA},CVPR,2020,pytorch,,r\nA/B,{SHA},CVPR,2020,pytorch,,r\n"
    with pytest.raises(accuracy.LabelError, match="listed twice"):
        accuracy.parse_labels(twice)


def test_the_committed_label_set() -> None:
    text = (ROOT / "data" / "accuracy" / "labels.csv").read_text(encoding="utf-8")
    labels = accuracy.parse_labels(text)
    assert len(labels) >= 50
    assert accuracy.check_framework_ids(labels, set(load_aliases().order)) == []
    assert sum(2016 <= item.year <= 2024 for item in labels) >= 50
    assert len({item.label for item in labels}) >= 8  # a realistic mix, not one framework
    assert len({item.venue for item in labels}) >= 6
    for marker in ("/tmp/", "/work/", "/home/", "/root/", "\\"):
        assert marker not in text  # no machine paths


def test_unknown_framework_ids_are_reported() -> None:
    labels = [label(lab="pytorch", secondary=("tensorflw",)), label("c/d", "none")]
    problems = accuracy.check_framework_ids(labels, {"pytorch", "tensorflow"})
    assert problems == ["a/b: unknown framework id 'tensorflw'"]


# -- comparing -----------------------------------------------------------------------------------


def test_summarise_counts_agreement_misses_and_secondaries() -> None:
    outcomes = [
        outcome(label("a/one", "pytorch", ("tensorflow",)), "pytorch", ("pytorch",)),
        outcome(label("a/two", "tensorflow"), "tensorflow", ("tensorflow", "keras")),
        outcome(label("a/three", "none"), "pytorch"),
        outcome(label("a/four", "jax", ("tensorflow",)), "jax", ("jax", "tensorflow")),
    ]
    summary = accuracy.summarise(outcomes)
    assert (summary.agreed, summary.total) == (3, 4)
    assert summary.agreement == pytest.approx(0.75)
    assert [o.label.repo for o in summary.misses] == ["a/three"]
    assert (summary.secondary_found, summary.secondary_expected) == (1, 2)
    assert summary.secondary_missed == [("a/one", "tensorflow")]
    assert summary.extra == [("a/two", "keras"), ("a/three", "pytorch")]
    report = accuracy.format_report(summary, outcomes)
    assert "primary agreement: 3/4 = 75.0%" in report
    assert "a/three" in report.split("misses:")[1]
    assert "secondary not listed: a/one (tensorflow)" in report


def test_mirror_gitdir_matches_case_insensitively(tmp_path: Path) -> None:
    (tmp_path / "Owner+Repo" / "repo").mkdir(parents=True)
    assert accuracy.mirror_gitdir(tmp_path, "owner/repo") == tmp_path / "Owner+Repo" / "repo"
    with pytest.raises(accuracy.MirrorError, match="git clone --bare"):
        accuracy.mirror_gitdir(tmp_path, "other/repo")


# -- speed benchmark ------------------------------------------------------------------------------


def test_synthetic_plan_reaches_its_size_with_small_code_and_big_blobs() -> None:
    plan = scan_speed.synthetic_plan(60_000_000, seed=3)
    total = sum(f.size for f in plan)
    assert 60_000_000 <= total < 60_000_000 + 24_000_000
    kinds = {f.kind for f in plan}
    assert kinds == {"code", "notebook", "requirements", "blob"}
    code = [f for f in plan if f.kind == "code"]
    assert all(2_000 <= f.size <= 14_000 for f in code)
    assert sum(f.size for f in plan if f.kind == "blob") > total / 2
    assert plan == scan_speed.synthetic_plan(60_000_000, seed=3)  # reproducible


def test_synthetic_content_has_the_planned_size() -> None:
    for spec in scan_speed.synthetic_plan(30_000_000)[:40]:
        data = scan_speed.synthetic_content(spec)
        assert len(data) == spec.size
        assert data == scan_speed.synthetic_content(spec)


def test_synthetic_tar_is_a_repository_the_scan_reads() -> None:
    plan = scan_speed.synthetic_plan(3_000_000)
    buffer = io.BytesIO()
    written = scan_speed.write_synthetic_tar(buffer, plan)
    assert written == sum(f.size for f in plan)
    buffer.seek(0)
    result = scan_tar_stream(buffer, strip_top=False)
    assert result.status == "ok"
    assert result.files_seen == len(plan)
    assert result.primary in {"pytorch", "tensorflow", "jax"}
    blobs = [f for f in plan if f.kind == "blob"]
    assert blobs and result.bytes_scanned < written - sum(f.size for f in blobs) + 1


def test_totals_compare_only_trees_both_tools_read() -> None:
    tree = scan_speed.Tree(files=100, bytes=2_000_000, py_files=40, py_bytes=500_000)
    timings = [
        scan_speed.Timing("a/ok", tree, fwcensus_s=0.1, tar_s=0.2, pipreqs_s=2.0),
        scan_speed.Timing("a/py2", tree, 0.3, 0.4, None, "SyntaxError in x.py: print"),
    ]
    t = scan_speed.totals(timings)
    assert (t.trees, t.files, t.both_trees, t.both_files) == (2, 200, 1, 100)
    assert t.fwcensus_s == pytest.approx(0.4) and t.both_fwcensus_s == pytest.approx(0.1)
    assert t.aborted == [("a/py2", "SyntaxError in x.py: print")]
    text = "\n".join(scan_speed.format_totals(t))
    assert "ratio (pipreqs time / fwcensus time): 20.0x" in text
    assert "pipreqs stopped on 1 trees" in text
    assert scan_speed.rate(10, 0) == float("inf")


def test_tools_take_turns_and_each_keeps_its_best() -> None:
    calls: list[str] = []

    def tool(name: str, times: list[float]) -> object:
        def run() -> float:
            calls.append(name)
            return times.pop(0)

        return run

    pip_times = [(3.0, None), (2.0, None), (2.5, None)]

    def pipreqs() -> tuple[float | None, str | None]:
        calls.append("pip")
        return pip_times.pop(0)

    best = scan_speed.alternating(
        3, tool("fw", [0.3, 0.1, 0.2]), tool("tar", [0.5, 0.6, 0.4]), pipreqs
    )
    assert best == (0.1, 0.4, 2.0, None)
    assert calls == ["fw", "tar", "pip"] * 3  # in turn, not each tool three times in a row

    calls.clear()
    stops = [(None, "SyntaxError in a.py: print")]
    best = scan_speed.alternating(
        2,
        tool("fw", [0.3, 0.2]),
        tool("tar", [0.5, 0.4]),
        lambda: (calls.append("pip"), stops[0])[1],
    )
    assert best == (0.2, 0.4, None, "SyntaxError in a.py: print")
    assert calls == ["fw", "tar", "pip", "fw", "tar"]  # a stopped pipreqs is not run again


def test_scaling_lines_give_rate_per_core_and_speed_up() -> None:
    runs = [
        scan_speed.PoolRun(processes=1, seconds=2.0, bytes=1_000_000_000, files=10_000),
        scan_speed.PoolRun(processes=2, seconds=1.25, bytes=1_000_000_000, files=10_000),
    ]
    one, two = scan_speed.format_scaling(runs)
    assert "500.0 MB/s" in one and "500.0 MB/s per core" in one and "scaling" not in one
    assert "800.0 MB/s" in two and "400.0 MB/s per core" in two
    assert "scaling 1.60x (80% of linear)" in two


def test_pool_scaling_scans_every_tree(tmp_path: Path) -> None:
    for name, body in (("a", "import torch\n"), ("b", "import jax\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.py").write_text(body)
    runs = scan_speed.pool_scaling([tmp_path / "a", tmp_path / "b"], repeat=1, sizes=[1, 2])
    assert [r.processes for r in runs] == [1, 2]
    assert all(r.files == 2 and r.bytes == 24 and r.seconds > 0 for r in runs)
