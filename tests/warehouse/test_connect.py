"""Locations, and two processes using the same DuckDB file at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from iprisk.errors import WarehouseBusy
from iprisk.warehouse import Warehouse, parse_location
from tests.warehouse.samples import make_batch

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("iprisk.duckdb", "duckdb", "iprisk.duckdb"),
        ("data/wh.db", "duckdb", "data/wh.db"),
        ("warehouse", "duckdb", "warehouse"),
        ("duckdb:///abs/wh.duckdb", "duckdb", "/abs/wh.duckdb"),
        ("duckdb://rel/wh.duckdb", "duckdb", "rel/wh.duckdb"),
        ("duckdb://", "duckdb", ":memory:"),
        (":memory:", "duckdb", ":memory:"),
        ("pyspark://local", "ibis", "pyspark://local"),
        ("postgres://u@h/db", "ibis", "postgres://u@h/db"),
    ],
)
def test_parse_location(text: str, kind: str, target: str) -> None:
    loc = parse_location(text)
    assert (loc.kind, loc.target) == (kind, target)


def _python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Holding the file with plain DuckDB (fast to start) is what any other iprisk process does while it works.
HOLD = """
import time, duckdb
con = duckdb.connect({path!r})
print("holding", flush=True)
time.sleep({seconds})
con.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = _python(HOLD.format(path=str(path), seconds=seconds))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding", proc.stderr.read() if proc.stderr else ""
    return proc


def test_busy_after_the_lock_timeout_and_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()
    holder = _hold(path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(WarehouseBusy, match="warehouse busy, retry") as info:
            Warehouse.open(path, lock_timeout_s=0.5)
        assert 0.4 < time.monotonic() - start < 5
        assert info.value.location == str(path)
    finally:
        holder.kill()
        holder.communicate()  # also closes the pipes
    with Warehouse.open(path) as wh:
        assert wh.submissions().empty


def test_open_waits_for_the_other_process_to_finish(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()
    holder = _hold(path, 1.0)
    try:
        start = time.monotonic()
        with Warehouse.open(path, lock_timeout_s=20) as wh:
            waited = time.monotonic() - start
            assert wh.submissions().empty
        assert waited > 0.3  # it did have to wait
    finally:
        holder.communicate(timeout=20)
    assert holder.returncode == 0


SUBMITTER = """
import sys, time
from pathlib import Path
from iprisk.errors import WarehouseBusy
from iprisk.warehouse import Warehouse
from tests.warehouse.samples import make_batch

go = Path({go!r})
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
done = []
for i, (admin, quarter, variant) in enumerate({jobs!r}):
    try:
        with Warehouse.open({path!r}, lock_timeout_s={timeout}) as wh:
            r = wh.submit(make_batch(admin, quarter, n=50 + i, variant=variant))
        done.append(f"{{admin}}/{{quarter}}/{{variant}}:{{r.status}}")
    except WarehouseBusy as exc:
        done.append("busy:" + str(exc))
print(";".join(done))
"""


def _run_two(path: Path, go: Path, jobs_a: list, jobs_b: list, timeout: float) -> list[str]:
    procs = [
        _python(SUBMITTER.format(go=str(go), jobs=jobs, path=str(path), timeout=timeout))
        for jobs in (jobs_a, jobs_b)
    ]
    for proc in procs:  # both imported and waiting at the start line
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outputs.extend(stdout.strip().split(";"))
    return outputs


def _check_integrity(path: Path) -> None:
    with Warehouse.open(path) as wh:
        log = wh.submissions()
        assert log["submission_id"].is_unique
        current = log[log.status == "current"]
        assert not current.duplicated(["reporting_admin", "quarter"]).any()
        per_sub = (
            wh.con.table("seizure_lines").group_by("submission_id").agg(n=lambda t: t.count()).to_pandas()
        )
        assert dict(zip(per_sub.submission_id, per_sub.n, strict=True)) == dict(
            zip(log.submission_id, log["rows"], strict=True)
        )
        versions = log.groupby(["reporting_admin", "quarter"])["version"].apply(sorted)
        for vs in versions:
            assert vs == list(range(1, len(vs) + 1))


def test_two_processes_submitting_at_once_both_stored(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    jobs_a = [("DE", "2016Q1", 0), ("DE", "2016Q2", 0), ("FR", "2016Q1", 0)]
    jobs_b = [("CN", "2016Q1", 0), ("CN", "2016Q2", 0), ("FR", "2016Q1", 1)]  # FR 2016Q1: both write it
    outputs = _run_two(path, tmp_path / "go", jobs_a, jobs_b, timeout=60)
    assert not [o for o in outputs if o.startswith("busy")], outputs
    assert len(outputs) == 6
    _check_integrity(path)
    with Warehouse.open(path) as wh:
        log = wh.submissions()
    assert len(log) == 6
    fr = log[(log.reporting_admin == "FR")].sort_values("version")
    assert fr["status"].tolist() == ["superseded", "current"]


def test_two_processes_with_a_short_timeout_never_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    jobs_a = [("DE", f"2016Q{q}", 0) for q in (1, 2, 3, 4)]
    jobs_b = [("CN", f"2016Q{q}", 0) for q in (1, 2, 3, 4)]
    outputs = _run_two(path, tmp_path / "go", jobs_a, jobs_b, timeout=0.0)
    busy = [o for o in outputs if o.startswith("busy")]
    stored = [o for o in outputs if o.endswith(":stored")]
    assert len(busy) + len(stored) == 8
    assert all("warehouse busy, retry" in b for b in busy)
    _check_integrity(path)
    with Warehouse.open(path) as wh:
        assert len(wh.submissions()) == len(stored)


def test_a_new_file_is_created_whole_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    from iprisk.warehouse import _connect

    target = tmp_path / "new.duckdb"
    _connect._create_atomically(target)
    assert target.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.duckdb"]
    with Warehouse.open(target) as wh:
        assert wh.submissions().empty


def test_creation_race_keeps_the_winners_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from iprisk.warehouse import _connect

    target = tmp_path / "w.duckdb"
    with Warehouse.open(target) as wh:  # the winner, with data
        wh.submit(make_batch())
    real_link = os.link
    calls = []

    def exists_then_link(src: str, dst: str) -> None:
        calls.append(dst)
        real_link(src, dst)  # the target exists: FileExistsError, like losing the race

    monkeypatch.setattr(os, "link", exists_then_link)
    monkeypatch.setattr(Path, "exists", lambda self: False if self == target else os.path.exists(self))
    _connect._create_atomically(target)
    monkeypatch.undo()
    assert calls == [target]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
    with Warehouse.open(target) as wh:
        assert len(wh.submissions()) == 1


def test_without_hard_links_the_file_is_renamed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from iprisk.warehouse import _connect

    def no_links(src: str, dst: str) -> None:
        raise OSError("operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "w.duckdb"
    _connect._create_atomically(target)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
    Warehouse.open(target).close()
