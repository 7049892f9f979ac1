"""The exchange formats: schemas, readers, column mappings, validation and writers.

``read_seizures`` and ``read_declarations`` read CSV (UTF-8 or GB18030, comma or semicolon), XLSX, JSON,
JSON Lines and Parquet, through an optional column mapping, and report every problem found.
"""

from __future__ import annotations

from iprisk.formats.declarations import read_declarations, validate_declarations
from iprisk.formats.mapping import ColumnMapping, load_mapping, mapping_from_dict, shipped_mappings
from iprisk.formats.readers import EXTENSIONS, RawTable, read_raw
from iprisk.formats.rules import RULES, Rule
from iprisk.formats.schema import DECLARATIONS, FORMATS, SEIZURES, UNKNOWN_COUNTRY, Column, Schema
from iprisk.formats.scores import SCORES, read_scores, write_scores
from iprisk.formats.seizures import SeizureBatch, content_hash, read_seizures, validate_seizures
from iprisk.formats.trade import TRADE_SCHEMA
from iprisk.formats.writers import problems_to_csv, write_table

__all__ = [
    "DECLARATIONS",
    "EXTENSIONS",
    "FORMATS",
    "RULES",
    "SCORES",
    "SEIZURES",
    "TRADE_SCHEMA",
    "UNKNOWN_COUNTRY",
    "Column",
    "ColumnMapping",
    "RawTable",
    "Rule",
    "Schema",
    "SeizureBatch",
    "content_hash",
    "load_mapping",
    "mapping_from_dict",
    "problems_to_csv",
    "read_declarations",
    "read_raw",
    "read_scores",
    "read_seizures",
    "shipped_mappings",
    "validate_declarations",
    "validate_seizures",
    "write_scores",
    "write_table",
]
