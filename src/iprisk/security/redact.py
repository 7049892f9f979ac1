"""Credentials out of anything printed or logged: passwords in URLs and ``password=...`` pairs become ``***``.

Warehouse and database locations are URLs that may carry a password
(``postgresql://admin:secret@host/db``); error messages, reprs and logs show them redacted.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@  (the password is everything up to the last '@' before the host)
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^\s/]*)(?P<tail>@)")
# password=secret, pwd: secret, token=... in query strings and libpq / ODBC key-value strings
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\s*[=:]\s*)(?P<secret>[^\s&;,'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every URL password and ``password=...`` value replaced by ``***``.

    >>> redact("cannot open postgresql://admin:s3cr@t@db.example:5432/iprisk")
    'cannot open postgresql://admin:***@db.example:5432/iprisk'
    >>> redact("host=db user=iprisk password=hunter2 dbname=x")
    'host=db user=iprisk password=*** dbname=x'
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    return _KEY_VALUE.sub(lambda m: f"{m['head']}{MASK}", text)
