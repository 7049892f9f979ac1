"""Memory stays flat as the number of declarations grows: they are generated and written in chunks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import dataclasses, json, sys
from iprisk.simulate import default_scenario, simulate
factor, out = float(sys.argv[1]), sys.argv[2]
s = default_scenario()
s = dataclasses.replace(s, declaration_sample={k: v * factor for k, v in s.declaration_sample.items()})
r = simulate(s, "2016Q1", "2016Q2", 0.02, 3, out, chunk_rows=16_384)
# VmHWM, the child's own peak: ru_maxrss would carry the (bigger) pytest parent's size across fork + exec
rss = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024
print(json.dumps({"rows": r.declarations, "rss_mb": rss}))
"""


def _peak(factor: float, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(factor), str(out)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_peak_memory_does_not_grow_with_the_number_of_declarations(tmp_path: Path) -> None:
    small = _peak(2.0, tmp_path / "small")
    big = _peak(32.0, tmp_path / "big")
    assert big["rows"] > 12 * small["rows"] > 100_000
    # 16x the rows; the peak may grow by the page cache of a few chunks, not in proportion
    assert big["rss_mb"] - small["rss_mb"] < 120, (small, big)
