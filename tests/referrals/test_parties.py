from __future__ import annotations

import hmac
import stat
from hashlib import sha256
from pathlib import Path

import pytest

from iprisk.errors import InvalidValue, MissingFile
from iprisk.formats.referrals import read_warning
from iprisk.referrals.parties import (
    load_party_key,
    minimise,
    names_allowed,
    new_party_key,
    party_key,
    write_party_key,
)
from tests.referrals.conftest import warning_data

KEY = bytes(range(32))
PARTIES = [
    {"role": "consignor", "name": "Shenzhen Widget  Trading Co.", "country": "CN"},
    {
        "role": "consignee",
        "scheme": "eori",
        "identifier": "NL123456789",
        "name": "Import BV",
        "country": "NL",
    },
]


def test_the_key_is_a_standard_hmac_sha256_of_the_normalised_value() -> None:
    expected = hmac.new(KEY, b"iprisk-party-v1\x00name\x00acme trading", sha256).hexdigest()
    assert party_key(KEY, "name", "  ACME   Trading ") == expected == party_key(KEY, "name", "acme trading")
    assert party_key(KEY, "name", "ACME") != party_key(bytes(32), "name", "ACME")  # another key, another id
    assert party_key(KEY, "eori", "NL1") != party_key(KEY, "uscc", "NL1")  # the scheme is part of it
    with pytest.raises(InvalidValue, match="at least 32"):
        party_key(b"short", "name", "ACME")


def test_without_legal_basis_for_names_only_keyed_ids_travel() -> None:
    warning = read_warning(warning_data(legal_basis="action_plan", parties=PARTIES))
    sent = minimise(warning, KEY)
    text = sent.model_dump_json()
    assert "Widget" not in text and "NL123456789" not in text and "Import BV" not in text
    consignee = sent.parties[1]
    assert consignee.role == "consignee" and consignee.country == "NL"
    # the receiving node, with the same key, matches the consignee of its own declaration
    assert consignee.identifier_key == party_key(KEY, "eori", "nl123456789")
    assert sent.parties[0].name_key == party_key(KEY, "name", "shenzhen widget trading co.")


def test_names_travel_when_the_legal_basis_allows() -> None:
    assert names_allowed("cmaa_request") and not names_allowed("action_plan")
    warning = read_warning(warning_data(legal_basis="cmaa_request", parties=PARTIES))
    assert minimise(warning, KEY) == warning


def test_the_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    with pytest.raises(MissingFile):
        load_party_key(folder)
    key = new_party_key()
    path = write_party_key(folder, key)
    assert load_party_key(folder) == key and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    with pytest.raises(InvalidValue, match="never overwritten"):
        write_party_key(folder, new_party_key())
    path.write_bytes(b"x" * 8)
    with pytest.raises(InvalidValue, match="8 bytes"):
        load_party_key(folder)
