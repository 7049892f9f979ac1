"""``iprisk targeting fit | score | evaluate`` through the real entry point, on small synthetic files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tests.targeting.synthetic import declarations

KCS_NAMES = {
    "declaration_id": "Declaration ID",
    "date": "Date",
    "office": "Office ID",
    "process_type": "Process Type",
    "transport_mode": "Mode of Transport",
    "declarant_id": "Declarant ID",
    "trader_id": "Importer ID",
    "seller_id": "Seller ID",
    "carrier_id": "Courier ID",
    "hs_code": "HS6 Code",
    "departure_country": "Country of Departure",
    "origin_country": "Country of Origin",
    "tax_rate": "Tax Rate",
    "net_mass_kg": "Net Mass",
    "value": "Item Price",
    "infringement": "Fraud",
}


def _kcs_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The synthetic rows in the KCS file layout (their column names and codes)."""
    kcs = frame[list(KCS_NAMES)].rename(columns=KCS_NAMES)
    kcs["Office ID"] = kcs["Office ID"].map({"DEHAM": "10", "NLRTM": "20", "BEANR": "30"})
    kcs["Mode of Transport"] = kcs["Mode of Transport"].map({"sea": "10", "air": "40"})
    kcs["Fraud"] = kcs["Fraud"].astype(int)
    for extra in ("Import Type", "Import Use", "Payment Type", "Tax Type", "Country of Origin Indicator"):
        kcs[extra] = "11"
    kcs["Critical Fraud"] = kcs["Fraud"]
    kcs.to_csv(path, index=False)
    return path


def test_fit_score_evaluate_round_trip(tmp_path: Path, run) -> None:
    a, b = tmp_path / "h1.csv", tmp_path / "h2.csv"
    declarations(600, seed=1, start="2020-01-01", days=90).to_csv(a, index=False)
    declarations(600, seed=2, start="2020-04-01", days=90).to_csv(b, index=False)
    new = tmp_path / "new.csv"
    declarations(300, seed=3, start="2020-07-01", days=60).to_csv(new, index=False)
    model = tmp_path / "model"

    code, out, err = run("targeting", "fit", "--declarations", a, b, "--model", model, "--trees", "20")
    assert code == 0, err
    assert "1,200 labelled rows 2020-01-01.." in out
    assert json.loads((model / "meta.json").read_text())["training_rows"] == 1200

    scores = tmp_path / "out" / "scores.csv"
    code, out, err = run("targeting", "score", "--model", model, "--declarations", new, "--out", scores)
    assert code == 0, err
    s = pd.read_csv(scores, keep_default_na=False)
    assert s.columns.tolist() == [
        "declaration_id",
        "item_no",
        "score",
        "rank",
        "matched_profiles",
        "top_reasons",
    ]
    assert len(s) == 300 and sorted(s["rank"]) == list(range(1, 301))
    assert s.loc[s["score"].idxmax(), "rank"] == 1
    assert s["top_reasons"].str.count("=").eq(3).all()
    assert s["top_reasons"].iloc[0].split(";")[0].split("=")[1][0] in "+-"

    code, out, err = run(
        "targeting", "evaluate", "--scores", scores, "--declarations", new, "--at", "5,10", "--by", "office"
    )
    assert code == 0, err
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert metrics["k_pct"].tolist() == [5, 10]
    assert metrics["selected"].tolist() == [15, 30]
    assert metrics["rows"].iloc[0] == 300
    assert ((metrics["precision"] >= 0) & (metrics["precision"] <= 1)).all()
    assert metrics["auc"].iloc[0] > 0.6  # the planted signal is found
    assert re.search(r"scores.csv: 300 rows, \d+ hits", out) and "metrics.csv" in out
    assert (tmp_path / "out" / "metrics-by-office.csv").is_file()


def test_kcs_mapping_and_early_stopping(tmp_path: Path, run) -> None:
    train = _kcs_csv(declarations(700, seed=4), tmp_path / "train.csv")
    valid = _kcs_csv(declarations(300, seed=5, start="2020-07-01", days=60), tmp_path / "valid.csv")
    model = tmp_path / "m"
    code, out, err = run(
        "targeting", "fit", "--declarations", train, "--valid", valid, "--mapping", "kcs", "--model", model
    )
    assert code == 0, err
    assert "trees chosen on valid.csv, refitted on all 1,000 rows" in out
    meta = json.loads((model / "meta.json").read_text())
    assert "process_type" in meta["required_columns"]  # extras kept by the kcs mapping are used
    scores = tmp_path / "s.csv"
    code, _, err = run(
        "targeting",
        "score",
        "--model",
        model,
        "--declarations",
        valid,
        "--mapping",
        "kcs",
        "--out",
        scores,
        "--value-aware",
        "--reasons-for",
        "10",
    )
    assert code == 0, err
    s = pd.read_csv(scores, keep_default_na=False)
    explained = s["top_reasons"] != ""
    assert explained.sum() == 30 and (s.loc[explained, "rank"] <= 30).all()  # top 10 % of 300 rows
    code, out, err = run(
        "targeting",
        "evaluate",
        "--scores",
        scores,
        "--declarations",
        valid,
        "--mapping",
        "kcs",
        "--label",
        "infringement",
        "--out",
        tmp_path / "m.csv",
    )
    assert code == 0, err
    assert (tmp_path / "m.csv").is_file()


