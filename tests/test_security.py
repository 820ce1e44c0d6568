"""Hostile links, hostile archives and the GitHub token, through the real pipeline."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from scraper import jobs
from scraper.demo import world
from scraper.demo.server import FixtureWeb, Resource
from scraper.http import HttpClient
from scraper.store import Store

TOKEN = "ghp_SENTINEL0123456789abcdefTOKEN"
PAPERLISTS = "/raw/papercopilot/paperlists/main/iccv/iccv2023.json"

HOSTILE = {
    "http://127.0.0.1:9/owner/repo": "not a public web address",
    "http://169.254.169.254/latest/meta-data": "not a public web address",
    "http://10.1.2.3/owner/repo": "not a public web address",
    "http://[::1]/owner/repo": "not a public web address",
    "file:///etc/passwd": "not a web address",
    "https://unknown.example.org/owner/repo": "unknown host",
}


@pytest.fixture()
def web():
    with FixtureWeb(world.build()) as w:
        yield w


def hostile_paperlists(web: FixtureWeb) -> None:
    records = json.loads(web.resources[PAPERLISTS].body)
    for record, url in zip(records, HOSTILE, strict=False):
        record["github"] = url
    web.resources[PAPERLISTS] = Resource(json.dumps(records).encode(), "application/json")


def test_links_to_internal_or_unknown_hosts_are_stored_rejected_and_never_fetched(tmp_path, web):
    hostile_paperlists(web)
    settings = web.settings(venue_sizes=None)
    with Store.open(tmp_path / "db.duckdb") as store, HttpClient(settings) as client:
        jobs.run(store, client, "iccv", [2023], source="paperlists")
        rows = store.query(
            "SELECT url, rejected, repo_id FROM code_links "
            "WHERE found_in = 'paperlists' AND rejected IS NOT NULL"
        )
        repos = store.query("SELECT repo_id FROM repos").repo_id.tolist()
    got = dict(zip(rows.url, rows.rejected, strict=True))
    for url, reason in HOSTILE.items():
        assert reason in got[url], (url, got.get(url))
    assert rows.repo_id.isna().all()
    assert not any("127.0.0.1" in r or "169.254" in r for r in repos)
    assert client.requests_by_host.keys() <= {
        "openaccess.thecvf.com",
        "raw.githubusercontent.com",
        "api.github.com",
        "codeload.github.com",
    }


def _evil_tarball() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": "e" * 40}
    ) as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("repo-HEAD/train.py", b"import torch\nimport torch.nn as nn\n")
        add("repo-HEAD/model.py", b"import torch\n")
        add("../../escape.py", b"import tensorflow as tf\n")
        add("/abs/path.py", b"import tensorflow as tf\n")
        link = tarfile.TarInfo("repo-HEAD/link.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
        dev = tarfile.TarInfo("repo-HEAD/dev")
        dev.type = tarfile.CHRTYPE
        tar.addfile(dev)
    return buf.getvalue()


def test_hostile_archive_members_are_ignored_and_nothing_is_written(tmp_path, web, monkeypatch):
    p = next(p for p in world.papers() if p.venue == "iccv" and p.year == 2021 and p.kind == "P")
    web.resources[f"/codeload/{world.DEMO_ORG}/{p.repo}/tar.gz/HEAD"] = Resource(
        _evil_tarball(), "application/x-gzip"
    )
    monkeypatch.chdir(tmp_path)
    before = set(Path(tmp_path).rglob("*"))
    settings = web.settings(venue_sizes=None)
    db = tmp_path / "db.duckdb"
    with Store.open(db) as store, HttpClient(settings) as client:
        jobs.run(store, client, "iccv", [2021])
        row = store.query(
            "SELECT primary_fw, frameworks FROM repo_frameworks WHERE repo_id = ?",
            [f"github:{world.DEMO_ORG}/{p.repo}"],
        ).iloc[0]
    assert row.primary_fw == "pytorch" and list(row.frameworks) == ["pytorch"]
    created = {q for q in Path(tmp_path).rglob("*")} - before
    assert all(q.name.startswith("db.duckdb") for q in created), created
    assert not Path("/escape.py").exists() and not (tmp_path.parent / "escape.py").exists()


def test_the_github_token_never_reaches_logs_database_reports_or_errors(tmp_path, web):
    # one API failure so that error messages are written too
    bad = next(p for p in world.papers() if p.venue == "iccv" and p.year == 2023 and p.repo)
    web.faults[f"/api/repos/{world.DEMO_ORG}/{bad.repo}"] = _fault(500, 10)
    cfg = tmp_path / "fwcensus.toml"
    cfg.write_text(
        '[[track]]\nvenue = "iccv"\nyears = "2023"\n[run]\naggregators = '
        '["paperlists"]\nvenue_sizes = false\n[network]\ninterval = 0\nretries = 1\n'
        '[fwcensus]\nreports = "rep"\ncache = "cache"\n'
    )
    env = {
        **os.environ,
        "FWCENSUS_REWRITE": web.rewrite_map(),
        "GITHUB_TOKEN": TOKEN,
        "FWCENSUS_DB": str(tmp_path / "db.duckdb"),
    }
    outputs = []
    for args in (["-vv", "run"], ["report"], ["status"], ["sql", "SELECT * FROM failures"]):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from analysis.cli import main; main()",
                "--config",
                str(cfg),
                *args,
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs.append(proc.stdout + proc.stderr)
    assert "HTTP 500" in outputs[3]  # the failure was recorded...
    assert web.headers_seen[f"/api/repos/{world.DEMO_ORG}/{bad.repo}"]["Authorization"] == (
        f"Bearer {TOKEN}"
    )  # ...and the token was really used, for the API only
    for text in outputs:
        assert TOKEN not in text
    files = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert any(f.suffix == ".duckdb" for f in files) and any(f.suffix == ".html" for f in files)
    for f in files:
        assert TOKEN.encode() not in f.read_bytes(), f
    for path, headers in web.headers_seen.items():
        if not path.startswith("/api/"):
            assert "Authorization" not in headers, path


def _fault(status: int, times: int):
    from scraper.demo.server import Fault

    return Fault(status, times=times)
