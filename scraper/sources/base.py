"""What every source module shares: the client interface it needs (so tests can pass a fake
serving fixture files) and the display names of the venues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import requests


class Client(Protocol):
    """The part of :class:`scraper.http.HttpClient` a source uses."""

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_status: tuple[int, ...] = (),
    ) -> requests.Response: ...


# Venue id (as in the database) -> display name.
VENUE_NAMES: dict[str, str] = {
    "cvpr": "CVPR",
    "iccv": "ICCV",
    "wacv": "WACV",
    "eccv": "ECCV",
    "neurips": "NeurIPS",
    "icml": "ICML",
    "iclr": "ICLR",
    "acl": "ACL",
    "emnlp": "EMNLP",
    "naacl": "NAACL",
    "eacl": "EACL",
    "coling": "COLING",
}
