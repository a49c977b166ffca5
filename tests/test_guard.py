"""Access control, limits, headers, request ids and metrics, over real HTTP."""

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.observability import REQUEST_ID, JsonFormatter
from service.pipeline import Pipeline
from tests.conftest import serve

QUESTION = {"question": "What did Grushko say about NATO expansion?"}


@contextmanager
def client_for(ingested: Settings, embedder: MiniLMEmbedding, tmp: Path, **settings: object) -> Iterator[httpx.Client]:
    config = ingested.model_copy(update={"conversations_db": tmp / "c.db", **settings})
    with serve(create_app(Pipeline(config, UnitStore(config), embedder))) as url, httpx.Client(base_url=url) as c:
        yield c


def test_api_keys(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, api_keys=["k-one", "k-two"]) as http:
        missing = http.post("/api/ask", json=QUESTION)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        wrong = http.post("/api/ask", json=QUESTION, headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 403 and wrong.json() == {"detail": "this API key is not valid"}
        ok = http.post("/api/ask", json=QUESTION, headers={"authorization": "Bearer k-two"})
        assert ok.status_code == 200 and ok.json()["answered"]
        assert http.get("/v1/models").status_code == 401 and http.get("/metrics").status_code == 401
        assert http.get("/healthz").status_code == 200 and http.get("/").status_code == 200


def test_rate_limit_says_when_to_retry(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, rate_limit=30, rate_burst=3) as http:
        statuses = [http.get("/api/sources/nope.txt").status_code for _ in range(4)]
        assert statuses[:3] == [404, 404, 404] and statuses[3] == 429
        limited = http.get("/api/sources/nope.txt")
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 2
        assert http.get("/healthz").status_code == 200  # not limited


def test_headers_body_limit_request_id_and_metrics(http: httpx.Client) -> None:
    page = http.get("/")
    assert "frame-ancestors" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert http.get("/healthz").headers["x-content-type-options"] == "nosniff"
    huge = http.post(
        "/api/ask", content=b'{"question": "' + b"x" * 200_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413
    echoed = http.post("/api/ask", json=QUESTION, headers={"x-request-id": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"
    fresh = http.get("/healthz").headers["x-request-id"]
    assert (
        len(fresh) == 32
        and http.get("/healthz", headers={"x-request-id": "bad id!"}).headers["x-request-id"] != "bad id!"
    )
    http.post("/api/ask", json={"question": "What is the capital of Australia?"})
    metrics = http.get("/metrics").text
    assert 'citeline_requests_total{method="POST",route="/api/ask",status="200"}' in metrics
    assert 'citeline_answers_total{outcome="answered"}' in metrics and 'outcome="refused"' in metrics
    assert 'citeline_request_seconds_bucket{le="0.1",route="/api/ask"}' in metrics


def test_the_docs_pages_are_served_whole_under_a_strict_policy(http: httpx.Client) -> None:
    """The browser tests show they render; here, that nothing comes from elsewhere and the
    policy loosens only what the viewers need, on their pages only."""
    for page in ("/docs", "/redoc"):
        response = http.get(page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "https://" not in response.text and "<script>" not in response.text
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
            assert http.get(asset).status_code == 200, asset
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy and "frame-ancestors *" in policy
    assert "/static/docs/swagger-ui-bundle.js" in http.get("/docs").text
    assert "/static/docs/redoc.standalone.js" in http.get("/redoc").text
    page_policy = http.get("/").headers["content-security-policy"]
    assert page_policy == "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors *"


def test_json_log_lines_carry_the_request_id() -> None:
    token = REQUEST_ID.set("abc123")
    try:
        record = logging.LogRecord("citeline", logging.ERROR, __file__, 1, "it %s", ("broke",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "abc123" and line["message"] == "it broke" and line["level"] == "error"


def test_cors_allow_list(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, cors_origins=["https://news.example"]) as http:
        preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
        allowed = http.options("/api/ask", headers={"origin": "https://news.example", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://news.example"
        other = http.options("/api/ask", headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
        simple = http.post("/api/ask", json=QUESTION, headers={"origin": "https://news.example"})
        assert simple.headers["access-control-allow-origin"] == "https://news.example"
