"""A received warning flags the incoming declarations that match it, with the strongest reason."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from iprisk.formats import SCORES
from iprisk.formats.referrals import read_warning
from iprisk.referrals.parties import party_key
from iprisk.referrals.watch import flag_scores, watch_matches
from tests.referrals.conftest import warning_data

KEY = bytes(range(32))
WARNING = read_warning(
    warning_data(
        id="0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e",
        parties=[{"role": "consignee", "identifier_key": party_key(KEY, "eori", "NL000111")}],
    )
)
RID = "0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"


def _declarations() -> pa.Table:
    rows = [
        # B/L as the declarant typed it; also on the lane: the document is the reason given
        {"transport_document": "maeu 123456789", "container": None, "trader_id": "X", "arrival_port": "NLRTM",
         "departure_port": "CNSHA", "hs_code": "640399", "date": date(2026, 3, 30)},
        {"transport_document": None, "container": "TGHU1234567;CSQU3054383", "trader_id": "X",
         "arrival_port": "DEHAM", "departure_port": "CNSHA", "hs_code": "640399", "date": date(2026, 3, 30)},
        {"transport_document": None, "container": None, "trader_id": "NL000111", "arrival_port": "DEHAM",
         "departure_port": None, "hs_code": "850440", "date": date(2026, 1, 1)},
        {"transport_document": None, "container": None, "trader_id": "X", "arrival_port": "NLRTM",
         "departure_port": None, "hs_code": "64039910", "date": date(2026, 3, 20)},  # lane, 12 days ahead
        {"transport_document": None, "container": None, "trader_id": "X", "arrival_port": "NLRTM",
         "departure_port": "CNSHA", "hs_code": "640399", "date": date(2026, 3, 1)},  # lane, too early
        {"transport_document": None, "container": None, "trader_id": "X", "arrival_port": "NLRTM",
         "departure_port": "CNNGB", "hs_code": "640399", "date": date(2026, 4, 1)},  # another departure
        {"transport_document": None, "container": None, "trader_id": "X", "arrival_port": "NLRTM",
         "departure_port": "CNSHA", "hs_code": "640391", "date": date(2026, 4, 1)},  # another subheading
    ]  # fmt: skip
    return pa.Table.from_pylist(rows)


def test_each_way_of_matching_and_the_strongest_reason_first() -> None:
    found = watch_matches(_declarations(), [WARNING], key=KEY)
    assert found == [
        [(RID, "transport_document")], [(RID, "container")], [(RID, "party")], [(RID, "lane")], [], [], [],
    ]  # fmt: skip


def test_keyed_parties_need_the_key() -> None:
    assert watch_matches(_declarations(), [WARNING])[2] == []


def test_flags_in_the_scores_table_keep_its_format() -> None:
    scores = pa.table(
        {"declaration_id": ["a", "b"], "item_no": [1, 1], "score": [0.1, 0.2], "rank": [2, 1],
         "matched_profiles": ["P1", None], "top_reasons": ["hs_code=+0.3", ""]},
        schema=SCORES.arrow_schema,
    )  # fmt: skip
    flagged = flag_scores(scores, [[(RID, "container")], []])
    assert flagged.schema == SCORES.arrow_schema
    assert flagged.column("matched_profiles").to_pylist() == [f"P1;referral:{RID}", None]
    assert flagged.column("top_reasons").to_pylist() == [f"referral:{RID}=container; hs_code=+0.3", ""]
