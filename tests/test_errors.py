import pytest

from iprisk.errors import (
    InvalidSubmission,
    IpriskError,
    NotFitted,
    Problem,
    UnknownCode,
    WarehouseBusy,
)


def test_problem_reads_like_a_sentence() -> None:
    p = Problem(
        rule="code",
        message="not a transport mode",
        row=7,
        column="transport_mode",
        value="ship",
        file="a.csv",
    )
    assert str(p) == "a.csv, row 7, column transport_mode: [code] not a transport mode (value 'ship')"


def test_invalid_submission_keeps_every_problem_and_is_a_value_error() -> None:
    problems = [Problem("required", "empty", row=i, column="case_id") for i in range(1, 4)]
    exc = InvalidSubmission(problems, source="x.csv", total=5)
    assert isinstance(exc, IpriskError) and isinstance(exc, ValueError)
    assert exc.problems == problems and exc.total == 5
    assert "x.csv: 5 problem(s)" in str(exc) and "and 4 more" in str(exc)


def test_builtin_families() -> None:
    assert issubclass(NotFitted, AttributeError)
    assert issubclass(UnknownCode, KeyError)
    with pytest.raises(IpriskError, match="warehouse busy, retry"):
        raise WarehouseBusy("w.duckdb")
    assert str(UnknownCode("flow", "imp")) == "'imp' is not in the flow code list"


# --- the error map (issue 9, section 2) -----------------------------------------------------------------

from iprisk.errors import (  # noqa: E402
    ERROR_MAP,
    AlreadyExists,
    Forbidden,
    IntegrityError,
    InvalidInput,
    LimitExceeded,
    MappingError,
    NotFound,
    Unauthenticated,
    UnsafeOutput,
    Unsupported,
    WarehouseError,
    error_kind,
    exit_code,
    http_status,
    problem_details,
)


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (InvalidSubmission([Problem("code", "bad")], source="a.csv"), 3, 422),
        (LimitExceeded("a.csv", "rows", "many", "max_rows", 10), 3, 413),
        (IntegrityError([Problem("digest", "edited")], source="m"), 3, 422),
        (WarehouseBusy("w.duckdb"), 4, 503),
        (WarehouseError("cannot open"), 1, 500),
        (NotFound("profile", "P1"), 1, 404),
        (MappingError("m.yaml", "bad"), 1, 422),
        (UnsafeOutput("w.duckdb", "it is the warehouse"), 1, 409),
        (Unsupported("read-only"), 1, 501),
        (Unauthenticated("no token"), 1, 401),
        (Forbidden("profile.approve", "analyst", "not in the table"), 1, 403),
        (AlreadyExists("user", "ana"), 1, 409),
        (IpriskError("other"), 1, 400),
        (RuntimeError("a bug"), 1, 500),
    ],
)
def test_one_map_gives_exit_codes_and_http_statuses(exc: Exception, code: int, status: int) -> None:
    assert (exit_code(exc), http_status(exc)) == (code, status)


def test_the_map_lists_subclasses_before_their_parents() -> None:
    classes = [kind.error for kind in ERROR_MAP]
    for i, cls in enumerate(classes):
        assert not any(issubclass(cls, earlier) for earlier in classes[:i]), cls
    assert error_kind(InvalidSubmission([])).error is InvalidInput


def test_problem_details_follow_rfc_9457_and_redact() -> None:
    exc = InvalidSubmission(
        [Problem("code", "bad mode", 3, "transport_mode", "ship", "postgres://u:pw@h/db")], source="a.csv"
    )
    body = problem_details(exc, instance="/submissions/7")
    assert body["type"] == "urn:iprisk:error:invalid-input" and body["status"] == 422
    assert body["title"] == "Invalid input" and body["instance"] == "/submissions/7" and body["total"] == 1
    assert body["problems"][0]["row"] == 3 and "pw" not in str(body)
    hidden = problem_details(RuntimeError("internal detail at 0x7f"))
    assert hidden["status"] == 500 and "0x7f" not in hidden["detail"]


def test_architecture_doc_shows_the_map() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for kind in ERROR_MAP:
        row = f"| `{kind.error.__name__}` | {kind.exit_code} | {kind.http_status} |"
        assert row in doc, row
