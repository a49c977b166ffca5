"""Access control, limits, headers, request ids and metrics, over real HTTP."""

import json
import logging
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from service.guard import Guard, RateLimit, key_digest
from service.observability import REQUEST_ID, JsonFormatter
from tests.conftest import citeline, citeline_serve, cli_env, client_for, free_port, serve

QUESTION = {"question": "What did Grushko say about NATO expansion?"}


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


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_rate_limit_says_when_to_retry(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    # 30 a minute in bursts of 3: at most 3 requests in any 6 seconds.
    with client_for(ingested, embedder, tmp_path, rate_limit=30, rate_burst=3) as http:
        statuses = [http.get("/api/sources/nope.txt").status_code for _ in range(4)]
        assert statuses[:3] == [404, 404, 404] and statuses[3] == 429
        limited = http.get("/api/sources/nope.txt")
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 6
        assert limited.json() == {"detail": "too many requests; slow down"}
        assert http.get("/healthz").status_code == 200  # not limited


def test_the_burst_is_the_rate_unless_set(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, rate_limit=5) as http:
        statuses = [http.get("/api/sources/nope.txt").status_code for _ in range(30)]
    assert statuses == [404] * 5 + [429] * 25


def test_failed_logins_count_against_the_address(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, api_keys=["k-one"], rate_limit=5) as http:
        statuses = [http.get("/v1/models", headers=bearer(f"guess-{i}")).status_code for i in range(100)]
        assert statuses[:5] == [403] * 5 and set(statuses[5:]) == {429}
        assert http.get("/v1/models").status_code == 429  # no key at all: the same address, the same limit
        assert http.get("/v1/models", headers=bearer("k-one")).status_code == 200  # a valid key has its own


def test_every_key_has_its_own_limit(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    keys = ["tenant-aaaa-1", "tenant-aaaa-2"]  # the same first eight characters
    with client_for(ingested, embedder, tmp_path, api_keys=keys, rate_limit=2) as http:
        first = [http.get("/v1/models", headers=bearer(keys[0])).status_code for _ in range(3)]
        assert first == [200, 200, 429]
        assert http.get("/v1/models", headers=bearer(keys[1])).status_code == 200


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A real Redis on 127.0.0.1 (Debian's redis-server, which `make test` installs); its URI."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_services_sharing_a_redis_share_one_limit_and_its_outage_is_a_503(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as uri:
        shared = {"rate_limit": 3, "rate_limit_storage": uri}
        with (
            client_for(ingested, embedder, tmp_path / "a", **shared) as one,
            client_for(ingested, embedder, tmp_path / "b", **shared) as two,
        ):
            statuses = [client.get("/v1/models").status_code for client in (one, two, one, two)]
            assert statuses == [200, 200, 200, 429]  # three in all, whichever service they reached
    refused = one_more(ingested, embedder, tmp_path / "c", uri)
    assert refused.status_code == 503 and refused.json() == {
        "detail": "rate limiting is unavailable; try again shortly"
    }


def one_more(ingested: Settings, embedder: MiniLMEmbedding, tmp: Path, uri: str) -> httpx.Response:
    """A request to a service whose Redis has gone."""
    with client_for(ingested, embedder, tmp, rate_limit=3, rate_limit_storage=uri) as http:
        return http.get("/v1/models")


def test_rate_limit_state_holds_digests_and_forgets_idle_clients() -> None:
    async def empty(scope: dict, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    rate_limit = RateLimit(per_minute=60, burst=1, storage_uri="memory://")  # one request a second
    guard = Guard(
        empty,
        keys=["tenant-aaaa-1"],
        rate_limit=rate_limit,
        trusted_proxies=[],
        max_body_bytes=1024,
        frame_ancestors="*",
    )
    with serve(guard) as url, httpx.Client(base_url=url) as http:
        assert http.get("/api/x", headers=bearer("tenant-aaaa-1")).status_code == 204
        assert http.get("/api/x", headers=bearer("tenant-aaaa-1")).status_code == 429
        digest = key_digest(b"tenant-aaaa-1")
        tracked = lambda: " ".join(rate_limit.storage.events)  # noqa: E731 - limits' in-memory table
        assert digest in tracked() and "tenant-aaaa" not in tracked()
        time.sleep(1.2)  # the window passes; the next request from anyone sweeps the table
        assert http.get("/api/x").status_code == 401
        deadline = time.monotonic() + 5
        while digest in tracked() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert digest not in tracked() and "address:127.0.0.1" in tracked()


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


class JsonLines(logging.Handler):
    """The JSON lines `citeline serve` would print."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_a_body_too_large_is_answered_like_every_error(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="citeline.access")
    log = JsonLines()
    logging.getLogger("citeline.access").addHandler(log)
    huge = b'{"question": "' + b"x" * 200_000 + b'"}'
    json_body = {"content-type": "application/json"}
    try:
        with client_for(ingested, embedder, tmp_path) as http:
            declared = http.post("/api/ask", content=huge, headers=json_body)  # with Content-Length
            chunked = http.post("/api/ask", content=iter([huge]), headers=json_body)
            metrics = http.get("/metrics").text
    finally:
        logging.getLogger("citeline.access").removeHandler(log)
    assert "content-length" in declared.request.headers and "content-length" not in chunked.request.headers
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json() == {"detail": "the request body is too large: at most 65536 bytes"}
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        request_id = response.headers["x-request-id"]
        assert any(line["request_id"] == request_id and line["status"] == 413 for line in log.lines)
    assert 'citeline_requests_total{method="POST",route="/api/ask",status="413"} 2.0' in metrics


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


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(ingested: Settings) -> None:
    def statuses(url: str, *forwarded: str) -> list[int]:
        with httpx.Client(base_url=url) as http:
            return [
                http.get("/api/sources/nope.txt", headers={"x-forwarded-for": f} if f else {}).status_code
                for f in forwarded
            ]

    with (
        citeline_serve(cli_env(ingested, CITELINE_RATE_LIMIT="2")) as (direct, _),
        citeline_serve(
            cli_env(ingested, CITELINE_RATE_LIMIT="2", CITELINE_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
        ) as (proxied, _),
    ):
        # No trusted proxies: a new X-Forwarded-For per request is still the same client.
        assert statuses(direct, "203.0.113.1", "203.0.113.2", "203.0.113.3") == [404, 404, 429]
        # Behind a trusted proxy, the client is the rightmost address no trusted proxy added; what
        # a client writes to the left of it changes nothing.
        assert statuses(proxied, "203.0.113.1", "203.0.113.1, 10.1.2.3") == [404, 404]
        assert statuses(proxied, "198.51.100.7, 203.0.113.1", "203.0.113.2", "") == [429, 404, 404]


def test_serve_refuses_a_rate_limit_storage_it_cannot_use(ingested: Settings) -> None:
    env = cli_env(ingested, CITELINE_RATE_LIMIT="5", CITELINE_RATE_LIMIT_STORAGE="nosuch://host")
    result = citeline(env, "serve", "--port", str(free_port()), timeout=120)
    assert result.returncode == 1 and "CITELINE_RATE_LIMIT_STORAGE" in result.stderr
    assert "Traceback" not in result.stderr
