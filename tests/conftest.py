"""Test-wide set-up: no test may reach beyond this machine.

Every socket connection and name lookup is checked: only loopback addresses (127.0.0.0/8, ::1)
and ``localhost`` are allowed. Anything else raises at once, so a test that would touch a real
host fails loudly instead of silently using the network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback(host):
            raise NetworkBlocked(f"test tried to connect to {address!r}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(host):
        raise NetworkBlocked(f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own directory: default paths (data/, reports/) land there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def demo_web() -> Iterator[Any]:
    """The demo fixture web, served on 127.0.0.1 for the whole session."""
    from scraper.demo import server, world

    with server.FixtureWeb(world.build()) as web:
        yield web


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory, demo_web: Any) -> Any:
    """The demo world run through the real pipeline once: (db path, run reports, requests)."""
    from scraper import jobs
    from scraper.demo import world
    from scraper.http import HttpClient
    from scraper.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    settings = demo_web.settings(db_path=path)
    reports = []
    with Store.open(path) as store, HttpClient(settings) as client:
        sizes = world.venue_sizes()
        for venue, years in world.venue_years().items():
            reports.append(jobs.run(store, client, venue, years, sizes=sizes))
        requests = sum(client.requests_by_host.values())
    return path, reports, requests
