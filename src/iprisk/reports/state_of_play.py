"""The state of play of the action plan for a quarter (:func:`state_of_play`): seizure statistics received
on time per administration and quarter, analyses run (``iprisk analyse`` runs and reports built, from the run
log), risk profiles proposed, approved and active, and the referral KPIs.

*On time* means the first version of an administration's statistics for a quarter was stored within
``statistics_deadline_days`` days after the quarter ended (a setting, 45 by default).

The referral KPIs read "not available" until the referral exchange exists: :func:`referral_section` takes
the KPI table when one is given (``kpi``, ``value``; see :data:`REFERRAL_KPIS`), and the exchange only has to
pass it to :func:`state_of_play_inputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from iprisk.i18n import N_, Text
from iprisk.periods import Quarter
from iprisk.reports.document import Block, Code, Document, Figure, Para, Period, Section, Table, rich
from iprisk.reports.facts import Facts
from iprisk.reports.figures import on_time
from iprisk.reports.labels import country_label
from iprisk.reports.sections import cooperation_document
from iprisk.reports.snapshot import DataSnapshot
from iprisk.settings import get_settings

#: Quarters of statistics the state of play shows: the quarter and the three before.
QUARTERS = 4
#: Labels of the referral KPIs the exchange will report (a key it adds needs its label here).
REFERRAL_KPIS = {
    "referrals_sent": N_("referrals sent"),
    "referrals_received": N_("referrals received"),
    "feedback_received": N_("referrals with feedback"),
    "feedback_rate": N_("share of referrals with feedback (%)"),
    "hits": N_("referrals that led to a detention"),
    "median_response_days": N_("median days to feedback"),
    "ack_median_hours": N_("median hours to acknowledge"),
    "ack_p90_hours": N_("90th percentile of hours to acknowledge"),
    "feedback_in_time_rate": N_("share of referrals with feedback within the deadline (%)"),
    "hit_rate": N_("hit rate: seized / controlled (%)"),
    "articles_seized": N_("articles seized from referrals"),
    "value_seized_eur": N_("value seized from referrals (EUR)"),
    "overdue_now": N_("referrals overdue now"),
}
#: Kinds of run in the run log (analyses, then reports), and how the state of play names them.
RUN_KINDS = {
    "analysis": N_("joint analyses"),
    "annual": N_("joint risk-analysis reports"),
    "newsletter": N_("risk newsletters"),
    "state-of-play": N_("states of play"),
}
#: Profile statuses counted, in lifecycle order, and their names.
STATUSES = {
    "draft": N_("draft"),
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "active": N_("active"),
    "expired": N_("expired"),
    "withdrawn": N_("withdrawn"),
}
#: Lifecycle steps counted in the quarter: the status reached -> how it is named.
STEPS = {
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "active": N_("activated"),
    "withdrawn": N_("withdrawn"),
}


@dataclass(frozen=True)
class StateOfPlayInputs:
    """What the state of play reads."""

    quarter: str
    #: the warehouse's submission log (every version)
    submissions: pd.DataFrame
    #: the analysis and report runs (:meth:`iprisk.store.RunLog.runs`)
    runs: pd.DataFrame
    #: every profile lifecycle event: profile_id, version, action, to_status, at
    profile_events: pd.DataFrame
    snapshot: DataSnapshot
    deadline_days: int = 45
    #: the referral KPIs (``kpi``, ``value``), once the referral exchange exists
    referral_kpis: pd.DataFrame | None = None


def state_of_play_inputs(
    warehouse: Any,
    store_url: str | None,
    quarter: str,
    *,
    referral_kpis: pd.DataFrame | None = None,
    deadline_days: int | None = None,
) -> StateOfPlayInputs:
    """Gather the inputs from a warehouse (submission log, snapshot) and the operational database (run log,
    profile events)."""
    from iprisk.reports.snapshot import data_snapshot
    from iprisk.store import ProfileStore, RunLog

    with RunLog(store_url) as log:
        runs = log.runs()
    with ProfileStore(store_url) as store:
        events = [
            {"profile_id": e.profile_id, "version": e.version, "action": e.action, "to_status": e.to_status,
             "at": e.at}
            for p in store.profiles()
            for e in store.history(p.id)
        ]  # fmt: skip
    return StateOfPlayInputs(
        quarter=str(Quarter.parse(quarter)),
        submissions=warehouse.submissions(),
        runs=runs,
        profile_events=pd.DataFrame(events, columns=["profile_id", "version", "action", "to_status", "at"]),
        snapshot=data_snapshot(warehouse),
        deadline_days=get_settings().statistics_deadline_days if deadline_days is None else deadline_days,
        referral_kpis=referral_kpis,
    )


def deadline(quarter: str | Quarter, days: int) -> date:
    """The last day a quarter's statistics are on time."""
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    return q.end + timedelta(days=days)


