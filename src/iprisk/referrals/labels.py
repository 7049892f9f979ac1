"""Feedback closes the loop: referral outcomes become labels for evaluation and labelled cases for targeting.

:func:`hit_rates` is the hit rate of referrals (seized / controlled) per port pair or per sending port, with
its Wilson interval; :func:`labelled_cases` gives the controlled referrals as declaration lines (the
``declarations`` format, :data:`iprisk.formats.DECLARATIONS`) that ``targeting fit`` can learn from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import pyarrow as pa

from iprisk.formats import DECLARATIONS
from iprisk.referrals.lifecycle import Referral


def feedback_labels(referrals: Iterable[Referral]) -> pd.DataFrame:
    """One row per referral with feedback: its ports, HS code, whether controlled and whether seized."""
    rows = []
    for ref in referrals:
        fb = ref.current_feedback
        if fb is None:
            continue
        w = ref.warning
        rows.append(
            {
                "referral_id": ref.id,
                "sending_port": w.sending_port,
                "receiving_port": w.receiving_port,
                "hs_code": w.hs_code,
                "controlled": fb.controlled,
                "seized": fb.result == "seized",
                "articles_detained": fb.articles_detained,
            }
        )
    columns = ["referral_id", "sending_port", "receiving_port", "hs_code", "controlled", "seized",
               "articles_detained"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def hit_rates(
    labels: pd.DataFrame, by: Sequence[str] = ("sending_port", "receiving_port"), *, confidence: float = 0.95
) -> pd.DataFrame:
    """Hit rate (seized / controlled) per group of ``by``, with its Wilson interval at ``confidence``."""
    # imported here: statsmodels takes seconds to import, and every command and node start imports this
    # package (the referral store's errors) without ever computing a hit rate
    from statsmodels.stats.proportion import proportion_confint

    controlled = labels[labels["controlled"]]
    grouped = (
        controlled.groupby(list(by), sort=True)
        .agg(controlled=("seized", "size"), seized=("seized", "sum"))
        .reset_index()
    )
    low, high = proportion_confint(grouped["seized"], grouped["controlled"], 1 - confidence, method="wilson")
    grouped["hit_rate"] = grouped["seized"] / grouped["controlled"]
    grouped["low"], grouped["high"] = low, high
    return grouped


def labelled_cases(referrals: Iterable[Referral]) -> pa.Table:
    """The controlled referrals as labelled declaration lines (import at the receiving port)."""
    rows = []
    for ref in referrals:
        fb = ref.current_feedback
        if fb is None or not fb.controlled or fb.control_date is None:
            continue
        w = ref.warning
        rows.append(
            {
                "declaration_id": f"referral:{ref.id}",
                "item_no": 1,
                "date": fb.control_date,
                "flow": "import",
                "office": w.receiving_port,
                "transport_mode": w.transport_mode,
                "hs_code": w.hs_code,
                "origin_country": w.origin_country or "ZZ",
                "departure_country": w.departure_port[:2],
                "destination_country": w.arrival_port[:2],
                "departure_port": w.departure_port,
                "arrival_port": w.arrival_port,
                "value": w.value_eur or 0.0,
                "currency": "EUR",
                "controlled": True,
                "infringement": fb.result == "seized",
                "articles_detained": fb.articles_detained,
            }
        )
    return pa.Table.from_pylist(rows, schema=DECLARATIONS.arrow_schema)
