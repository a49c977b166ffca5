"""HTTP GET of untrusted URLs (feeds and the pages they link to).

A feed names the URLs citeline then fetches, so every URL here is untrusted: only http(s), only
public addresses (CITELINE_FEED_ALLOW_PRIVATE adds loopback, private and link-local ones), every
redirect hop checked, a time limit for the whole fetch and a size limit on the body. The address
check runs where the socket is opened: the connection goes to the very address that was checked,
so a name that resolves to a public address for the check and a private one for the connection
(DNS rebinding) gets nowhere, and TLS still verifies the certificate against the host name.
"""

import io
import math
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

USER_AGENT = "citeline/0.1 (+news archive ingest)"
MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
# Brotli and zstd can expand a small body a thousandfold in one chunk; gzip and deflate are
# what news sites send, and the size limit counts decoded bytes.
ACCEPT_ENCODING = "gzip, deflate"
# NAT64 gateways (RFC 6052) forward this prefix to the IPv4 address in its last 32 bits.
NAT64 = IPv6Network("64:ff9b::/96")
PRIVATE_KINDS = ("loopback", "link-local", "private", "non-public")  # what CITELINE_FEED_ALLOW_PRIVATE allows


class FetchError(Exception):
    """A URL that could not be fetched, or was refused; the message says which and why."""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the body came from, after redirects
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    not_modified: bool = False  # a 304: the validators sent still hold, `content` is empty

    def text(self) -> str:
        """The body as text: the charset the server names, else the page's own declaration
        or a guess (trafilatura's decoder reads <meta charset> and sniffs)."""
        from trafilatura.utils import decode_file

        name = _charset(self.content_type)
        if name:
            try:
                return self.content.decode(name, errors="replace")
            except LookupError:
                pass  # an unknown charset name: guess as if none were given
        return decode_file(self.content)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def refusal(ip: IPv4Address | IPv6Address, allow_private: bool = False) -> str | None:
    """What kind of address `ip` is when it may not be fetched from, or None when it may."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    elif isinstance(ip, IPv6Address) and ip in NAT64:
        ip = IPv4Address(int(ip) & 0xFFFFFFFF)
    # Loopback before reserved: IPv6's ::1 is both. 0.0.0.0 is never allowed: on Linux it
    # reaches this machine's own services.
    kinds = ("unspecified", "multicast", "loopback", "reserved", "link_local", "private")
    kind = next((k.replace("_", "-") for k in kinds if getattr(ip, f"is_{k}")), None)
    if kind is None and not ip.is_global:
        kind = "non-public"
    return None if kind is None or (allow_private and kind in PRIVATE_KINDS) else kind


class _GuardedBackend(httpcore.SyncBackend):
    """Opens connections only to allowed addresses, and ends every read and write at the
    deadline of the fetch in progress."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.deadline = math.inf

    def remaining(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("time limit reached")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        # getaddrinfo has no timeout of its own: a hung resolver is bounded by the system's.
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {host} ({exc})") from None
        addresses = list(dict.fromkeys(ip_address(info[4][0].split("%")[0]) for info in infos))
        for ip in addresses:
            kind = refusal(ip, self.allow_private)
            if kind:
                named = host if host == str(ip) else f"{host} ({ip})"
                hint = " (CITELINE_FEED_ALLOW_PRIVATE=true allows it)" if kind in PRIVATE_KINDS else ""
                article = "an" if kind[0] in "aeiou" else "a"
                raise FetchError(f"refused: {named} is {article} {kind} address{hint}")
        error: Exception = FetchError(f"cannot resolve {host}")
        for ip in addresses:
            try:
                stream = super().connect_tcp(
                    str(ip),
                    port,
                    self.remaining(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
                return _DeadlineStream(stream, self)
            except httpcore.ConnectError as exc:
                error = exc  # try the host's next address, as browsers do
        raise error


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: _GuardedBackend) -> None:
        self.inner = inner
        self.backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.backend.remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.backend.remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        left = self.backend.remaining(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, left), self.backend)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _GuardedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend, so its pool is replaced by one that has ours; the
        # refusal tests fail if a new httpx stops using it.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend)


class Fetcher:
    """Safe GETs sharing connections; use as a context manager."""

    def __init__(self, timeout_s: float, max_bytes: int, allow_private: bool = False) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.backend = _GuardedBackend(allow_private)
        # No proxies from the environment: the address check must see the real destination.
        self.client = httpx.Client(transport=_GuardedTransport(self.backend), trust_env=False, follow_redirects=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.client.close()

    def get(self, url: str, accept: str = "*/*", etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """The body at `url`, following up to MAX_REDIRECTS redirects, each one checked;
        with `etag`/`last_modified` a conditional request, which may answer `not_modified`."""
        headers = {"user-agent": USER_AGENT, "accept": accept, "accept-encoding": ACCEPT_ENCODING}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        self.backend.deadline = time.monotonic() + self.timeout_s
        try:
            hop = url
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    answer = self._hop(hop, headers)
                except FetchError as exc:
                    raise FetchError(f"{url}: {exc}" if hop == url else f"{url}: redirected to {hop}: {exc}") from None
                if isinstance(answer, Fetched):
                    return answer
                hop = answer
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
        finally:
            self.backend.deadline = math.inf

    def _hop(self, url: str, headers: dict[str, str]) -> Fetched | str:
        """What one request answers: the body, or where it redirects to."""
        request = self.client.build_request("GET", _checked_url(url), headers=headers, timeout=self.timeout_s)
        try:
            response = self.client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    return str(response.url.join(location))
                return self._answer(response)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise FetchError(f"no complete answer within {self.timeout_s:g} s") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect ({exc})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__} ({exc})") from None

    def _answer(self, response: httpx.Response) -> Fetched:
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if response.status_code == 304:
            return Fetched(str(response.url), b"", "", etag, last_modified, not_modified=True)
        if response.status_code != 200:
            raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"too large: {declared} bytes, the limit is {self.max_bytes} (CITELINE_MAX_FILE_BYTES)")
        body = io.BytesIO()
        for chunk in response.iter_bytes():
            body.write(chunk)
            if body.tell() > self.max_bytes:
                raise FetchError(f"too large: over {self.max_bytes} bytes (CITELINE_MAX_FILE_BYTES)")
            # A server trickling bytes fast enough for every read still ends at the deadline.
            self.backend.remaining(None, httpx.ReadTimeout)
        content_type = response.headers.get("content-type", "")
        return Fetched(str(response.url), body.getvalue(), content_type, etag, last_modified)


def _checked_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError("not an http(s) URL")
    return parsed
