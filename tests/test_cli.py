"""The command line: every command documented, clear one-line errors, scan/sql/status/demo."""

from __future__ import annotations

import io
import json
import tarfile

import click
import pytest
from click.testing import CliRunner

from analysis.cli import cli, parse_years
from scraper.store import Store

TORCH_FILE = b"import torch\nimport torch.nn as nn\n\nclass M(nn.Module):\n    pass\n"
TF_FILE = b"import tensorflow as tf\n\nx = tf.constant(1)\n"


def invoke(*args: str, env: dict[str, str] | None = None, input: bytes | None = None):
    runner = CliRunner()
    return runner.invoke(cli, list(args), env=env or {}, input=input, catch_exceptions=False)


def test_every_command_has_help():
    result = invoke("--help")
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert name in result.output
        sub = invoke(name, "--help")
        assert sub.exit_code == 0 and "Usage:" in sub.output


def test_every_command_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in cli.commands:
        assert f"fwcensus {name}" in readme, f"README does not document `fwcensus {name}`"


def test_readme_first_lines_are_what_ci_runs():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    lines = [
        ln.strip() for ln in root.joinpath("README.md").read_text().splitlines()[1:6] if ln.strip()
    ]
    ci = root.joinpath(".ci/run").read_text()
    assert lines[0].startswith("python3 -m venv") and "fwcensus demo" in lines[0]
    assert "pytest" in lines[1]
    assert lines[0] in ci and lines[1] in ci


@pytest.mark.parametrize(
    "text, years",
    [("2023", [2023]), ("2019-2021", [2019, 2020, 2021]), ("2019,2021", [2019, 2021])],
)
def test_parse_years(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["2021-2019", "soon", "", "1800"])
def test_parse_years_rejects_nonsense(text):
    with pytest.raises(click.BadParameter):
        parse_years(text)


def test_scan_directory_json(tmp_path):
    (tmp_path / "train.py").write_bytes(TORCH_FILE)
    (tmp_path / "model.py").write_bytes(TORCH_FILE)
    result = invoke("scan", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["primary"] == "pytorch"
    assert any(e["framework"] == "pytorch" for e in data["evidence"])


def test_scan_several_targets_and_stdin(tmp_path):
    torch_dir = tmp_path / "a"
    torch_dir.mkdir()
    (torch_dir / "train.py").write_bytes(TORCH_FILE)
    tar_path = tmp_path / "tf.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        info = tarfile.TarInfo("repo-main/train.py")
        info.size = len(TF_FILE)
        tar.addfile(info, io.BytesIO(TF_FILE))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("model.py")
        info.size = len(TF_FILE)
        tar.addfile(info, io.BytesIO(TF_FILE))
    result = invoke("scan", str(torch_dir), str(tar_path), "--json")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["primary"] for d in lines] == ["pytorch", "tensorflow"]
    assert [d["target"] for d in lines] == [str(torch_dir), str(tar_path)]
    result = invoke("scan", "-", "--json", input=buf.getvalue())
    assert json.loads(result.output)["primary"] == "tensorflow"
    human = invoke("scan", str(torch_dir))
    assert "pytorch" in human.output and "confidence" in human.output


