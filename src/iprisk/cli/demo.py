"""``iprisk demo``: the end-to-end demonstration that ``make demo`` runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from iprisk.cli import app, out

if TYPE_CHECKING:  # the demo pulls in LightGBM; every other command must not pay for it at start-up
    import pandas as pd

    from iprisk.demo import TargetingDemo
    from iprisk.demo.allocation import AllocationDemo
    from iprisk.demo.channel import ChannelDemo
    from iprisk.demo.referrals import ReferralDemo

TOP_SIGNALS = 10


@app.command()
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the world, warehouse and results.")
    ] = Path("demo-out"),
    scale: Annotated[
        float, typer.Option(help="Scale of the simulated world (1.0 = the real EU volume).")
    ] = 0.02,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated world.")] = 7,
) -> None:
    """Simulate a world, submit its quarterly seizure statistics to a fresh warehouse, and summarise."""
    from iprisk.demo import run_demo

    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        result = run_demo(out_dir, scale=scale, seed=seed, progress=report)

    w = result.world
    out.print(
        f"\n[bold]Simulated world[/] {w.quarters[0]}..{w.quarters[-1]} at scale {scale}: "
        f"{len(w.seizure_files)} quarterly seizure files, {w.declarations:,} declaration rows -> {w.out_dir}"
    )
    counted = Counter(r.status for r in result.submissions)
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(counted.items()))
    out.print(f"[bold]Submitted[/] to {result.warehouse}: {statuses}")
    table = Table(title="What the warehouse holds", show_lines=False)
    for col in ("admin", "quarters", "cases", "lines", "articles", "retail value EUR"):
        table.add_column(col, justify="left" if col == "admin" else "right")
    for row in result.stored.itertuples():
        table.add_row(
            str(row.reporting_admin),
            f"{row.quarters}",
            f"{row.cases:,}",
            f"{row.lines:,}",
            f"{row.articles:,}",
            f"{row.retail_value_eur:,.0f}",
        )
    out.print(table)
    if result.analysis is not None:
        _print_signals(result.analysis.signals, result.analysis.events, result.analysis_dir)
    if result.targeting is not None:
        _print_targeting(result.targeting)
    if result.allocation is not None:
        _print_allocation(result.allocation)
    if result.reports:
        out.print("\n[bold]Reports[/] (newsletter of the last quarter, joint report of the last full year):")
        for path in result.reports:
            out.print(f"  {path}", markup=False)
    if result.channel is not None:
        _print_channel(result.channel)
    out.print(
        f"\n[bold]In the dashboard[/]: `make serve` (or `iprisk demo-serve --out {out_dir}`) starts a node "
        "over these results and prints its address and logins."
    )


@app.command("demo-serve")
def demo_serve(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="The folder iprisk demo wrote (run it first).")
    ] = Path("demo-out"),
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Serve the demo's results in the dashboard: an EU node over its warehouse, analysis and reports."""
    import os

    from iprisk.cli.serve import serve
    from iprisk.demo.dashboard import prepare_demo_node
    from iprisk.settings import get_settings

    shown = prepare_demo_node(out_dir, host=host, port=port)
    out.print(f"\n[bold]Dashboard[/] at {shown.url} ; log in as (passwords valid until the next demo-serve):")
    for name, role, password in shown.logins:
        out.print(f"  {role:<13} {name:<18} {password}", markup=False)
    # ``iprisk serve`` reads the settings once, from the environment its uvicorn workers inherit too
    s = shown.settings
    os.environ.update(
        IPRISK_NODE=str(s.node), IPRISK_KEY_FOLDER=str(s.key_folder), IPRISK_DATABASE=s.database,
        IPRISK_WAREHOUSE=str(s.warehouse), IPRISK_ANALYSIS_FOLDER=str(s.analysis_folder),
    )  # fmt: skip
    get_settings.cache_clear()
    serve(host=host, port=port, workers=1)


