"""``iprisk profiles ...`` through the real entry point, on a SQLite file in tmp_path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from iprisk.profiles import dump_profiles, load_profiles
from tests.conftest import require_shared
from tests.profiles.samples import TRAIN_UNTIL, declarations, profile

KCS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "kcs-customs-declarations"


pytestmark = pytest.mark.usefixtures("fresh_settings")


@pytest.fixture
def run(run, tmp_path: Path):
    """The shared CLI runner, every command on this test's own profile store."""
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    shared = run

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        return shared(*argv, "--db", db)

    return _run


def test_import_lifecycle_list_and_export(run, tmp_path: Path) -> None:
    src = dump_profiles(
        [profile("J1", owner="DE", joint=True, status="proposed"), profile("N1")], tmp_path / "in.yaml"
    )
    code, out, _ = run("profiles", "import", src)
    assert code == 0 and "J1 v1: created" in out and "N1 v1: created" in out
    code, out, _ = run("profiles", "approve", "J1", "--admin", "DE")
    assert code == 0 and "waiting for approval by: CN" in out
    code, _, err = run("profiles", "activate", "J1")
    assert code == 1 and "cannot activate" in err and "J1" in err
    assert run("profiles", "approve", "J1", "--admin", "CN")[1].strip() == "J1 v1: approved"
    assert run("profiles", "activate", "J1")[1].strip() == "J1 v1: active"
    assert run("profiles", "withdraw", "N1")[0] == 0

    code, out, _ = run("profiles", "list", "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert (rows["J1"]["status"], rows["N1"]["status"]) == ("active", "withdrawn")
    code, out, _ = run("profiles", "list", "--status", "active", "--format", "csv")
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == ["J1"]
    code, out, _ = run("profiles", "list")
    assert code == 0 and "J1" in out

    code, out, _ = run("profiles", "export", "--out", tmp_path / "active.json", "--status", "active")
    assert code == 0 and "1 profile(s)" in out
    exported = load_profiles(tmp_path / "active.json")
    assert [(p.id, p.status) for p in exported] == [("J1", "active")]

    code, out, _ = run("profiles", "history", "J1")
    assert code == 0 and "approve" in out and "tester" in out


def test_errors_name_what_and_where(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump([{"id": "B1", "title": "t", "owner": "DE", "criteria": {"hs_prefixes": ["x"]}}])
    )
    report = tmp_path / "errors.csv"
    code, _, err = run("profiles", "import", bad, "--errors-out", report)
    assert code == 3 and "Traceback" not in err  # invalid data: the problems table, as every command
    assert "3 problem(s) in" in err and "bad.yaml" in err  # hs prefix, risk_level and valid_from
    assert "profile B1: criteria.hs_prefixes" in err and "profile B1: risk_level: Field required" in err
    messages = [row["message"] for row in csv.DictReader(report.read_text(encoding="utf-8").splitlines())]
    assert len(messages) == 3 and any("valid_from" in m for m in messages)
    code, _, err = run("profiles", "approve", "nope", "--admin", "DE")
    assert code == 1 and "profile not found: nope" in err
    code, _, err = run("profiles", "list", "--status", "sleeping")
    assert code != 0 and "sleeping" in err


def test_propose_mines_and_stores_proposals(run, tmp_path: Path) -> None:
    data = tmp_path / "declarations.csv"
    declarations(8000).to_csv(data, index=False)
    out_file = tmp_path / "proposals.yaml"
    code, out, err = run(
        "profiles", "propose", "--declarations", data, "--train-until", TRAIN_UNTIL.isoformat(),
        "--max-profiles", "3", "--out", out_file,
    )  # fmt: skip
    assert code == 0, err
    assert "HS 6404 AND origin country KH AND transport mode post" in out.splitlines()[0]
    proposals = load_profiles(out_file)
    assert len(proposals) == 3 and all(p.status == "proposed" for p in proposals)
    # what the library proposes from the same file, no more, no less
    from iprisk.formats import read_declarations
    from iprisk.profiles import mine_profiles

    expected = mine_profiles(read_declarations(data), train_until=TRAIN_UNTIL, max_profiles=3)
    assert [p.model_dump() for p in proposals] == [p.model_dump() for p in expected]
    code, out, _ = run("profiles", "list", "--status", "proposed", "--format", "json")
    assert sorted(r["id"] for r in json.loads(out)) == sorted(p.id for p in proposals)
    code, _, err = run("profiles", "propose", "--declarations", data, "--train-until", "autumn")
    assert code != 0 and "autumn" in err


def test_propose_on_the_public_kcs_data(run, tmp_path: Path) -> None:
    require_shared(KCS / "df_syn_valid_eng.csv")
    code, _out, err = run(
        "profiles", "propose", "--declarations", KCS / "df_syn_valid_eng.csv", "--mapping", "kcs",
        "--train-until", "2021-02-28", "--max-profiles", "3", "--out", tmp_path / "kcs.json",
    )  # fmt: skip
    assert code == 0, err
    proposals = load_profiles(tmp_path / "kcs.json")
    assert proposals and all(p.evidence is not None and p.evidence.train_lift > 1 for p in proposals)
    assert all(p.evidence is not None and p.evidence.test_declarations > 0 for p in proposals)