def test_score_lists_matched_profiles(tmp_path: Path, run) -> None:
    data = tmp_path / "d.csv"
    frame = declarations(200, seed=7)
    frame.to_csv(data, index=False)
    model = tmp_path / "m"
    assert run("targeting", "fit", "--declarations", data, "--model", model, "--trees", "5")[0] == 0
    profiles = tmp_path / "p.yaml"
    profiles.write_text(
        "format: iprisk-profiles\nprofiles:\n"
        "  - {id: SHOES, title: shoes, owner: DE, criteria: {hs_prefixes: ['6403']}, risk_level: 2,"
        " valid_from: 2019-01-01, status: active}\n",
        encoding="utf-8",
    )
    scores = tmp_path / "s.csv"
    code, _, err = run(
        "targeting",
        "score",
        "--model",
        model,
        "--declarations",
        data,
        "--out",
        scores,
        "--profiles",
        profiles,
    )
    assert code == 0, err
    s = pd.read_csv(scores, keep_default_na=False)
    shoes = frame["hs_code"].str.startswith("6403").to_numpy()
    assert (s["matched_profiles"][shoes] == "SHOES").all() and (s["matched_profiles"][~shoes] == "").all()


def test_errors_are_one_line(tmp_path: Path, run) -> None:
    data = tmp_path / "d.csv"
    declarations(200, seed=6).to_csv(data, index=False)
    model = tmp_path / "m"
    code, _, err = run("targeting", "fit", "--declarations", data, "--model", model, "--label", "nope")
    assert code == 3 and "label column not found" in err and "Traceback" not in err
    code, _, err = run(
        "targeting", "score", "--model", tmp_path / "none", "--declarations", data, "--out", "x"
    )
    assert code == 1 and "targeting model not found" in err
    assert run("targeting", "fit", "--declarations", data, "--model", model, "--trees", "5")[0] == 0
    cut = tmp_path / "cut.csv"
    pd.read_csv(data).drop(columns=["trader_id"]).to_csv(cut, index=False)
    # trader_id is optional in the format, so the file reads, but the model needs it
    code, _, err = run(
        "targeting", "score", "--model", model, "--declarations", cut, "--out", tmp_path / "s.csv"
    )
    assert code == 3 and "trader_id" in err
    scores = tmp_path / "scores.csv"
    assert run("targeting", "score", "--model", model, "--declarations", data, "--out", scores)[0] == 0
    twice = tmp_path / "twice.csv"
    pd.concat([pd.read_csv(scores)] * 2).to_csv(twice, index=False)
    code, _, err = run("targeting", "evaluate", "--scores", twice, "--declarations", data)
    assert code == 3 and "duplicate-line" in err
    code, _, err = run("targeting", "evaluate", "--scores", data, "--declarations", data, "--at", "0,200")
    assert code != 0 and "--at" in err


def test_repeated_declarations_flag(tmp_path: Path, run) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    declarations(150, seed=8).to_csv(a, index=False)
    declarations(150, seed=9, start="2020-07-01").to_csv(b, index=False)
    model = tmp_path / "m"
    code, out, err = run(
        "targeting", "fit", "--declarations", a, "--declarations", b, "--model", model, "--trees", "5"
    )
    assert code == 0, err
    assert "300 labelled rows" in out


def test_fit_with_profiles_saves_them_as_features(tmp_path: Path, run) -> None:
    data = tmp_path / "d.csv"
    frame = declarations(300, seed=9)
    frame.to_csv(data, index=False)
    profiles = tmp_path / "p.yaml"
    profiles.write_text(
        "format: iprisk-profiles\nprofiles:\n"
        "  - {id: SHOES, title: shoes, owner: DE, criteria: {hs_prefixes: ['6403']}, risk_level: 2,"
        " valid_from: 2019-01-01, status: draft}\n",
        encoding="utf-8",
    )
    model = tmp_path / "m"
    code, out, err = run(
        "targeting", "fit", "--declarations", data, "--model", model, "--trees", "5", "--profiles", profiles
    )
    assert code == 0, err
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    assert "profile_hits" in meta["feature_names"] and "profile_max_risk" in meta["feature_names"]
    assert [p["id"] for p in meta["params"]["profiles"]["profiles"]] == ["SHOES"]
    assert f"{len(meta['feature_names'])} features" in out
    # the saved model scores with them (a draft profile counts as a feature, though it lists no match)
    scores = tmp_path / "s.csv"
    code, _, err = run("targeting", "score", "--model", model, "--declarations", data, "--out", scores)
    assert code == 0, err
    assert len(pd.read_csv(scores)) == len(frame)
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles: [{id: X}]\n", encoding="utf-8")
    code, _, err = run(
        "targeting", "fit", "--declarations", data, "--model", tmp_path / "m2", "--profiles", bad
    )
    assert code != 0 and "bad.yaml" in err