def _print_signals(signals: pd.DataFrame, events: pd.DataFrame, folder: Path | None) -> None:
    out.print(
        f"\n[bold]Joint analysis[/]: {len(signals)} signals (emerging risks, drops, new segments) at a 5 % "
        f"false-discovery rate, grouped into {len(events)} events; tables (signals.csv, events.csv), charts "
        f"and summary.md in {folder}"
    )
    from iprisk.reports import event_explanations

    top = events.sort_values(["quarter", "rank"], ascending=[False, True]).head(TOP_SIGNALS)
    table = Table(title=f"Latest top events (of {len(events)})")
    for col in ("quarter", "direction", "score", "q", "signals", "explanation"):
        table.add_column(col, justify="right" if col in ("score", "q", "signals") else "left")
    for r, sentence in zip(top.to_dict("records"), event_explanations(top, signals), strict=True):
        table.add_row(
            str(r["quarter"]),
            str(r["direction"]),
            f"{r['score']:.1f}",
            f"{r['q_value']:.3g}",
            str(1 + int(r["broader"]) + int(r["narrower"]) + int(r["overlapping"])),
            sentence,
        )
    out.print(table)


def _print_targeting(t: TargetingDemo) -> None:
    out.print(
        f"\n[bold]Targeting[/]: {len(t.profiles)} profiles proposed and a score fitted on declarations up to "
        f"{t.train_until} ({t.train_rows:,} rows); measured on the {t.test_rows:,} later ones against the "
        f"simulator's ground truth (hit rate {t.test_hit_rate:.2%})."
    )
    titles = {p.id: p.title for p in t.profiles}
    profiles = Table(title="Proposed profiles on the later period")
    for col in ("profile", "criteria", "matched", "coverage", "hit rate", "lift"):
        profiles.add_column(col, justify="left" if col in ("profile", "criteria") else "right")
    for r in t.profile_table.to_dict("records"):
        profiles.add_row(
            str(r["profile_id"]),
            titles.get(str(r["profile_id"]), "").removeprefix("Mined: "),
            f"{int(r['matched']):,}",
            f"{r['coverage']:.2%}",
            f"{r['hit_rate']:.2%}",
            f"{r['lift']:.1f}",
        )
    out.print(profiles)
    table = Table(title="Selection strategies on the last year: precision@k (oracle) and gain")
    for col in (
        "strategy",
        "k %",
        "inspected",
        "hits",
        "precision",
        "oracle",
        "recall",
        "x random",
        "x profiles",
    ):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for r in t.comparison.to_dict("records"):
        table.add_row(
            str(r["strategy"]),
            f"{r['k_pct']:g}",
            f"{int(r['selected']):,}",
            f"{int(r['hits_selected']):,}",
            *(f"{r[c]:.3f}" for c in ("precision", "precision_oracle", "recall")),
            *(f"{r[c]:.1f}" for c in ("gain_over_random", "gain_over_profiles")),
        )
    out.print(table)


