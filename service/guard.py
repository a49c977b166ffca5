"""Access control and limits in front of the API: optional API keys, per-client rate limiting,
and security headers on every response.

With CITELINE_API_KEYS set, every /api/, /v1/ and /metrics request needs
`Authorization: Bearer <key>`: none is a 401, a wrong one a 403. /healthz, the chat page and its
static files stay open (the page sends the key it was given). With CITELINE_RATE_LIMIT set, each
client (its key, else its address) gets that many requests a minute, in a token bucket; beyond
it, a 429 with Retry-After.
"""

import hmac
import json
import math
import threading
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROTECTED = ("/api/", "/v1/", "/metrics")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


# What the API docs' viewers (service/docs.py: the fastapi-offline bundles) need beyond our own
# pages, on their pages only. Still no inline script, and nothing from other origins.
DOCS_ALLOWANCES: dict[str, dict[str, str]] = {
    # Swagger UI's stylesheet draws its icons (expand arrows, the copy button) as data: SVGs.
    "/docs": {"img-src": "'self' data:"},
    # ReDoc adds two <style> elements: perfect-scrollbar's fixed stylesheet, and styled-components'
    # empty one, which it fills through the CSSOM (which CSP does not govern). Exactly those two
    # contents are allowed, by hash, as redoc.standalone.js of fastapi-offline 1.7.7 has them (the
    # browser tests fail if a new version changes them); no other inline style is. Its search
    # index runs in a worker it makes from a blob: of its own code, and its icons are data: SVGs.
    "/redoc": {
        "style-src": "'self' 'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=' "
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "worker-src": "blob:",
        "img-src": "'self' data:",
    },
}


def html_policy(frame_ancestors: str, path: str = "/") -> list[tuple[bytes, bytes]]:
    # No inline scripts, nothing from other origins; framing allowed where the widget may live.
    directives = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'"}
    directives |= DOCS_ALLOWANCES.get(path, {})
    directives["frame-ancestors"] = frame_ancestors
    csp = "; ".join(f"{name} {value}" for name, value in directives.items())
    return [(b"content-security-policy", csp.encode())]


class TokenBuckets:
    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(burst, 1)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed; otherwise the seconds until a request would be."""
        now = time.monotonic()
        with self.lock:
            tokens, stamp = self.buckets.get(client, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class Guard:
    def __init__(self, app: ASGIApp, keys: list[str], per_minute: int, burst: int, frame_ancestors: str) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys]
        self.buckets = TokenBuckets(per_minute, burst) if per_minute else None
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    headers += html_policy(self.frame_ancestors, scope["path"])
                message["headers"] = headers
            await send(message)

        path = scope["path"]
        if path.startswith(PROTECTED) and scope["method"] != "OPTIONS":
            client = scope.get("client") or ("unknown", 0)
            identity = client[0]
            if self.keys:
                auth = dict(scope["headers"]).get(b"authorization", b"")
                if not auth.lower().startswith(b"bearer "):
                    await self.refuse(
                        with_headers,
                        401,
                        "an API key is required: Authorization: Bearer <key>",
                        [(b"www-authenticate", b'Bearer realm="citeline"')],
                    )
                    return
                given = auth[7:].strip()
                if not any(hmac.compare_digest(given, key) for key in self.keys):
                    await self.refuse(with_headers, 403, "this API key is not valid")
                    return
                identity = "key:" + given.decode("latin-1")[:8]
            if self.buckets:
                wait = self.buckets.take(identity)
                if wait:
                    await self.refuse(
                        with_headers,
                        429,
                        "too many requests; slow down",
                        [(b"retry-after", str(math.ceil(wait)).encode())],
                    )
                    return
        await self.app(scope, receive, with_headers)

    @staticmethod
    async def refuse(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
