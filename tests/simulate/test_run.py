from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from iprisk.simulate import SimulationSummary, simulate


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".csv", ".json")
    }


def _rows(path: Path) -> list[dict[str, object]]:
    return pq.read_table(path).to_pylist()


def test_same_seed_same_world_whatever_the_chunking_and_threads(tmp_path: Path) -> None:
    kw = dict(start="2016Q3", end="2017Q1", scale=0.004, seed=5)
    a = simulate(out_dir=tmp_path / "a", chunk_rows=100_000, workers=1, **kw)  # type: ignore[arg-type]
    simulate(out_dir=tmp_path / "b", chunk_rows=997, workers=3, **kw)  # type: ignore[arg-type]
    assert a.declarations > 3 * 997  # several chunks in run b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    for name in ("declarations.parquet", "truth_declarations.parquet", "trade.parquet"):
        assert pq.read_table(tmp_path / "a" / name).equals(pq.read_table(tmp_path / "b" / name))
    c = simulate(out_dir=tmp_path / "c", **{**kw, "seed": 6})  # type: ignore[arg-type]
    assert _digest(tmp_path / "c") != _digest(tmp_path / "a")
    assert c.seizure_cases != a.seizure_cases or c.declarations != a.declarations


def test_output_layout_and_counts(small_world: SimulationSummary) -> None:
    out = small_world.out_dir
    assert (out / "declarations.parquet").exists() and (out / "trade.parquet").exists()
    names = sorted(p.name for p in (out / "seizures").glob("*.csv"))
    assert names == sorted(p.name for p in small_world.seizure_files)
    assert {"CN_2016Q1.csv", "DE_2016Q4.csv", "NL_2016Q2.csv"} <= set(names)
    assert small_world.quarters == ["2016Q1", "2016Q2", "2016Q3", "2016Q4"]
    assert small_world.seizure_cases == int(small_world.seizure_totals["cases"].sum()) > 0
    decl = pq.read_table(out / "declarations.parquet")
    assert decl.num_rows == small_world.declarations
    assert pc.sum(decl["controlled"]).as_py() == small_world.controlled


def test_every_seizure_file_passes_submit_validation(small_world: SimulationSummary) -> None:
    formats = pytest.importorskip("iprisk.formats")
    for path in small_world.seizure_files:
        admin, quarter = path.stem.split("_")
        batch = formats.read_seizures(path)  # raises InvalidSubmission on any broken rule
        assert (batch.admin, str(batch.quarter)) == (admin, quarter)
        assert batch.table.num_rows > 0
    cases = [formats.read_seizures(p).table for p in small_world.seizure_files[:5]]
    for t in cases:  # case ids unique per admin; lines numbered from 1
        pairs = set(zip(t["case_id"].to_pylist(), t["line_no"].to_pylist(), strict=True))
        assert len(pairs) == t.num_rows


def test_declarations_read_as_the_declarations_format(small_world: SimulationSummary) -> None:
    formats = pytest.importorskip("iprisk.formats")
    assert small_world.declarations_path is not None
    table = formats.read_declarations(small_world.declarations_path)
    assert table.num_rows == small_world.declarations
    assert "reporting_admin" in table.column_names


def test_controls_follow_the_policy_and_truth(small_world: SimulationSummary) -> None:
    assert small_world.declarations_path and small_world.declarations_truth_path
    d = pq.read_table(small_world.declarations_path).to_pandas()
    t = pq.read_table(small_world.declarations_truth_path).to_pandas()
    assert (d["declaration_id"] == t["declaration_id"]).all()
    assert not d.duplicated(["declaration_id", "item_no"]).any()
    # items of one declaration: numbered 1..n, controlled together, only the main item infringing
    items = d.groupby("declaration_id")["item_no"].agg(["min", "max", "size"])
    assert (items["min"] == 1).all() and (items["max"] == items["size"]).all()
    assert (d.groupby("declaration_id")["controlled"].nunique() == 1).all()
    assert not t.loc[d["item_no"] > 1, "true_infringement"].any()
    by_mode = d.groupby("transport_mode")["item_no"].max()
    assert by_mode["post"] == 1 and by_mode["sea"] > 1
    # infringement is empty when not controlled, and found only where truly infringing
    assert d.loc[~d["controlled"], "infringement"].isna().all()
    found = d["infringement"].eq(True).to_numpy()
    assert t.loc[found, "true_infringement"].all()
    assert d["selection_propensity"].between(0, 1).all()
    # selection propensity is what the controls were drawn with: controlled share ~ mean propensity
    assert abs(d["controlled"].mean() - d["selection_propensity"].mean()) < 0.01
    # risk structure: infringing traders and undervaluation carry the infringements
    by_trader = t.groupby("infringing_trader")["true_infringement"].mean()
    assert by_trader[True] > 5 * by_trader[False]
    ratio = d["value"] / d["net_mass_kg"]
    assert ratio[t["true_infringement"]].median() < ratio[~t["true_infringement"]].median()


