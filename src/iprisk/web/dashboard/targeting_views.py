"""What the targeting page shows: a port's selection list for a day, and how well the ranking did.

The node holds no declarations: an analyst uploads a declarations file, the node scores it with its model
(``IPRISK_TARGETING_MODEL``, loaded and digest-checked by :meth:`iprisk.targeting.LightGBMScorer.load`) by
the library's one call, :func:`iprisk.targeting.score_declarations`, with the node's profiles (each line lists
the active ones it matches), and keeps the scored list as Parquet in ``<analysis_folder>/targeting/`` under
the SHA-256 of the file, so that the page and its export are a URL (``?list=<id>&day=``). When the file
carries inspection results (``controlled`` and ``infringement``), the effectiveness figures of
:func:`iprisk.evaluation.evaluate_scores` (precision and recall at k % inspected, against random and the
oracle) are kept beside it.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iprisk.accounts import Grant
from iprisk.errors import InvalidValue, NotFound
from iprisk.node import Node
from iprisk.web.dashboard.tables import Table, api_url, columns

FOLDER = "targeting"
_LIST_ID = re.compile(r"^[0-9a-f]{16}$")
#: The declaration columns a selection list keeps beside the scores (what an officer needs to find the line).
_KEPT = ("declaration_id", "item_no", "date", "office", "arrival_port", "departure_port", "hs_code",
         "origin_country", "value")  # fmt: skip
_SHOWN = (("rank", "int"), ("declaration_id", "name"), ("item_no", "int"), ("office", "port"),
          ("hs_code", "text"), ("origin_country", "country"), ("value", "int"), ("score", "float3"),
          ("matched_profiles", "name"), ("top_reasons", "name"))  # fmt: skip
#: Percentages of lines inspected the effectiveness figures are given at.
AT = (1, 2, 5, 10)


def model_folder(node: Node) -> Path:
    folder = node.settings.targeting_model
    if folder is None:
        raise NotFound("targeting model", "this node has none: set IPRISK_TARGETING_MODEL")
    return Path(folder)


def _folder(node: Node) -> Path:
    return Path(node.settings.analysis_folder) / FOLDER


def score_file(node: Node, path: Path, content: bytes) -> str:
    """Score a declarations file with the node's model; the id of the list kept (InvalidInput when the file
    is not valid declarations, naming every problem)."""
    from iprisk.evaluation import evaluate_scores
    from iprisk.formats import read_declarations
    from iprisk.targeting import score_declarations

    list_id = hashlib.sha256(content).hexdigest()[:16]
    target = _folder(node) / f"{list_id}.parquet"
    if target.exists():  # the same file scored again: the same list, kept from now on
        target.touch()
        return list_id
    declarations = read_declarations(path)
    scores = score_declarations(
        model_folder(node), declarations, profiles=node.profiles.profiles([]), top=3, reasons_for=100
    )
    kept = declarations.select([c for c in _KEPT if c in declarations.column_names])
    for name in ("score", "rank", "matched_profiles", "top_reasons"):
        kept = kept.append_column(name, scores.column(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    labelled = declarations.to_pandas()
    if labelled.get("controlled") is not None and labelled["infringement"].notna().any():
        metrics = evaluate_scores(scores.to_pandas(), labelled, at=AT).metrics
        _write(pa.Table.from_pandas(metrics, preserve_index=False), target.with_suffix(".metrics.parquet"))
    _write(kept, target)  # last: a list exists only once complete
    return list_id


def _write(table: pa.Table, target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial")
    pq.write_table(table, partial)
    partial.replace(target)


def expire(node: Node) -> list[str]:
    """Remove the lists last scored more than ``targeting_keep_days`` ago (with their effectiveness
    figures); returns their ids. Called when a file is scored."""
    cutoff = time.time() - node.settings.targeting_keep_days * 86400
    folder = _folder(node)
    old = [p for p in folder.glob("*.parquet") if _LIST_ID.match(p.stem) and p.stat().st_mtime < cutoff]
    for path in old:
        path.with_suffix(".metrics.parquet").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    return [p.stem for p in old]


def lists(node: Node) -> list[str]:
    """The ids of the scored lists, newest first."""
    folder = _folder(node)
    found = folder.glob("*.parquet") if folder.is_dir() else []
    named = [p for p in found if _LIST_ID.match(p.stem)]
    return [p.stem for p in sorted(named, key=lambda p: p.stat().st_mtime, reverse=True)]


def _read(node: Node, list_id: str) -> pd.DataFrame:
    if not _LIST_ID.match(list_id):
        raise InvalidValue(f"list {list_id!r}: the 16 hexadecimal characters of a scored list's id")
    path = _folder(node) / f"{list_id}.parquet"
    if not path.exists():
        raise NotFound("selection list", list_id)
    return pd.read_parquet(path)


@dataclass(frozen=True)
class Selection:
    """A day of a scored list, as the viewer may see it: the table and the days to choose from."""

    table: Table
    day: str | None
    days: list[str]


def _visible(node: Node, grant: Grant, list_id: str) -> pd.DataFrame:
    """The lines of a scored list the viewer may see (a port officer: those of its ports)."""
    frame = _read(node, list_id)
    ports = grant.ports()
    if ports is not None:
        ends = [c for c in ("office", "arrival_port", "departure_port") if c in frame]
        frame = frame[frame[ends].isin(list(ports)).any(axis=1)] if ends else frame.iloc[0:0]
    return frame


def selection_line(node: Node, grant: Grant, list_id: str, declaration: str) -> dict[str, Any]:
    """The first line of ``declaration`` in a scored list, as the viewer may see it (NotFound otherwise)."""
    frame = _visible(node, grant, list_id)
    lines = frame[frame["declaration_id"].astype(str) == declaration]
    if lines.empty:
        raise NotFound("declaration", f"{declaration} in list {list_id}")
    return {str(k): _plain(v) for k, v in lines.iloc[0].items()}


def selection(node: Node, grant: Grant, list_id: str, day: str | None) -> Selection:
    """The lines of ``day`` (the latest day when None) ranked, limited to the viewer's ports."""
    frame = _visible(node, grant, list_id)
    frame = frame.assign(date=frame["date"].astype(str))
    days = sorted(frame["date"].unique(), reverse=True)
    if day is not None and day not in days:
        raise NotFound("day", f"{day} in list {list_id}")
    chosen = day or (days[0] if days else None)
    rows_of_day = frame[frame["date"] == chosen].sort_values("rank")
    cols = columns([(k, kind) for k, kind in _SHOWN if k in rows_of_day or k == "rank"])
    rows = [[_plain(r[c.key]) for c in cols] for r in rows_of_day.to_dict("records")]
    params = {"list": list_id, "day": chosen}
    links = [api_url("/ui/warning", {"list": list_id, "declaration": r[1]}) for r in rows]  # draft a warning
    table = Table(cols, rows, len(rows), api_url("/ui/targeting/export", params), [], links)
    return Selection(table, chosen, list(days))


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


_METRIC_SHOWN = (("k_pct", "int"), ("selected", "int"), ("hits_selected", "int"), ("precision", "ratio"),
                 ("precision_oracle", "ratio"), ("recall", "ratio"), ("recall_oracle", "ratio"),
                 ("auc", "float3"))  # fmt: skip


def effectiveness(node: Node, list_id: str) -> Table | None:
    """Precision and recall at k % inspected against the oracle, when the list's file was labelled."""
    path = _folder(node) / f"{list_id}.metrics.parquet"
    if not _LIST_ID.match(list_id) or not path.exists():
        return None
    frame = pd.read_parquet(path)
    cols = columns(_METRIC_SHOWN)
    rows = [[_plain(r[c.key]) for c in cols] for r in frame.to_dict("records")]
    return Table(cols, rows, len(rows), api_url("/ui/targeting", {"list": list_id}))
