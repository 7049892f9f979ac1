"""Where the time of ``Warehouse.submit(path)`` goes: wall and CPU seconds of each stage, on a seizures CSV.

``python -m benchmarks.profile_submit [ROWS] [--repeats N]`` (default: the 1,000,000-line file of
``bench_submit``, generated under ``bench-out/submit/`` when absent; 3 repeats). Each repeat reads, validates
and stores the file into a fresh DuckDB warehouse in this process, with every stage timed: parsing the CSV
(pyarrow), the reader's limits and escapes, bringing the columns to the format (``prepare``), the rules of
each column (``_check_values``: on the column's distinct values for codes, countries, ports, dates), the rest
of ``check_and_cast`` (dictionary encoding, trimming, casting), the key order, duplicate keys, the
administration and the quarter, the content hash, and storing (opening the warehouse, the log row, the lines'
insert, the transaction, closing). CPU time counts every thread of the process (pyarrow's and DuckDB's), so it
tells the work apart from the machine's load; the figures are medians over the repeats.

Not a benchmark (no baseline): the profile behind the figures of ``bench_submit``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.bench_submit import ROWS, make_file

#: (module, function, stage name): the functions timed, in the order a submission calls them. A stage
#: named with ``{column}`` is timed per column (the function's first argument is the schema's column).
STAGES: tuple[tuple[str, str, str], ...] = (
    ("iprisk.formats.seizures", "read_raw", "read: read_raw (total)"),
    ("pyarrow.csv", "read_csv", "read:   parse CSV (pyarrow)"),
    ("iprisk.formats.readers", "_contains", "read:   apostrophe search"),
    ("iprisk.formats.readers", "check_cells", "read:   cell length limit"),
    ("iprisk.formats.seizures", "prepare", "validate: prepare (columns, mapping)"),
    ("iprisk.formats.seizures", "check_and_cast", "validate: check_and_cast (total)"),
    ("iprisk.formats.validate", "_check_values", "validate:   rules of {column}"),
    ("iprisk.formats.seizures", "_key_order", "validate: key order (sort)"),
    ("iprisk.formats.seizures", "_check_duplicates", "validate: duplicate keys"),
    ("iprisk.formats.seizures", "_check_admin", "validate: administration"),
    ("iprisk.formats.seizures", "_check_quarter", "validate: quarter"),
    ("iprisk.formats.seizures", "_hash_sorted", "hash: content hash (sort + SHA-256)"),
    ("iprisk.warehouse._submit", "canonical_lines", "store:   canonical columns"),
    ("iprisk.warehouse._submit", "insert_log_row", "store:   log row"),
    ("iprisk.warehouse._submit", "insert_lines", "store:   insert the lines"),
    ("iprisk.warehouse.core", "store_batch", "store: transaction (total)"),
)


def _cpu() -> float:
    """CPU seconds of this process, every thread."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


@contextlib.contextmanager
def timed_stages(on_stage: Callable[[str, float, float], None]) -> Iterator[None]:
    """Within the block, each function of :data:`STAGES` calls ``on_stage(name, wall, cpu)`` when it returns;
    the modules' functions are put back after."""
    originals: list[tuple[Any, str, Any]] = []

    def timer(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            label = name.format(column=getattr(args[0], "name", "?")) if "{column}" in name else name
            on_stage(label, 0.0, 0.0)  # named on entry, so that stages print in the order they start
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                on_stage(label, time.perf_counter() - wall, _cpu() - cpu)

        return timed

    for module_name, attr, name in STAGES:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
        originals.append((module, attr, fn))
        setattr(module, attr, timer(name, fn))
    try:
        yield
    finally:
        for module, attr, fn in originals:
            setattr(module, attr, fn)


def profile_once(path: Path, folder: Path) -> dict[str, tuple[float, float]]:
    """One submission of ``path`` into a fresh warehouse in ``folder``: (wall, CPU) seconds by stage."""
    from iprisk.warehouse import Warehouse

    spent: dict[str, list[float]] = {}

    def add(name: str, wall: float, cpu: float) -> None:
        total = spent.setdefault(name, [0.0, 0.0])
        total[0] += wall
        total[1] += cpu

    add("submit (total)", 0.0, 0.0)
    add("read + validate + hash (read_seizures)", 0.0, 0.0)
    wall, cpu = time.perf_counter(), _cpu()
    with timed_stages(add):
        from iprisk.formats import read_seizures

        batch = read_seizures(path)
        add("read + validate + hash (read_seizures)", time.perf_counter() - wall, _cpu() - cpu)
        opened, opened_cpu = time.perf_counter(), _cpu()
        with Warehouse.open(folder / "warehouse.duckdb") as wh:
            add("store: open a fresh warehouse", time.perf_counter() - opened, _cpu() - opened_cpu)
            result = wh.submit(batch)
            closing, closing_cpu = time.perf_counter(), _cpu()
        add("store: close (checkpoint)", time.perf_counter() - closing, _cpu() - closing_cpu)
    add("submit (total)", time.perf_counter() - wall, _cpu() - cpu)
    assert result.status == "stored" and result.rows == batch.rows, result
    return {name: (w, c) for name, (w, c) in spent.items()}


def main(rows: int, repeats: int) -> None:
    out = Path("bench-out") / "submit"
    path = make_file(out, rows)
    from iprisk.formats import read_seizures

    read_seizures(path)  # once before timing: imports, code lists and the file in the page cache
    runs: list[dict[str, tuple[float, float]]] = []
    loads = [os.getloadavg()[0]]
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            runs.append(profile_once(path, Path(tmp)))
        loads.append(os.getloadavg()[0])
    print(f"{path.name}: {rows:,} lines, {path.stat().st_size / 1e6:.0f} MB; medians of {repeats} runs")
    print(f"load average (1 min) {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores")
    print(f"{'stage':44s} {'wall s':>8s} {'CPU s':>8s}")
    for name in runs[0]:
        wall = statistics.median(r[name][0] for r in runs)
        cpu = statistics.median(r[name][1] for r in runs)
        print(f"{name:44s} {wall:8.3f} {cpu:8.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=ROWS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.rows, args.repeats)
