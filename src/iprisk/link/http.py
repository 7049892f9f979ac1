"""HTTP between nodes (httpx2): delivery of sealed messages, the peer's key card, sealed queries.

The peer's routes (``iprisk.web.routes.channel``):

* ``POST /channel/messages`` — one sealed message (``application/jose``) in, its signed receipt out;
* ``POST /channel/batches`` — ``{"messages": [sealed, ...]}`` in, ``{"results": [{"receipt": ...} |
  {"error": ..., "detail": ...}]}`` out, in order;
* ``GET /channel/card`` — the node's public keys (what ``iprisk node peer add`` pins) and rotations;
* ``POST /channel/queries`` — a sealed question in, a sealed answer out (reconciliation).

TLS is used when the peer's URL is ``https://`` (verified against the system's trust store, or the CA file of
the ``tls_ca`` setting); the messages' security never relies on it. A peer that cannot be reached, or answers
5xx, raises :class:`PeerUnreachable` (an ``OSError``: the outbox retries); a refusal (4xx, naming the check
that failed) raises :class:`PeerRefused` (a ``ChannelError``: retried too, it may be a key not pinned yet).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx2

from iprisk.link.errors import PeerRefused, PeerUnreachable
from iprisk.settings import Settings

JOSE = "application/jose"
#: the answer of a batch that failed transiently at the peer (retry later), as opposed to a refusal
TRANSIENT = "transient"
#: seconds an idle connection to the peer is kept for reuse: shorter than the time the peer's server keeps
#: it (``iprisk serve``: :data:`SERVER_KEEP_ALIVE_S`), so that this side gives a connection up before the
#: server closes it. With both at 5 s (httpx's and uvicorn's defaults), a request could leave on a
#: connection the server was closing at that moment: "Server disconnected without sending a response".
CLIENT_KEEP_ALIVE_S = 5.0
#: seconds ``iprisk serve`` keeps an idle connection open (uvicorn's ``timeout_keep_alive``, default 5)
SERVER_KEEP_ALIVE_S = 20


def client_for(settings: Settings, timeout_s: float) -> httpx2.Client:
    """An HTTP client verifying the peers' certificates (system trust store, or ``tls_ca``)."""
    verify: ssl.SSLContext | bool = True
    if settings.tls_ca is not None:
        verify = ssl.create_default_context(cafile=str(settings.tls_ca))
    limits = httpx2.Limits(
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=CLIENT_KEEP_ALIVE_S
    )
    return httpx2.Client(timeout=timeout_s, verify=verify, follow_redirects=False, limits=limits)


class HttpTransport:
    """The outbox's transport: sends to the URL of each peer (read at each use, as peers change)."""

    def __init__(
        self,
        urls: Callable[[], Mapping[str, str]],
        settings: Settings,
        *,
        timeout_s: float = 60.0,
        client: httpx2.Client | None = None,
    ):
        self._urls = urls
        self.client = client or client_for(settings, timeout_s)

    def url(self, node: str, path: str) -> str:
        base = self._urls().get(node)
        if base is None:
            raise PeerUnreachable(f"no URL for node {node}: add the peer first")
        return f"{base.rstrip('/')}{path}"

    def __call__(self, recipient: str, wires: Sequence[str]) -> list[str | Exception]:
        """Send messages to ``recipient``: one per request, or several in one batch request."""
        if len(wires) == 1:
            try:
                return [self.send(recipient, wires[0])]
            except PeerRefused as exc:  # this message refused; unreachable (raised) is the whole batch's
                return [exc]
        answer = self._post(self.url(recipient, "/channel/batches"), json={"messages": list(wires)})
        results = answer.json().get("results")
        if not isinstance(results, list) or len(results) != len(wires):
            raise PeerUnreachable(f"{recipient} answered a batch of {len(wires)} with {results!r:.200}")
        return [_result(item) for item in results]

    def send(self, recipient: str, wire: str) -> str:
        """One sealed message; the receipt token."""
        answer = self._post(
            self.url(recipient, "/channel/messages"), content=wire, headers={"content-type": JOSE}
        )
        return answer.text

    def card(self, base_url: str) -> dict[str, Any]:
        """The key card a node publishes at ``base_url`` (``GET /channel/card``)."""
        answer = self._request("GET", f"{base_url.rstrip('/')}/channel/card")
        data = answer.json()
        if not isinstance(data, dict):
            raise PeerUnreachable(f"{base_url}: the card is not a JSON object")
        return data

    def query(self, recipient: str, sealed: str) -> str:
        """A sealed question to ``recipient``; its sealed answer."""
        answer = self._post(
            self.url(recipient, "/channel/queries"), content=sealed, headers={"content-type": JOSE}
        )
        return answer.text

    def close(self) -> None:
        self.client.close()

    def _post(self, url: str, **kwargs: Any) -> httpx2.Response:
        return self._request("POST", url, **kwargs)

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        try:
            answer = self._once_more_if_dropped(method, url, **kwargs)
        except httpx2.HTTPError as exc:
            raise PeerUnreachable(f"{url}: {type(exc).__name__}: {exc}") from None
        if answer.status_code == 200:
            return answer
        problem = _problem(answer)
        if 400 <= answer.status_code < 500:
            raise PeerRefused(str(problem.get("error") or answer.status_code), str(problem.get("detail", "")))
        raise PeerUnreachable(f"{url}: HTTP {answer.status_code}: {problem.get('detail', '')}"[:500])

    def _once_more_if_dropped(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        """The request, sent once more if the connection was dropped before any answer (a pooled connection
        the peer's server closed as the request left, whatever its keep-alive: a proxy in between may keep
        connections for less). Safe: a delivery is idempotent by message id (a duplicate is answered with
        its stored receipt), a query and the card only read. The second try takes a new connection (the
        dropped one is closed) unless another pooled one is still open; a peer that is down fails it at
        once (connection refused). Timeouts are not retried here: a slow peer is not sent the work twice."""
        try:
            return self.client.request(method, url, **kwargs)
        except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError):
            return self.client.request(method, url, **kwargs)


def _problem(answer: httpx2.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {"detail": answer.text[:300]}
    return body if isinstance(body, dict) else {"detail": str(body)[:300]}


def _result(item: Any) -> str | Exception:
    if isinstance(item, dict) and isinstance(item.get("receipt"), str):
        return str(item["receipt"])
    if isinstance(item, dict) and item.get("error") == TRANSIENT:
        return PeerUnreachable(f"the peer could not take it now: {item.get('detail', '')}")
    if isinstance(item, dict) and item.get("error"):
        return PeerRefused(str(item["error"]), str(item.get("detail", "")))
    return PeerUnreachable(f"unreadable batch result {item!r:.200}")
