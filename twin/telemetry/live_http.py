"""A small HTTP client for live sources: deadlines on every request, TLS verified by default,
credentials from the caller or the environment and never shown.

It uses the standard library (``urllib``) on purpose: ``requests`` happens to be in the
environment only as somebody else's dependency, and the live sources need nothing it adds
(no sessions, no retries of its own: the sources back off themselves).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are refused: following one would send the credentials to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        raise LiveError(f"server redirected to {newurl}; use that URL", status=code)


def split_url(url: str) -> tuple[str, Credentials | None]:
    """Strip ``user:password@`` from a URL (so it can be shown) and return it as credentials."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"URL must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {url!r}")
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


class HttpClient:
    """GET/POST against one base URL with a hard deadline per request."""

    def __init__(
        self,
        url: str,
        *,
        credentials: Credentials | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
        timeout_s: float = 10.0,
        max_bytes: int = 1 << 30,
    ):
        self.url, from_url = split_url(url)
        self.credentials = credentials or from_url or Credentials()
        self.timeout_s = float(timeout_s)
        self.max_bytes = max_bytes
        handlers: list = [_NoRedirect()]
        if self.url.startswith("https://"):
            if verify_tls:
                context = ssl.create_default_context(cafile=ca_file)
            else:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)
        self._auth = self.credentials.header()

    def __repr__(self) -> str:
        return f"HttpClient({self.url!r}, {self.credentials!r})"

    def get(self, path: str, params: dict | None = None) -> bytes:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._request(urllib.request.Request(self.url + path + query))

    def post_form(self, path: str, form: dict) -> bytes:
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self._request(req)

    def _request(self, req: urllib.request.Request) -> bytes:
        if self._auth:
            req.add_header("Authorization", self._auth)
        req.add_header("Accept-Encoding", "gzip")  # 100k-GPU answers shrink ~8x
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._opener.open(req, timeout=self.timeout_s) as resp:
                body = self._read(resp, deadline)
                if resp.headers.get("Content-Encoding", "").lower() == "gzip":
                    body = self._gunzip(body)
                return body
        except LiveError:
            raise
        except urllib.error.HTTPError as exc:
            raise LiveError(_http_error_message(exc), status=exc.code) from None
        except urllib.error.URLError as exc:
            raise LiveError(f"cannot reach {self.url}: {exc.reason}") from None
        except TimeoutError:
            raise LiveError(f"{self.url} did not answer within {self.timeout_s:g} s") from None
        except (OSError, ValueError) as exc:  # resets, IncompleteRead, bad status lines
            raise LiveError(f"{self.url}: {type(exc).__name__}: {exc}") from None

    def _gunzip(self, body: bytes) -> bytes:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out = d.decompress(body, self.max_bytes)
        except zlib.error as exc:
            raise LiveError(f"{self.url}: bad gzip body: {exc}") from None
        if d.unconsumed_tail:
            raise LiveError(f"response from {self.url} larger than {self.max_bytes} bytes")
        return out

    def _read(self, resp, deadline: float) -> bytes:
        chunks, total = [], 0
        while True:
            if time.monotonic() > deadline:
                raise LiveError(
                    f"{self.url} too slow: response not complete in {self.timeout_s:g} s"
                )
            chunk = resp.read1(1 << 20)  # at most one socket read, so the deadline holds
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > self.max_bytes:
                raise LiveError(f"response from {self.url} larger than {self.max_bytes} bytes")
            chunks.append(chunk)


def _http_error_message(exc: urllib.error.HTTPError) -> str:
    detail = ""
    try:
        body = exc.read(65536)
        doc = json.loads(body)
        detail = f": {doc.get('errorType', '')} {doc.get('error', '')}".rstrip()
    except Exception:  # an error page that is not the API's JSON
        detail = ""
    if exc.code in (401, 403):
        return (
            f"HTTP {exc.code} (not authorised){detail}; set {ENV_TOKEN} or "
            f"{ENV_USER}/{ENV_PASSWORD}"
        )
    return f"HTTP {exc.code} {exc.reason}{detail}"
