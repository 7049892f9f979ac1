"""The registry of validation rules: every rule a reader can report, with a plain-language description.

The docs list this registry and a test breaks every rule in it, so a rule added to the code without being
registered (or registered without a test) fails the suite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    description: str
    #: formats the rule applies to
    formats: tuple[str, ...]
    #: "error" refuses the file; "warning" is reported (``SeizureBatch.warnings``) but the file is accepted
    severity: str = "error"


_BOTH = ("seizures", "declarations")
_SEIZURES = ("seizures",)
_DECLARATIONS = ("declarations",)

_RULES = [
    Rule(
        "unreadable",
        "The file cannot be read as its format (bad JSON, not a workbook, no header, no such sheet).",
        _BOTH,
    ),
    Rule(
        "encoding",
        "The text cannot be decoded with confidence: bytes the encoding cannot read, UTF-8 mixed with "
        "another encoding, or two plausible encodings that read it differently (give --encoding).",
        _BOTH,
    ),
    Rule(
        "detected_encoding",
        "The file is not UTF-8; it was read in the encoding detected (named in the message).",
        _BOTH,
        "warning",
    ),
    Rule(
        "limit",
        "The file is past a limit (size, rows, columns, cell or line length, decompressed size); the "
        "message names the setting that raises it.",
        _BOTH,
    ),
    Rule("malformed_row", "A CSV row has a different number of fields from the header.", _BOTH),
    Rule(
        "duplicate_column",
        "Two columns of the file have the same name (compared case-insensitively, trimmed).",
        _BOTH,
    ),
    Rule("missing_column", "A required column (or one the mapping names) is absent from the file.", _BOTH),
    Rule(
        "unknown_column",
        "A column the format does not know (a misspelt name?); refused unless unknown columns are ignored.",
        _SEIZURES,
    ),
    Rule(
        "ignored_column",
        "A column the format does not know, ignored as asked (seizures) or as declarations always do.",
        _BOTH,
        "warning",
    ),
    Rule(
        "constant_conflict",
        "The mapping sets a constant for a column the file also holds, and a row holds another value.",
        _BOTH,
    ),
    Rule(
        "control_character",
        "A text holds a control character (NUL and the like) or a non-character that no spreadsheet or "
        "XML file can hold.",
        _BOTH,
    ),
    Rule("required", "A required value is empty.", _BOTH),
    Rule("code", "A value is not in the column's code list (e.g. transport_mode 'ship').", _BOTH),
    Rule("date", "A date is not a valid ISO date YYYY-MM-DD (e.g. 2016-02-30, 01/07/2016).", _BOTH),
    Rule("date_range", "A date is outside the years 1900 to 2199 (year 9999, 0001-01-01: a typo).", _BOTH),
    Rule("integer", "A whole number is expected (line_no, articles, item_no, articles_detained).", _BOTH),
    Rule("decimal", "A decimal number is expected (values, masses, propensity).", _BOTH),
    Rule(
        "range",
        "A number is out of its range: line_no and item_no >= 1, counts and values >= 0, "
        "selection_propensity in [0, 1].",
        _BOTH,
    ),
    Rule("boolean", "A boolean is expected: true/false, 1/0, yes/no, y/n (any case).", _DECLARATIONS),
    Rule(
        "country",
        "A country is not an ISO 3166-1 alpha-2 code (declarations also accept ZZ, unknown).",
        _BOTH,
    ),
    Rule(
        "locode",
        "A port is not a well-formed UN/LOCODE: 5 characters, a valid ISO country then 3 of A-Z / 2-9.",
        _BOTH,
    ),
    Rule(
        "unknown_port", "A well-formed UN/LOCODE that is not in the curated port list.", _SEIZURES, "warning"
    ),
    Rule("currency", "A currency is not an ISO 4217 alphabetic code.", _DECLARATIONS),
    Rule("length", "case_id must be 1 to 64 characters.", _SEIZURES),
    Rule("hs_code", "hs_code must be digits only: 4 to 10 in seizures, 6 to 10 in declarations.", _BOTH),
    Rule(
        "duplicate_key",
        "(case_id, line_no) appears more than once in the file; every repeat is reported "
        "with the row of its first occurrence.",
        _SEIZURES,
    ),
    Rule(
        "admin_code",
        "The administration given to the reader is not a valid ISO 3166-1 alpha-2 code.",
        _SEIZURES,
    ),
    Rule(
        "admin",
        "A row's reporting_admin differs from the submission's administration (the one given, or "
        "the most common one when none was given).",
        _SEIZURES,
    ),
    Rule("mixed_admin", "No administration was given and the rows hold several (one per file).", _SEIZURES),
    Rule(
        "admin_mismatch",
        "An administration was given but rows report another one (summary with counts).",
        _SEIZURES,
    ),
    Rule(
        "quarter",
        "A detention_date lies outside the submission's quarter (the one given, or the most "
        "common one when none was given).",
        _SEIZURES,
    ),
    Rule(
        "mixed_quarter",
        "No quarter was given and the rows fall in several quarters (one per file).",
        _SEIZURES,
    ),
    Rule(
        "quarter_mismatch",
        "A quarter was given but rows fall in other quarters (summary with counts).",
        _SEIZURES,
    ),
    Rule(
        "empty",
        "The file has no data rows and an empty quarter was not asked for explicitly (with the "
        "administration and the quarter given).",
        _SEIZURES,
    ),
]

#: Every rule by name, in the order the docs list them.
RULES: Mapping[str, Rule] = MappingProxyType({r.name: r for r in _RULES})

WARNINGS = frozenset(r.name for r in _RULES if r.severity == "warning")