def test_each_command_gives_what_its_library_function_gives(tmp_path: Path, run) -> None:
    """fit, score and evaluate print and write what the library returns; the CLI adds no logic."""
    import numpy as np

    from iprisk.evaluation import evaluate_scores
    from iprisk.formats import read_declarations, read_scores, write_scores
    from iprisk.profiles import load_profiles
    from iprisk.targeting import LightGBMScorer, score_declarations

    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    declarations(500, seed=11).to_csv(train, index=False)
    declarations(240, seed=12, start="2020-07-01", days=60).to_csv(new, index=False)
    profiles = tmp_path / "p.yaml"
    profiles.write_text(
        "format: iprisk-profiles\nprofiles:\n"
        "  - {id: SHOES, title: shoes, owner: DE, criteria: {hs_prefixes: ['6403']}, risk_level: 2,"
        " valid_from: 2019-01-01, status: active}\n",
        encoding="utf-8",
    )
    model = tmp_path / "model"
    assert run("targeting", "fit", "--declarations", train, "--model", model, "--trees", "15")[0] == 0
    fitted = LightGBMScorer(n_estimators=15, seed=0).fit(read_declarations(train).to_pandas(), "infringement")
    table = read_declarations(new)
    np.testing.assert_array_equal(LightGBMScorer.load(model).score(table), fitted.score(table))

    by_cli = tmp_path / "cli" / "scores.csv"
    argv = ["--model", model, "--declarations", new, "--profiles", profiles, "--value-aware"]
    assert run("targeting", "score", *argv, "--reasons-for", "25", "--out", by_cli)[0] == 0
    scores = score_declarations(
        model, table, profiles=load_profiles(profiles), value_aware=True, reasons_for=25
    )
    by_library = write_scores(scores, tmp_path / "lib" / "scores.csv")
    assert by_cli.read_bytes() == by_library.read_bytes()
    assert "SHOES" in scores.column("matched_profiles").to_pylist()  # the profiles were applied
    # --value-aware is an option of the call: the saved model still ranks by probability
    assert json.loads((model / "meta.json").read_text())["params"]["value_aware"] is False
    assert scores.column("rank").to_pylist() != score_declarations(model, table).column("rank").to_pylist()

    code, _, err = run("targeting", "evaluate", "--scores", by_cli, "--declarations", new, "--at", "5,20")
    assert code == 0, err
    result = evaluate_scores(read_scores(by_library), table.to_pandas(), at=[5, 20])
    written = pd.read_csv(tmp_path / "cli" / "metrics.csv")
    pd.testing.assert_frame_equal(written, result.metrics, check_dtype=False, rtol=1e-5)


def test_fit_calibrates_on_a_later_period_and_score_applies_it(tmp_path: Path, run) -> None:
    from iprisk.formats import read_declarations
    from iprisk.targeting import LightGBMScorer

    a, later, new = tmp_path / "a.csv", tmp_path / "later.csv", tmp_path / "new.csv"
    declarations(1200, seed=1, start="2020-01-01", days=180).to_csv(a, index=False)
    declarations(800, seed=2, start="2020-07-01", days=90).to_csv(later, index=False)
    declarations(300, seed=3, start="2020-10-01", days=60).to_csv(new, index=False)
    model, raw_model = tmp_path / "model", tmp_path / "raw"

    fit = ("targeting", "fit", "--declarations", a, "--trees", "20")
    code, out, err = run(*fit, "--model", model, "--calibrate", later)
    assert code == 0, err
    assert re.search(r"Platt calibration on later.csv \(\d+ hits in 800 rows: slope", out)
    assert json.loads((model / "meta.json").read_text())["calibration"]["method"] == "platt"
    code, out, err = run(*fit, "--model", raw_model)
    assert code == 0, err
    assert json.loads((raw_model / "meta.json").read_text())["calibration"] is None

    scores = tmp_path / "scores.csv"
    code, _, err = run(
        "targeting", "score", "--model", model, "--declarations", new, "--out", scores, "--top", "0"
    )
    assert code == 0, err
    s = pd.read_csv(scores)
    calibrated, rows = LightGBMScorer.load(model), read_declarations(new)
    np.testing.assert_allclose(s["score"], calibrated.score(rows), rtol=1e-5)  # written with 6 digits
    assert not np.allclose(s["score"], calibrated.score(rows, calibrated=False))

    # an existing folder calibrated afterwards gives the same calibrator as at fit
    code, out, err = run("targeting", "calibrate", "--model", raw_model, "--declarations", later)
    assert code == 0, err
    assert "Platt calibration on later.csv" in out
    assert LightGBMScorer.load(raw_model).calibrator_ == calibrated.calibrator_