def receipts(submissions: pd.DataFrame, quarters: list[str], days: int) -> pd.DataFrame:
    """One row per administration and quarter of ``quarters``: when its statistics first arrived
    (``received``, a date, NaT when not), the ``deadline``, ``days_late`` (0 when on time) and ``on_time``.
    Administrations are those in the log."""
    admins = sorted(submissions["reporting_admin"].unique()) if len(submissions) else []
    first = (
        submissions.assign(day=pd.to_datetime(submissions["submitted_at"], utc=True).dt.date)
        .groupby(["reporting_admin", "quarter"])["day"]
        .min()
        if len(submissions)
        else pd.Series(dtype=object)
    )
    rows = []
    for admin in admins:
        for q in quarters:
            due = deadline(q, days)
            got = first.get((admin, q))
            late = max((got - due).days, 0) if got is not None else None
            rows.append(
                {
                    "reporting_admin": admin,
                    "quarter": q,
                    "received": got,
                    "deadline": due,
                    "days_late": late,
                    "on_time": got is not None and late == 0,
                    "received_any": got is not None,
                }
            )
    return pd.DataFrame(rows, columns=["reporting_admin", "quarter", "received", "deadline", "days_late",
                                       "on_time", "received_any"])  # fmt: skip


def status_at(events: pd.DataFrame, day: date) -> pd.DataFrame:
    """Each profile version's status at the end of ``day`` (its last lifecycle event by then)."""
    if events.empty:
        return pd.DataFrame(columns=["profile_id", "version", "status"])
    until = pd.Timestamp(day + timedelta(days=1), tz="UTC")
    past = events[pd.to_datetime(events["at"], utc=True) < until]
    last = past.sort_values("at", kind="stable").groupby(["profile_id", "version"]).tail(1)
    return last.rename(columns={"to_status": "status"})[["profile_id", "version", "status"]]


class _Ctx:
    def __init__(self, inputs: StateOfPlayInputs, locale: str):
        self.inputs, self.text = inputs, Text(locale)
        self.q = Quarter.parse(inputs.quarter)
        self.quarters = [str(self.q - i) for i in range(QUARTERS - 1, -1, -1)]
        self.facts = Facts({})

    def say(self, message: str, /, **params: Any) -> Para:
        return rich(self.text, message, **params)

    def quarter(self, q: str | Quarter) -> Period:
        return Period(str(q), self.text.quarter(q))

    def day(self, d: date) -> Period:
        return Period(d.isoformat(), self.text.date(d))

    def source(self, message: str) -> Para:
        return self.say("Source: {what}; data snapshot {snapshot}.", what=self.text.gettext(message),
                        snapshot=Code(self.inputs.snapshot.short))  # fmt: skip


def state_of_play(inputs: StateOfPlayInputs, locale: str = "en") -> Document:
    """The state of play of ``inputs.quarter`` in ``locale``."""
    ctx = _Ctx(inputs, locale)
    period = ctx.quarter(ctx.q)
    return cooperation_document(
        ctx.text,
        ctx.facts,
        inputs.snapshot.short,
        kind="state-of-play",
        title=ctx.say("State of play of the action plan, {quarter}", quarter=period),
        period=ctx.say("Quarter {quarter}", quarter=period),
        sections=(
            _statistics(ctx),
            _analyses(ctx),
            _profiles(ctx),
            referral_section(ctx.text, ctx.facts, inputs.referral_kpis),
        ),
        lead=ctx.say(
            "The indicators of the action plan: the exchange of statistics, the joint analyses, the risk "
            "profiles and the referrals. Statistics are on time when stored within {days} days after their "
            "quarter ends.",
            days=_deadline_num(ctx),
        ),
    )


