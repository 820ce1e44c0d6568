"""The suite itself cannot reach the internet: the conftest guard refuses non-loopback sockets."""

from __future__ import annotations

import socket

import pytest
import requests


def test_connect_to_a_public_address_is_refused():
    with pytest.raises(RuntimeError, match="only loopback"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_connect_to_a_private_address_is_refused():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="only loopback"):
            s.connect(("192.168.1.1", 80))
    finally:
        s.close()


def test_name_lookups_are_refused():
    with pytest.raises(RuntimeError, match="only loopback"):
        requests.get("https://api.github.com/", timeout=1)


def test_loopback_is_allowed(demo_web):
    resp = requests.get(demo_web.base_url + "/cvf/robots.txt", timeout=5)
    assert resp.status_code == 200
