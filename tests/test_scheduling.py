"""The scheduling recipes in docs/deploy/ are valid and call real fwcensus commands."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from analysis.cli import cli

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"


def fwcensus_args(command: str) -> list[list[str]]:
    """The argument lists of every `fwcensus ...` call in a shell command line."""
    calls = []
    for part in command.replace("&&", ";").replace("||", ";").split(";"):
        words = shlex.split(part.split(">>")[0])
        for i, word in enumerate(words):
            if word == "fwcensus" or word.endswith("bin/fwcensus"):
                calls.append(words[i + 1 :])
    return calls


def assert_valid(args: list[str]) -> None:
    """The subcommand exists and accepts these options (click raises otherwise)."""
    sub, rest = args[0], args[1:]
    assert sub in cli.commands, sub
    cli.commands[sub].make_context(sub, list(rest))


def test_crontab_line_is_valid():
    lines = [
        ln
        for ln in (DEPLOY / "crontab").read_text().splitlines()
        if ln.strip() and not ln.startswith("#") and "=" not in ln.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert len(fields) == 6 and fields[:5] == ["17", "3", "*", "*", "1"]
    calls = fwcensus_args(fields[5])
    assert [c[0] for c in calls] == ["run", "report"]
    for call in calls:
        assert_valid(call)
    assert "ghp_" not in (DEPLOY / "crontab").read_text()


def test_systemd_units_parse_and_call_fwcensus():
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read(DEPLOY / "fwcensus.service")
    assert service["Service"]["Type"] == "oneshot"
    for key in ("ExecStart", "ExecStartPost"):
        (args,) = fwcensus_args(service["Service"][key])
        assert_valid(args)
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "fwcensus.timer")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_systemd_analyze_verifies_the_units(tmp_path):
    import sys

    exe = Path(sys.executable).parent / "fwcensus"
    text = (DEPLOY / "fwcensus.service").read_text()
    text = (
        text.replace("/srv/fwcensus/.venv/bin/fwcensus", str(exe))
        .replace("/srv/fwcensus", str(tmp_path))
        .replace("User=fwcensus", "User=root")
    )
    (tmp_path / "fwcensus.service").write_text(text)
    shutil.copy(DEPLOY / "fwcensus.timer", tmp_path / "fwcensus.timer")
    proc = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(tmp_path / "fwcensus.service"),
            str(tmp_path / "fwcensus.timer"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Unknown" not in proc.stderr and "Failed" not in proc.stderr, proc.stderr
    cal = subprocess.run(
        ["systemd-analyze", "calendar", "Mon *-*-* 03:17:00"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cal.returncode == 0


def test_github_actions_workflow_restores_runs_publishes():
    flow = yaml.safe_load((DEPLOY / "github-actions.yml").read_text())
    on = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as a boolean
    assert on["schedule"][0]["cron"] == "17 3 * * 1"
    assert flow["concurrency"]["cancel-in-progress"] is False
    steps = flow["jobs"]["census"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses.index("actions/cache/restore@v4") < uses.index("actions/cache/save@v4")
    runs = [s for s in steps if "run" in s and "fwcensus " in s["run"]]
    calls = [args for s in runs for args in fwcensus_args(s["run"])]
    assert [c[0] for c in calls] == ["run", "report"]
    for call in calls:
        assert_valid(call)
    run_step = next(s for s in runs if fwcensus_args(s["run"])[0][0] == "run")
    assert run_step["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
