"""Analysis of the fwcensus database: adoption shares, claims, trends, charts and reports.

Everything here reads the DuckDB database (read-only in production) and never the network.
"""
