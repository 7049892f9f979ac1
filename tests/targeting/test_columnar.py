"""The compiled columnar transform gives exactly the reference (pandas, string-key) features and scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from iprisk.errors import InvalidInput
from iprisk.settings import get_settings
from iprisk.targeting.features import DEFAULT_KEYS, DEFAULT_PAIRS, LANE_KEYS, LANE_PAIRS, FeatureBuilder
from iprisk.targeting.scorer import LightGBMScorer
from tests.targeting.synthetic import declarations


@pytest.fixture(scope="module")
def fitted() -> tuple[FeatureBuilder, pd.DataFrame]:
    train = declarations(1500, seed=3)
    return FeatureBuilder().fit(train, train["infringement"].astype(float).to_numpy()), train


def _awkward(n: int) -> pd.DataFrame:
    """Later rows with unseen codes, missing cells, -0.0, NaN and an integer column with nulls."""
    new = declarations(n, seed=4, start="2020-08-01")
    new.loc[::7, "trader_id"] = "NEVER-SEEN"
    new.loc[::11, "seller_id"] = None
    new.loc[::13, "hs_code"] = "6403.99"  # dots are dropped from the HS levels
    new.loc[::17, "value"] = np.nan
    new.loc[::19, "net_mass_kg"] = -0.0
    new.loc[::23, "tax_rate"] = "abc"
    new.loc[::29, "process_type"] = "Z"  # unseen category
    return new


def test_transform_matches_reference_bit_for_bit(fitted: tuple[FeatureBuilder, pd.DataFrame]) -> None:
    fb, _ = fitted
    new = _awkward(600)
    ref = fb.transform_reference(new)
    for data in (new, pa.Table.from_pandas(new, preserve_index=False)):
        got = fb.transform(data)
        got.index = ref.index
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
    # the matrix is what LightGBM builds from the reference frame (categories as positions, NaN unseen)
    X = fb.matrix(new)
    assert X.shape == (len(new), len(fb.feature_names_)) and X.dtype == np.float64
    cat = fb.feature_names_.index("process_type_cat")
    codes = ref["process_type_cat"].cat.codes.to_numpy().astype(float)
    np.testing.assert_array_equal(X[:, cat], np.where(codes < 0, np.nan, codes))
    # and the -0.0 rows did get their own (unseen) code, as the string "-0.0" does in the reference
    assert (ref["net_mass_kg_count"].to_numpy()[::19] == 0).all()


def _dictionary_typed(table: pa.Table) -> pa.Table:
    """Every string column as Parquet's dictionary pages give it: two chunks with different dictionaries,
    the first dictionary also holding a value twice and a value no row uses."""
    for i, field in enumerate(table.schema):
        if not pa.types.is_string(field.type):
            continue
        col = table.column(i).combine_chunks()
        half = len(col) // 2
        first = pc.dictionary_encode(col.slice(0, half))
        padded = pa.concat_arrays([first.dictionary, first.dictionary.slice(0, 1), pa.array(["UNUSED"])])
        first = pa.DictionaryArray.from_arrays(first.indices, padded)
        second = pc.dictionary_encode(col.slice(half))
        table = table.set_column(i, field.name, pa.chunked_array([first, second.cast(first.type)]))
    return table


def test_dictionary_typed_columns_give_the_same_features(fitted: tuple[FeatureBuilder, pd.DataFrame]) -> None:
    fb, _ = fitted
    new = _awkward(600)
    plain = pa.Table.from_pandas(new, preserve_index=False)
    typed = _dictionary_typed(plain)
    assert pa.types.is_dictionary(typed.schema.field("trader_id").type)
    assert typed.column("seller_id").null_count  # nulls in the indices
    np.testing.assert_array_equal(fb.matrix(typed), fb.matrix(plain))
    blank = pa.Table.from_pandas(new.assign(trader_id=""), preserve_index=False)
    with pytest.raises(InvalidInput) as empty:  # an empty dictionary-typed column is still empty
        fb.matrix(_dictionary_typed(blank))
    assert [p.rule for p in empty.value.problems] == ["empty-column"]


def test_pair_codes_with_separator_fall_back_to_strings() -> None:
    train = declarations(400, seed=5)
    train.loc[::3, "trader_id"] = "A|B"  # a code containing the pair separator: no integer split
    fb = FeatureBuilder().fit(train, train["infringement"].astype(float).to_numpy())
    assert fb.compiled().string_pairs
    new = declarations(200, seed=6, start="2020-08-01")
    new.loc[::4, "trader_id"] = "A|B"
    got = fb.transform(new)
    pd.testing.assert_frame_equal(got, fb.transform_reference(new), check_exact=True)


def test_scores_unchanged_and_errors_kept(fitted: tuple[FeatureBuilder, pd.DataFrame]) -> None:
    _, train = fitted
    scorer = LightGBMScorer(n_estimators=40).fit(train, "infringement")
    new = _awkward(500)
    reference = scorer.booster_.predict(scorer.builder_.transform_reference(new))
    np.testing.assert_array_equal(scorer.score(new), reference)
    np.testing.assert_array_equal(scorer.score(pa.Table.from_pandas(new), threads=2), reference)
    with pytest.raises(InvalidInput) as missing:
        scorer.score(new.drop(columns=["hs_code", "trader_id"]))
    assert {p.column for p in missing.value.problems} == {"hs_code", "trader_id"}
    with pytest.raises(InvalidInput) as empty:
        scorer.score(new.assign(trader_id=""))
    assert [p.rule for p in empty.value.problems] == ["empty-column"]


def test_kcs_features_identical_to_reference() -> None:
    folder = Path(get_settings().kcs_data)
    if not (folder / "df_syn_test_eng.csv").is_file():
        pytest.skip(f"KCS data not found in {folder}")
    from iprisk.formats import read_declarations

    train = read_declarations(folder / "df_syn_valid_eng.csv", mapping="kcs")
    test = read_declarations(folder / "df_syn_test_eng.csv", mapping="kcs")
    # with the opt-in lane features too (on KCS: departure_country -> office, the ports being empty)
    fb = FeatureBuilder(keys=(*DEFAULT_KEYS, *LANE_KEYS), pairs=(*DEFAULT_PAIRS, *LANE_PAIRS)).fit(
        train, train.column("infringement").to_numpy(zero_copy_only=False).astype(float)
    )
    assert "lane__hs2_target_rate" in fb.feature_names_
    ref = fb.transform_reference(test.to_pandas())
    pd.testing.assert_frame_equal(fb.transform(test), ref, check_exact=True)


def _with_ports(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Ports on some rows: both (a port lane), one only or none (the country -> office lane)."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    out["departure_port"] = rng.choice(["CNSHA", "CNNGB", "", None], len(out))
    out["arrival_port"] = rng.choice(["DEHAM", "NLRTM", " ", None], len(out))
    return out


def _lanes() -> FeatureBuilder:
    return FeatureBuilder(keys=(*DEFAULT_KEYS, *LANE_KEYS), pairs=(*DEFAULT_PAIRS, *LANE_PAIRS))


def test_lane_features_match_reference_bit_for_bit() -> None:
    train = _with_ports(declarations(1200, seed=8), 1)
    assert "lane_count" not in FeatureBuilder().fit(train, train["infringement"]).feature_names_  # opt-in
    fb = _lanes().fit(train, train["infringement"].astype(float).to_numpy())
    assert {"departure_port", "arrival_port"} <= set(fb.required_columns_)
    new = _with_ports(_awkward(500), 2)
    new.loc[::5, "departure_country"] = None
    new.loc[::9, "office"] = "NEVER"
    ref = fb.transform_reference(new)
    # the check can fail: port lanes, country lanes and unseen lanes all occur
    lanes = fb.stats_["lane"]["codes"]
    assert any(c.startswith("CN -> ") for c in lanes) and any(c.startswith("CNSHA -> ") for c in lanes)
    assert (ref["lane_count"] == 0).any() and (ref["lane__hs2_count"] > 0).any()
    for data in (new, pa.Table.from_pandas(new, preserve_index=False), pa.Table.from_pandas(new[:0])):
        got = fb.transform(data)
        expected = ref.iloc[: len(got)]
        got.index = expected.index
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # fitted without port columns: lanes are departure_country -> office only
    plain = FeatureBuilder().fit(
        train.drop(columns=["departure_port", "arrival_port"]), train["infringement"]
    )
    assert "departure_port" not in plain.required_columns_
    pd.testing.assert_frame_equal(plain.transform(new), plain.transform_reference(new), check_exact=True)
