"""Bounds of the integers a route takes in its path or query: what the database's key types hold, so that
an out-of-range number is a 422 naming the parameter, not a driver overflow (a 500)."""

from __future__ import annotations

#: An ``Integer`` key (32-bit on PostgreSQL): plan ids, operation ids, profile versions.
MAX_ID = 2**31 - 1
#: A ``BigInteger`` index or an SQL ``OFFSET`` (64-bit): audit entry indexes and tree sizes, page offsets.
MAX_INDEX = 2**63 - 1
