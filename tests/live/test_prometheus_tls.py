"""A real Prometheus serving https with its own certificate and basic auth (its web config
file), read through Twin's client, the command line and the environment variables: TLS
verification on by default, a private CA file, ``--insecure``, and wrong credentials."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from base64 import b64encode
from pathlib import Path

import numpy as np
import pytest
from dcgm_exporter import temp_of
from live_support import PROMETHEUS, PrometheusServer, layout_text, wait_until

from twin.cli import main
from twin.recording import open_recording
from twin.telemetry.live_http import LiveError
from twin.telemetry.prometheus import PrometheusClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(PROMETHEUS is None, reason="the prometheus binary is not installed"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed"),
]

USER, PASSWORD = "twin", "s3cret-pass"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d: Path, name: str) -> tuple[Path, Path]:
    key, crt = d / f"{name}.key", d / f"{name}.crt"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
        "-keyout", str(key), "-out", str(crt), cwd=d,
    )  # fmt: skip
    return key, crt


def make_server_cert(d: Path, ca_key: Path, ca_crt: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by the CA (subjectAltName IP, as clients require)."""
    key, csr, crt, ext = d / "server.key", d / "server.csr", d / "server.crt", d / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(csr), cwd=d,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt), cwd=d,
    )  # fmt: skip
    return key, crt


