"""The readers under random bytes, truncations and mixed encodings: a valid batch or a clear error, never a
crash or another exception."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.errors import IpriskError
from iprisk.formats import read_declarations, read_seizures, write_table

from ._data import seizure_row, seizure_rows, write_csv

#: More examples with IPRISK_FUZZ_EXAMPLES (make bench-length runs); the default keeps make test short.
EXAMPLES = int(os.environ.get("IPRISK_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
EXTENSIONS = [".csv", ".json", ".jsonl", ".xlsx", ".parquet"]


def _valid_file(tmp_path: Path, ext: str) -> bytes:
    """A valid 4-row seizures file in format ``ext`` with non-ASCII text, as bytes."""
    rows = seizure_rows(4)
    rows[1] = seizure_row(2, right_holder_ref="权利人 Müller")
    batch = read_seizures(write_csv(rows, tmp_path / "seed.csv"))
    if ext == ".csv":
        return (tmp_path / "seed.csv").read_bytes()
    if ext in (".json", ".jsonl"):
        frame = batch.table.to_pandas().astype(str)
        buffer = io.StringIO()
        frame.to_json(buffer, orient="records", lines=ext == ".jsonl", force_ascii=False)
        return buffer.getvalue().encode()
    out = write_table(batch.table, tmp_path / f"seed{ext}")
    return out.read_bytes()


def _read_all(path: Path) -> None:
    for read in (read_seizures, read_declarations):
        with contextlib.suppress(IpriskError):  # a clear error: what the readers promise for a bad file
            read(path)


@FUZZ
@given(st.sampled_from(EXTENSIONS), st.binary(max_size=2048))
def test_random_bytes(tmp_path_factory: pytest.TempPathFactory, ext: str, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"f{ext}"
    path.write_bytes(data)
    _read_all(path)


@FUZZ
@given(st.sampled_from(EXTENSIONS), st.floats(0, 1), st.binary(max_size=64), st.floats(0, 1))
def test_truncated_and_corrupted_files(
    tmp_path_factory: pytest.TempPathFactory, ext: str, cut: float, noise: bytes, where: float
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    data = _valid_file(tmp, ext)
    data = data[: int(len(data) * cut)] if cut < 0.5 else data
    at = int(len(data) * where)
    path = tmp / f"f{ext}"
    path.write_bytes(data[:at] + noise + data[at + len(noise) :])
    _read_all(path)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Müller", "海关", "Ελλάδα", "София", "x"]),
            st.sampled_from(["utf-8", "gb18030", "cp1252", "cp1251", "cp1253"]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_mixed_encodings(tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str]]) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    lines, written, encodings = [",".join(seizure_row(1)).encode()], [], set()
    for i, (text, encoding) in enumerate(cells, start=1):
        try:
            line = ",".join(seizure_row(i, right_holder_ref=text).values()).encode(encoding)
        except UnicodeEncodeError:  # a code page without those letters: the row keeps its ASCII reference
            text, line = seizure_row(i)["right_holder_ref"], ",".join(seizure_row(i).values()).encode()
        lines.append(line)
        written.append(text)
        if not text.isascii():
            encodings.add(encoding)
    path = tmp / "mixed.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    try:
        batch = read_seizures(path)
    except IpriskError:
        return  # refused: a clear error naming rows
    if len(encodings) <= 1:  # one encoding wrote every non-ASCII text: accepted means read exactly
        assert batch.table.column("right_holder_ref").to_pylist() == written


def test_parquet_seed_is_valid(tmp_path: Path) -> None:
    data = _valid_file(tmp_path, ".parquet")
    (tmp_path / "p.parquet").write_bytes(data)
    assert pq.read_table(tmp_path / "p.parquet").num_rows == 4
