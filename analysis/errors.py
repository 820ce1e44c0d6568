"""Errors of the analysis package, in a module with no heavy imports (the CLI catches them
without loading pandas or DuckDB for commands that do not need them)."""

from __future__ import annotations


class ClaimsError(ValueError):
    """The claims file is missing or malformed; the message says where and how to fix it."""


class AffiliationRulesError(ValueError):
    """The affiliation rules file is missing or malformed; the message says how to fix it."""
