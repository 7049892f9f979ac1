"""Fast feature transform: a fitted :class:`FeatureBuilder` compiled into integer lookups over Arrow columns.

:meth:`FeatureBuilder.transform` builds one string per row and key (``"T001|640399"``) and looks it up in
the training statistics; at 10 M rows the string work dominates. :class:`CompiledFeatures` gives the *same*
numbers (bit for bit; tested against the reference transform) without per-row strings:

- each source column is dictionary-encoded (Arrow ``dictionary_encode``, or ``pd.factorize`` for pandas)
  and only its *distinct* values are turned into code strings, exactly as the reference does, then mapped
  to an integer id in a per-column vocabulary (every string of that column the training statistics know);
  float columns whose vocabulary round-trips through text are looked up by value directly;
- a pair's training codes (``"a|b"``) are split once at compile time into one integer of the two ids
  (:func:`_pair_keys`), so a row's pair is one integer hash lookup;
- the result is one float64 matrix in the model's feature order (categoricals as category positions, NaN
  when unseen), which is what LightGBM itself builds from the reference pandas frame.

Only transforms *without* labels go this way (scoring); a backtest passing labels for party histories uses
the reference transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.errors import InvalidInput, Problem
from iprisk.targeting.inputs import DERIVED, LANE, blank, code_strings, key_columns, keyname, sources
from iprisk.targeting.profiled import PROFILE_FEATURES, profile_features
from iprisk.targeting.riskmodel import block_keys, log_value_ratio, risk_features

Column: TypeAlias = "pa.Array | pd.Series"
#: values looked at before scanning a whole column for emptiness
_BLANK_SAMPLE = 1024
#: largest key space of a pair looked up in a dense table (int32: 16 MB); bigger pairs use a hash index
_DENSE_PAIR_KEYS = 1 << 22
#: rows copied at a time into the feature matrix (91 features x 4,096 rows x 8 bytes = 3 MB: cache-sized)
_BLOCK_ROWS = 4096


def _column(data: pa.Table | pa.RecordBatch | pd.DataFrame, name: str) -> Column:
    if isinstance(data, pd.DataFrame):
        return data[name]
    col = data.column(name)
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _as_pandas_semantics(arr: pa.Array) -> pa.Array:
    """The array retyped so that its values convert to pandas as the whole column's ``to_pandas`` would."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_integer(t) and arr.null_count:  # pandas turns an int column with nulls into float64
        return arr.cast(pa.float64())
    if pa.types.is_string_view(t) or pa.types.is_large_string(t):
        return arr.cast(pa.string())
    return arr


def is_text(t: pa.DataType) -> bool:
    """A string type, of any of Arrow's three layouts."""
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def is_text_dictionary(t: pa.DataType) -> bool:
    """A dictionary of strings (what Parquet's dictionary pages read as, with ``read_dictionary``)."""
    return pa.types.is_dictionary(t) and is_text(t.value_type)


def dictionary_codes(col: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Per row, the index of its value in a dictionary of the column's values (nulls: a null entry).

    A string column already dictionary-encoded is used as it is (its dictionary may hold a value twice or
    unused values: every lookup through it is per value, so neither changes an answer); any other column is
    encoded, with the value types a pandas conversion would give (:func:`_as_pandas_semantics`).
    """
    if is_text_dictionary(col.type):
        indices, dictionary = col.indices.cast(pa.int32()), col.dictionary
        if indices.null_count:
            indices = pc.fill_null(indices, len(dictionary))
            dictionary = pa.concat_arrays([dictionary, pa.nulls(1, dictionary.type)])
        return indices.to_numpy(zero_copy_only=False).astype("int64"), dictionary
    enc = pc.dictionary_encode(_as_pandas_semantics(col), null_encoding="encode")
    return enc.indices.to_numpy(zero_copy_only=False).astype("int64", copy=False), enc.dictionary


def encode(col: Column) -> tuple[np.ndarray, pd.Series]:
    """Per row, the index of its value among the column's distinct values; and those values, in pandas."""
    if isinstance(col, pd.Series):
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
        return np.asarray(codes, dtype="int64"), pd.Series(uniques)
    codes, dictionary = dictionary_codes(col)
    return codes, pd.Series(dictionary.to_pandas())


def numeric(col: Column | pa.ChunkedArray) -> np.ndarray:
    """``pd.to_numeric(column, errors="coerce")`` as float64, computed on distinct values when not float."""
    if isinstance(col, pd.Series):
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64")
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype="float64")
    codes, uniques = encode(col)
    return pd.to_numeric(uniques, errors="coerce").to_numpy(dtype="float64")[codes]