def bcrypt_hash(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

    # cost 4: the lowest bcrypt allows, so each request is checked quickly
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


class TlsPrometheus(PrometheusServer):
    """PrometheusServer behind ``--web.config.file``: https and basic auth on every endpoint."""

    def __init__(self, workdir: Path, targets: list[str], web_config: Path, ca: Path):
        super().__init__(workdir, targets)
        self.url = f"https://127.0.0.1:{self.port}"
        self.web_config = web_config
        self.context = ssl.create_default_context(cafile=str(ca))
        token = b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def start(self) -> None:
        self._log = open(self.workdir / "prometheus.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                f"--web.config.file={self.web_config}",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._ready, 30, "Prometheus /-/ready over https")

    def get(self, path: str) -> bytes:
        req = urllib.request.Request(self.url + path, headers=self.headers)
        with urllib.request.urlopen(req, timeout=2, context=self.context) as resp:
            return resp.read()

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            text = (self.workdir / "prometheus.log").read_text(errors="replace")
            raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{text[-2000:]}")
        try:
            self.get("/-/ready")
            return True
        except (urllib.error.URLError, OSError):
            return False

    def query(self, expr: str) -> list:
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        return json.loads(self.get(path))["data"]["result"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key, ca_crt = make_ca(d, "twin-test-ca")
    key, crt = make_server_cert(d, ca_key, ca_crt)
    _, other_ca = make_ca(d, "some-other-ca")
    return {"ca": ca_crt, "other_ca": other_ca, "key": key, "crt": crt, "dir": d}


@pytest.fixture(scope="module")
def https_prometheus(exporter, pki, tmp_path_factory):
    work = tmp_path_factory.mktemp("prometheus-tls")
    web = work / "web.yml"
    web.write_text(
        json.dumps(
            {
                "tls_server_config": {"cert_file": str(pki["crt"]), "key_file": str(pki["key"])},
                "basic_auth_users": {USER: bcrypt_hash(PASSWORD)},
            }
        )
    )
    server = TlsPrometheus(work, [f"127.0.0.1:{exporter.port}"], web, pki["ca"])
    server.start()
    try:
        server.wait_for_samples(count=32)
        # history for the record tests: five scrapes of every series
        server.wait_for_samples("count_over_time(DCGM_FI_DEV_GPU_TEMP[1m]) >= 5", count=32)
        yield server
    finally:
        server.stop()


def test_the_server_really_demands_tls_and_a_password(https_prometheus, pki):
    """The fixture is what it claims: plain http and anonymous requests are refused."""
    plain = https_prometheus.url.replace("https://", "http://") + "/-/ready"
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(plain, timeout=2).read()
    anonymous = urllib.request.Request(https_prometheus.url + "/-/ready")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(anonymous, timeout=2, context=https_prometheus.context)
    assert info.value.code == 401


def newest_temps(client: PrometheusClient) -> dict[tuple[str, str], float]:
    data = json.loads(client.query("DCGM_FI_DEV_GPU_TEMP"))["data"]["result"]
    return {
        (s["metric"].get("Hostname") or s["metric"].get("hostname"), s["metric"]["gpu"]): float(
            s["value"][1]
        )
        for s in data
    }


def test_client_verifies_with_the_ca_file_and_sends_basic_auth(https_prometheus, pki):
    client = PrometheusClient.connect(
        https_prometheus.url, user=USER, password=PASSWORD, ca_file=str(pki["ca"]), env={}
    )
    temps = newest_temps(client)
    assert temps[("A01-01", "3")] == temp_of(0, 3)
    assert temps[("A01-02", "6")] == temp_of(1, 6)


def test_verification_is_on_by_default_and_fails_clearly(https_prometheus, pki):
    # no CA file: the system store does not know our CA
    client = PrometheusClient.connect(https_prometheus.url, user=USER, password=PASSWORD, env={})
    with pytest.raises(LiveError, match="(?i)certificate"):
        client.query("up")
    # the wrong CA file
    client = PrometheusClient.connect(
        https_prometheus.url, user=USER, password=PASSWORD, ca_file=str(pki["other_ca"]), env={}
    )
    with pytest.raises(LiveError, match="(?i)certificate"):
        client.query("up")


def test_insecure_skips_verification(https_prometheus):
    client = PrometheusClient.connect(
        https_prometheus.url, user=USER, password=PASSWORD, verify_tls=False, env={}
    )
    assert newest_temps(client)[("A01-01", "0")] == temp_of(0, 0)


def test_wrong_password_is_an_authentication_error(https_prometheus, pki):
    client = PrometheusClient.connect(
        https_prometheus.url, user=USER, password="wrong", ca_file=str(pki["ca"]), env={}
    )
    with pytest.raises(LiveError, match="401"):
        client.query("up")


def record(url: str, out: Path, layout: Path, *extra: str) -> int:
    end = time.time() - 1
    return main(
        [
            "record", "--prometheus", url, "--start", f"{end - 3:.3f}", "--end", f"{end:.3f}",
            "--step", "1s", "--timeout", "5", *extra, "-o", str(out), str(layout),
        ]
    )  # fmt: skip


@pytest.fixture
def layout(tmp_path):
    path = tmp_path / "live.yaml"
    path.write_text(layout_text())
    return path


def test_twin_record_over_https_with_env_credentials_and_ca(
    https_prometheus, pki, layout, tmp_path, monkeypatch, capsys, facility
):
    """README: TWIN_PROMETHEUS_USER/PASSWORD for basic auth, TWIN_PROMETHEUS_CA_FILE for a
    private CA (or --ca-file), --insecure to skip verification."""
    monkeypatch.setenv("TWIN_PROMETHEUS_USER", USER)
    monkeypatch.setenv("TWIN_PROMETHEUS_PASSWORD", PASSWORD)
    monkeypatch.delenv("TWIN_PROMETHEUS_CA_FILE", raising=False)
    url = https_prometheus.url

    out = tmp_path / "no-ca.h5"
    assert record(url, out, layout) == 2
    assert "certificate" in capsys.readouterr().err.lower()

    out = tmp_path / "ca-flag.h5"
    assert record(url, out, layout, "--ca-file", str(pki["ca"])) == 0, capsys.readouterr().err
    with open_recording(out) as rec:
        assert rec.n_frames >= 2
        a = facility.gpu_of("A01-02", 0)
        temps = rec.frame(rec.n_frames - 1).gpu["temp_c"][a : a + 8]
        np.testing.assert_allclose(temps, [temp_of(1, g) for g in range(8)])
        # credentials never go into the recording
        raw = Path(out).read_bytes()
        assert PASSWORD.encode() not in raw

    monkeypatch.setenv("TWIN_PROMETHEUS_CA_FILE", str(pki["ca"]))
    out = tmp_path / "ca-env.h5"
    assert record(url, out, layout) == 0, capsys.readouterr().err

    monkeypatch.delenv("TWIN_PROMETHEUS_CA_FILE")
    out = tmp_path / "insecure.h5"
    assert record(url, out, layout, "--insecure") == 0, capsys.readouterr().err

    monkeypatch.setenv("TWIN_PROMETHEUS_PASSWORD", "wrong")
    out = tmp_path / "denied.h5"
    assert record(url, out, layout, "--insecure") == 2
    assert "401" in capsys.readouterr().err