def test_truth_json_holds_scenario_events_and_networks(small_world: SimulationSummary) -> None:
    truth = json.loads(small_world.truth_path.read_text(encoding="utf-8"))
    assert truth["seed"] == 11 and truth["scale"] == 0.01
    assert truth["start"] == "2016Q1" and truth["end"] == "2016Q4"
    assert {e["kind"] for e in truth["events"]} == {"surge", "displacement", "new_modus_operandi"}
    assert truth["scenario"]["detection_probability"] > 0
    nets = truth["parties"]["networks"]
    assert nets and all(n["traders"] and n["declarant"].startswith("D") for n in nets)
    assert truth["declarations"]["rows"] == small_world.declarations


def test_trade_statistics_columns(small_world: SimulationSummary) -> None:
    trade = pq.read_table(small_world.trade_path)
    assert trade.column_names == [
        "quarter", "reporting_admin", "flow", "office", "departure_port", "arrival_port", "transport_mode",
        "provenance_country", "destination_country", "hs_chapter", "product_category", "consignments",
        "value_eur",
    ]  # fmt: skip
    df = trade.to_pandas()
    assert set(df["quarter"]) == {"2016Q1", "2016Q2", "2016Q3", "2016Q4"}
    assert (df["consignments"] > 0).all() and df["hs_chapter"].str.fullmatch(r"\d\d").all()
    post = df[df.transport_mode == "post"]
    sea = df[df.transport_mode == "sea"]
    # postal traffic is many small consignments, sea few big ones
    assert post["consignments"].sum() > 10 * sea["consignments"].sum()
    assert (
        post["value_eur"].sum() / post["consignments"].sum()
        < sea["value_eur"].sum() / sea["consignments"].sum()
    )


def test_bad_period_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="before start"):
        simulate(start="2016Q2", end="2016Q1", out_dir=tmp_path)


def test_files_load_into_a_fresh_warehouse(small_world: SimulationSummary, tmp_path: Path) -> None:
    warehouse = pytest.importorskip("iprisk.warehouse")
    files = [p for p in small_world.seizure_files if p.stem.startswith(("CN_", "NL_"))]
    with warehouse.Warehouse.open(tmp_path / "wh.duckdb") as wh:
        results = [wh.submit(p) for p in files]
        assert {r.status for r in results} == {"stored"}
        stored = wh.seizures(admin="NL").count().execute()
        wh.load_trade(small_world.trade_path)
        trade_rows = wh.trade().count().execute()
    expected = sum(r.rows for r in results if r.rows) - sum(
        r.rows for r, p in zip(results, files, strict=True) if p.stem.startswith("CN_")
    )
    assert stored == expected > 0
    assert trade_rows == pq.read_metadata(small_world.trade_path).num_rows


def test_declarations_carry_networks_sharing_declarants(small_world: SimulationSummary) -> None:
    assert small_world.declarations_path and small_world.declarations_truth_path
    d = pq.read_table(small_world.declarations_path, columns=["declarant_id", "carrier_id"]).to_pandas()
    t = pq.read_table(small_world.declarations_truth_path, columns=["network"]).to_pandas()
    net = d[t["network"] >= 0].assign(network=t.loc[t["network"] >= 0, "network"])
    # within a network most consignments go through the network's one declarant and carrier
    top_share = net.groupby("network")["declarant_id"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    counts = net.groupby("network").size()
    assert top_share[counts >= 5].median() > 0.6


def test_a_rerun_in_the_same_folder_leaves_no_stale_seizure_files(tmp_path: Path) -> None:
    simulate(start="2015Q1", end="2015Q2", scale=0.002, out_dir=tmp_path, declarations=False)
    (tmp_path / "seizures" / "notes.csv").write_text("mine", encoding="utf-8")
    again = simulate(start="2016Q1", end="2016Q1", scale=0.002, out_dir=tmp_path, declarations=False)
    names = {p.name for p in (tmp_path / "seizures").glob("*.csv")}
    assert names == {p.name for p in again.seizure_files} | {"notes.csv"}
