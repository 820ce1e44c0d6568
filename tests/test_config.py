"""Settings resolution: defaults < config file < environment < flags; secrets stay hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.config import DEFAULT_DB, load_settings
from scraper.errors import ConfigError

CONFIG = """
[fwcensus]
db = "from-config.duckdb"

[network]
interval = 2.0
retries = 2

[network.rewrite]
"https://codeload.github.com" = "http://127.0.0.1:8765/codeload"
"https://api.github.com" = "http://127.0.0.1:8765/api"

[network.hosts."openaccess.thecvf.com"]
interval = 5
"""


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings({})
    assert s.db_path == DEFAULT_DB == Path("data/fwcensus.duckdb")
    assert s.rewrite == () and s.github_token is None


def test_config_file_then_env_then_flags(tmp_path):
    cfg = tmp_path / "fwcensus.toml"
    cfg.write_text(CONFIG)
    s = load_settings({}, config_path=cfg)
    assert s.db_path == Path("from-config.duckdb")
    assert s.default_interval == 2.0 and s.retries == 2
    assert s.host_intervals["openaccess.thecvf.com"] == 5.0
    assert ("https://api.github.com", "http://127.0.0.1:8765/api") in s.rewrite

    env = {
        "FWCENSUS_DB": "env.duckdb",
        "GITHUB_TOKEN": "ghp_x",
        "FWCENSUS_REWRITE": "https://api.github.com=http://127.0.0.1:9999/api",
    }
    s = load_settings(env, config_path=cfg)
    assert s.db_path == Path("env.duckdb")
    assert dict(s.rewrite)["https://api.github.com"] == "http://127.0.0.1:9999/api"
    assert dict(s.rewrite)["https://codeload.github.com"] == "http://127.0.0.1:8765/codeload"
    assert s.github_token == "ghp_x" and "ghp_x" not in repr(s)

    s = load_settings(env, config_path=cfg, db_path=Path("flag.duckdb"))
    assert s.db_path == Path("flag.duckdb")


def test_config_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[network\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, config_path=bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, config_path=tmp_path / "missing.toml")
    bad.write_text('[network.rewrite]\n"https://a.org" = "not a url"\n')
    with pytest.raises(ConfigError, match="http"):
        load_settings({}, config_path=bad)


def test_the_example_config_is_valid_and_documents_every_section():
    from scraper.config import Settings

    example = Path(__file__).resolve().parents[1] / "fwcensus.example.toml"
    s = load_settings({}, config_path=example)
    assert [v for v, _ in s.tracks] == ["cvpr", "neurips", "icml"]
    assert s.tracks[0][1][0] == 2019
    assert s.host_intervals["export.arxiv.org"] == 3.0
    defaults = Settings()
    assert (s.rescan_days, s.relist_days, s.retry_backoff, s.max_attempts) == (
        defaults.rescan_days,
        defaults.relist_days,
        defaults.retry_backoff,
        defaults.max_attempts,
    )
    assert s.aggregators == defaults.aggregators


def test_track_entries_are_checked(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[track]]\nvenue = "cvpr"\n')
    with pytest.raises(ConfigError, match="years"):
        load_settings({}, config_path=cfg)
    cfg.write_text('[[track]]\nvenue = "cvpr"\nyears = "2024-2019"\n')
    with pytest.raises(ConfigError, match="increasing"):
        load_settings({}, config_path=cfg)


def test_pdf_processes_is_read_and_checked(tmp_path):
    cfg = tmp_path / "fwcensus.toml"
    assert load_settings({}).pdf_processes == 0  # auto: one per core
    cfg.write_text("[run]\npdf_processes = 1\n")
    assert load_settings({}, config_path=cfg).pdf_processes == 1
    for bad in ("-1", "true", '"two"'):
        cfg.write_text(f"[run]\npdf_processes = {bad}\n")
        with pytest.raises(ConfigError, match="pdf_processes must be 0"):
            load_settings({}, config_path=cfg)
