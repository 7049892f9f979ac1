from __future__ import annotations

import re

from fastapi.testclient import TestClient

from iprisk.settings import Settings
from iprisk.web import create_app


def _client() -> TestClient:
    return TestClient(create_app(Settings(node="EU")))


def test_health_answers_with_the_node() -> None:
    response = _client().get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["node"] == "EU"


def test_docs_load_nothing_from_another_host() -> None:
    client = _client()
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "cdn" not in page.text.lower()
    assert client.get("/openapi.json").json()["info"]["title"] == "iprisk node"


def test_unknown_route_is_problem_json() -> None:
    response = _client().get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:iprisk:error:not-found"
