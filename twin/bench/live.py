"""Live-telemetry benchmarks: one Prometheus instant-query response for the 100,000-GPU
factory turned into a Frame, with the share spent parsing the JSON, against the plain
``json.loads`` path measured in the same run."""

from __future__ import annotations

import json
import time

import numpy as np

from twin.bench import Result


def _facility():
    from twin.model.loader import facility_from_text, load_layout

    try:
        from twin.bench.layout import factory_path

        path = factory_path()
        if path.exists():
            return load_layout(path)
    except ImportError:
        pass
    from twin.model.generate import ai_factory

    return facility_from_text(ai_factory())


def instant_response(facility, seed: int, full_labels: bool = False) -> bytes:
    """What Prometheus answers to Twin's ``max by (Hostname, hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)``
    (or, with ``full_labels``, to the bare selector: every dcgm-exporter label), series in a
    shuffled order, compact JSON exactly as Prometheus writes it."""
    rng = np.random.default_rng(seed)
    n = facility.n_gpus
    hosts = np.asarray(facility.host_names, dtype=object)[facility.gpu_host]
    local = facility.gpu_local
    temps = rng.integers(30, 90, n)
    now = 1_764_150_000.123 + seed
    result = []
    for g in rng.permutation(n):
        labels = {"Hostname": hosts[g], "gpu": str(local[g])}
        if full_labels:
            labels = {
                "__name__": "DCGM_FI_DEV_GPU_TEMP",
                "DCGM_FI_DRIVER_VERSION": "550.54.15",
                "Hostname": hosts[g],
                "UUID": f"GPU-{g:08x}-7d3c-4a5e-9f1b-{g:012x}",
                "device": f"nvidia{local[g]}",
                "gpu": str(local[g]),
                "instance": f"{hosts[g]}:9400",
                "job": "dcgm",
                "modelName": "NVIDIA H100 80GB HBM3",
                "pci_bus_id": f"00000000:{0x18 + int(local[g]):02X}:00.0",
            }
        result.append({"metric": labels, "value": [now, str(int(temps[g]))]})
    doc = {"status": "success", "data": {"resultType": "vector", "result": result}}
    return json.dumps(doc, separators=(",", ":")).encode()


def _to_frame(mapper, body: bytes, parse) -> tuple[float, float]:
    from twin.telemetry.dcgm import FrameBuilder

    t0 = time.perf_counter()
    vec = parse(body)
    t1 = time.perf_counter()
    builder = FrameBuilder(mapper)
    builder.add_vector("temp_c", vec)
    builder.frame(vec.time_s or 0.0)
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0


def _measure(mapper, bodies: list[bytes], parse, repeat: int = 3) -> tuple[float, float]:
    """Best total and its parse time over ``repeat`` rounds through ``bodies`` (which differ in
    order and values, so no response is the previous one again)."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        for body in bodies:
            best = min(best, _to_frame(mapper, body, parse))
    return best


def bench_frame_from_query() -> list[Result]:
    from twin.telemetry.dcgm import GpuMapper, _parse_vector_json, parse_vector

    fac = _facility()
    n = fac.n_gpus
    results = []
    for full, name in (
        (False, "frame_from_query_100k_ms"),
        (True, "frame_from_query_full_labels_ms"),
    ):
        bodies = [instant_response(fac, seed, full) for seed in range(3)]
        mb = len(bodies[0]) / 1e6
        cold_mapper = GpuMapper(fac)
        cold, _ = _to_frame(cold_mapper, bodies[0], parse_vector)
        mapper = GpuMapper(fac)
        _to_frame(mapper, bodies[0], parse_vector)  # label sets seen once, as after a first poll
        total, parse = _measure(mapper, bodies[1:], parse_vector)
        base_mapper = GpuMapper(fac)
        _to_frame(base_mapper, bodies[0], _parse_vector_json)
        base, base_parse = _measure(base_mapper, bodies[1:], _parse_vector_json, repeat=1)
        results.append(
            Result(
                f"live.{name}",
                total * 1e3,
                "ms",
                baseline=base * 1e3,
                ratio=total / base,
                note=(
                    f"{n} GPUs, {mb:.1f} MB response; JSON parsing {parse / total:.0%} of it "
                    f"(baseline json.loads path: parsing {base_parse / base:.0%}); "
                    f"first response {cold * 1e3:.0f} ms (label sets mapped once)"
                ),
            )
        )
    return results


def _serve(bodies: dict[str, bytes], default: bytes, delay_s: float = 0.0):
    """A loopback HTTP server answering each query, after ``delay_s`` (the server's own
    evaluation time), with the body of the first key the query contains, else ``default``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            n = int(self.headers.get("Content-Length", 0))
            query = parse_qs(self.rfile.read(n).decode()).get("query", [""])[0]
            body = next((b for k, b in bodies.items() if k in query), default)
            time.sleep(delay_s)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _poll_time(fac, bodies, default, workers: int, delay_s: float) -> float:
    from twin.telemetry.prometheus import PrometheusSource

    server = _serve(bodies, default, delay_s)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        source = PrometheusSource(fac, url, env={}, workers=workers, timeout_s=60)
        source.poll_once()  # label sets mapped once, as after the first poll
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            result = source.poll_once()
            best = min(best, time.perf_counter() - t)
        if result.gpus_with_data != fac.n_gpus:
            raise RuntimeError(f"poll mapped {result.gpus_with_data} of {fac.n_gpus} GPUs")
        return best
    finally:
        server.shutdown()
        server.server_close()


def bench_poll() -> list[Result]:
    from twin.telemetry.dcgm import DEFAULT_METRICS

    fac = _facility()
    shared = [instant_response(fac, seed) for seed in range(3)]
    now = time.time()
    newest = {"metric": {}, "value": [now, f"{now:.3f}"]}
    doc = {"status": "success", "data": {"resultType": "vector", "result": [newest]}}
    # "timestamp(" first: the newest-sample query also names the temperature metric
    bodies = {"timestamp(": json.dumps(doc).encode()}
    for i, names in enumerate(DEFAULT_METRICS.values()):
        bodies[names[0]] = shared[i % 3]
    empty = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
    n_queries = len(DEFAULT_METRICS) + 3
    plain = _poll_time(fac, bodies, empty, workers=1, delay_s=0.0)
    slow_seq = _poll_time(fac, bodies, empty, workers=1, delay_s=0.2)
    slow_par = _poll_time(fac, bodies, empty, workers=4, delay_s=0.2)
    return [
        Result(
            "live.poll_100k_ms",
            plain * 1e3,
            "ms",
            note=f"one full poll ({n_queries} queries: {len(DEFAULT_METRICS)} metrics, 2 violation "
            f"rates, newest sample) for {fac.n_gpus} GPUs from an instant server on loopback",
        ),
        Result(
            "live.poll_100k_slow_server_ms",
            slow_par * 1e3,
            "ms",
            baseline=slow_seq * 1e3,
            ratio=slow_par / slow_seq,
            note="server takes 200 ms per query; 4 queries at a time, baseline one at a time",
        ),
    ]


BENCHMARKS = [("live", bench_frame_from_query), ("live", bench_poll)]
