"""The only place that does HTTP.

One :class:`HttpClient` is built from :class:`~scraper.config.Settings` and passed to every
source. It

* judges every URL against the host allowlist *before* anything else (private addresses,
  ``file:`` URLs and unknown hosts are refused with :class:`HostNotAllowed`), and re-judges
  every redirect target;
* rewrites real base URLs to local ones (``FWCENSUS_REWRITE``) so tests, the offline demo and
  validation harnesses run the very same code paths against a local web;
* keeps a minimum gap between two requests to one host (politeness, per original host);
* retries 429, 5xx, timeouts and connection errors with exponential backoff, honouring
  ``Retry-After``; waits for GitHub's ``X-RateLimit-Reset`` when the quota is spent (or raises
  :class:`RateLimited` when told not to wait);
* sends ``GITHUB_TOKEN`` to api.github.com only, and never puts it in a message or a log;
* reads and obeys robots.txt on web sites (not on APIs).
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import threading
import time
import urllib.robotparser
from collections import Counter
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests

from scraper.config import ROBOTS_HOSTS, Settings
from scraper.errors import FetchError, HostNotAllowed, NetworkError, RateLimited
from scraper.httpcache import HttpCache

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
GITHUB_TOKEN_HOSTS = frozenset({"api.github.com"})
OPENREVIEW_TOKEN_HOSTS = frozenset({"api.openreview.net", "api2.openreview.net"})
MAX_REDIRECTS = 5


def check_allowed(url: str, allowed_hosts: frozenset[str]) -> str:
    """Return the URL's host if fwcensus may fetch it, else raise HostNotAllowed."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise HostNotAllowed(url, "malformed URL") from exc
    if parts.scheme not in ("http", "https"):
        raise HostNotAllowed(url, f"scheme {parts.scheme or '(none)'!r} is not fetched")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise HostNotAllowed(url, "URL has no host")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        raise HostNotAllowed(url, "an IP address, not a known host")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise HostNotAllowed(url, "a local host name")
    if parts.username or parts.password:
        raise HostNotAllowed(url, "URL carries credentials")
    if host not in allowed_hosts:
        raise HostNotAllowed(url, f"host {host} is not on the allowlist")
    return host


def _other_scheme(base: str) -> str:
    if base.lower().startswith("https://"):
        return "http://" + base[len("https://") :]
    if base.lower().startswith("http://"):
        return "https://" + base[len("http://") :]
    return base


class Rewriter:
    """Prefix rewriting of base URLs, longest prefix first, on scheme+host(+path) boundaries."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self.pairs = sorted(pairs, key=lambda p: len(p[0]), reverse=True)

    @staticmethod
    def _match(url: str, base: str) -> str | None:
        """The rest of ``url`` after ``base``, or None. http and https of one host are the
        same site here, so a map for https:// also catches old http:// links (no leak)."""
        for candidate in {base, _other_scheme(base)}:
            if url.lower().startswith(candidate.lower()):
                rest = url[len(candidate) :]
                if rest == "" or rest[0] in "/?#":
                    return rest
        return None

    def apply(self, url: str) -> str:
        for src, dst in self.pairs:
            rest = self._match(url, src)
            if rest is not None:
                return dst + rest
        return url

    def undo(self, url: str) -> str:
        """Map a local URL (e.g. a redirect the local web sent) back to the real one."""
        for src, dst in sorted(self.pairs, key=lambda p: len(p[1]), reverse=True):
            rest = self._match(url, dst)
            if rest is not None:
                return src + rest
        return url


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _session() -> requests.Session:
    """A requests session that reads the environment once, not on every request.

    With ``trust_env`` requests looks up proxies, CA bundle and ~/.netrc for each request (a
    few percent of a crawl's CPU), and would send ~/.netrc credentials to any host listed
    there. Without proxy variables the session takes the CA bundle from the environment here
    and ignores ~/.netrc; with proxy variables it keeps requests' per-URL handling (no_proxy).
    """
    session = requests.Session()
    if not any(k.lower().endswith("_proxy") for k in os.environ):
        session.trust_env = False
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
    return session