def _deadline_num(ctx: _Ctx) -> Any:
    """The deadline setting as a number of the report (its own one-row table)."""
    ctx.facts.add("settings", pd.DataFrame([{"statistics_deadline_days": ctx.inputs.deadline_days}]))
    return ctx.facts.num("settings", "statistics_deadline_days", "int")


def _statistics(ctx: _Ctx) -> Section:
    table = receipts(ctx.inputs.submissions, ctx.quarters, ctx.inputs.deadline_days)
    ctx.facts.add("receipts", table)
    f = ctx.facts
    title = ctx.say("Statistics received")
    if table.empty:
        return Section("statistics", title, (ctx.say("No statistics have been submitted yet."),))
    rows = []
    for admin, group in table.groupby("reporting_admin", sort=True):
        cells: list[Any] = [Code(str(admin)), country_label(str(admin), ctx.text)]
        for r in group.to_dict("records"):
            where = {"reporting_admin": admin, "quarter": r["quarter"]}
            if not r["received_any"]:
                cells.append(ctx.say("not received"))
            elif r["on_time"]:
                cells.append(ctx.say("on time ({day})", day=ctx.day(r["received"])))
            else:
                late = f.num("receipts", "days_late", "int", **where)
                message = N_("{days} day late") if late.value == 1 else N_("{days} days late")
                cells.append(ctx.say(message, days=late))
        rows.append(tuple(cells))
    now = table[table["quarter"] == str(ctx.q)]
    blocks: list[Block] = [
        ctx.say(
            "For {quarter}, {on_time} of {admins} administrations sent their statistics on time (deadline "
            "{deadline}); {missing} have not sent them.",
            quarter=ctx.quarter(ctx.q),
            on_time=f.num("receipts", "on_time", "int", agg="sum", quarter=str(ctx.q)),
            admins=f.num("receipts", "on_time", "int", agg="count", quarter=str(ctx.q)),
            deadline=ctx.day(deadline(ctx.q, ctx.inputs.deadline_days)),
            missing=_missing(ctx, now),
        ),
        Table(
            "receipts",
            ctx.say("Seizure statistics received, per administration and quarter"),
            (ctx.say("administration"), ctx.say("name"), *(Para((ctx.quarter(q),)) for q in ctx.quarters)),
            tuple(rows),
            ctx.source(N_("the warehouse's submission log")),
            align="ll" + "l" * len(ctx.quarters),
        ),
    ]
    shares = table.groupby("quarter", sort=True)["on_time"].mean()
    chart_rows = pd.DataFrame({"period": [ctx.text.quarter(q, short=True) for q in shares.index],
                               "share": shares.to_numpy()})  # fmt: skip
    blocks.append(
        Figure(
            "on-time",
            ctx.say("Share of administrations whose statistics arrived on time"),
            on_time(chart_rows, ctx.text),
            ctx.source(N_("the warehouse's submission log")),
        )
    )
    return Section("statistics", title, tuple(blocks))


def _missing(ctx: _Ctx, now: pd.DataFrame) -> Any:
    """How many administrations have not sent the quarter's statistics."""
    ctx.facts.add("missing", now[~now["received_any"]])
    return ctx.facts.num("missing", "reporting_admin", "int", agg="count")