def test_scan_github_repository_through_the_rewrite_map(demo_web):
    env = {"FWCENSUS_REWRITE": demo_web.rewrite_map()}
    result = invoke("scan", "demo-lab/cvpr2023-paper25-t", "--json", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["primary"] == "tensorflow" and len(data["commit"]) == 40


def test_scan_unknown_target_is_a_usage_error(tmp_path):
    result = invoke("scan", str(tmp_path / "nope" / "deeper" / "x"))
    assert result.exit_code == 2
    assert "neither a directory" in result.output


def test_unreachable_network_names_the_host_and_the_fix(tmp_path):
    env = {
        "FWCENSUS_REWRITE": "https://openaccess.thecvf.com=http://127.0.0.1:9/cvf",
        "FWCENSUS_DB": str(tmp_path / "x.duckdb"),
    }
    result = invoke(
        "--config",
        str(_fast_config(tmp_path)),
        "run",
        "--venue",
        "cvpr",
        "--years",
        "2023",
        env=env,
    )
    assert result.exit_code == 1
    assert "cannot reach openaccess.thecvf.com" in result.output
    assert "FWCENSUS_REWRITE" in result.output


def _fast_config(tmp_path):
    cfg = tmp_path / "fast.toml"
    cfg.write_text("[network]\nretries = 0\ninterval = 0\n")
    return cfg


def test_unknown_venue_is_a_clear_error(tmp_path):
    result = invoke("--db", str(tmp_path / "x.duckdb"), "run", "--venue", "nope", "--years", "2023")
    assert result.exit_code == 1
    assert "venue 'nope' is not covered" in result.output and "cvpr" in result.output


def test_reading_commands_without_a_database_say_what_to_do(tmp_path):
    for args in (["report"], ["status"], ["sql", "SELECT 1"]):
        result = invoke("--db", str(tmp_path / "none.duckdb"), *args)
        assert result.exit_code == 1
        assert "fwcensus run" in result.output


def test_second_writer_exits_at_once(tmp_path):
    from filelock import FileLock

    db = tmp_path / "x.duckdb"
    with FileLock(str(db) + ".lock"):
        result = invoke("--db", str(db), "run", "--venue", "cvpr", "--years", "2023")
    assert result.exit_code == 75
    assert "another fwcensus run" in result.output


def test_demo_run_status_sql_report(tmp_path):
    db = tmp_path / "demo.duckdb"
    out = tmp_path / "rep"
    result = invoke("--db", str(db), "demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "DEMO" in result.output and str(out / "report.html") in result.output
    assert (out / "report.md").exists()
    with Store.open(db, read_only=True) as store:
        assert store.count("papers") == 105

    status = invoke("--db", str(db), "status")
    assert "cvpr" in status.output and "last runs" in status.output
    sql = invoke(
        "--db",
        str(db),
        "sql",
        "--format",
        "csv",
        "SELECT venue, count(*) AS n FROM papers GROUP BY venue ORDER BY venue",
    )
    assert sql.output.splitlines() == ["venue,n", "cvpr,83", "iccv,22"]
    bad = invoke("--db", str(db), "sql", "SELEC nonsense")
    assert bad.exit_code == 1 and "SQL error" in bad.output
    rep = invoke("--db", str(db), "report", "--out", str(tmp_path / "r2"))
    assert rep.exit_code == 0 and (tmp_path / "r2" / "report.html").exists()


def test_sources_lists_every_source_with_politeness():
    from scraper.sources import SOURCE_MODULES

    result = invoke("sources")
    assert result.exit_code == 0
    for name in SOURCE_MODULES:
        assert f"{name}:" in result.output
    assert result.output.count("politeness:") == len(SOURCE_MODULES)
    assert "cvpr" in result.output and "iclr" in result.output


def test_run_restricted_to_one_source_lists_and_scans_from_it_alone(tmp_path, demo_web):
    cfg = tmp_path / "f.toml"
    cfg.write_text("[network]\ninterval = 0\nretries = 0\n[run]\nvenue_sizes = false\n")
    env = {"FWCENSUS_REWRITE": demo_web.rewrite_map()}
    db = tmp_path / "x.duckdb"
    result = invoke(
        "--config",
        str(cfg),
        "--db",
        str(db),
        "run",
        "--venue",
        "iccv",
        "--years",
        "2023",
        "--source",
        "paperlists",
        env=env,
    )
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        assert store.count("papers") == 12
        assert store.count("paper_texts") == 0  # no PDFs: only paperlists was asked
        sources = store.query("SELECT DISTINCT source FROM paper_sources").source.tolist()
        scanned = store.query("SELECT repo_id FROM repos WHERE status = 'ok' ORDER BY 1")
    assert sources == ["paperlists"]
    assert len(scanned) == 3


def test_papers_listed_by_two_sources_are_merged_with_provenance(tmp_path, demo_web):
    cfg = tmp_path / "f.toml"
    cfg.write_text(
        "[network]\ninterval = 0\nretries = 0\n[run]\naggregators = []\nvenue_sizes = false\n"
    )
    env = {"FWCENSUS_REWRITE": demo_web.rewrite_map()}
    db = tmp_path / "x.duckdb"
    base = ["--config", str(cfg), "--db", str(db), "run", "--venue", "iccv", "--years", "2023"]
    assert invoke(*base, env=env).exit_code == 0
    assert invoke(*base, "--source", "paperlists", env=env).exit_code == 0
    with Store.open(db, read_only=True) as store:
        assert store.count("papers") == 12  # not 24
        prov = store.query(
            "SELECT source, matched_by, count(*) AS n FROM paper_sources "
            "GROUP BY ALL ORDER BY source"
        )
    assert prov.values.tolist() == [["cvf", "self", 12], ["paperlists", "title-exact", 12]]
    # paperlists knew the affiliations the proceedings did not: they fill the merged rows,
    # and the report's industry/academia breakdown has data
    from analysis.affiliations import compute_affiliations

    with Store.open(db, read_only=True) as store:
        filled = store.query("SELECT count(*) AS n FROM papers WHERE len(affiliations) > 0").n[0]
        result = compute_affiliations(store.con)
    assert filled == 12
    counts = dict(zip(result.counts.iloc[:, 0], result.counts.iloc[:, 1], strict=False))
    assert counts == {"academia": 6, "industry": 0, "mixed": 6, "unknown": 0}, counts


def test_status_shows_due_and_failed_repositories(tmp_path):
    from scraper.models import CodeLink, Paper, RepoRef

    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        papers = [Paper("cvpr", 2023, f"p{i}", f"T{i}", source="cvf") for i in range(3)]
        store.upsert_papers(papers)
        store.upsert_code_links(
            [
                CodeLink(
                    p.paper_id, f"https://github.com/o/r{i}", "pdf", RepoRef("github", "o", f"r{i}")
                )
                for i, p in enumerate(papers)
            ]
        )
        store.record_repo_failure(RepoRef("github", "o", "r1"), "error", "HTTP 502")
        store.record_repo_failure(RepoRef("github", "o", "r2"), "not_found", "gone")
    out = invoke("--db", str(db), "status").output
    header, row = out.splitlines()[1:3]
    values = dict(zip(header.split(), row.split(), strict=True))
    assert values["repos_due"] == "1" and values["repos_failed"] == "1"
    assert values["repos_unavailable"] == "1" and values["papers"] == "3"


def test_scan_reports_a_missing_repository_and_goes_on(tmp_path, demo_web):
    (tmp_path / "train.py").write_bytes(TORCH_FILE)
    env = {"FWCENSUS_REWRITE": demo_web.rewrite_map()}
    result = invoke("scan", "demo-lab/does-not-exist", str(tmp_path), "--json", env=env)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert lines[0]["status"] == "error" and "not_found" in lines[0]["error"]
    assert lines[1]["primary"] == "pytorch"


def test_export_parquet_round_trips(tmp_path, demo_database):
    import duckdb

    out = tmp_path / "pq"
    result = invoke("--db", str(demo_database[0]), "export", "--parquet", str(out))
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    n = con.execute(
        f"SELECT count(*) FROM read_parquet('{out}/papers/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    venues = con.execute(
        f"SELECT DISTINCT venue FROM read_parquet('{out}/papers/**/*.parquet', "
        "hive_partitioning=true) ORDER BY 1"
    ).fetchall()
    assert n == 105 and venues == [("cvpr",), ("iccv",)]


def test_scanning_starts_fast_without_pandas_or_duckdb(tmp_path):
    """`fwcensus scan` is called on many repositories: keep heavy imports off its path."""
    import subprocess
    import sys

    (tmp_path / "train.py").write_bytes(TORCH_FILE)
    code = (
        "import sys\nfrom analysis.cli import cli\n"
        f"cli.main(['scan', {str(tmp_path)!r}, '--json'], standalone_mode=False)\n"
        "print(sorted(m for m in ('pandas', 'duckdb', 'matplotlib', 'sklearn') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
