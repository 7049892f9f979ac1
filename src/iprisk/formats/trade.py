"""The trade-statistics table: consignments and value per quarter, reporter, flow, office, mode, provenance,
destination and product, used to normalise seizure counts (incidence, propensity indices).

The simulator writes it (``trade.parquet``); for real figures a user loads national or Eurostat / GACC trade
statistics in this shape with :meth:`iprisk.warehouse.Warehouse.load_trade` (``office`` may be empty when only
national totals are known).

``departure_port`` and ``arrival_port`` (UN/LOCODE) are optional: they give the traffic of a lane
(``departure_port -> arrival_port``) so that lane incidence can be computed; they may be empty, or absent
from a loaded file, when only office or national figures are known (:data:`TRADE_OPTIONAL`).
"""

from __future__ import annotations

import pyarrow as pa

TRADE_SCHEMA = pa.schema(
    [
        ("quarter", pa.string()),
        ("reporting_admin", pa.string()),
        ("flow", pa.string()),
        ("office", pa.string()),
        ("departure_port", pa.string()),
        ("arrival_port", pa.string()),
        ("transport_mode", pa.string()),
        ("provenance_country", pa.string()),
        ("destination_country", pa.string()),
        ("hs_chapter", pa.string()),
        ("product_category", pa.string()),
        ("consignments", pa.int64()),
        ("value_eur", pa.float64()),
    ]
)

#: Columns a trade table may leave out (they are read as empty): the office and the lane's ports.
TRADE_OPTIONAL: frozenset[str] = frozenset({"office", "departure_port", "arrival_port"})
