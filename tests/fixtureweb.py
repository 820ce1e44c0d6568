"""Helpers for end-to-end tests that run the real CLI against a local fixture web.

A test builds a dict of local path -> :class:`Resource` (saved fixture files placed where the
real sites serve them, generated PDFs, GitHub API JSON and codeload tarballs), serves it with
:class:`~scraper.demo.server.FixtureWeb`, writes a config file whose ``[network.rewrite]`` table
sends every real host to its local prefix (:data:`HOSTS`), and calls ``fwcensus`` through
click's test runner. Nothing here knows about a particular venue.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner, Result

from analysis.cli import cli
from scraper.demo.pdfwriter import make_pdf
from scraper.demo.server import FixtureWeb, Resource
from scraper.demo.world import make_tarball, repo_files
from scraper.reference import framework_repos, load_venue_dates

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Real base URL -> local path prefix on the fixture web. Extends scraper.demo.server.BASES with
# every host a venue source or an aggregator asks. Older PMLR volume pages link their PDFs with
# http://, and the rewrite map matches the scheme, so that base is mapped too (without it those
# requests would go to the real site: the socket guard in conftest.py stops them).
HOSTS: dict[str, str] = {
    "https://openaccess.thecvf.com": "/cvf",
    "https://api.github.com": "/api",
    "https://codeload.github.com": "/codeload",
    "https://raw.githubusercontent.com": "/raw",
    "https://proceedings.neurips.cc": "/neurips",
    "https://datasets-benchmarks-proceedings.neurips.cc": "/neurips-db",
    "https://proceedings.mlr.press": "/pmlr",
    "http://proceedings.mlr.press": "/pmlr",
    "https://www.ecva.net": "/ecva",
    "https://api2.openreview.net": "/orv2",
    "https://api.openreview.net": "/orv1",
    "https://openreview.net": "/openreview",
    "https://aclanthology.org": "/aclweb",
    "https://export.arxiv.org": "/arxiv",
    "https://huggingface.co": "/hf",
    "https://cdn-lfs.hf.co": "/hf-cdn",
}
# Hosts the client reads robots.txt from (scraper.config.ROBOTS_HOSTS), by local prefix.
ROBOTS_PREFIXES = ("/cvf", "/neurips", "/pmlr", "/ecva", "/aclweb")
# Hosts with a built-in politeness gap; the config sets them to 0 (the web is local).
PACED_HOSTS = ("export.arxiv.org", "api.github.com", "codeload.github.com")

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
XML = "application/xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
PDF = "application/pdf"


def local_path(url: str) -> str:
    """The fixture-web key of a real URL: its local prefix, path and query (unquoted)."""
    for real, prefix in sorted(HOSTS.items(), key=lambda item: -len(item[0])):
        if url.startswith(real) and url[len(real) : len(real) + 1] in ("/", "?", ""):
            return prefix + url[len(real) :]
    raise ValueError(f"{url!r} is on no host of the fixture web; add its base to HOSTS")


def fixture(relative: str, content_type: str) -> Resource:
    """A saved fixture file (``tests/fixtures/<area>/<name>``), served as is."""
    return Resource((FIXTURES / relative).read_bytes(), content_type)


def robots() -> dict[str, Resource]:
    """A permissive robots.txt on every web site the client asks it of."""
    body = b"User-agent: *\nDisallow: /search\n"
    return {f"{prefix}/robots.txt": Resource(body, "text/plain") for prefix in ROBOTS_PREFIXES}


def paper_pdf(title: str, code_url: str | None) -> Resource:
    """A three-page paper whose first page says where its code is (or names no code)."""
    first = [title, "Anonymous Authors", "", "Abstract", "We propose a simple method."]
    if code_url:
        first.append(f"Code is available at {code_url}.")
    body = ["1. Introduction", "Deep networks have changed the field."]
    refs = ["References", "[1] A. Author. A classic paper. In CVPR, 2016."]
    return Resource(make_pdf([first, body, refs]), PDF)


def github_repo(
    full_name: str, kind: str, number: int, as_of: Sequence[str] = ()
) -> dict[str, Resource]:
    """API JSON and the codeload tarball of one repository.

    ``kind`` is a letter of :func:`scraper.demo.world.repo_files` (P PyTorch, T TensorFlow,
    J JAX, N no framework...) or ``M`` for a repository GitHub answers 404 for. The API path is
    lower-case, as the pipeline asks it (owner and name are normalised); the tarball is served
    under ``full_name`` as GitHub spells it, which is where the pipeline fetches it from.
    ``as_of`` are ``until`` times (``2019-06-20T23:59:59Z``) the commits API is asked with for
    scans as of publication: each answers the HEAD commit (the code has not changed since).
    """
    owner, name = full_name.split("/")
    api = f"/api/repos/{owner.lower()}/{name.lower()}"
    if kind == "M":
        missing = {"message": "Not Found", "status": "404"}
        return {api: Resource(json.dumps(missing).encode(), JSON, status=404)}
    data = {
        "id": 700_000 + number,
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": {"login": owner, "type": "User"},
        "html_url": f"https://github.com/{full_name}",
        "fork": False,
        "created_at": "2020-03-01T10:00:00Z",
        "updated_at": "2025-01-05T08:00:00Z",
        "pushed_at": "2024-07-01T12:00:00Z",
        "size": 150 + number,
        "stargazers_count": 10 * number,
        "forks_count": number,
        "language": "Python",
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "default_branch": "main",
    }
    tar, sha = make_tarball(name, repo_files(kind, name))
    out = {
        api: Resource(json.dumps(data).encode(), JSON, headers={"X-RateLimit-Remaining": "4999"}),
        f"/codeload/{full_name}/tar.gz/HEAD": Resource(tar, "application/x-gzip"),
    }
    for until in as_of:
        date = until.replace("T23:59:59Z", "T10:00:00Z")
        commits = [{"sha": sha, "commit": {"committer": {"date": date}}}]
        path = f"/api/repos/{full_name}/commits?until={until}&per_page=1"
        out[path] = Resource(json.dumps(commits).encode(), JSON)
    return out


def github_repos(repos: Mapping[str, str], as_of: Sequence[str] = ()) -> dict[str, Resource]:
    """:func:`github_repo` for every ``full_name -> kind``."""
    out: dict[str, Resource] = {}
    for number, (full_name, kind) in enumerate(sorted(repos.items()), start=1):
        out.update(github_repo(full_name, kind, number, as_of))
    return out


def publication_times(venue: str, years: Iterable[int]) -> list[str]:
    """The ``until`` times a run asks the commits API with for scans as of publication (the
    last day of each conference, from data/venue_dates.toml)."""
    dates = load_venue_dates()
    return [f"{dates.end(venue, year)[0].isoformat()}T23:59:59Z" for year in years]


def framework_stars() -> dict[str, Resource]:
    """API JSON of the frameworks' own repositories, whose stars every run records (at most
    once a day per database)."""
    out: dict[str, Resource] = {}
    for number, slug in enumerate(framework_repos(), start=1):
        owner, name = slug.split("/")
        data = {
            "id": 100 + number,
            "name": name,
            "full_name": slug,
            "private": False,
            "owner": {"login": owner, "type": "Organization"},
            "fork": False,
            "stargazers_count": 1000 * number,
            "forks_count": 100 * number,
            "default_branch": "main",
            "archived": False,
            "disabled": False,
            "size": 500_000,
        }
        out[f"/api/repos/{slug}"] = Resource(json.dumps(data).encode(), JSON)
    return out


def write_config(directory: Path, web: FixtureWeb) -> Path:
    """A fwcensus.toml for a run against ``web``: no delays, no retries, no venue-size check,
    no aggregators unless asked, a cache of its own, every real host rewritten to the web."""
    lines = [
        "[fwcensus]",
        f"cache = {json.dumps(str(directory / 'cache'))}",
        f"reports = {json.dumps(str(directory / 'reports'))}",
        "",
        "[network]",
        "interval = 0",
        "retries = 0",
        "",
        "[network.rewrite]",
        *(
            f"{json.dumps(real)} = {json.dumps(web.base_url + local)}"
            for real, local in HOSTS.items()
        ),
        "",
        *(f'[network.hosts."{host}"]\ninterval = 0\n' for host in PACED_HOSTS),
        "[run]",
        "venue_sizes = false",
        "aggregators = []",
    ]
    path = directory / "fwcensus.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


# The variables a developer's shell may set that would change what the CLI does.
_CLEAN_ENV: dict[str, str | None] = {
    name: None
    for name in (
        "FWCENSUS_CONFIG",
        "FWCENSUS_DB",
        "FWCENSUS_REWRITE",
        "GITHUB_TOKEN",
        "OPENREVIEW_TOKEN",
    )
}


def run_cli(config: Path, db: Path, args: Sequence[str]) -> Result:
    """``fwcensus --config CONFIG --db DB ARGS...`` in-process; fails the test on a crash."""
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--db", str(db), *args], env=_CLEAN_ENV
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"fwcensus {' '.join(args)} crashed:\n{result.output}") from (
            result.exception
        )
    return result


def misses(web: FixtureWeb) -> set[str]:
    """Paths the pipeline asked for that the web does not have (answered 404)."""
    return {path for path in web.hits if path not in web.resources}


def prefixes(hits: Counter[str]) -> set[str]:
    """The local prefixes (one per real host, see :data:`HOSTS`) of some requests."""
    return {"/" + path.split("/")[1].split("?")[0] for path in hits}


class CliSession:
    """A fixture web, a config file pointing at it and a database in ``directory``.

    ``run(...)`` calls ``fwcensus run ...`` and returns its result and the requests it made
    (local path -> count), so a test can run several commands on one database and check what
    each of them asked for.
    """

    def __init__(self, resources: Mapping[str, Resource], directory: Path) -> None:
        self.web = FixtureWeb(resources)
        self.db = directory / "fwcensus.duckdb"
        self.config = write_config(directory, self.web)

    def __enter__(self) -> CliSession:
        self.web.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.web.stop()

    def run(self, *args: str) -> tuple[Result, Counter[str]]:
        before = Counter(self.web.hits)
        result = run_cli(self.config, self.db, ["run", *args])
        return result, Counter(self.web.hits) - before


def query(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on a finished run's database."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