def _analyses(ctx: _Ctx) -> Section:
    runs = ctx.inputs.runs
    start, end = ctx.q.start, ctx.q.end
    year_start = date(ctx.q.year, 1, 1)
    days = pd.to_datetime(runs["at"], utc=True).dt.date if len(runs) else pd.Series(dtype=object)
    counted = pd.DataFrame(
        [
            {
                "kind": kind,
                "quarter": int(((runs["kind"] == kind) & (days >= start) & (days <= end)).sum())
                if len(runs)
                else 0,
                "year": int(((runs["kind"] == kind) & (days >= year_start) & (days <= end)).sum())
                if len(runs)
                else 0,
            }
            for kind in RUN_KINDS
        ]
    )
    ctx.facts.add("runs", counted)
    f = ctx.facts
    rows = tuple(
        (
            ctx.text.gettext(label),
            f.num("runs", "quarter", "int", kind=kind),
            f.num("runs", "year", "int", kind=kind),
        )
        for kind, label in RUN_KINDS.items()
    )
    return Section(
        "analyses",
        ctx.say("Analyses run"),
        (
            ctx.say(
                "Analyses run with {command} (each writes the analysis folder in both languages) and reports "
                "built with iprisk, as recorded in its run log; a report written in two languages counts "
                "twice.",
                command=Code("iprisk analyse"),
            ),
            Table(
                "runs",
                ctx.say("Analyses run and reports built"),
                (ctx.say("analysis or report"), Para((ctx.quarter(ctx.q),)), ctx.say("year to date")),
                rows,
                ctx.source(N_("the run log of the operational database")),
            ),
        ),
    )


def _profiles(ctx: _Ctx) -> Section:
    events = ctx.inputs.profile_events
    at_end = status_at(events, ctx.q.end)
    counts = pd.DataFrame({"status": list(STATUSES),
                           "versions": [int((at_end["status"] == s).sum()) for s in STATUSES]})  # fmt: skip
    days = pd.to_datetime(events["at"], utc=True).dt.date if len(events) else pd.Series(dtype=object)
    in_q = events[(days >= ctx.q.start) & (days <= ctx.q.end)] if len(events) else events
    steps = pd.DataFrame(
        {
            "status": list(STEPS),
            "events": [int((in_q["to_status"] == s).sum()) if len(in_q) else 0 for s in STEPS],
        }
    )
    ctx.facts.add("profile_status", counts)
    ctx.facts.add("profile_steps", steps)
    f = ctx.facts
    blocks: list[Block] = [
        ctx.say(
            "At the end of {quarter}: {proposed} profile versions proposed, {approved} approved and {active} "
            "active. During the quarter: {n_proposed} proposed, {n_approved} approved, {n_active} activated.",
            quarter=ctx.quarter(ctx.q),
            proposed=f.num("profile_status", "versions", "int", status="proposed"),
            approved=f.num("profile_status", "versions", "int", status="approved"),
            active=f.num("profile_status", "versions", "int", status="active"),
            n_proposed=f.num("profile_steps", "events", "int", status="proposed"),
            n_approved=f.num("profile_steps", "events", "int", status="approved"),
            n_active=f.num("profile_steps", "events", "int", status="active"),
        ),
        Table(
            "profiles",
            ctx.say("Risk profile versions by status at the end of the quarter"),
            (ctx.say("status"), ctx.say("versions")),
            tuple(
                (ctx.text.gettext(name), f.num("profile_status", "versions", "int", status=s))
                for s, name in STATUSES.items()
            ),
            ctx.source(N_("the profile lifecycle of the operational database")),
        ),
    ]
    return Section("profiles", ctx.say("Risk profiles"), tuple(blocks))


def referral_section(text: Text, facts: Facts, kpis: pd.DataFrame | None) -> Section:
    """The referral KPIs: "not available" without a table; with one (``kpi``, ``value``), a row per KPI
    named by :data:`REFERRAL_KPIS` (an unknown key is shown as it is)."""
    title = rich(text, "Referrals between ports")
    if kpis is None or kpis.empty:
        return Section(
            "referrals",
            title,
            (rich(text, "Not available: the referral exchange between ports is not in operation yet."),),
        )
    facts.add("referral_kpis", kpis)
    rows = tuple(
        (
            text.gettext(REFERRAL_KPIS[k]) if k in REFERRAL_KPIS else Code(str(k)),
            facts.num(
                "referral_kpis",
                "value",
                "dec1" if isinstance(v, float) and not v.is_integer() else "int",
                kpi=k,
            ),
        )
        for k, v in zip(kpis["kpi"], kpis["value"], strict=True)
    )
    table = Table(
        "referrals",
        rich(text, "Referral indicators"),
        (rich(text, "indicator"), rich(text, "value")),
        rows,
        rich(text, "Source: the referral exchange."),
    )
    return Section("referrals", title, (table,))
