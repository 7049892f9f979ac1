"""Who acts at the command line of a node: one of its accounts, authenticated as the API authenticates.

The command line takes no role, side or port from its options: ``IPRISK_TOKEN`` holds an API token of the
account (``iprisk tokens create``; the same check as ``Authorization: Bearer`` at the API, a refusal is an
``auth.refused`` entry of the audit log), or ``--user ACCOUNT`` asks for the account's password (the
dashboard's login). The account's role, administration and ports then decide, through the same
authorisation table and the same scope checks as the routes, what the command may do.
"""

from __future__ import annotations

from collections.abc import Callable

from iprisk.accounts import Grant, Principal, authorize
from iprisk.errors import Unauthenticated
from iprisk.node.context import Node


def login(node: Node, *, account: str | None, password: Callable[[], str]) -> Principal:
    """The account acting at ``node``: ``account`` with the password ``password()`` asks for, else the
    account of the ``token`` setting; Unauthenticated when neither is given or they do not check out."""
    if account:
        return node.accounts.check_password(account, password())
    token = node.settings.token
    if token is None:
        raise Unauthenticated(
            "no credentials: set IPRISK_TOKEN to an API token of your account (iprisk tokens create), "
            "or give --user ACCOUNT and type its password"
        )
    return node.accounts.authenticate(token.get_secret_value())


def login_for(node: Node, action: str, *, account: str | None, password: Callable[[], str]) -> Grant:
    """The account acting at ``node``, granted ``action`` by the authorisation table (Forbidden if not)."""
    return authorize(login(node, account=account, password=password), action)


__all__ = ["login", "login_for"]
