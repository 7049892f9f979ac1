"""What can go wrong between two nodes, beyond a message that does not check out (``iprisk.exchange``)."""

from __future__ import annotations

from iprisk.errors import IpriskError
from iprisk.exchange import ChannelError


class NotYet(RuntimeError):
    """A message cannot be applied yet (a prerequisite has not arrived, the warehouse is busy): nothing is
    committed and no receipt is given, so the sender tries again after its backoff.

    Deliberately *not* an ``IpriskError``: the inbox takes those as a refusal for good.
    """


class PeerUnreachable(IpriskError, ConnectionError):
    """The peer node did not answer, or answered that it cannot take messages now; retried later."""


class PeerRefused(ChannelError):
    """The peer node refused what was sent (its answer names the check that failed)."""

    def __init__(self, error: str, detail: str):
        self.error = error
        self.detail = detail
        super().__init__(f"the peer refused it: {error}: {detail}")