def _print_allocation(a: AllocationDemo) -> None:
    p = a.plan
    out.print(
        f"\n[bold]Allocation[/] of {p.quarter}: {p.strata.planned.sum():,.0f} controls (what the "
        f"{len(p.offices)} offices make today) over {len(p.strata):,} strata (office x route x product), no "
        f"stratum above {p.max_change:g} times its controls today: expected {p.expected:,.0f} cases against "
        f"{p.status_quo:,.0f} today ({p.gain_vs_status_quo:+,.0f} [{p.gain_vs_status_quo_low:+,.0f}, "
        f"{p.gain_vs_status_quo_high:+,.0f}]) and {p.proportional:,.0f} at one rate per office; in the "
        f"simulator {a.true_plan:,.0f} against {a.true_status_quo:,.0f} "
        f"({a.true_plan - a.true_status_quo:+,.0f})."
    )
    table = Table(title="Where the plan moves controls (offices by expected cases)")
    for col in ("office", "controls", "expected", "today", "one more control"):
        table.add_column(col, justify="left" if col == "office" else "right")
    for r in p.offices.sort_values("expected", ascending=False).head(8).to_dict("records"):
        table.add_row(str(r["office"]), f"{r['planned']:,.0f}", f"{r['expected']:,.1f}",
                      f"{r['expected_status_quo']:,.1f}", f"{r['shadow_price']:.4f}")  # fmt: skip
    out.print(table)
    ports = a.ports
    curve = Table(title=f"KA2 network: share of the EU-China lanes' cases covered ({ports.total:,.0f} cases)")
    for col in ("ports per side", "EU ports added", "CN ports", "covered", "gain"):
        curve.add_column(col, justify="right" if col in ("ports per side", "covered", "gain") else "left")
    for r in ports.curve.to_dict("records"):
        curve.add_row(str(r["size"]), str(r["added"]) + (f" (-{r['dropped']})" if r["dropped"] else ""),
                      str(r["partners"]), f"{r['share']:.1%}", f"{r['gain']:+,.0f}")  # fmt: skip
    out.print(curve)


def _print_channel(c: ChannelDemo) -> None:
    out.print(
        f"\n[bold]Two nodes[/] on loopback: the EU node sent {c.sent['EU']} quarterly submissions and the "
        f"CN node {c.sent['CN']}, each sealed, delivered, validated and stored with its provenance at the "
        f"other; a joint profile approved by both sides is {c.profile['EU'][1]} (version "
        f"{c.profile['EU'][0]}) at the EU node and {c.profile['CN'][1]} (version {c.profile['CN'][0]}) at "
        f"the CN node; {c.receipts_checked} "
        f"signed receipts checked, in {c.seconds:.0f} s."
    )
    table = Table(title="The EU node's message log (newest first; never a payload)")
    for col in ("dir", "kind", "peer", "state", "attempts", "message id"):
        table.add_column(col)
    for m in c.log[:12]:
        table.add_row(m.direction, m.kind, m.peer, m.state, str(m.attempts), m.id)
    out.print(table)
    for node, n in c.counts.items():
        sent = ", ".join(f"{k} {v}" for k, v in n.outgoing.items() if v)
        got = ", ".join(f"{k} {v}" for k, v in n.incoming.items() if v)
        out.print(f"{node}: sent {sent or 'nothing'}; received {got or 'nothing'}", markup=False)
    r = c.reconciliation
    verdict = "no difference" if r.ok else f"{len(r.differences)} differences"
    out.print(
        f"[bold]Reconcile[/] {r.node} <-> {r.peer}: {r.submissions} submissions (content hashes) and "
        f"{r.profiles} joint profile compared: {verdict}."
    )
    for difference in r.differences:
        out.print(f"  {difference}", markup=False)
    if c.referrals is not None:
        _print_referrals(c.referrals)


def _print_referrals(r: ReferralDemo) -> None:
    table = Table(title="Referrals from CN export ports to EU ports, as each node holds them")
    for col in ("referral", "from", "to", "at the CN node", "at the EU node"):
        table.add_column(col)
    for rid, sending, receiving, at_cn, at_eu in r.states:
        table.add_row(rid[:8], sending, receiving, at_cn, at_eu)
    out.print(table)
    kpi = Table(
        title="Referral KPIs per quarter and port pair ("
        + ("the same at both nodes" if r.kpis_agree else "[red]the nodes differ[/]")
        + ")"
    )
    shown = ("quarter", "sending_port", "receiving_port", "sent", "received", "acknowledged", "controlled",
             "seized", "hit_rate", "articles_seized", "overdue_now")  # fmt: skip
    for col in shown:
        kpi.add_column(col)
    for row in r.kpis.to_pylist():
        kpi.add_row(
            *(
                "" if row[c] is None else f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c])
                for c in shown
            )
        )
    out.print(kpi)
