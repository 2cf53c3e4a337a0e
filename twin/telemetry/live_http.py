"""A small HTTP client for live sources: deadlines on every request, TLS verified by default,
credentials from the caller or the environment and never shown.

It uses the standard library (``http.client``) on purpose: ``requests`` happens to be in the
environment only as somebody else's dependency, and the live sources need nothing it adds
(no sessions, no retries of its own: the sources back off themselves).
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import re
import socket
import ssl
import threading
import urllib.parse
import zlib
from dataclasses import dataclass

ENV_URL = "TWIN_PROMETHEUS_URL"
ENV_TOKEN = "TWIN_PROMETHEUS_TOKEN"
ENV_USER = "TWIN_PROMETHEUS_USER"
ENV_PASSWORD = "TWIN_PROMETHEUS_PASSWORD"
ENV_CA_FILE = "TWIN_PROMETHEUS_CA_FILE"


class LiveError(Exception):
    """The server could not be reached or answered with an error; worth retrying later."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def client_side(self) -> bool:
        """HTTP 400/422: the query itself is wrong; retrying will not help that query."""
        return self.status in (400, 422)


@dataclass(frozen=True)
class Credentials:
    """Bearer token or basic auth. ``repr`` hides the secrets."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        kind = "token" if self.token else "basic" if self.user else "none"
        return f"Credentials({kind})"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        return cls(
            token=env.get(ENV_TOKEN) or None,
            user=env.get(ENV_USER) or None,
            password=env.get(ENV_PASSWORD) or None,
        )

    def header(self) -> str | None:
        if self.token:
            return f"Bearer {self.token}"
        if self.user:
            raw = f"{self.user}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        return None


def split_url(url: str) -> tuple[str, Credentials | None]:
    """Strip ``user:password@`` from a URL (so it can be shown) and return it as credentials."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"not a URL: {redact_url(url)!r} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"URL must start with http:// or https://, got {redact_url(url)!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {redact_url(url)!r}")
    creds = None
    if parts.username is not None:
        creds = Credentials(
            user=urllib.parse.unquote(parts.username),
            password=urllib.parse.unquote(parts.password or ""),
        )
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts).rstrip("/"), creds


#: Largest answer to one request, after decompression (a 100,000-GPU instant query is ~15 MB).
MAX_RESPONSE_BYTES = 64 * 2**20
#: Largest sum of the answers to one poll (its parallel queries together), after decompression:
#: with the parsing of one answer this keeps a poll well under 1 GB whatever servers send.
MAX_POLL_BYTES = 192 * 2**20
_ERROR_BODY_BYTES = 65536
_CHUNK = 1 << 16


class ByteBudget:
    """Bytes that the answers to one poll may take together; shared by its parallel requests."""

    def __init__(self, limit: int | None = None):
        self.limit = int(MAX_POLL_BYTES if limit is None else limit)
        self.used = 0
        self._lock = threading.Lock()

    def take(self, n: int, url: str) -> None:
        with self._lock:
            self.used += n
            if self.used > self.limit:
                raise LiveError(
                    f"answers from {url} larger than {_mb(self.limit)} in total for one poll"
                )


def _mb(n: int) -> str:
    return f"{n / 2**20:g} MiB"


