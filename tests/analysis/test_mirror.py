from __future__ import annotations

import ibis

from iprisk.analysis import MIRROR_COLUMNS, mirror
from tests.analysis.worlds import World, canonical_lines


def test_mirror_matches_export_and_import_detentions(full: ibis.Table, world: World) -> None:
    m = mirror(full)
    assert list(m.columns) == list(MIRROR_COLUMNS)
    lines = canonical_lines(world)
    exp = lines[(lines["reporting_admin"] == "CN")][["case_id"]].drop_duplicates()
    assert m["export_cases"].sum() == len(exp)
    assert set(m["detected"]) <= {"both", "export only", "import only"}
    both = m[m["detected"] == "both"]
    assert ((both["export_share"] > 0) & (both["export_share"] < 1)).all()
