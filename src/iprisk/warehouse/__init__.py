"""The analytical warehouse: versioned seizure submissions, seizure lines and trade statistics.

>>> from iprisk.warehouse import Warehouse
>>> with Warehouse.open(":memory:") as wh:
...     wh.submissions().empty
True

See ``docs/warehouse.md`` for the storage model, versions, as-of reads, atomicity and concurrency.
"""

from __future__ import annotations

from iprisk.warehouse._connect import Location, parse_location
from iprisk.warehouse._origins import ALREADY_RECEIVED, OBSOLETE, Origin, ReceiveResult
from iprisk.warehouse._schema import SCHEMA_VERSION
from iprisk.warehouse._submit import STORED, SUPERSEDED_PREVIOUS, UNCHANGED, SubmitResult
from iprisk.warehouse.core import Warehouse, parse_timestamp
from iprisk.warehouse.export import export_seizures, seizures_table
from iprisk.warehouse.summary import stored_summary

__all__ = [
    "ALREADY_RECEIVED",
    "OBSOLETE",
    "SCHEMA_VERSION",
    "STORED",
    "SUPERSEDED_PREVIOUS",
    "UNCHANGED",
    "Location",
    "Origin",
    "ReceiveResult",
    "SubmitResult",
    "Warehouse",
    "export_seizures",
    "parse_location",
    "parse_timestamp",
    "seizures_table",
    "stored_summary",
]
