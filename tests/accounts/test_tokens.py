from __future__ import annotations

from iprisk.accounts import new_token, token_hash, token_id_of, token_matches


def test_tokens_are_random_named_by_their_id_and_checked_by_hash() -> None:
    token_id, token = new_token()
    other_id, other = new_token()
    assert token_id != other_id and token != other
    assert token_id_of(token) == token_id and len(token) == len("iprisk.") + 12 + 1 + 43
    stored = token_hash(token)
    assert token not in stored and len(stored) == 64
    assert token_matches(token, stored) and not token_matches(other, stored)
    # one character changed, truncated, or another prefix: not a token of ours
    assert token_id_of(token[:-1]) is None and token_id_of("Bearer " + token) is None
    assert token_id_of(token.replace("iprisk.", "ipr1sk.")) is None
    assert not token_matches(token[:-1] + ("A" if token[-1] != "A" else "B"), stored)
