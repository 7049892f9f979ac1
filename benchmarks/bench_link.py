"""The channel end to end between two nodes on loopback, against the same HTTP POSTs without the channel.

The receiver is a real node (``iprisk serve`` in its own process, SQLite database); the sender is the EU
node's link in this process (its service stopped, so that its background worker does not compete).

* throughput: ``MESSAGES`` probes of 1 KiB queued (signed and encrypted: sealed at enqueue) and delivered
  (batches of up to ``IPRISK_DELIVERY_BATCH``, ``IPRISK_DELIVERY_IN_FLIGHT`` at the peer at once, and once
  more one batch at a time, in the same run: the pipeline against turns; opened,
  verified, stored and receipted by the peer, receipts checked and stored as each batch comes back) —
  messages per second, and CPU seconds of each process per 1,000 messages; the baseline POSTs the same
  payloads in batches of the same size to a plain ASGI app (``_plain_node``, uvicorn,
  its own process) that stores each in SQLite, one transaction per request;
* latency: one message at a time, ``ROUNDS`` times, from the commit that queues it to its receipt checked
  and recorded by the delivery worker running in the background (woken by the message, not polling) — p50
  and p99, against one plain POST stored and acknowledged;
* a quarterly submission of ``ROWS`` lines: synced from the warehouse log, sent, validated with the rules of
  ``iprisk submit`` and stored at the peer, against the same file submitted locally (after a small first
  version has warmed both paths up in both processes: the imports are not what is measured).

Run alone: ``python -m benchmarks link`` (``python -m benchmarks.bench_link MESSAGES ROUNDS ROWS``).
Targets (issue 10): >= 500 messages/s, p99 < 100 ms on 2 cores; the submission < 2x the local submit.
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

MESSAGES = 2_000
ROUNDS = 300
ROWS = 1_000_000
SIZE = 1024
ROOT = Path(__file__).resolve().parents[1]
_TICK = os.sysconf("SC_CLK_TCK")
_START_S = 900.0  # how long a node may take to start: on a loaded machine, imports alone take minutes


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _row(
    name: str, value: float, unit: str, baseline: float | None, target: float | None, ok: bool | None = None
) -> dict[str, Any]:
    """One result row; ``ok`` is None ("no target") unless the row is judged against its target."""
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": round(value / baseline, 3) if baseline else None,
        "target": target,
        "ok": ok,
    }


@contextmanager
def _plain_server(folder: Path) -> Iterator[tuple[str, int]]:
    import httpx2
    from tests.link.processes import free_port, wait_for

    port = free_port()
    env = {**os.environ, "PLAIN_DB": str(folder / "plain.sqlite")}
    command = [sys.executable, "-m", "uvicorn", "benchmarks._plain_node:app", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx2.get(f"{url}/health", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_for(answers, "the plain server", timeout_s=_START_S)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def _timed(work: Callable[[], None], server_pid: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of this process and CPU seconds of the server, of ``work``."""
    cpu0, server0, t0 = time.process_time(), _cpu_of(server_pid), time.perf_counter()
    work()
    elapsed = time.perf_counter() - t0
    return elapsed, time.process_time() - cpu0, _cpu_of(server_pid) - server0


def _deliver_all(link: Any, expected: int) -> None:
    from iprisk.link.status import counts

    while counts(link).outgoing["received"] < expected:
        done = link.deliver(limit=1000)
        if done.transport_errors:
            raise RuntimeError(f"delivery failed: {done.transport_errors[:3]}")


