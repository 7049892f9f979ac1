from __future__ import annotations

import re

from tests.web.conftest import LiveNode


def test_health_answers_with_the_node(live: LiveNode) -> None:
    response = live.client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["node"] == "EU"


def test_docs_load_nothing_from_another_host(live: LiveNode) -> None:
    page = live.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert live.client.get(source).status_code == 200, source
    assert "cdn" not in page.text.lower()
    assert live.client.get("/openapi.json").json()["info"]["title"] == "iprisk node"


def test_unknown_route_is_problem_json(live: LiveNode) -> None:
    response = live.client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:iprisk:error:not-found"