def all_blank(col: Column) -> bool:
    """Every cell missing or an empty string (the reference :func:`blank` over the whole column)."""
    n = len(col)
    if n == 0:
        return False
    if not isinstance(col, pd.Series) and pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)  # the strings themselves, as blank() expects
    head = col.iloc[:_BLANK_SAMPLE] if isinstance(col, pd.Series) else col.slice(0, _BLANK_SAMPLE).to_pandas()
    if not bool(blank(head).all()):
        return False
    whole = col if isinstance(col, pd.Series) else col.to_pandas()
    return bool(blank(whole).all())


def _names(data: pa.Table | pa.RecordBatch | pd.DataFrame) -> list[str]:
    return list(data.columns) if isinstance(data, pd.DataFrame) else list(data.schema.names)


def _is_float(col: Column) -> bool:
    if isinstance(col, pd.Series):
        return col.dtype == np.float64
    return bool(col.type == pa.float64())


def _pair_keys(ia: np.ndarray, ib: np.ndarray, size_b: int) -> np.ndarray:
    """One integer per (id_a, id_b): ``(id_a + 1) x (size_b + 1) + id_b + 1``.

    An unseen code (id -1) gives a key with a zero digit, which no training pair has (their ids are >= 0),
    so an unseen pair misses its lookup without a mask; written in place, three passes over the rows.
    """
    key = ia + 1
    key *= size_b + 1
    key += ib
    key += 1
    return key


class _Gather(NamedTuple):
    """A feature column not yet made: ``values[rows]`` (row -1 takes the last value, the unseen slot)."""

    values: np.ndarray
    rows: np.ndarray


class _DenseKeys:
    """A pair's training keys (:func:`_pair_keys`) as a table over the whole key space: a row's position is
    one gather instead of a hash lookup (about 20 ns a row with pandas' hash table). Used where the key space
    is small (:data:`_DENSE_PAIR_KEYS`); every key of a row falls inside it, unseen ids included."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    @classmethod
    def of(cls, keys: np.ndarray, space: int) -> _DenseKeys:
        table = np.full(space, -1, dtype="int32")
        table[keys] = np.arange(len(keys), dtype="int32")
        return cls(table)

    def positions(self, key: np.ndarray) -> np.ndarray:
        """Per key, the position of that training pair (-1 when unseen), as the hash index's get_indexer."""
        return self.table[key].astype("int64")


@dataclass
class _Vocab:
    """Every string of one key source the training state knows, with integer ids."""

    strings: list[str]
    index: pd.Index
    floats: pd.Index | None = None  # the same entries as float64 when they round-trip through text
    negative_zero: int = -1  # id of "-0.0" (a float lookup cannot tell -0.0 from 0.0)

    @classmethod
    def of(cls, strings: set[str]) -> _Vocab:
        ordered = sorted(strings)
        vocab = cls(ordered, pd.Index(ordered, dtype="object"))
        try:  # Python's float() parses exactly (pandas' fast parser may be off by an ulp)
            parsed = np.array([float(x) if x else np.nan for x in ordered], dtype="float64")
        except ValueError:
            parsed = None
        if (
            parsed is not None
            and len(ordered)
            and not any(x.strip() != x or x.lower() in ("nan", "+nan", "-nan") for x in ordered)
            and code_strings(pd.Series(parsed)).tolist() == ordered
            and pd.Index(parsed).is_unique
        ):
            vocab.floats = pd.Index(parsed)
        vocab.negative_zero = ordered.index("-0.0") if "-0.0" in strings else -1
        return vocab