def _worker_latencies(link: Any, rounds: int) -> list[float]:
    """Seconds from the commit that queues one message to its receipt recorded, ``rounds`` times, with the
    node's delivery worker running in the background as in ``iprisk serve`` (it sleeps between messages:
    what wakes it is the message queued, not its polling interval of 5 s)."""
    from iprisk.link import DeliveryWorker
    from iprisk.link.probe import send_probes

    done = threading.Event()
    worker = DeliveryWorker(link, interval_s=5, on_round=lambda r: done.set() if r.received else None)
    worker.start()
    samples = []
    try:
        for _ in range(rounds):
            done.clear()
            t0 = time.perf_counter()
            send_probes(link, "CN", 1, SIZE)
            if not done.wait(120):
                raise RuntimeError("the worker did not deliver a message within 120 s")
            samples.append(time.perf_counter() - t0)
    finally:
        worker.stop()
    return samples


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def run(out: Path, messages: int = MESSAGES, rounds: int = ROUNDS, rows: int = ROWS) -> list[dict[str, Any]]:
    import httpx2
    from tests.link.processes import NodeProcess

    from iprisk.link import add_peer
    from iprisk.link.probe import send_probes

    out = out.resolve()  # the nodes run in their own folders: their settings need absolute paths
    out.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        folder = Path(tmp)
        eu = NodeProcess("EU", folder / "eu", "sqlite", peer_timeout_s="900", delivery_interval_s="5")
        cn = NodeProcess("CN", folder / "cn", "sqlite", peer_timeout_s="900", delivery_interval_s="5")
        try:
            eu.launch()
            cn.launch()
            eu.wait_ready(_START_S)
            cn.wait_ready(_START_S)
            add_peer(eu.link(), cn.url, cn.fingerprint)
            add_peer(cn.link(), eu.url, eu.fingerprint)
            eu.stop()
            link = eu.link()
            assert cn.process is not None
            server = cn.process.pid
            payloads = [f"m{i:06d} ".encode().ljust(SIZE, b".") for i in range(messages)]

            # -- throughput ---------------------------------------------------------------------------------
            send_probes(link, "CN", 20)  # warm-up: connections, imports, caches
            _deliver_all(link, 20)

            def channel_all(before: int) -> Callable[[], None]:
                def run() -> None:
                    send_probes(link, "CN", messages, SIZE)
                    _deliver_all(link, before + messages)

                return run

            pipelined = link.config
            link.config = replace(pipelined, in_flight=1)  # the same run, one batch at a time (as before)
            turns_s, turns_here, turns_there = _timed(channel_all(20), server)
            link.config = pipelined
            ours_s, ours_here, ours_there = _timed(channel_all(20 + messages), server)
            with (
                _plain_server(folder) as (plain, plain_pid),
                httpx2.Client(base_url=plain, timeout=900) as client,
            ):
                batch = link.config.batch_size

                def post_all(offset: int = 0) -> None:
                    for start in range(0, messages, batch):
                        chunk = [
                            {"id": f"{offset + start + i}", "body": base64.b64encode(p).decode()}
                            for i, p in enumerate(payloads[start : start + batch])
                        ]
                        client.post("/plain/batches", json={"messages": chunk}).raise_for_status()

                post_all(offset=messages)  # warm-up; the timed run stores new rows, as the channel does
                payloads_ids = iter(range(10 * messages, 10**9))
                base_s, base_here, base_there = _timed(post_all, plain_pid)

                # -- latency ----------------------------------------------------------------------------
                ours_lat = _worker_latencies(link, rounds)
                base_lat = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    headers = {"x-message-id": str(next(payloads_ids))}
                    client.post("/plain/messages", content=payloads[0], headers=headers).raise_for_status()
                    base_lat.append(time.perf_counter() - t0)
            rate, base_rate, turns_rate = messages / ours_s, messages / base_s, messages / turns_s
            (p50, p99), (b50, b99) = _percentiles(ours_lat), _percentiles(base_lat)
            results += [
                _row(f"channel end to end, {messages} x 1 KiB: messages/s", rate, "msg/s", base_rate, 500,
                     rate >= 500),
                _row(f"channel end to end, {link.config.in_flight} batches in flight, against one at a time: "
                     "messages/s", rate, "msg/s", turns_rate, None),
                _row("channel: CPU s per 1,000 messages (sender + receiver)",
                     (ours_here + ours_there) / messages * 1000, "cpu-s",
                     (base_here + base_there) / messages * 1000, None),
                _row("channel, one batch at a time: CPU s per 1,000 messages (sender + receiver)",
                     (turns_here + turns_there) / messages * 1000, "cpu-s",
                     (base_here + base_there) / messages * 1000, None),
                _row("channel: CPU s per 1,000 messages, sender (queue, seal, send, receipts checked)",
                     ours_here / messages * 1000, "cpu-s", base_here / messages * 1000, None),
                _row("channel: CPU s per 1,000 messages, receiver (open, apply, receipts signed)",
                     ours_there / messages * 1000, "cpu-s", base_there / messages * 1000, None),
                _row("channel latency, one message, enqueue to receipt checked: p50", p50, "ms", b50, None),
                _row("channel latency: p99", p99, "ms", b99, 100, p99 < 100),
            ]  # fmt: skip
            if rows:
                results += _submission_rows(out, eu, cn, link, rows)
        finally:
            eu.close()
            cn.close()
    return results


def _submission_rows(out: Path, eu: Any, cn: Any, link: Any, rows: int) -> list[dict[str, Any]]:
    from benchmarks.bench_submit import make_file
    from iprisk.link import sync_statistics
    from iprisk.link.status import counts
    from iprisk.warehouse import Warehouse

    def submit_and_send(path: Path) -> tuple[float, float]:
        """Seconds of the local submit, then of its sync, delivery, validation and storage at the peer."""
        t0 = time.perf_counter()
        with Warehouse.open(eu.settings().warehouse) as wh:
            stored = wh.submit(path)
        local_s = time.perf_counter() - t0
        assert stored.status in ("stored", "superseded-previous"), stored  # a new version either way
        before = counts(link).outgoing["received"]
        t0 = time.perf_counter()
        assert len(sync_statistics(link)) == 1
        _deliver_all(link, before + 1)
        return local_s, time.perf_counter() - t0

    # warm-up: a small first version loads the code of both paths in both processes (imports of the
    # warehouse, the formats, DuckDB take seconds and are not what is measured); the big one supersedes it
    submit_and_send(make_file(out / "warm-up", 1_000))
    local_s, sent_s = submit_and_send(make_file(out, rows))
    return [
        _row(
            f"a {rows:,}-line submission synced, sent, validated, stored at the peer (target < 2x local): s",
            sent_s, "s", local_s, round(2 * local_s, 3), sent_s < 2 * local_s,
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    for result in run(Path("bench-out"), *args):
        print(result)
