"""The end-to-end demonstration behind ``make demo``, at the top of the flow: it may call every package.

:func:`run_demo` simulates a world, exchanges and analyses its seizure statistics and runs the targeting
stage; :func:`run_targeting_demo` is that last stage alone (also the simulated-world targeting benchmark).
"""

from __future__ import annotations

from iprisk.demo.run import DemoResult, Progress, run_demo
from iprisk.demo.targeting import TargetingDemo, run_targeting_demo

__all__ = ["DemoResult", "Progress", "TargetingDemo", "run_demo", "run_targeting_demo"]
