"""An on-disk HTTP cache with conditional requests (ETag / Last-Modified).

A re-run of an unchanged page costs one request answered ``304 Not Modified`` (which GitHub
does not count against the rate limit) and no download. Only small, non-streamed responses are
kept (listing pages, API JSON, aggregator files), never PDFs or tarballs. What is stored: the
URL's body and its validators; never a request header, so no credential reaches the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

MAX_BODY = 20_000_000
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Link")


@dataclass(frozen=True)
class Entry:
    url: str
    headers: dict[str, str]
    body: bytes

    def validators(self) -> dict[str, str]:
        out = {}
        if "ETag" in self.headers:
            out["If-None-Match"] = self.headers["ETag"]
        if "Last-Modified" in self.headers:
            out["If-Modified-Since"] = self.headers["Last-Modified"]
        return out

    def response(self) -> requests.Response:
        resp = requests.Response()
        resp.status_code = 200
        resp._content = self.body
        resp.headers = CaseInsensitiveDict(self.headers)
        resp.url = self.url
        resp.encoding = get_encoding_from_headers(resp.headers)
        resp.reason = "OK (cached, not modified)"
        return resp


class HttpCache:
    """Files under ``root``: ``<sha256>.json`` (url, headers) + ``<sha256>.body``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()
        folder = self.root / key[:2]
        return folder / f"{key}.json", folder / f"{key}.body"

    def get(self, url: str) -> Entry | None:
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text())
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("url") != url or len(body) != meta.get("size"):
            return None  # a torn write or a hash collision: treat as absent
        return Entry(url, meta["headers"], body)

    @staticmethod
    def cacheable(resp: requests.Response) -> bool:
        kind = resp.headers.get("Content-Type", "")
        return (
            resp.status_code == 200
            and ("ETag" in resp.headers or "Last-Modified" in resp.headers)
            and "pdf" not in kind
            and len(resp.content) <= MAX_BODY
        )

    def put(self, url: str, resp: requests.Response) -> None:
        meta_path, body_path = self._paths(url)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        headers = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
        body = resp.content
        _atomic_write(body_path, body)
        _atomic_write(
            meta_path, json.dumps({"url": url, "headers": headers, "size": len(body)}).encode()
        )


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
