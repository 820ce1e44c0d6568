"""GitHub: the batched GraphQL "commit before a date" lookup, pure parts and end to end."""

from __future__ import annotations

import json

import pytest

from scraper import github, jobs
from scraper.demo import world
from scraper.demo.server import Fault, FixtureWeb, Resource, github_graphql
from scraper.errors import FetchError
from scraper.http import HttpClient
from scraper.models import RepoRef
from scraper.store import Store

URL = github.GRAPHQL_URL


def test_the_query_passes_names_and_dates_as_variables_only():
    items = [
        (RepoRef("github", "a", "b"), "2023-06-22T23:59:59Z"),
        (RepoRef("github", 'c"}', "d"), "2019-06-20T23:59:59Z"),
    ]
    request = github.commits_query(items)
    assert request["variables"] == {
        "o0": "a",
        "n0": "b",
        "u0": "2023-06-22T23:59:59Z",
        "o1": 'c"}',
        "n1": "d",
        "u1": "2019-06-20T23:59:59Z",
    }
    assert 'c"}' not in request["query"]  # nothing from a URL is spliced into the query
    assert "r1: repository(owner: $o1, name: $n1)" in request["query"]
    assert request["query"].count("history(first: 1, until: $u") == 2


def test_the_answer_is_read_item_by_item():
    data = {
        "data": {
            "r0": {
                "defaultBranchRef": {
                    "target": {
                        "history": {
                            "nodes": [{"oid": "a" * 40, "committedDate": "2023-06-01T10:00:00Z"}]
                        }
                    }
                }
            },
            "r1": {"defaultBranchRef": {"target": {"history": {"nodes": []}}}},
            "r2": {"defaultBranchRef": None},  # an empty repository
            "r3": None,
        },
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["r3"],
                "message": "Could not resolve to a Repository with the name 'x/y'.",
            }
        ],
    }
    found = github.parse_commits_answer(URL, 4, data)
    assert found[:3] == [("a" * 40, "2023-06-01T10:00:00Z"), None, None]
    assert isinstance(found[3], FetchError) and "NOT_FOUND" in str(found[3])
    with pytest.raises(FetchError, match="Bad credentials"):
        github.parse_commits_answer(URL, 1, {"errors": [{"message": "Bad credentials"}]})


def test_the_fixture_graphql_answers_from_the_rest_resources_and_wants_a_token():
    api = "/api/repos/o/r"
    resources = {
        api: Resource(b"{}", "application/json"),
        f"{api}/commits?until=2023-06-22T23:59:59Z&per_page=1": Resource(
            json.dumps([{"sha": "f" * 40, "commit": {"committer": {"date": "D"}}}]).encode(),
            "application/json",
        ),
    }
    body = json.dumps(
        github.commits_query(
            [
                (RepoRef("github", "o", "r"), "2023-06-22T23:59:59Z"),
                (RepoRef("github", "o", "gone"), "2023-06-22T23:59:59Z"),
            ]
        )
    ).encode()
    answer = json.loads(github_graphql(resources, body, authorized=True).body)
    found = github.parse_commits_answer(URL, 2, answer)
    assert found[0] == ("f" * 40, "D") and isinstance(found[1], FetchError)
    assert github_graphql(resources, body, authorized=False).status == 401


def _snapshot_rows(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT repo_id, venue, year, status, commit, primary_fw FROM repo_snapshots ORDER BY ALL"
    ).fetchall()


@pytest.fixture()
def web():
    with FixtureWeb(world.build()) as w:
        yield w


def _run(web: FixtureWeb, path, **settings) -> tuple[list[tuple], jobs.RunReport]:
    with (
        Store.open(path) as store,
        HttpClient(web.settings(backoff=0.0, **settings), sleep=lambda s: None) as client,
    ):
        report = jobs.run(store, client, "cvpr", [2022, 2023], sizes=world.venue_sizes())
        return _snapshot_rows(store), report


def test_with_a_token_publication_commits_come_fifty_to_a_request(tmp_path, web):
    rest_rows, _ = _run(web, tmp_path / "rest.duckdb")
    rest_commits = sum(n for p, n in web.hits.items() if "/commits?" in p)
    web.hits.clear()
    rows, report = _run(web, tmp_path / "gql.duckdb", github_token="ghp_test")
    assert rows == rest_rows and len(rows) > 50
    assert sum(n for p, n in web.hits.items() if "/commits?" in p) == 0
    # one query per venue-year stage and 50 repositories: cvpr 2022 and 2023 have < 50 each
    assert web.hits["/api/graphql"] == 2 and rest_commits > 50
    assert report.counts["graphql_fallbacks"] == 0
    assert web.headers_seen["/api/graphql"]["Authorization"] == "Bearer ghp_test"


def test_a_refused_graphql_query_falls_back_to_rest(tmp_path, web):
    rest_rows, _ = _run(web, tmp_path / "rest.duckdb")
    web.hits.clear()
    web.faults["/api/graphql"] = Fault(status=502, times=50)
    rows, report = _run(web, tmp_path / "gql.duckdb", github_token="ghp_test")
    assert rows == rest_rows
    assert report.counts["graphql_fallbacks"] >= 1
    assert sum(n for p, n in web.hits.items() if "/commits?" in p) > 0
