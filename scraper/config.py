"""Settings: resolved once (defaults < fwcensus.toml < environment < CLI flags) and passed down.

No other module reads ``os.environ``; the CLI calls :func:`load_settings` with it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper import __version__
from scraper.errors import ConfigError

DEFAULT_DB = Path("data") / "fwcensus.duckdb"
DEFAULT_CONFIG = Path("fwcensus.toml")
PROJECT_URL = "https://github.com/fwcensus/fwcensus"

# Hosts fwcensus may fetch from. A code link to anything else is recorded as rejected.
DEFAULT_ALLOWED_HOSTS = frozenset(
    {
        "openaccess.thecvf.com",
        "github.com",
        "api.github.com",
        "codeload.github.com",
        "raw.githubusercontent.com",
        "gitlab.com",
        "bitbucket.org",
        "api.bitbucket.org",
        "papers.nips.cc",
        "proceedings.neurips.cc",
        "datasets-benchmarks-proceedings.neurips.cc",
        "proceedings.mlr.press",
        "openreview.net",
        "api.openreview.net",
        "api2.openreview.net",
        "aclanthology.org",
        "www.ecva.net",
        "export.arxiv.org",
        "arxiv.org",
        "huggingface.co",
        # where huggingface.co redirects file downloads (the Papers with Code archive)
        "cdn-lfs.huggingface.co",
        "cdn-lfs.hf.co",
        "cdn-lfs-us-1.hf.co",
        "cas-bridge.xethub.hf.co",
    }
)

# Minimum seconds between two requests to one host (politeness). Others get the default.
DEFAULT_HOST_INTERVALS: Mapping[str, float] = {
    "export.arxiv.org": 3.0,
    "api.github.com": 0.25,
    "codeload.github.com": 0.5,
}

# Hosts that are web sites (not APIs): robots.txt is read and obeyed there.
ROBOTS_HOSTS = frozenset(
    {
        "openaccess.thecvf.com",
        "papers.nips.cc",
        "proceedings.neurips.cc",
        "proceedings.mlr.press",
        "aclanthology.org",
        "www.ecva.net",
    }
)


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    reports_dir: Path = Path("reports")
    cache_dir: Path = Path("data") / "cache"
    http_cache: bool = True  # keep small responses and revalidate them (ETag/Last-Modified)
    rewrite: tuple[tuple[str, str], ...] = ()
    allowed_hosts: frozenset[str] = DEFAULT_ALLOWED_HOSTS
    default_interval: float = 1.0
    host_intervals: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_HOST_INTERVALS)
    )
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    max_retry_wait: float = 300.0
    wait_on_rate_limit: bool = True
    max_quota_wait: float = 3700.0
    obey_robots: bool = True
    user_agent: str = f"fwcensus/{__version__} (+{PROJECT_URL})"
    github_token: str | None = field(default=None, repr=False)
    openreview_token: str | None = field(default=None, repr=False)
    max_repo_kb: int = 2_000_000
    max_file_bytes: int = 1_000_000
    max_scan_bytes: int = 300_000_000
    pdf_max_pages: int = 40
    # processes that read PDFs (PDFium reads one PDF at a time per process): 0 = one per core
    # from 4 cores up, 1 = in the fetching threads
    pdf_processes: int = 0
    # aggregators consulted for extra code links (scraper/sources: paperlists, pwc, arxiv)
    aggregators: tuple[str, ...] = ("paperlists", "pwc", "arxiv")
    # refresh policy of scheduled runs
    retry_backoff: float = 3600.0  # seconds before a failed item is retried; doubles each time
    max_attempts: int = 5  # failed items are given up after this many tries
    rescan_days: float | None = 180.0  # rescan repositories scanned longer ago (None: never)
    relist_days: float = 30.0  # re-list recent venue-years whose last listing is older
    tracks: tuple[tuple[str, tuple[int, ...]], ...] = ()  # [[track]] venue-years to keep current
    # also scan each repository as of its paper's conference (one commits request per repo,
    # and a second tarball only when the code changed since)
    publication_snapshots: bool = True
    # expected venue sizes for the sanity check (None: no check)
    venue_sizes: Path | None = Path(__file__).resolve().parents[1] / "data" / "venue_sizes.toml"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def parse_years(text: str) -> tuple[int, ...]:
    """``2019-2024``, ``2019,2021`` or ``2023`` -> sorted years; ``now`` means this year."""
    years: set[int] = set()
    this_year = date.today().year
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            start = this_year if lo == "now" else int(lo)
            end = (this_year if hi == "now" else int(hi)) if sep else start
        except ValueError:
            raise ConfigError(
                f"{text!r}: use YEAR, FIRST-LAST (LAST may be 'now') or a comma list"
            ) from None
        if start > end or not (1980 <= start <= 2100 and 1980 <= end <= 2100):
            raise ConfigError(f"{text!r}: years must be increasing and plausible")
        years.update(range(start, end + 1))
    if not years:
        raise ConfigError("no years given")
    return tuple(sorted(years))


def parse_rewrite(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"https://a.com=http://127.0.0.1:1/a;https://b.com=http://127.0.0.1:1/b"``."""
    pairs: list[tuple[str, str]] = []
    for item in text.replace("\n", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        src, sep, dst = item.partition("=")
        if not sep:
            raise ConfigError(f"rewrite entry {item!r} has no '=': use REAL_BASE=LOCAL_BASE")
        pairs.append(_check_rewrite(src.strip(), dst.strip()))
    return tuple(pairs)


def _check_rewrite(src: str, dst: str) -> tuple[str, str]:
    for url in (src, dst):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"rewrite base {url!r} must be an http(s) URL like https://host/path")
    return src.rstrip("/"), dst.rstrip("/")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc


def _from_toml(base: Settings, data: dict[str, Any], path: Path) -> Settings:
    changes: dict[str, Any] = {}
    top = data.get("fwcensus", data)
    if "db" in top:
        changes["db_path"] = Path(top["db"])
    if "reports" in top:
        changes["reports_dir"] = Path(top["reports"])
    if "cache" in top:
        changes["cache_dir"] = Path(top["cache"])
    if "http_cache" in top:
        changes["http_cache"] = bool(top["http_cache"])
    net = data.get("network", {})
    if not isinstance(net, dict):
        raise ConfigError(f"{path}: [network] must be a table")
    rewrite = net.get("rewrite", {})
    if not isinstance(rewrite, dict):
        raise ConfigError(f"{path}: [network.rewrite] must be a table of REAL_BASE = LOCAL_BASE")
    if rewrite:
        changes["rewrite"] = tuple(_check_rewrite(k, str(v)) for k, v in rewrite.items())
    if "extra_hosts" in net:
        changes["allowed_hosts"] = base.allowed_hosts | frozenset(net["extra_hosts"])
    for key, attr in (
        ("interval", "default_interval"),
        ("connect_timeout", "connect_timeout"),
        ("read_timeout", "read_timeout"),
        ("retries", "retries"),
        ("max_retry_wait", "max_retry_wait"),
    ):
        if key in net:
            changes[attr] = type(getattr(base, attr))(net[key])
    if "wait_on_rate_limit" in net:
        changes["wait_on_rate_limit"] = bool(net["wait_on_rate_limit"])
    if "user_agent_contact" in net:
        changes["user_agent"] = f"{base.user_agent[:-1]}; {net['user_agent_contact']})"
    hosts = net.get("hosts", {})
    if hosts:
        merged = dict(base.host_intervals)
        for host, conf in hosts.items():
            if not isinstance(conf, dict) or "interval" not in conf:
                raise ConfigError(f'{path}: [network.hosts."{host}"] needs interval = SECONDS')
            merged[host] = float(conf["interval"])
        changes["host_intervals"] = merged
    run = data.get("run", {})
    if "aggregators" in run:
        changes["aggregators"] = tuple(str(a) for a in run["aggregators"])
    if "publication_snapshots" in run:
        changes["publication_snapshots"] = bool(run["publication_snapshots"])
    if "pdf_processes" in run:
        value = run["pdf_processes"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"{path}: [run] pdf_processes must be 0 (one per core), 1 (no extra "
                "processes) or more"
            )
        changes["pdf_processes"] = value
    if "venue_sizes" in run:
        value = run["venue_sizes"]
        changes["venue_sizes"] = None if value is False else Path(str(value))
    refresh = data.get("refresh", {})
    for key in ("retry_backoff_hours", "max_attempts", "rescan_days", "relist_days"):
        if key in refresh and not isinstance(refresh[key], int | float):
            raise ConfigError(f"{path}: [refresh] {key} must be a number")
    if "retry_backoff_hours" in refresh:
        changes["retry_backoff"] = float(refresh["retry_backoff_hours"]) * 3600.0
    if "max_attempts" in refresh:
        changes["max_attempts"] = int(refresh["max_attempts"])
    if "rescan_days" in refresh:
        changes["rescan_days"] = float(refresh["rescan_days"]) or None
    if "relist_days" in refresh:
        changes["relist_days"] = float(refresh["relist_days"])
    tracks = data.get("track", [])
    if not isinstance(tracks, list):
        raise ConfigError(f"{path}: use [[track]] tables (venue = ..., years = ...)")
    parsed = []
    for i, entry in enumerate(tracks):
        if not isinstance(entry, dict) or "venue" not in entry or "years" not in entry:
            raise ConfigError(
                f'{path}: [[track]] #{i + 1} needs venue = "cvpr" and years = "2019-2025"'
            )
        parsed.append((str(entry["venue"]).lower(), parse_years(str(entry["years"]))))
    if parsed:
        changes["tracks"] = tuple(parsed)
    scan = data.get("scan", {})
    for key in ("max_repo_kb", "max_file_bytes", "max_scan_bytes"):
        if key in scan:
            changes[key] = int(scan[key])
    return replace(base, **changes)


def load_settings(
    env: Mapping[str, str],
    *,
    config_path: Path | None = None,
    db_path: Path | None = None,
) -> Settings:
    """Resolve settings: defaults, then the config file, then environment, then flags."""
    settings = Settings()
    path = config_path or (Path(env["FWCENSUS_CONFIG"]) if env.get("FWCENSUS_CONFIG") else None)
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        settings = _from_toml(settings, _read_toml(path), path)
    if env.get("FWCENSUS_DB"):
        settings = replace(settings, db_path=Path(env["FWCENSUS_DB"]))
    if env.get("FWCENSUS_REWRITE"):
        # Environment entries win over the config file's for the same base.
        extra = parse_rewrite(env["FWCENSUS_REWRITE"])
        keep = tuple(p for p in settings.rewrite if p[0] not in {s for s, _ in extra})
        settings = replace(settings, rewrite=extra + keep)
    token = env.get("GITHUB_TOKEN") or None
    if token:
        settings = replace(settings, github_token=token.strip())
    if env.get("OPENREVIEW_TOKEN"):
        settings = replace(settings, openreview_token=env["OPENREVIEW_TOKEN"].strip())
    if db_path is not None:
        settings = replace(settings, db_path=db_path)
    return settings
