"""The dashboard's session and CSRF tokens: HMAC-SHA256 signatures with the node's session key.

* The session cookie holds the account name and an expiry, signed; each request re-reads the account, so a
  disabled account or a changed role takes effect at once.
* CSRF: the signed double-submit cookie pattern (OWASP). A random ``iprisk_csrf`` cookie is set on the first
  page; every form carries ``HMAC(key, cookie)``; a POST whose field does not match is refused. The cookie is
  SameSite=Strict as well.
* The key is 32 random bytes in the node's key folder (``dashboard-session.key``, mode 0600), made on
  first use, so sessions survive a restart and every worker of ``iprisk serve`` shares it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_COOKIE = "iprisk_session"
CSRF_COOKIE = "iprisk_csrf"
CSRF_FIELD = "csrf_token"
KEY_FILE = "dashboard-session.key"
#: How long a login lasts.
SESSION_SECONDS = 8 * 3600


def session_key(key_folder: Path) -> bytes:
    """The node's session key, created (0600) when the folder has none yet."""
    path = Path(key_folder) / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}:{payload}".encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class Sessions:
    """Signs and checks session cookies and CSRF tokens with one key."""

    key: bytes

    def issue(self, user: str, now: float | None = None) -> str:
        body = _b64(json.dumps({"u": user, "exp": int((now or time.time()) + SESSION_SECONDS)}).encode())
        return f"{body}.{_mac(self.key, 'session', body)}"

    def user_of(self, cookie: str | None, now: float | None = None) -> str | None:
        """The account a session cookie names; None when it is missing, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, _mac(self.key, "session", body)):
            return None
        try:
            data = json.loads(_unb64(body))
        except ValueError:
            return None
        if int(data.get("exp", 0)) <= (now or time.time()):
            return None
        return str(data["u"])

    def csrf_token(self, csrf_cookie: str) -> str:
        return _mac(self.key, "csrf", csrf_cookie)

    def csrf_ok(self, csrf_cookie: str | None, token: str | None) -> bool:
        if not csrf_cookie or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(csrf_cookie))


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)
