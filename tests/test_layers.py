"""Data flows one way: no module imports a package higher in the flow (docs/architecture.md, Shape).

Every ``import iprisk.x`` and ``from iprisk.x import ...`` counts, including those inside functions (lazy
imports still make a cycle). Packages not listed here yet (new ones) are left alone until they are placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "iprisk"

#: Low to high. A module may import its own package and any package before it, never one after it.
FLOW = (
    "errors", "settings", "periods", "lanes", "spark", "codes", "i18n", "formats", "warehouse", "simulate",
    "analysis", "profiles", "referrals",
    "store", "targeting", "selection", "evaluation", "reports", "demo", "cli",
)  # fmt: skip


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "iprisk" else None


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {p for alias in node.names if (p := _package(alias.name))}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and (p := _package(node.module)) is not None
        ):
            found.add(p)
    return found


def test_no_import_runs_back_up_the_flow() -> None:
    rank = {name: i for i, name in enumerate(FLOW)}
    upward, checked = [], 0
    for path in sorted(SRC.rglob("*.py")):
        own = path.relative_to(SRC).parts[0].removesuffix(".py")
        if own not in rank:
            continue
        for target in _imports(path):
            checked += target in rank
            if target in rank and rank[target] > rank[own]:
                upward.append(f"{path.relative_to(SRC)} imports iprisk.{target}")
    assert upward == []
    assert checked > 100  # the imports were seen (the store's of profiles among them)
    assert "profiles" in _imports(SRC / "store" / "profiles.py")


def test_every_package_of_the_flow_exists() -> None:
    present = {p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    assert set(FLOW) <= present
