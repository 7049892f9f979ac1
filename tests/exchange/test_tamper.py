from __future__ import annotations

from tests.exchange.tamper import run_campaign


def test_every_tampered_message_receipt_replay_and_revoked_key_is_refused() -> None:
    tallies = run_campaign()
    for kind, tally in tallies.items():
        assert tally.tried > 0, kind
        assert tally.refused == tally.tried, (
            f"{kind}: {tally.refused} of {tally.tried} refused; {tally.errors}"
        )
    assert tallies["wire"].tried > 500 and tallies["signed"].tried > 300  # every byte, not a sample
    assert tallies["ciphertext"].errors.keys() == {"DecryptionFailed"}
    assert set(tallies["signed"].errors) <= {"BadSignature", "MalformedMessage", "UnknownKey"}
    assert tallies["recipient"].errors["WrongRecipient"] == 2
    assert tallies["revoked"].errors["RevokedKey"] == 1
