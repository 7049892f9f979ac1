"""``iprisk referrals ...`` through the real entry point, on a SQLite file in tmp_path."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.referrals.conftest import warning_data

pytestmark = pytest.mark.usefixtures("fresh_settings")

CN = ("--role", "port_officer", "--side", "CN", "--port", "CNSHA", "--user", "li.wei")
NL = ("--role", "port_officer", "--side", "EU", "--port", "NLRTM", "--user", "jan.devries")
HAM = ("--role", "port_officer", "--side", "EU", "--port", "DEHAM", "--user", "hans.meier")
COORD = ("--role", "coordinator", "--side", "EU", "--user", "eu.coord")


@pytest.fixture
def run(run, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    shared = run

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        return shared(*argv) if "party-key" in argv else shared(*argv, "--db", db)

    return _run


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_referral_through_its_lifecycle_and_the_kpis(run, tmp_path: Path) -> None:
    parties = [{"role": "consignor", "name": "Widget Trading"}]
    data = warning_data(parties=parties)
    key_folder = tmp_path / "keys"
    assert run("referrals", "party-key", "--key-folder", key_folder)[0] == 0
    code, out, err = run("referrals", "draft", _write(tmp_path / "w.json", data), *CN,
                         "--key-folder", key_folder, "--now", "2026-03-02T09:00:00+00:00")  # fmt: skip
    assert code == 0, err
    ref_id = re.search(r"referral (\S+): drafted", out).group(1)  # type: ignore[union-attr]
    for argv in (
        ("send", ref_id, *CN, "--now", "2026-03-02T09:00:00+00:00"),
        ("ack", ref_id, *NL, "--note", "will scan", "--now", "2026-03-02T15:00:00+00:00"),
    ):
        code, out, err = run("referrals", *argv)
        assert code == 0, err
    code, out, _ = run("referrals", "inbox", *HAM)
    assert ref_id not in out  # another port's officer
    feedback = {"result": "seized", "control_type": "physical", "control_date": "2026-04-01",
                "articles_detained": 2400, "value_eur": 90000, "ipr_type_confirmed": "trademark"}  # fmt: skip
    code, out, err = run("referrals", "feedback", ref_id, _write(tmp_path / "f.json", feedback), *NL,
                         "--now", "2026-04-02T10:00:00+00:00")  # fmt: skip
    assert code == 0 and "feedback_given" in out, err
    assert run("referrals", "close", ref_id, *CN, "--now", "2026-04-03T10:00:00+00:00")[0] == 0
    code, out, _ = run("referrals", "show", ref_id, *NL)
    shown = json.loads(out)
    assert shown["state"] == "closed" and "Widget" not in out  # keyed: the legal basis allows no names
    assert [e["step"] for e in shown["events"]] == ["draft", "send", "acknowledge", "feedback", "close"]
    code, out, _ = run("referrals", "kpis", *COORD, "--quarter", "2026q1", "--format", "csv",
                       "--now", "2026-04-03T10:00:00+00:00")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 and rows[0]["sent"] == "1" and rows[0]["ack_median_hours"] == "6"
    assert rows[0]["hit_rate"] == "1" and rows[0]["articles_seized"] == "2400"
    code, out, _ = run("referrals", "kpis", *COORD, "--format", "json")
    assert json.loads(out)[0]["receiving_port"] == "NLRTM"
    code, out, _ = run("referrals", "kpis", *COORD)
    assert code == 0 and "CNSHA" in out
    # the state of play of the quarter shows the referral indicators, in English and Chinese
    from iprisk.warehouse import Warehouse

    Warehouse.open(tmp_path / "wh.duckdb").close()
    for lang, label in (("en", "hit rate: seized / controlled (%)"), ("zh", "命中率：查获数/查验数（%）")):
        play = tmp_path / f"play.{lang}.html"
        code, _, err = run("report", "state-of-play", "--quarter", "2026Q1", "--lang", lang, "--out", play,
                           "-w", tmp_path / "wh.duckdb")  # fmt: skip
        assert code == 0, err
        text = play.read_text(encoding="utf-8")
        assert label in text and "not in operation" not in text


def test_bad_steps_get_clear_errors_and_store_nothing(run, tmp_path: Path) -> None:
    bad = _write(tmp_path / "w.json", warning_data(receiving_port="ITVCE"))
    code, _, err = run("referrals", "draft", bad, *CN, "--now", "2026-03-02T09:00:00+00:00")
    assert code == 3 and "network_port" in err and "port_route" in err
    code, out, _ = run("referrals", "draft", _write(tmp_path / "w2.json", warning_data()), *CN,
                       "--now", "2026-03-02T09:00:00+00:00")  # fmt: skip
    ref_id = re.search(r"referral (\S+): drafted", out).group(1)  # type: ignore[union-attr]
    code, _, err = run("referrals", "send", ref_id, *HAM)
    assert code != 0 and "may not send" in err
    code, _, err = run("referrals", "ack", ref_id, *NL)
    assert code != 0 and "not sent yet" in err
    code, out, _ = run("referrals", "list", *COORD)
    assert ref_id in out and "drafted" in out
    code, _, err = run("referrals", "kpis", *NL[:4])
    assert code != 0 and "port_officer cannot" in err


def test_the_network_is_listed_and_edited_by_the_coordinator(run) -> None:
    code, out, _ = run("referrals", "ports", "--side", "CN")
    assert code == 0 and "CNSHA" in out and "上海" in out and "NLRTM" not in out
    code, _, err = run("referrals", "port-set", "CNXMN", "--kind", "sea", "--contact", "x", "--side", "EU")
    assert code != 0 and "only the coordinator of side CN" in err
    new = ("ITVCE", "--kind", "sea", "--contact", "Venezia", "--side", "EU")
    code, out, _ = run("referrals", "port-set", *new)
    assert code == 0 and "ITVCE: in the network" in out
    assert "ITVCE" in run("referrals", "ports")[1]
