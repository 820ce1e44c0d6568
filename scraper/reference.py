"""Reference data committed under data/: expected venue sizes (a sanity check on parsers)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scraper.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
VENUE_SIZES = DATA_DIR / "venue_sizes.toml"


@dataclass(frozen=True)
class VenueSizes:
    """Expected accepted-paper counts; ``check`` judges a parse's yield against them."""

    sizes: dict[tuple[str, int], int] = field(default_factory=dict)
    min_ratio: float = 0.8
    max_ratio: float = 1.25

    def check(self, venue: str, year: int, found: int) -> tuple[bool, str | None]:
        """(ok, message). Not ok: far too few papers. ok with a message: suspiciously many."""
        expected = self.sizes.get((venue, year))
        if found == 0:
            return False, f"{venue.upper()} {year}: no papers found"
        if expected is None:
            return True, None
        if found < self.min_ratio * expected:
            return False, (
                f"{venue.upper()} {year}: listed {found} papers, expected about {expected} "
                f"(data/venue_sizes.toml); the page layout may have changed"
            )
        if found > self.max_ratio * expected:
            return True, (
                f"{venue.upper()} {year}: listed {found} papers, more than the expected "
                f"{expected}; workshop or rejected papers may be mixed in"
            )
        return True, None


def load_venue_sizes(path: Path = VENUE_SIZES) -> VenueSizes:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return VenueSizes()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    sizes: dict[tuple[str, int], int] = {}
    for venue, years in data.items():
        if not isinstance(years, dict):
            continue
        for year, count in years.items():
            if not (str(year).isdigit() and isinstance(count, int) and count > 0):
                raise ConfigError(f"{path}: [{venue}] {year} = {count!r}: use YEAR = COUNT")
            sizes[(venue, int(year))] = count
    return VenueSizes(sizes, float(data.get("min_ratio", 0.8)), float(data.get("max_ratio", 1.25)))


VENUE_DATES = DATA_DIR / "venue_dates.toml"


@dataclass(frozen=True)
class VenueDates:
    """Last day of each conference (for scans "as of publication")."""

    dates: dict[tuple[str, int], date] = field(default_factory=dict)
    defaults: dict[str, tuple[int, int]] = field(default_factory=dict)

    def end(self, venue: str, year: int) -> tuple[date, bool]:
        """(date, exact). Unknown venue-years fall back to the venue's usual month-day, or the
        end of the year; ``exact`` is False then."""
        if (venue, year) in self.dates:
            return self.dates[(venue, year)], True
        month, day = self.defaults.get(venue, (12, 31))
        return date(year, month, day), False


def load_venue_dates(path: Path = VENUE_DATES) -> VenueDates:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return VenueDates()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    dates: dict[tuple[str, int], date] = {}
    defaults: dict[str, tuple[int, int]] = {}
    for venue, table in data.items():
        for key, value in table.items():
            if key == "default":
                month, _, day = str(value).partition("-")
                defaults[venue] = (int(month), int(day))
            elif isinstance(value, date) and str(key).isdigit():
                dates[(venue, int(key))] = value
            else:
                raise ConfigError(f"{path}: [{venue}] {key} = {value!r}: use YEAR = YYYY-MM-DD")
    return VenueDates(dates, defaults)


CLAIMS = DATA_DIR / "claims.toml"
# The frameworks' own repositories, always followed; star claims in claims.toml add theirs.
FRAMEWORK_REPOS = (
    "pytorch/pytorch",
    "tensorflow/tensorflow",
    "jax-ml/jax",
    "keras-team/keras",
    "apache/mxnet",
)


def framework_repos(claims_path: Path = CLAIMS) -> list[str]:
    """Repositories whose stars fwcensus records: the frameworks' own plus those that
    ``kind = "stars"`` claims name (``owner/name``)."""
    repos = list(FRAMEWORK_REPOS)
    try:
        data = tomllib.loads(claims_path.read_text())
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return repos
    for claim in data.get("claim", []):
        if isinstance(claim, dict) and claim.get("kind") == "stars":
            for repo in claim.get("stars") or {}:
                name = str(repo).strip().lower().removesuffix(".git")
                if name.count("/") == 1 and name not in repos:
                    repos.append(name)
    return repos
