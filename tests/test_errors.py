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
