"""Access control and limits in front of the app: optional API keys, per-client rate limiting, a
request body limit, and security headers on every response.

With CITELINE_API_KEYS set, every /api/, /v1/ and /metrics request needs
`Authorization: Bearer <key>`: none is a 401, a wrong one a 403. /healthz, the chat page and its
static files stay open (the page sends the key it was given). Keys are held and compared as
SHA-256 digests, so no table or log holds a key itself; the caller's digest (None without keys)
reaches the routes as `request.state.owner`, the owner of the conversations it starts.

With CITELINE_RATE_LIMIT set, each client gets at most that many requests a minute (`RateLimit`);
beyond it, a 429 with Retry-After. A client is its key when the key is valid, else its address, so
failed attempts count against the address they come from. The address is the TCP peer, or, when
the peer is one of CITELINE_TRUSTED_PROXIES, the rightmost X-Forwarded-For entry that no trusted
proxy added.
"""

import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import NamedTuple

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("citeline")

PROTECTED = ("/api/", "/v1/", "/metrics")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
Network = IPv4Network | IPv6Network


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


def key_digest(key: bytes) -> str:
    """What stands for a key in memory, logs and the conversation store: never the key itself."""
    return hashlib.sha256(key).hexdigest()


class RateLimitUnavailable(Exception):
    """The rate-limit storage (e.g. a shared Redis) does not answer."""


class RateLimit:
    """At most `burst` requests per client in any window of `burst / per_minute` minutes (rounded
    up to whole seconds): never more than `burst` at once, never more than `per_minute` a minute
    over time. Without a burst the window is one minute and the limit exactly `per_minute`.

    `limits`' moving window counts every request in the window exactly (a fixed window lets twice
    the limit through across a window edge). Its state lives in a `limits` storage: in-process
    memory by default, or e.g. Redis so that several services share one limit. The asynchronous
    storages are used because this runs on the event loop, and because their memory storage drops
    a client's entries once they leave the window and then the client itself, so idle clients cost
    nothing (the synchronous one, in limits 5.8.0, keeps an empty list per client for ever).
    """

    def __init__(self, per_minute: int, burst: int | None, storage_uri: str) -> None:
        burst = burst or per_minute
        self.item = RateLimitItemPerSecond(burst, math.ceil(60 * burst / per_minute))
        # `limits` names its asyncio storages async+<scheme>; the setting takes the usual URI.
        self.storage = storage_from_string(storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}")
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def wait(self, client: str) -> int:
        """0 when the client may go ahead (the request is counted); else seconds until it may."""
        try:
            if await self.limiter.hit(self.item, client):
                return 0
            stats = await self.limiter.get_window_stats(self.item, client)
        except Exception as exc:  # each storage backend raises its own kinds (Redis: coredis's)
            raise RateLimitUnavailable(str(exc)) from exc
        return max(1, math.ceil(stats.reset_time - time.time()))


def trusted(host: str, proxies: Sequence[Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted(peer, proxies):
        return peer  # anyone can write X-Forwarded-For; only a trusted proxy's is believed
    hops = [
        hop.strip()
        for name, value in scope["headers"]
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]
    # Each proxy appends the address it saw; entries left of the last untrusted one are the client's to invent.
    return next((hop for hop in reversed(hops) if hop and not trusted(hop, proxies)), peer)


class BodyTooLarge(HTTPException):
    """Raised from `receive`, inside the app, so it is answered as every other error is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is too large: at most {limit} bytes")


def limit_body(scope: Scope, receive: Receive, limit: int) -> Receive:
    declared = dict(scope["headers"]).get(b"content-length", b"")
    too_large = declared.isdigit() and int(declared) > limit  # refused before a byte of it is read
    received = 0

    async def limited() -> Message:
        nonlocal received
        if too_large:
            raise BodyTooLarge(limit)
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:  # chunked, or more than declared
            raise BodyTooLarge(limit)
        return message

    return limited


class Refusal(NamedTuple):
    status: int
    detail: str
    headers: Sequence[tuple[bytes, bytes]] = ()


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        keys: list[str],
        rate_limit: RateLimit | None,
        trusted_proxies: Sequence[Network],
        max_body_bytes: int,
        frame_ancestors: str,
    ) -> None:
        self.app = app
        self.key_digests = [key_digest(k.encode()) for k in keys]
        self.rate_limit = rate_limit
        self.trusted_proxies = trusted_proxies
        self.max_body_bytes = max_body_bytes
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

        if scope["path"].startswith(PROTECTED) and scope["method"] != "OPTIONS":
            refusal = await self.admit(scope)
            if refusal:
                await self.refuse(with_headers, refusal)
                return
        await self.app(scope, limit_body(scope, receive, self.max_body_bytes), with_headers)

    async def admit(self, scope: Scope) -> Refusal | None:
        """None when the request may go on, with its caller's key digest in scope["state"]; else why not."""
        owner, failure = None, None
        if self.key_digests:
            auth = dict(scope["headers"]).get(b"authorization", b"")
            if not auth.lower().startswith(b"bearer "):
                failure = Refusal(
                    401,
                    "an API key is required: Authorization: Bearer <key>",
                    [(b"www-authenticate", b'Bearer realm="citeline"')],
                )
            else:
                given = key_digest(auth[7:].strip())
                if any(hmac.compare_digest(given, known) for known in self.key_digests):
                    owner = given
                else:
                    failure = Refusal(403, "this API key is not valid")
        # A failed attempt is counted too (against its address) before it is answered, so keys
        # cannot be guessed at full speed.
        if self.rate_limit:
            client = f"key:{owner}" if owner else f"address:{client_address(scope, self.trusted_proxies)}"
            try:
                wait = await self.rate_limit.wait(client)
            except RateLimitUnavailable as exc:
                # Closed, not open: without its counts the limit would silently stop protecting.
                log.error("rate-limit storage unavailable: %s", exc)
                return Refusal(503, "rate limiting is unavailable; try again shortly", [(b"retry-after", b"5")])
            if wait:
                return Refusal(429, "too many requests; slow down", [(b"retry-after", str(wait).encode())])
        if failure:
            return failure
        scope.setdefault("state", {})["owner"] = owner
        return None

    @staticmethod
    async def refuse(send: Send, refusal: Refusal) -> None:
        body = json.dumps({"detail": refusal.detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *refusal.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
