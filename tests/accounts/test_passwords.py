from __future__ import annotations

import pytest

from iprisk.accounts import hash_password, needs_rehash, verify_password
from iprisk.errors import InvalidValue


def test_passwords_are_argon2id_hashes_that_verify() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password("not a hash", "correct horse battery")
    assert hash_password("correct horse battery") != stored  # salted
    assert not needs_rehash(stored)
    with pytest.raises(InvalidValue, match="12 to"):
        hash_password("short")
