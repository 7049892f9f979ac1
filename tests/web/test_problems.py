"""The web layer answers every error through the one error map of iprisk.errors, as the CLI does: the same
status the map gives, the same problem+json body (rows included), and no internals for a bug."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from iprisk import errors
from iprisk.errors import ERROR_MAP, InvalidSubmission, IpriskError, Problem
from iprisk.web.problems import install_problem_handlers


def _example(kind: errors.ErrorKind) -> Exception:
    """One instance of the map row's class (constructors differ by class)."""
    cls = kind.error
    made: dict[type[Exception], Exception] = {
        errors.WarehouseBusy: errors.WarehouseBusy("w.duckdb"),
        errors.LimitExceeded: errors.LimitExceeded("a.csv", "rows", "11", "max_rows", 10),
        errors.IntegrityError: errors.IntegrityError([Problem("digest", "edited")], source="m"),
        errors.InvalidInput: InvalidSubmission(
            [Problem("code", "not a mode", 3, "transport_mode", "ship", "a.csv")], source="a.csv"
        ),
        errors.UnsupportedFormat: errors.UnsupportedFormat("a.pdf", "not a table"),
        errors.MappingError: errors.MappingError("m.yaml", "bad"),
        errors.UnsafeOutput: errors.UnsafeOutput("w.duckdb", "it is the warehouse"),
        errors.Unauthenticated: errors.Unauthenticated("no token"),
        errors.Forbidden: errors.Forbidden("profile.approve", "analyst", "not in the table"),
        errors.AlreadyExists: errors.AlreadyExists("user", "ana"),
        errors.InvalidTransition: errors.InvalidTransition("P1", "draft", "activate"),
        errors.Infeasible: errors.Infeasible("capacity below the mandatory controls"),
        errors.UnknownCode: errors.UnknownCode("flow", "imp"),
        errors.NotFound: errors.NotFound("profile", "P1"),
    }
    return made[cls] if cls in made else cls("something")


def _client(exc: BaseException) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("kind", ERROR_MAP, ids=lambda k: k.error.__name__)
def test_every_mapped_error_answers_as_the_map_says(kind: errors.ErrorKind) -> None:
    exc = _example(kind)
    assert errors.error_kind(exc) is kind  # the example is of this row, not a more specific one
    response = _client(exc).get("/boom")
    assert response.status_code == kind.http_status == errors.http_status(exc)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == errors.problem_details(exc, instance="/boom")
    if isinstance(exc, errors.InvalidInput):
        assert response.json()["problems"][0]["row"] == exc.problems[0].row


def test_a_bug_is_a_500_without_internals() -> None:
    response = _client(RuntimeError("secret detail at 0x7f")).get("/boom")
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:iprisk:error:internal" and "0x7f" not in response.text


def test_unauthenticated_asks_for_a_bearer_token() -> None:
    response = _client(errors.Unauthenticated("no token")).get("/boom")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert isinstance(errors.Unauthenticated("x"), IpriskError)