class HttpClient:
    """Polite, rewritable HTTP. Thread-safe; build one per run and pass it down."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.rewriter = Rewriter(settings.rewrite)
        self._sleep = sleep
        self._clock = clock
        self._session = _session()
        self._session.headers["User-Agent"] = settings.user_agent
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.requests_by_host: Counter[str] = Counter()
        self.cache_hits: Counter[str] = Counter()  # answered 304 Not Modified from the cache
        self.cache = HttpCache(settings.cache_dir / "http") if settings.http_cache else None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- politeness ------------------------------------------------------------------------

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(host, threading.Lock())

    def _wait_turn(self, host: str) -> None:
        interval = self.settings.host_intervals.get(host, self.settings.default_interval)
        with self._host_lock(host):
            now = self._clock()
            start = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = start + interval
        if start > now:
            self._sleep(start - now)

    def _hold_until(self, host: str, when: float) -> None:
        with self._host_lock(host):
            self._next_slot[host] = max(self._next_slot.get(host, 0.0), when)

    def _robots_allow(self, url: str, host: str) -> bool:
        if not self.settings.obey_robots or host not in ROBOTS_HOSTS:
            return True
        if host not in self._robots:
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            parser: urllib.robotparser.RobotFileParser | None = None
            try:
                resp = self._request(robots_url, host, None, False, (404, 403, 410, 401))
                if resp.status_code == 200:
                    parser = urllib.robotparser.RobotFileParser()
                    parser.parse(resp.text.splitlines())
            except FetchError:
                parser = None  # unreachable robots.txt: no rules known, proceed politely
            self._robots[host] = parser
        parser = self._robots[host]
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    # -- requests --------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_status: tuple[int, ...] = (),
    ) -> requests.Response:
        """GET a URL (real form; rewriting happens here). Follows redirects, re-checking each.

        Returns the response for 2xx and for statuses in ``allow_status``; raises FetchError
        (terminal statuses, or retries exhausted), NetworkError (unreachable host),
        RateLimited (quota spent and waiting disallowed), HostNotAllowed.
        """
        entry = self.cache.get(url) if self.cache is not None and not stream else None
        if entry is not None:
            headers = {**(headers or {}), **entry.validators()}
            allow_status = (*allow_status, 304)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            host = check_allowed(current, self.settings.allowed_hosts)
            if not self._robots_allow(current, host):
                raise FetchError(current, None, "disallowed by the site's robots.txt")
            resp = self._request(current, host, headers, stream, allow_status)
            if resp.status_code == 304 and entry is not None:
                resp.close()
                self.cache_hits[host] += 1
                return entry.response()
            if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                target = urljoin(self.rewriter.apply(current), resp.headers["location"])
                resp.close()
                previous, current = current, self.rewriter.undo(target)
                if headers and urlsplit(previous).hostname != urlsplit(current).hostname:
                    # never carry a caller's credentials to another host
                    headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                continue
            if self.cache is not None and not stream and HttpCache.cacheable(resp):
                self.cache.put(url, resp)
            return resp
        raise FetchError(url, None, f"more than {MAX_REDIRECTS} redirects")

    def post(
        self,
        url: str,
        *,
        json_body: object,
        headers: dict[str, str] | None = None,
        allow_status: tuple[int, ...] = (),
    ) -> requests.Response:
        """POST JSON (e.g. an API login). Same allowlist, rewriting, politeness and retries;
        redirects are not followed."""
        host = check_allowed(url, self.settings.allowed_hosts)
        return self._request(url, host, headers, False, allow_status, json_body=json_body)

    def _request(
        self,
        url: str,
        host: str,
        headers: dict[str, str] | None,
        stream: bool,
        allow_status: tuple[int, ...],
        json_body: object = None,
    ) -> requests.Response:
        target = self.rewriter.apply(url)
        send = dict(headers or {})
        token = self._token_for(host)
        if token:
            send["Authorization"] = f"Bearer {token}"
        attempt = 0
        while True:
            self._wait_turn(host)
            self.requests_by_host[host] += 1
            try:
                resp = self._session.request(
                    "GET" if json_body is None else "POST",
                    target,
                    json=json_body,
                    headers=send,
                    stream=stream,
                    allow_redirects=False,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.settings.retries:
                    kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                    raise NetworkError(url, host, kind) from None
                self._backoff(host, attempt, None, url, kind="network error")
                attempt += 1
                continue
            status = resp.status_code
            if 200 <= status < 300 or status in (301, 302, 303, 307, 308):
                self._note_quota(host, resp)
                return resp
            if self._quota_spent(resp):
                reset = self._reset_time(resp)
                resp.close()
                wait = max((reset - self._clock()) if reset else 60.0, 0.0)
                if (
                    not self.settings.wait_on_rate_limit
                    or wait > self.settings.max_quota_wait
                    or attempt >= self.settings.retries
                ):
                    raise RateLimited(url, status, reset)
                log.warning("rate limit spent at %s; waiting %.0f s for the reset", host, wait)
                self._hold_until(host, self._clock() + wait + 1.0)
                attempt += 1
                continue
            if status in allow_status:
                return resp
            if status in RETRY_STATUSES and attempt < self.settings.retries:
                retry_after = _retry_after(resp.headers.get("Retry-After"), self._clock())
                resp.close()
                self._backoff(host, attempt, retry_after, url, kind=f"HTTP {status}")
                attempt += 1
                continue
            message = resp.reason or ""
            resp.close()
            raise FetchError(url, status, message)

    def _token_for(self, host: str) -> str | None:
        """The credential for a host, if any; each token goes to its own service only."""
        if host in GITHUB_TOKEN_HOSTS:
            return self.settings.github_token
        if host in OPENREVIEW_TOKEN_HOSTS:
            return self.settings.openreview_token
        return None

    def _backoff(
        self, host: str, attempt: int, retry_after: float | None, url: str, kind: str
    ) -> None:
        delay = self.settings.backoff * (2**attempt)
        if retry_after is not None:
            delay = max(delay, retry_after)
        delay = min(delay, self.settings.max_retry_wait)
        log.info("%s for %s; retry %d in %.1f s", kind, url, attempt + 1, delay)
        self._hold_until(host, self._clock() + delay)

    @staticmethod
    def _quota_spent(resp: requests.Response) -> bool:
        return resp.status_code in (403, 429) and resp.headers.get("X-RateLimit-Remaining") == "0"

    @staticmethod
    def _reset_time(resp: requests.Response) -> float | None:
        value = resp.headers.get("X-RateLimit-Reset", "")
        return float(value) if value.isdigit() else None

    def _note_quota(self, host: str, resp: requests.Response) -> None:
        """A successful response that used the last of the quota: hold the host until reset."""
        if resp.headers.get("X-RateLimit-Remaining") == "0":
            reset = self._reset_time(resp)
            if reset and self.settings.wait_on_rate_limit:
                self._hold_until(host, reset + 1.0)