class HttpClient:
    """GET/POST against one base URL. One deadline covers the whole request (connect, status
    line, headers and body): a timer shuts the socket when it passes, so a server that sends
    one byte a second cannot hold a request longer than ``timeout_s``. Answers are capped at
    ``max_bytes`` each after decompression (a gzip bomb stops there too) and, through a
    ``ByteBudget``, in total per poll. Redirects are refused (following one would send the
    credentials elsewhere). Every failure is a ``LiveError`` whose message names the cause."""

    def __init__(
        self,
        url: str,
        *,
        credentials: Credentials | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
        timeout_s: float = 10.0,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ):
        self.url, from_url = split_url(url)
        self.credentials = credentials or from_url or Credentials()
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout_s}")
        self.timeout_s = float(timeout_s)
        self.max_bytes = int(max_bytes)
        parts = urllib.parse.urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._base_path = parts.path.rstrip("/")
        self._context = None
        if self._https:
            if verify_tls:
                self._context = ssl.create_default_context(cafile=ca_file)
            else:
                self._context = ssl.create_default_context()
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE
        self._auth = self.credentials.header()

    def __repr__(self) -> str:
        return f"HttpClient({self.url!r}, {self.credentials!r})"

    def get(self, path: str, params: dict | None = None, budget: ByteBudget | None = None) -> bytes:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._request("GET", path + query, None, {}, budget)

    def post_form(self, path: str, form: dict, budget: ByteBudget | None = None) -> bytes:
        data = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._request("POST", path, data, headers, budget)

    # ------------------------------------------------------------------ one request
    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout_s, context=self._context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)

    def _request(self, method, path, body, headers, budget) -> bytes:
        headers = dict(headers)
        headers["Accept-Encoding"] = "gzip"  # 100k-GPU answers shrink ~8x
        if self._auth:
            headers["Authorization"] = self._auth
        conn = self._connection()
        expired = threading.Event()

        def expire() -> None:  # the deadline: whatever the request is waiting for, stop it
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout_s, expire)
        timer.daemon = True
        timer.start()
        try:
            conn.request(method, self._base_path + path, body=body, headers=headers)
            resp = conn.getresponse()
            if 300 <= resp.status < 400:
                where = resp.getheader("Location", "?")
                raise LiveError(
                    f"HTTP {resp.status}: {self.url} redirected to {redact_url(where)}; "
                    "use that URL (redirects are not followed: they would carry the credentials)",
                    status=resp.status,
                )
            if resp.status >= 400:
                detail = resp.read(_ERROR_BODY_BYTES) if not expired.is_set() else b""
                raise LiveError(_http_error_message(resp.status, resp.reason, detail), resp.status)
            return self._body(resp, budget or ByteBudget(), expired)
        except LiveError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set():
                raise LiveError(
                    f"{self.url} did not answer completely within {self.timeout_s:g} s (too slow)"
                ) from None
            raise LiveError(self._cause(exc)) from None
        finally:
            timer.cancel()
            conn.close()

    def _cause(self, exc: BaseException) -> str:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"cannot reach {self.url}: TLS certificate not trusted: {exc.verify_message}"
        if isinstance(exc, TimeoutError | socket.timeout):
            return f"{self.url} did not answer within {self.timeout_s:g} s"
        if isinstance(exc, ConnectionRefusedError):
            return f"cannot reach {self.url}: connection refused"
        if isinstance(exc, socket.gaierror):
            return f"cannot reach {self.url}: unknown host ({exc.strerror})"
        if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.strerror:
            return f"cannot reach {self.url}: {exc.strerror}"
        return f"{self.url}: {type(exc).__name__}: {exc}"

    def _body(self, resp, budget: ByteBudget, expired: threading.Event) -> bytes:
        """The body, decompressed as it arrives, stopping at the caps."""
        gz = resp.getheader("Content-Encoding", "").lower() == "gzip"
        inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if gz else None
        out: list[bytes] = []
        total = 0
        while True:
            chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
            if expired.is_set():
                raise OSError("deadline passed")
            if not chunk:
                break
            if inflate is not None:
                try:
                    # never more than fits under the cap: a gzip bomb stops here
                    chunk = inflate.decompress(chunk, self.max_bytes - total + 1)
                except zlib.error as exc:
                    raise LiveError(f"{self.url}: bad gzip body: {exc}") from None
                if inflate.unconsumed_tail:
                    total = self.max_bytes + 1
            total += len(chunk)
            if total > self.max_bytes:
                raise LiveError(
                    f"answer from {self.url} larger than {_mb(self.max_bytes)} "
                    f"({'after decompression' if gz else 'as sent'}); refused"
                )
            budget.take(len(chunk), self.url)
            out.append(chunk)
        left = getattr(resp, "length", None)  # of a Content-Length, what never came
        if left:
            raise LiveError(
                f"answer from {self.url} ended early: the connection closed {left:,} bytes "
                "short of its Content-Length; nothing recorded from it"
            )
        if inflate is not None and not inflate.eof:
            raise LiveError(f"{self.url}: bad gzip body: it ends before the compressed data")
        return b"".join(out)


def redact_url(text: str) -> str:
    """``scheme://user:password@host`` -> ``scheme://***@host`` anywhere in ``text``, so no
    message or log shows a password that was typed into a URL."""
    return _USERINFO_RE.sub(r"\1***@", text)


_USERINFO_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def _http_error_message(status: int, reason: str, body: bytes) -> str:
    detail = ""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict):
            detail = f": {doc.get('errorType', '')} {doc.get('error', '')}".rstrip()
    except Exception:  # an error page that is not the API's JSON
        detail = ""
    if status in (401, 403):
        what = "not authorised" if status == 401 else "forbidden"
        return f"HTTP {status}: {what}{detail}; set {ENV_TOKEN} or {ENV_USER}/{ENV_PASSWORD}"
    return f"HTTP {status} {reason}{detail}"
