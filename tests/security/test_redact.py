"""Issue 16, class 3: a password in a warehouse or database URL is never printed or logged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iprisk.errors import WarehouseError, problem_details
from iprisk.security import redact
from iprisk.warehouse import Warehouse, parse_location

_SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789!$%^*()_+~", min_size=6, max_size=20)


@given(_SECRETS, st.sampled_from(["postgresql", "postgres", "mysql", "pyspark", "mssql+pyodbc"]))
def test_url_passwords_are_redacted(secret: str, scheme: str) -> None:
    url = f"{scheme}://admin:{secret}@db.example:5432/iprisk"
    text = redact(f"cannot open warehouse {url}: refused")
    assert secret not in text and "admin:***@db.example" in text
    assert secret not in str(parse_location(url))


def test_key_value_secrets_are_redacted() -> None:
    assert redact("host=x password=hunter22 user=y") == "host=x password=*** user=y"
    assert redact("https://h/p?token=abc123&x=1") == "https://h/p?token=***&x=1"


def test_the_cli_never_echoes_a_password(run) -> None:
    code, out, err = run("submissions", "-w", "postgres://admin:S3cretPw@127.0.0.1:5999/db")
    assert code == 1 and "S3cretPw" not in out + err and "admin:***@127.0.0.1" in err


def test_the_library_error_and_problem_details_hold_no_password() -> None:
    try:
        Warehouse.open("postgres://admin:S3cretPw@127.0.0.1:5999/db")
    except WarehouseError as exc:
        assert "S3cretPw" not in str(exc) and exc.__cause__ is None  # no chained driver message either
        assert "S3cretPw" not in str(problem_details(exc))
    else:  # pragma: no cover - nothing listens on port 5999
        raise AssertionError("opened a warehouse that does not exist")
