"""GitHub: repository metadata (REST API) and source tarballs (codeload), via the one client."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


GRAPHQL_URL = f"{API_BASE}/graphql"
# Repositories per GraphQL query in commits_before_many. A query's cost is about one point
# per 100 nodes asked for, so 50 repositories with one commit each cost one point.
GRAPHQL_BATCH = 50

_HISTORY = (
    "defaultBranchRef { target { ... on Commit { "
    "history(first: 1, until: $u@) { nodes { oid committedDate } } } } }"
)


def commits_query(items: Sequence[tuple[RepoRef, str]]) -> dict[str, Any]:
    """The GraphQL request asking, for each (repository, until), the newest commit of the
    default branch at or before ``until`` (pure; owner, name and date go in as variables)."""
    params = []
    fields = []
    variables: dict[str, str] = {}
    for i, (repo, until) in enumerate(items):
        params.append(f"$o{i}: String!, $n{i}: String!, $u{i}: GitTimestamp!")
        history = _HISTORY.replace("@", str(i))
        fields.append(f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {history} }}")
        variables |= {f"o{i}": repo.owner, f"n{i}": repo.name, f"u{i}": until}
    query = f"query({', '.join(params)}) {{ {' '.join(fields)} }}"
    return {"query": query, "variables": variables}


CommitFound = tuple[str, str] | None | FetchError


def parse_commits_answer(url: str, count: int, data: Any) -> list[CommitFound]:
    """Per item of :func:`commits_query`: (sha, committed date), None when the repository has
    no commit that old (or no commit at all), or a FetchError for that repository alone
    (not found, no access). Raises FetchError when the answer as a whole is unusable."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        messages = [e.get("message", "") for e in (data or {}).get("errors", []) or []]
        raise FetchError(url, 200, "GitHub GraphQL answered without data: " + "; ".join(messages))
    errors: dict[str, str] = {}
    for error in data.get("errors") or []:
        path = error.get("path") or []
        if path:
            errors[str(path[0])] = f"{error.get('type', 'ERROR')}: {error.get('message', '')}"
    out: list[CommitFound] = []
    for i in range(count):
        node = data["data"].get(f"r{i}")
        if node is None:
            reason = errors.get(f"r{i}", "no repository in the answer")
            out.append(FetchError(url, 200, f"GitHub GraphQL: {reason}"))
            continue
        target = (node.get("defaultBranchRef") or {}).get("target") or {}
        nodes = (target.get("history") or {}).get("nodes") or []
        if not nodes:
            out.append(None)  # an empty repository, or none of its commits is that old
        else:
            out.append((str(nodes[0]["oid"]), str(nodes[0].get("committedDate", ""))))
    return out


def commits_before_many(
    client: HttpClient, items: Sequence[tuple[RepoRef, str]]
) -> list[CommitFound]:
    """:func:`commit_before` for many repositories in one GraphQL request (needs a token:
    GitHub's GraphQL API refuses anonymous calls). Same answers, item by item."""
    resp = client.post(GRAPHQL_URL, json_body=commits_query(items), headers=API_HEADERS)
    try:
        data = resp.json()
    except (json.JSONDecodeError, requests.JSONDecodeError):
        status = resp.status_code
        raise FetchError(GRAPHQL_URL, status, "GitHub GraphQL answered non-JSON") from None
    return parse_commits_answer(GRAPHQL_URL, len(items), data)
