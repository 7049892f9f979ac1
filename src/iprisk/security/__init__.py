"""Defences shared by every door: limits on inputs, bounded documents, safe outputs, inert cells, redaction.

The command line and the web node call the same functions, so a check added here guards both. See
``docs/security.md``.
"""

from __future__ import annotations

from iprisk.security.cells import neutralise, neutralise_frame, neutralise_table, restore, restore_array
from iprisk.security.documents import parse_json, parse_yaml, read_document
from iprisk.security.outputs import (
    atomic_write,
    check_output,
    is_database_file,
    local_database_file,
    protected_paths,
)
from iprisk.security.redact import redact

__all__ = [
    "atomic_write",
    "check_output",
    "is_database_file",
    "local_database_file",
    "neutralise",
    "neutralise_frame",
    "neutralise_table",
    "parse_json",
    "parse_yaml",
    "protected_paths",
    "read_document",
    "redact",
    "restore",
    "restore_array",
]
