"""``iprisk referrals ...`` through the real entry point, at a CN node (its EU peer pinned), acting as the
node's accounts: the role, side and ports come from the account (IPRISK_TOKEN or --user and its password),
never from options."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import select

from iprisk.exchange import KeyRing, NodeIdentity
from iprisk.settings import get_settings
from iprisk.store import connect
from iprisk.store.audit import AuditEntryRow
from iprisk.store.peers import Peer, PeerBook
from tests.referrals.conftest import warning_data

Run = Callable[..., tuple[int, str, str]]
SEIZED = {"result": "seized", "control_type": "physical", "control_date": "2026-04-01",
          "articles_detained": 2400, "value_eur": 90000, "ipr_type_confirmed": "trademark"}  # fmt: skip


@pytest.fixture
def cn_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run) -> Iterator[dict[str, str]]:
    """A CN node with its EU peer pinned, and the API tokens of li.wei (Shanghai), wu (Ningbo) and the
    analyst an.na; the coordinator cn.coord logs in with a password."""
    database = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    for name, value in {
        "IPRISK_NODE": "CN", "IPRISK_DATABASE": database, "IPRISK_KEY_FOLDER": str(tmp_path / "keys"),
        "IPRISK_WAREHOUSE": str(tmp_path / "w.duckdb"), "IPRISK_USER": "operator-on-call",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("IPRISK_TOKEN", raising=False)
    get_settings.cache_clear()
    assert run("node", "init")[0] == 0
    tokens = {}
    for name, role, port in (("li.wei", "port_officer", "CNSHA"), ("wu", "port_officer", "CNNGB"),
                             ("an.na", "analyst", None)):  # fmt: skip
        assert run("users", "add", name, "--role", role, *(["--port", port] if port else []))[0] == 0
        tokens[name] = run("tokens", "create", name)[1].strip()
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "a long enough passphrase")
    assert run("users", "add", "cn.coord", "--role", "coordinator", "--password")[0] == 0
    eu, now = NodeIdentity.create("EU", datetime.now(UTC)), datetime.now(UTC)
    ring = KeyRing("EU")
    ring.pin(eu.current.card(), eu.fingerprint, now, timedelta(days=7))
    engine = connect(database)
    with engine.begin() as connection:  # the EU peer pinned (its messages wait in the outbox)
        PeerBook(engine).save(connection, Peer("EU", "http://eu.test", ring, None, None, now))
    engine.dispose()
    yield tokens
    get_settings.cache_clear()


def _as(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    if token is None:
        monkeypatch.delenv("IPRISK_TOKEN", raising=False)
    else:
        monkeypatch.setenv("IPRISK_TOKEN", token)
    get_settings.cache_clear()


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _dates() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"expected_arrival": str(today + timedelta(days=20)), "expiry": str(today + timedelta(days=50))}


def test_the_account_acts_with_its_own_ports_and_role(
    cn_node: dict[str, str], run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, cn_node["li.wei"])
    parties = [{"role": "consignor", "name": "Widget Trading"}]
    warning = _write(tmp_path / "w.json", warning_data(parties=parties, **_dates()))
    code, out, err = run("referrals", "party-key")
    assert code == 0, err
    code, out, err = run("referrals", "draft", warning)
    assert code == 0, err
    rid = re.search(r"referral (\S+): drafted", out).group(1)  # type: ignore[union-attr]

    _as(monkeypatch, cn_node["wu"])  # the officer of Ningbo: Shanghai's referral is not theirs
    code, _, err = run("referrals", "send", rid)
    assert code != 0 and "may not send" in err and "the sending port is CNSHA" in err
    code, _, err = run("referrals", "show", rid)
    assert code != 0 and "concerns none of your ports" in err
    assert rid not in run("referrals", "list")[1]

    _as(monkeypatch, cn_node["li.wei"])
    code, out, err = run("referrals", "send", rid)
    assert code == 0 and f"referral {rid}: sent" in out, err
    code, out, _ = run("referrals", "show", rid)
    shown = json.loads(out)
    assert shown["state"] == "sent" and "Widget" not in out  # keyed: the legal basis allows no names
    assert [(e["step"], e["by"]) for e in shown["events"]] == [("draft", "li.wei"), ("send", "li.wei")]
    code, _, err = run("referrals", "ack", rid)  # a step of the EU node
    assert code != 0 and "may not acknowledge" in err
    code, _, err = run("referrals", "kpis")  # the table refuses the role, as the API's 403
    assert code != 0 and "port_officer" in err

    _as(monkeypatch, cn_node["an.na"])
    code, out, err = run("referrals", "kpis", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["sending_port"], r["sent"]) for r in rows] == [("CNSHA", "1")], err
    _as(monkeypatch, None)  # the coordinator, with the password the prompt gives
    code, out, err = run("referrals", "kpis", "--format", "json", "--user", "cn.coord")
    assert code == 0 and json.loads(out)[0]["receiving_port"] == "NLRTM", err
    assert run("referrals", "list", "--user", "cn.coord")[1].count(rid[:8]) == 1


def test_without_an_account_nothing_is_done_and_the_refusal_is_audited(
    cn_node: dict[str, str], run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warning = _write(tmp_path / "w.json", warning_data(**_dates()))
    _as(monkeypatch, None)
    code, _, err = run("referrals", "draft", warning)
    assert code != 0 and "no credentials" in err and "IPRISK_TOKEN" in err
    _as(monkeypatch, cn_node["li.wei"][:-4] + "AAAA")  # a token whose secret is wrong
    code, _, err = run("referrals", "list")
    assert code != 0 and "unknown token" in err
    code, _, err = run("referrals", "draft", warning, "--role", "coordinator")  # who acts is not an option
    assert code == 2
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "not the password")
    _as(monkeypatch, None)
    code, _, err = run("referrals", "list", "--user", "cn.coord")
    assert code != 0 and "wrong account or password" in err
    engine = connect(get_settings().database)
    with engine.connect() as connection:
        kinds = list(connection.execute(select(AuditEntryRow.kind)).scalars())
    engine.dispose()
    assert kinds.count("auth.refused") == 2 and "referral.draft" not in kinds


def test_the_network_is_edited_by_the_coordinator_account_only(
    cn_node: dict[str, str], run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run("referrals", "ports", "--side", "CN")
    assert code == 0 and "CNSHA" in out and "上海" in out and "NLRTM" not in out
    _as(monkeypatch, cn_node["li.wei"])
    code, _, err = run("referrals", "port-set", "CNXMN", "--kind", "sea", "--contact", "x")
    assert code != 0 and "only the coordinator of side CN" in err
    _as(monkeypatch, None)
    code, _, err = run(
        "referrals", "port-set", "ITVCE", "--kind", "sea", "--contact", "V", "--user", "cn.coord"
    )
    assert code != 0 and "only the coordinator of side EU" in err  # an EU port: the EU's coordinator's
    code, out, err = run("referrals", "port-set", "CNXMN", "--kind", "sea", "--contact", "Xiamen",
                         "--user", "cn.coord")  # fmt: skip
    assert code == 0 and "CNXMN: in the network" in out, err
    assert "CNXMN" in run("referrals", "ports")[1]
