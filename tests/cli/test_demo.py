"""``iprisk demo`` prints what :func:`iprisk.demo.run_demo` returns, and nothing it computed itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import iprisk.demo
from iprisk.demo import DemoResult


def test_the_command_prints_what_the_library_returns(
    tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    returned: list[DemoResult] = []
    library = iprisk.demo.run_demo

    def shorter(out_dir: Path, **kw: object) -> DemoResult:
        # the command's world, on a shorter period (two years: the last one is the targeting test year)
        returned.append(library(out_dir, start="2015Q1", end="2016Q4", **kw))  # type: ignore[arg-type]
        return returned[-1]

    monkeypatch.setattr(iprisk.demo, "run_demo", shorter)
    code, out, err = run("demo", "--out", tmp_path, "--scale", "0.01", "--seed", "5")
    assert code == 0, err
    (result,) = returned
    assert result.analysis is not None and result.targeting is not None
    total = result.stored.set_index("reporting_admin").loc["all"]
    assert re.search(rf"│ all +│ +{total.quarters} │ +{total.cases:,} │ +{total.lines:,} │", out)
    assert f"Joint analysis: {len(result.analysis.signals)} signals" in out
    assert f"{len(result.targeting.profiles)} profiles proposed" in out
    plan = result.allocation.plan if result.allocation is not None else None
    assert plan is not None and plan.quarter == "2017Q1"
    assert f"expected {plan.expected:,.0f} cases against {plan.status_quo:,.0f} today" in out
    assert "KA2 network" in out and result.allocation is not None and len(result.allocation.ports.curve) == 8
    # two nodes exchanged the last quarter and a joint profile, and agree
    channel = result.channel
    assert (
        channel is not None
        and channel.reconciliation.ok
        and channel.profile
        == {
            "EU": (1, "active"),
            "CN": (1, "active"),
        }
    )
    last_quarter = [f for f in result.world.seizure_files if f.stem.endswith("2016Q4")]
    assert sum(channel.sent.values()) == len(last_quarter) == channel.reconciliation.submissions
    assert f"{channel.reconciliation.submissions} submissions (content hashes) and 1 joint profile" in out
    assert "no difference" in out and "The EU node's message log" in out
    for strategy in ("random", "profiles", "model", "model+profiles"):
        row = result.targeting.comparison.query("strategy == @strategy and k_pct == 5").iloc[0]
        cells = rf"│ {re.escape(strategy)} +│ +5 │ +{int(row.selected):,} │ +{int(row.hits_selected):,} │"
        assert re.search(cells, out), strategy

    # the targeting stage measured the last year, and the learned score beats random checks clearly on a
    # world with a planted risk structure
    assert str(result.targeting.train_until) == "2015-12-31"
    table = result.targeting.comparison
    at5 = table[table.k_pct == 5].set_index("strategy")
    assert at5.loc["model", "precision"] > 2 * at5.loc["random", "precision"]
    assert (table.precision <= table.precision_oracle + 1e-12).all()

    # the newsletter of the last quarter and the joint report of the last full year, both languages, both
    # formats, written and printed
    names = sorted(path.name for path in result.reports)
    assert names == sorted(
        f"{doc}.{lang}.{ext}"
        for doc in ("newsletter-2016Q4", "annual-2016")
        for lang in ("en", "zh")
        for ext in ("pdf", "html")
    )
    for path in result.reports:
        assert path.stat().st_size > 0 and str(path) in out.replace("\n", "")
    zh_html = (tmp_path / "reports" / "annual-2016.zh.html").read_text(encoding="utf-8")
    assert 'lang="zh' in zh_html and "2016年" in zh_html
