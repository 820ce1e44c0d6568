"""Exception classes. Only the CLI catches broadly; everything else raises one of these."""

from __future__ import annotations


class FwcensusError(Exception):
    """Base class for every error fwcensus raises on purpose."""


class ConfigError(FwcensusError):
    """The configuration (file, environment, flags) is invalid."""


class HostNotAllowed(FwcensusError):
    """A URL points at a host outside the allowlist (or at a private address, or file:)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class FetchError(FwcensusError):
    """A request failed for good (after retries): 4xx, or 5xx/timeouts that never recovered."""

    def __init__(self, url: str, status: int | None, message: str = "") -> None:
        text = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{text} for {url}" + (f": {message}" if message else ""))
        self.url = url
        self.status = status
        self.message = message


class NetworkError(FetchError):
    """The host could not be reached at all (DNS, refused connection, timeouts)."""

    def __init__(self, url: str, host: str, message: str) -> None:
        super().__init__(url, None, message)
        self.host = host

    def __str__(self) -> str:
        return (
            f"cannot reach {self.host} ({self.message}). If this machine is offline, point "
            f"fwcensus at a mirror with FWCENSUS_REWRITE='{self.host_base}=http://127.0.0.1:PORT/...'"
        )

    @property
    def host_base(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else self.host


class RateLimited(FetchError):
    """A quota is spent (e.g. GitHub X-RateLimit-Remaining: 0) and waiting is not allowed."""

    def __init__(self, url: str, status: int, reset_at: float | None) -> None:
        super().__init__(url, status, "rate limit exhausted")
        self.reset_at = reset_at


class ParseError(FwcensusError):
    """A page did not have the shape we expect (the site probably changed its HTML)."""

    def __init__(self, source: str, url: str, message: str) -> None:
        super().__init__(f"{source}: {message} (page: {url})")
        self.source = source
        self.url = url


class StoreLocked(FwcensusError):
    """Another fwcensus process is writing to the same database."""
