"""/metrics in the Prometheus format, and JSON logs with no secrets, tokens, passwords or personal data."""

from __future__ import annotations

import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from iprisk.accounts import Role
from iprisk.web.logs import configure_logging, redact
from tests.web.conftest import LiveNode


def _count(text: str, route: str, status: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "iprisk_http_requests_total"
                and labels.get("route") == route
                and labels.get("status") == status
            ):
                return sample.value
    return 0.0


def test_metrics_count_requests_by_route_template_and_status(live: LiveNode) -> None:
    before = live.client.get("/metrics").text
    for name in ("x1", "x2"):
        live.client.post(f"/users/{name}/disable", headers=live.headers(Role.OPERATOR))
    after = live.client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    route = "/users/{name}/disable"
    assert _count(after.text, route, "404") - _count(before, route, "404") == 2
    assert "x1" not in after.text and "iprisk_http_request_duration_seconds_bucket" in after.text
    # the channel's own metrics are on the same page (tests/link/test_metrics.py checks their values)
    assert 'iprisk_channel_messages{direction="out",node="EU",state="queued"}' in after.text
    assert "iprisk_channel_delivery_seconds_bucket" in after.text


def test_logs_are_json_and_hold_no_secret_nor_personal_data(live: LiveNode) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        operator = live.headers(Role.OPERATOR)
        created = live.client.post(
            "/users",
            json={"name": "zhang.wei", "role": "analyst", "password": "Tr0ub4dor&3-horse"},
            headers=operator,
        )
        token = live.client.post("/users/zhang.wei/tokens", json={"label": "x"}, headers=operator).json()[
            "token"
        ]
        live.client.get("/me?who=zhang.wei", headers={"Authorization": f"Bearer {token}"})
        live.client.get("/me", headers={"Authorization": f"Bearer {token[:-3]}abc"})  # refused
        logging.getLogger("iprisk.test").warning(
            "a library quoted %s and postgresql://u:pw@db/x", f"Bearer {token}"
        )
    finally:
        for name in ("iprisk", "uvicorn", "uvicorn.error"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
    assert created.status_code == 201
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) >= 5 and all("message" in line for line in lines)
    text = stream.getvalue()
    for secret in (
        token,
        token.split(".")[2],
        "Tr0ub4dor",
        "zhang.wei",
        "testclient",
        ":pw@",
        live.init.secret,
    ):
        assert secret not in text, secret
    access = [line for line in lines if line["name"] == "iprisk.web.access"]
    assert {(a["route"], a["status"]) for a in access} >= {("/users", 201), ("/me", 200), ("/me", 401)}
    assert {a["role"] for a in access if a["route"] == "/me" and a["status"] == 200} == {"analyst"}


def test_redact_scrubs_tokens_headers_and_url_passwords() -> None:
    text = redact(
        "Authorization: Bearer abc.def and iprisk.abcdefghijkl." + "x" * 43 + " and pg://u:p4ss@h/d"
    )
    assert "abc.def" not in text and "x" * 43 not in text and "p4ss" not in text
