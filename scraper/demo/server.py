"""A local HTTP server for a fixture web (the demo world, or a test's own), on 127.0.0.1.

It serves resources by local path + query (``/cvf/CVPR2023?day=all``), counts requests, and can
inject faults per path for tests: a status (with headers) for the first N requests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from scraper.config import Settings

# Real base URL -> local path prefix. FixtureWeb.rewrite_map() turns this into FWCENSUS_REWRITE.
BASES: dict[str, str] = {
    "https://openaccess.thecvf.com": "/cvf",
    "https://api.github.com": "/api",
    "https://codeload.github.com": "/codeload",
    "https://raw.githubusercontent.com": "/raw",
}


@dataclass
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """What to do instead of serving a path, for its next ``times`` requests.

    kind "status": answer ``status`` with ``headers`` and ``body``; "reset": close the
    connection without an answer; "truncate": promise the whole resource, send half, close;
    "slow": wait ``delay`` seconds, then serve normally.
    """

    status: int = 500
    times: int = 1
    headers: Mapping[str, str] | None = None
    body: bytes = b""
    kind: str = "status"
    delay: float = 0.0


class FixtureWeb:
    """Serve ``resources`` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, resources: Mapping[str, Resource], port: int = 0) -> None:
        self.resources = dict(resources)
        self.faults: dict[str, Fault] = {}
        self.hits: Counter[str] = Counter()
        self.headers_seen: dict[str, dict[str, str]] = {}  # path -> headers of the last request
        self.not_modified = 0  # 304 answers given
        self.latency = 0.0  # seconds added to every response (to look like a real network)
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per keep-alive request

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                web._serve(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                web._serve_post(self, self.rfile.read(length))

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def rewrite_map(self) -> str:
        return ";".join(f"{real}={self.base_url}{local}" for real, local in BASES.items())

    def rewrite_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((real, f"{self.base_url}{local}") for real, local in BASES.items())

    def settings(self, **overrides: Any) -> Settings:
        """Settings that send the real sites to this web: no politeness delays (it is local),
        quick retries, and only the aggregator the demo world serves (paperlists)."""
        values: dict[str, Any] = {
            "rewrite": self.rewrite_pairs(),
            "default_interval": 0.0,
            "host_intervals": {},
            "retries": 1,
            "backoff": 0.01,
            "aggregators": ("paperlists",),
            "retry_backoff": 0.0,
            "http_cache": False,
        }
        values.update(overrides)
        return Settings(**values)

    def start(self) -> FixtureWeb:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _arrive(self, handler: BaseHTTPRequestHandler) -> tuple[str, Fault | None]:
        """A request arrives: wait the latency, count it, and take the path's fault (if any
        is left) for this request."""
        path = unquote(handler.path)
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.hits[path] += 1
            self.headers_seen[path] = dict(handler.headers.items())
            fault = self.faults.get(path)
            if fault and fault.times > 0:
                fault.times -= 1
            else:
                fault = None
        return path, fault

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path, fault = self._arrive(handler)
        res = self.resources.get(path)
        if fault is not None and fault.kind == "reset":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "truncate" and res is not None:
            handler.send_response(res.status)
            handler.send_header("Content-Type", res.content_type)
            handler.send_header("Content-Length", str(len(res.body)))
            handler.end_headers()
            handler.wfile.write(res.body[: len(res.body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        elif fault is not None:
            self._send(
                handler, Resource(fault.body, "text/plain", fault.status, dict(fault.headers or {}))
            )
            return
        if res is None:
            self._send(handler, Resource(b"Not Found", "text/plain", 404))
            return
        etag = '"' + hashlib.sha1(res.body).hexdigest() + '"'
        if res.status == 200 and handler.headers.get("If-None-Match") == etag:
            with self._lock:
                self.not_modified += 1
            self._send(handler, Resource(b"", res.content_type, 304, {"ETag": etag}))
            return
        if res.status == 200 and "pdf" not in res.content_type:
            res = Resource(res.body, res.content_type, 200, {**res.headers, "ETag": etag})
        self._send(handler, res)

    def _serve_post(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """POST: GitHub's GraphQL endpoint (answered from the REST resources, see
        :func:`github_graphql`); anything else is 404."""
        path, fault = self._arrive(handler)
        if fault is not None and fault.kind == "status":
            res = Resource(fault.body, "text/plain", fault.status, dict(fault.headers or {}))
        elif path == f"{BASES['https://api.github.com']}/graphql":
            authorized = bool(handler.headers.get("Authorization"))
            res = github_graphql(self.resources, body, authorized)
        else:
            res = Resource(b"Not Found", "text/plain", 404)
        self._send(handler, res)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, res: Resource) -> None:
        handler.send_response(res.status)
        handler.send_header("Content-Type", res.content_type)
        handler.send_header("Content-Length", str(len(res.body)))
        for key, value in res.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(res.body)  # the client may have given up (a timeout test)


_GRAPHQL_ALIAS = re.compile(r"\b(r\d+): repository\(owner: \$(o\d+), name: \$(n\d+)\)")
_GRAPHQL_UNTIL = re.compile(r"history\(first: 1, until: \$(u\d+)\)")


def github_graphql(resources: Mapping[str, Resource], body: bytes, authorized: bool) -> Resource:
    """GitHub's GraphQL answer to fwcensus's "newest commit before a date" query
    (``scraper.github.commits_query``), built from the REST resources this web serves:
    ``/api/repos/O/N`` says whether the repository exists, ``/api/repos/O/N/commits?until=U
    &per_page=1`` which commit it had. The shapes are GitHub's: ``data.rN`` null plus an
    ``errors`` entry of type NOT_FOUND for a missing repository; 401 without a token."""
    if not authorized:
        message = {"message": "This endpoint requires you to be authenticated."}
        return Resource(json.dumps(message).encode(), "application/json", 401)
    try:
        request = json.loads(body)
        query, variables = request["query"], request.get("variables") or {}
    except (ValueError, KeyError, TypeError):
        problem = {"errors": [{"message": "Problems parsing JSON"}]}
        return Resource(json.dumps(problem).encode(), "application/json", 400)
    untils = _GRAPHQL_UNTIL.findall(query)
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    api = BASES["https://api.github.com"]
    for (alias, o, n), u in zip(_GRAPHQL_ALIAS.findall(query), untils, strict=False):
        owner, name, until = variables.get(o), variables.get(n), variables.get(u)
        repo = resources.get(f"{api}/repos/{owner}/{name}")
        commits = resources.get(f"{api}/repos/{owner}/{name}/commits?until={until}&per_page=1")
        if repo is None or repo.status != 200 or commits is None:
            data[alias] = None
            errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [alias],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                }
            )
            continue
        nodes = [
            {"oid": c["sha"], "committedDate": c["commit"]["committer"]["date"]}
            for c in json.loads(commits.body)[:1]
        ]
        history = {"history": {"nodes": nodes}}
        data[alias] = {"defaultBranchRef": {"target": history}}
    answer: dict[str, Any] = {"data": data}
    if errors:
        answer["errors"] = errors
    return Resource(json.dumps(answer).encode(), "application/json")
