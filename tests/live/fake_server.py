"""A misbehaving HTTP server on 127.0.0.1 for the fault tests: each request is handed to a
behaviour that writes whatever raw bytes it likes (a status line one byte a second, a gzip bomb,
a body that never ends). Loopback only; every loop ends when the server closes."""

from __future__ import annotations

import gzip
import json
import socketserver
import threading
import time
import zlib
from collections.abc import Callable


class FakeServer:
    """``behave(handler, method, path, body) -> None`` writes the answer to ``handler.wfile``."""

    def __init__(self, behave: Callable):
        self.behave = behave
        self.closed = threading.Event()
        self.requests = 0
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    method, path, body = _read_request(self.rfile)
                except (OSError, ValueError):
                    return
                fake.requests += 1
                try:
                    fake.behave(self, method, path, body)
                except OSError:  # the client gave up: that is the point of most behaviours
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def sleep(self, seconds: float) -> bool:
        """Wait; True when the server is closing (behaviours stop then)."""
        return self.closed.wait(seconds)

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


def _read_request(rfile) -> tuple[str, str, bytes]:
    line = rfile.readline(65536).decode("latin-1")
    method, path, _ = line.split(" ", 2)
    length = 0
    for _ in range(100):
        h = rfile.readline(65536)
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return method, path, rfile.read(length) if length else b""


# ------------------------------------------------------------------ answers
def answer(handler, status: int, body: bytes, headers: dict | None = None) -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    handler.wfile.write(head.encode() + b"\r\n" + body)


def vector(series: list, t: float | None = None) -> bytes:
    return json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": series}},
        separators=(",", ":"),
    ).encode()


def prometheus_answer(temp: str = "55", sample_time: str | None = None) -> Callable:
    """A Prometheus that answers every GPU of host A01-01 with ``temp`` and says its newest
    sample is at ``sample_time`` (a JSON number's text, default now)."""

    def behave(handler, method, path, body) -> None:
        now = time.time()
        q = body.decode()
        if "timestamp" in q:
            t = sample_time if sample_time is not None else f"{now - 1:.3f}"
            out = vector([{"metric": {}, "value": [now, t]}])
        elif "DCGM_FI_DEV_GPU_TEMP" in q:
            out = vector(
                [
                    {"metric": {"Hostname": "A01-01", "gpu": str(g)}, "value": [now, temp]}
                    for g in range(8)
                ]
            )
        else:
            out = vector([])
        answer(handler, 200, out, {"Content-Type": "application/json"})

    return behave


def exposition(temp: str = "55") -> bytes:
    lines = ["# TYPE DCGM_FI_DEV_GPU_TEMP gauge"]
    lines += [f'DCGM_FI_DEV_GPU_TEMP{{gpu="{g}",Hostname="A01-01"}} {temp}' for g in range(8)]
    return ("\n".join(lines) + "\n").encode()


def gzip_bomb(decoded_bytes: int = 2**30) -> bytes:
    """``decoded_bytes`` of zeros, gzip-compressed (~1 MB for 1 GiB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [c.compress(zeros) for _ in range(decoded_bytes >> 20)]
    parts.append(c.flush())
    return b"".join(parts)


# ------------------------------------------------------------------ behaviours
def hang(server: FakeServer):
    def behave(handler, method, path, body):
        server.sleep(60)

    return behave


def dribble_headers(server: FakeServer, every_s: float = 1.0):
    """Status line and headers one byte every ``every_s``: never a whole header in time."""

    def behave(handler, method, path, body):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
        for b in head:
            handler.wfile.write(bytes([b]))
            handler.wfile.flush()
            if server.sleep(every_s):
                return

    return behave


def dribble_body(server: FakeServer, every_s: float = 1.0):
    def behave(handler, method, path, body):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100_000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if server.sleep(every_s):
                return

    return behave


def huge(server: FakeServer, total: int = 2**31):
    """An answer of ``total`` bytes without Content-Length, sent as fast as it goes."""

    def behave(handler, method, path, body):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        block = b"[" * (1 << 20)
        for _ in range(total >> 20):
            if server.closed.is_set():
                return
            handler.wfile.write(block)

    return behave


def bomb(payload: bytes):
    def behave(handler, method, path, body):
        answer(handler, 200, payload, {"Content-Encoding": "gzip"})

    return behave


def status(code: int, body: bytes = b"", headers: dict | None = None):
    def behave(handler, method, path, body_in):
        answer(handler, code, body, headers)

    return behave


def gzipped(payload: bytes):
    def behave(handler, method, path, body):
        answer(handler, 200, gzip.compress(payload), {"Content-Encoding": "gzip"})

    return behave
