"""Venue sources. Each module has NAME, VENUES, ``years(venue)`` and
``fetch_papers(client, venue, year) -> list[Paper]`` plus pure ``parse_*`` functions.

The registry maps a venue (lower-case, e.g. ``cvpr``) to the source that lists its papers.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Protocol

from scraper.errors import ConfigError
from scraper.http import HttpClient
from scraper.models import Paper

# source name -> module path. Modules are imported on first use (keeps start-up fast).
# Order matters: the first source that covers a venue lists it unless --source says otherwise.
SOURCE_MODULES: dict[str, str] = {
    "cvf": "scraper.sources.cvf",
    "neurips": "scraper.sources.neurips",
    "pmlr": "scraper.sources.pmlr",
    "ecva": "scraper.sources.ecva",
    "acl": "scraper.sources.acl",
    "openreview": "scraper.sources.openreview",
    # aggregators: extra code links for the papers of the official lists
    "paperlists": "scraper.sources.paperlists",
    "pwc": "scraper.sources.pwc",
    "arxiv": "scraper.sources.arxiv",
}


class VenueSource(Protocol):
    NAME: str
    VENUES: dict[str, str]

    def years(self, venue: str) -> range: ...

    def fetch_papers(self, client: HttpClient, venue: str, year: int) -> list[Paper]: ...


def load_source(name: str) -> ModuleType:
    if name not in SOURCE_MODULES:
        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(SOURCE_MODULES)}")
    return importlib.import_module(SOURCE_MODULES[name])


def all_sources() -> list[ModuleType]:
    return [load_source(name) for name in SOURCE_MODULES]


def lists_papers(module: ModuleType) -> bool:
    return hasattr(module, "fetch_papers")


def gives_links(module: ModuleType) -> bool:
    return hasattr(module, "fetch_records")


def source_for(venue: str, source: str | None = None) -> ModuleType:
    """The source that lists ``venue`` (or the named one, checked to cover the venue)."""
    venue = venue.lower()
    candidates = [load_source(source)] if source else all_sources()
    for module in candidates:
        if venue in module.VENUES and (source or lists_papers(module)):
            return module
    known = sorted({v for m in all_sources() for v in m.VENUES})
    where = f"source {source!r}" if source else "any source"
    raise ConfigError(
        f"venue {venue!r} is not covered by {where}; known venues: {', '.join(known)}"
    )