class CompiledFeatures:
    """A fitted :class:`FeatureBuilder`'s ``transform`` (without labels) as vectorised integer lookups."""

    def __init__(self, builder: Any) -> None:
        self.builder = builder
        self.feature_names: list[str] = list(builder.feature_names_)
        keys: list[str] = list(builder.keys_)
        pairs: list[tuple[str, str]] = [(a, b) for a, b in builder.pairs_]
        self.keys = keys
        self.pairs = pairs
        stats: dict[str, dict[str, list[Any]]] = builder.stats_
        smoothing, prior = builder.smoothing, builder.prior_

        # vocabulary per key source: its own codes, the components of its pairs, categories, HS6 norms
        strings: dict[str, set[str]] = {}
        for k in keys:
            strings.setdefault(k, set()).update(stats[k]["codes"])
        self.split_pairs: dict[str, tuple[list[str], list[str]]] = {}
        self.string_pairs: list[tuple[str, str]] = []  # pairs whose codes cannot be split unambiguously
        # the goods model's blocks and parties (empirical-Bayes risk features), when the model has them
        self.risk: dict[str, Any] | None = getattr(builder, "risk_", None)
        risk = self.risk or {"blocks": {}, "parties": {}}
        risk_blocks = block_keys(risk)
        risk_pairs = [
            (b[0], b[1], risk["blocks"][keyname(b)]["codes"]) for b in risk_blocks if not isinstance(b, str)
        ]
        for a, b, codes in [*((a, b, stats[keyname((a, b))]["codes"]) for a, b in pairs), *risk_pairs]:
            parts = [c.split("|") for c in codes]
            if all(len(p) == 2 for p in parts):
                left, right = [p[0] for p in parts], [p[1] for p in parts]
                self.split_pairs[keyname((a, b))] = (left, right)
                strings.setdefault(a, set()).update(left)
                strings.setdefault(b, set()).update(right)
            elif (a, b) not in self.string_pairs:
                self.string_pairs.append((a, b))
        if self.risk:
            for block in risk_blocks:
                if isinstance(block, str):
                    strings.setdefault(block, set()).update(self.risk["blocks"][block]["codes"])
            for party, st in self.risk["parties"].items():
                strings.setdefault(party, set()).update(st["codes"])
            strings.setdefault("hs6", set()).update(self.risk["hs6_median"]["codes"])
        for party in builder.history_:
            strings.setdefault(party, set()).update(stats.get(party, {"codes": []})["codes"])
        for c in builder.categoricals_:
            strings.setdefault(c, set()).update(builder.categories_[c])
        strings.setdefault("hs6", set()).update(builder.hs6_unit_value_["codes"])
        self.vocab = {name: _Vocab.of(s) for name, s in strings.items()}

        def per_vocab(name: str, codes: list[str], values: np.ndarray, missing: float) -> np.ndarray:
            """Array over vocabulary ids (+ one slot at the end for id -1) of ``values`` by code."""
            out = np.full(len(self.vocab[name].strings) + 1, missing, dtype="float64")
            pos = self.vocab[name].index.get_indexer(pd.Index(codes, dtype="object"))
            out[pos] = values
            return out

        # n, h and smoothed rate per vocabulary id (single keys) or per training pair (pairs); computed
        # with the very expressions of the reference so that the floats are identical
        self.single: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for k in keys:
            st = stats[k]
            n = per_vocab(k, st["codes"], np.asarray(st["n"], dtype="float64"), 0.0)
            h = per_vocab(k, st["codes"], np.asarray(st["h"], dtype="float64"), 0.0)
            self.single[k] = (n, h, (h + smoothing * prior) / (n + smoothing))
        self.pair_index: dict[str, pd.Index | _DenseKeys] = {}
        self.pair_stats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for a, b in pairs:
            name = keyname((a, b))
            st = stats[name]
            n = np.append(np.asarray(st["n"], dtype="float64"), 0.0)
            h = np.append(np.asarray(st["h"], dtype="float64"), 0.0)
            self.pair_stats[name] = (n, h, (h + smoothing * prior) / (n + smoothing))
            self.pair_index[name] = self._pair_index(a, b, st["codes"])
        # risk features: coefficient per vocabulary id (single blocks) or per training pair (+ a 0 slot)
        self.risk_single: dict[str, np.ndarray] = {}
        self.risk_pair: dict[str, tuple[pd.Index | _DenseKeys, np.ndarray]] = {}
        self.risk_party: dict[str, np.ndarray] = {}
        if self.risk:
            for block in risk_blocks:
                name = keyname(block)
                st = self.risk["blocks"][name]
                if isinstance(block, str):
                    self.risk_single[name] = per_vocab(name, st["codes"], np.asarray(st["coef"]), 0.0)
                else:
                    coef = np.append(np.asarray(st["coef"], dtype="float64"), 0.0)
                    self.risk_pair[name] = (self._pair_index(block[0], block[1], st["codes"]), coef)
            for party, st in self.risk["parties"].items():
                self.risk_party[party] = per_vocab(party, st["codes"], np.asarray(st["eb"]), st["unseen"])
            med = self.risk["hs6_median"]
            norm = per_vocab("hs6", med["codes"], np.asarray(med["median"], dtype="float64"), np.nan)
            self.risk_hs6_norm = np.where(np.isnan(norm), self.risk["global_median"], norm)
        # party histories without labels are the whole-training totals of the party
        self.history: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for party in builder.history_:
            if party in stats:
                st = stats[party]
                n = per_vocab(party, st["codes"], np.asarray(st["n"], dtype="float64"), 0.0)
                h = per_vocab(party, st["codes"], np.asarray(st["h"], dtype="float64"), 0.0)
                self.history[party] = (n, h, builder._smooth(h, n))
        med = builder.hs6_unit_value_
        self.hs6_norm = per_vocab("hs6", med["codes"], np.asarray(med["median"], dtype="float64"), np.nan)
        self.hs6_norm = np.where(np.isnan(self.hs6_norm), builder.global_unit_value_, self.hs6_norm)
        self.category_codes: dict[str, np.ndarray] = {}
        for c in builder.categoricals_:
            cats = builder.categories_[c]
            self.category_codes[c] = per_vocab(c, cats, np.arange(len(cats), dtype="float64"), np.nan)
        # pandas builds an index's hash table at its first lookup: build them all now, so that worker
        # threads scoring slices at once only ever read them
        indexes = [*self.pair_index.values(), *(index for index, _ in self.risk_pair.values())]
        for vocab in self.vocab.values():
            indexes += [vocab.index] if vocab.floats is None else [vocab.index, vocab.floats]
        for index in indexes:
            if isinstance(index, pd.Index):
                index.get_indexer(index[:1])

    def _pair_index(self, a: str, b: str, codes: list[str]) -> pd.Index | _DenseKeys:
        """The index of a pair's training codes: (:func:`_pair_keys`) when split, else the strings."""
        if keyname((a, b)) not in self.split_pairs:
            return pd.Index(codes, dtype="object")
        left, right = self.split_pairs[keyname((a, b))]
        ia = self.vocab[a].index.get_indexer(pd.Index(left, dtype="object")).astype("int64")
        ib = self.vocab[b].index.get_indexer(pd.Index(right, dtype="object")).astype("int64")
        size_b = len(self.vocab[b].strings)
        keys = _pair_keys(ia, ib, size_b)
        space = (len(self.vocab[a].strings) + 1) * (size_b + 1)
        if space <= _DENSE_PAIR_KEYS and pd.Index(keys).is_unique:
            return _DenseKeys.of(keys, space)
        return pd.Index(keys)

    def _pair_positions(
        self, data: Any, a: str, b: str, index: pd.Index | _DenseKeys, cache: dict[str, Any]
    ) -> np.ndarray:
        """Per row, the position of its pair in ``index`` (-1 when the training state never saw it)."""
        if keyname((a, b)) in self.split_pairs:
            key = _pair_keys(self._ids(data, a, cache), self._ids(data, b, cache), len(self.vocab[b].strings))
            if isinstance(index, _DenseKeys):
                return index.positions(key)
            return np.asarray(index.get_indexer(pd.Index(key)))
        assert isinstance(index, pd.Index)  # string pairs are never dense
        return np.asarray(index.get_indexer(self._string_pair(data, a, b)))

    # ------------------------------------------------------------------ checks
    def check(self, data: pa.Table | pa.RecordBatch | pd.DataFrame) -> None:
        """InvalidInput naming every required column absent (or empty throughout, when always filled)."""
        names = set(data.columns if isinstance(data, pd.DataFrame) else data.schema.names)
        problems = [
            Problem("missing-column", "the model was trained with this column", column=c)
            for c in self.builder.required_columns_
            if c not in names
        ]
        problems += [
            Problem("empty-column", "the model was trained with this column always filled", column=c)
            for c in getattr(self.builder, "always_filled_", [])
            if c in names and all_blank(_column(data, c))
        ]
        if problems:
            raise InvalidInput(problems, source="declarations")

    # ------------------------------------------------------------------ transform
    def _ids(self, data: Any, name: str, cache: dict[str, Any]) -> np.ndarray:
        """Per row, the vocabulary id of its ``name`` code (-1 when the training state never saw it)."""
        if name in cache:
            return np.asarray(cache[name])
        if name == LANE:
            cache[name] = ids = self._lane_ids(data, cache)
            return ids
        vocab = self.vocab[name]
        src, width = DERIVED.get(name, (name, 0))
        col = _column(data, src)
        if not width and vocab.floats is not None and _is_float(col):
            values = numeric(col)
            ids = vocab.floats.get_indexer(pd.Index(values)).astype("int64", copy=False)
            negzero = (values == 0) & np.signbit(values)
            if negzero.any():  # "-0.0" is its own code in the reference (string) encoding
                ids[negzero] = vocab.negative_zero
        else:
            codes, uniques = self._encoded(data, src, cache)
            text = code_strings(uniques)
            if width:
                text = text.str.replace(".", "", regex=False).str[:width]
            ids = vocab.index.get_indexer(pd.Index(text.to_numpy(dtype="object"), dtype="object"))[codes]
            ids = ids.astype("int64", copy=False)
        cache[name] = ids
        return ids

    def _encoded(self, data: Any, src: str, cache: dict[str, Any]) -> tuple[np.ndarray, pd.Series]:
        key = f"__encoded__{src}"
        if key not in cache:
            cache[key] = encode(_column(data, src))
        codes, uniques = cache[key]
        return codes, uniques

    def _lane_ids(self, data: Any, cache: dict[str, Any]) -> np.ndarray:
        """Lane ids without a string per row: the source columns' value ids are combined into one id per
        distinct combination, and only one row per combination gets its lane string (the reference's)."""
        cols = sources(LANE, _names(data))
        combined: np.ndarray | None = None
        encoded = [self._encoded(data, c, cache) for c in cols]
        for codes, uniques in encoded:
            if combined is None:
                combined = codes
            else:  # combined < rows and codes < distinct values: the product fits in int64
                combined = pd.factorize(combined * max(len(uniques), 1) + codes)[0].astype("int64")
        assert combined is not None
        group, _ = pd.factorize(combined)
        group = np.asarray(group, dtype="int64")
        first = np.empty(int(group.max()) + 1 if len(group) else 0, dtype="int64")
        rows = np.arange(len(group), dtype="int64")
        first[group] = rows  # any row of a group will do: its source values are the same
        sample = pd.DataFrame(
            {
                c: uniques.iloc[codes[first]].reset_index(drop=True)
                for c, (codes, uniques) in zip(cols, encoded, strict=True)
            }
        )
        text = key_columns(sample, [LANE])[LANE]
        ids = self.vocab[LANE].index.get_indexer(pd.Index(text.to_numpy(dtype="object"), dtype="object"))
        return np.asarray(ids, dtype="int64")[group]

    def _string_pair(self, data: Any, a: str, b: str) -> pd.Index:
        names = _names(data)
        frame = pd.DataFrame({c: _column(data, c) for c in {s for x in (a, b) for s in sources(x, names)}})
        if not isinstance(data, pd.DataFrame):  # values as the whole column's to_pandas gives them
            frame = pa.table({c: _as_pandas_semantics(_column(data, c)) for c in frame.columns}).to_pandas()
        return pd.Index(key_columns(frame, [(a, b)])[keyname((a, b))], dtype="object")

    def features(self, data: pa.Table | pa.RecordBatch | pd.DataFrame) -> dict[str, np.ndarray]:
        """Every feature column (float64), by name."""
        return {
            name: col.values[col.rows] if isinstance(col, _Gather) else col
            for name, col in self._columns(data, {}).items()
        }

    def _columns(self, data: Any, cache: dict[str, Any]) -> dict[str, np.ndarray | _Gather]:
        """Every feature column by name: computed, or a gather from a table left for :meth:`matrix` to do
        block by block (80 of the KCS model's 91 features are gathers)."""
        out: dict[str, np.ndarray | _Gather] = {}
        for k in self.keys:
            n, _, rate = self.single[k]
            ids = self._ids(data, k, cache)
            out[f"{k}_target_rate"] = _Gather(rate, ids)
            out[f"{k}_count"] = _Gather(n, ids)
        for a, b in self.pairs:
            name = keyname((a, b))
            pos = self._pair_positions(data, a, b, self.pair_index[name], cache)
            n, _, rate = self.pair_stats[name]
            out[f"{name}_target_rate"] = _Gather(rate, pos)
            out[f"{name}_count"] = _Gather(n, pos)
        value = numeric(_column(data, "value"))
        mass = numeric(_column(data, "net_mass_kg"))
        with np.errstate(divide="ignore", invalid="ignore"):
            luv = np.log1p(value) - np.log1p(mass)
        luv = np.where(np.isfinite(luv), luv, np.nan)
        out["log_value_per_kg"] = luv
        out["value_per_kg_vs_hs6"] = luv - self.hs6_norm[self._ids(data, "hs6", cache)]
        out["log_value"] = np.log1p(value)
        out["log_net_mass"] = np.log1p(mass)
        rows = len(value)
        if self.risk:
            out.update(self._risk_features(data, value, mass, cache))
        for party in self.builder.history_:
            if party in self.history:
                n, h, rate = self.history[party]
                ids = self._ids(data, party, cache)
                out[f"{party}_past_inspections"], out[f"{party}_past_hits"] = _Gather(n, ids), _Gather(h, ids)
                out[f"{party}_past_hit_rate"] = _Gather(rate, ids)
            else:
                zeros = np.zeros(rows)
                out[f"{party}_past_inspections"], out[f"{party}_past_hits"] = zeros, zeros
                out[f"{party}_past_hit_rate"] = self.builder._smooth(zeros, zeros)
        for c in self.builder.numeric_:
            out[c] = numeric(_column(data, c))
        if self.builder.profiles:
            out.update(zip(PROFILE_FEATURES, profile_features(data, self.builder.profiles), strict=True))
        for c in self.builder.categoricals_:
            out[f"{c}_cat"] = _Gather(self.category_codes[c], self._ids(data, c, cache))
        return out

    def _risk_features(
        self, data: Any, value: np.ndarray, mass: np.ndarray, cache: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        assert self.risk is not None

        def coefficients(name: str) -> np.ndarray:
            if name in self.risk_single:
                return self.risk_single[name][self._ids(data, name, cache)]
            index, coef = self.risk_pair[name]
            a, _, b = name.partition("__")
            return coef[self._pair_positions(data, a, b, index, cache)]

        norm = self.risk_hs6_norm[self._ids(data, "hs6", cache)]
        return risk_features(
            self.risk,
            coefficients,
            lambda party: self.risk_party[party][self._ids(data, party, cache)],
            log_value_ratio(value, mass, norm),
        )

    def matrix(
        self,
        data: pa.Table | pa.RecordBatch | pd.DataFrame,
        *,
        check: bool = True,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The feature matrix (rows x features, float64, the model's column order) LightGBM predicts on.

        ``out`` (at least ``len(data)`` rows, C order) is filled and its first rows returned: reusing one
        buffer per chunk saves the page faults of a fresh matrix.
        """
        if check:
            self.check(data)
        cols = self._columns(data, {})
        rows = len(data)
        if out is None or out.shape[0] < rows or out.shape[1] != len(self.feature_names):
            out = np.empty((rows, len(self.feature_names)), dtype="float64")
        X = out[:rows]
        ordered = [cols[name] for name in self.feature_names]
        # written block by block through a small feature-major buffer: one column at a time straight into
        # the row-major matrix writes one value per cache line (3x the CPU of this transpose, measured);
        # the gathers go straight into that buffer (no column of the whole slice is ever made for them)
        block = np.empty((len(ordered), min(rows, _BLOCK_ROWS)))
        for start in range(0, rows, _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, rows)
            for j, column in enumerate(ordered):
                if isinstance(column, _Gather):  # "wrap": row -1 is the last slot, as in values[rows]
                    np.take(column.values, column.rows[start:stop], out=block[j, : stop - start], mode="wrap")
                else:
                    block[j, : stop - start] = column[start:stop]
            X[start:stop] = block[:, : stop - start].T
        return X

    def frame(self, data: pa.Table | pa.RecordBatch | pd.DataFrame, index: Any = None) -> pd.DataFrame:
        """The reference ``transform`` output: the same columns, categoricals as ``pd.Categorical``."""
        self.check(data)
        cols: dict[str, Any] = dict(self.features(data))
        for c in self.builder.categoricals_:
            codes = cols[f"{c}_cat"]
            codes = np.where(np.isnan(codes), -1, codes).astype("int64")
            cats = self.builder.categories_[c]
            cols[f"{c}_cat"] = pd.Categorical.from_codes(codes, categories=cats)  # type: ignore[arg-type]
        return pd.DataFrame({n: cols[n] for n in self.feature_names}, index=index)
