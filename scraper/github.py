"""GitHub: repository metadata (REST API) and source tarballs (codeload), via the one client."""

from __future__ import annotations

import json
from typing import Any

import requests

from scraper.errors import FetchError
from scraper.http import HttpClient
from scraper.models import RepoMeta, RepoRef

API_BASE = "https://api.github.com"
CODELOAD_BASE = "https://codeload.github.com"
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def parse_repo_json(repo: RepoRef, data: Any) -> RepoMeta:
    """RepoMeta from the JSON of ``GET /repos/{owner}/{repo}`` (pure)."""
    if not isinstance(data, dict) or "full_name" not in data:
        return RepoMeta(repo, "error", "GitHub API answered without repository fields")
    if data.get("private"):
        return RepoMeta(repo, "private", "repository is private", full_name=data.get("full_name"))
    if data.get("disabled"):
        return RepoMeta(repo, "blocked", "repository is disabled", full_name=data.get("full_name"))
    return RepoMeta(
        repo=repo,
        status="ok",
        full_name=data.get("full_name"),
        default_branch=data.get("default_branch"),
        stars=data.get("stargazers_count"),
        forks=data.get("forks_count"),
        created_at=data.get("created_at"),
        pushed_at=data.get("pushed_at"),
        archived=data.get("archived"),
        fork=data.get("fork"),
        size_kb=data.get("size"),
        language=data.get("language"),
    )


def fetch_repo_meta(client: HttpClient, repo: RepoRef) -> RepoMeta:
    """Metadata of one repository; missing/blocked repositories come back as a status."""
    url = f"{API_BASE}/repos/{repo.owner}/{repo.name}"
    resp = client.get(url, headers=API_HEADERS, allow_status=(404, 410, 451))
    if resp.status_code in (404, 410):
        return RepoMeta(
            repo, "not_found", "not found on GitHub (deleted, renamed away, or private)"
        )
    if resp.status_code == 451:
        return RepoMeta(repo, "blocked", "unavailable for legal reasons (HTTP 451)")
    try:
        data = resp.json()
    except (json.JSONDecodeError, requests.JSONDecodeError):
        return RepoMeta(repo, "error", f"GitHub API answered non-JSON for {url}")
    return parse_repo_json(repo, data)


def open_tarball(client: HttpClient, repo: RepoRef, ref: str = "HEAD") -> requests.Response:
    """Start streaming the repository tarball at ``ref``. The caller must close the response.

    A 404 here means the ref (or repository) vanished between the API call and now.
    """
    owner, name = repo.owner, repo.name
    resp = client.get(f"{CODELOAD_BASE}/{owner}/{name}/tar.gz/{ref}", stream=True)
    resp.raw.decode_content = True
    return resp


def commit_before(client: HttpClient, repo: RepoRef, until: str) -> tuple[str, str] | None:
    """(sha, committer date) of the newest commit on the default branch at or before ``until``
    (ISO 8601, e.g. ``2023-06-22T23:59:59Z``); None when the repository has no commit that old
    (it was created after). One request."""
    url = f"{API_BASE}/repos/{repo.owner}/{repo.name}/commits?until={until}&per_page=1"
    resp = client.get(url, headers=API_HEADERS, allow_status=(409,))  # 409: empty repository
    if resp.status_code == 409:
        return None
    try:
        data = resp.json()
    except (json.JSONDecodeError, requests.JSONDecodeError):
        raise FetchError(url, resp.status_code, "GitHub API answered non-JSON") from None
    if not isinstance(data, list):
        raise FetchError(url, resp.status_code, "GitHub API answered without a commit list")
    if not data:
        return None
    first = data[0]
    return str(first["sha"]), str(first.get("commit", {}).get("committer", {}).get("date", ""))
