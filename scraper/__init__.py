"""fwcensus scraper: everything that talks to the outside world and writes the database."""

__version__ = "0.1.0"
