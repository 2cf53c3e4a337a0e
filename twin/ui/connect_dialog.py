"""The Connect dialog for live sources (Prometheus, a dcgm-exporter): URL, authentication, TLS
and poll interval; on OK it builds the source through the telemetry registry.

Secrets (a token, a password) come from an environment variable or a password field and live
only in the source's memory: the dialog remembers the URL (without any ``user:password@``), the
authentication mode, the environment variable names and the interval, never a secret, and never
a disabled TLS check (verification is back on each time the dialog opens).
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twin.telemetry.live_http import ENV_PASSWORD, ENV_TOKEN, ENV_USER

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.telemetry.source import Source

#: Registry source name -> (dialog title, URL placeholder, default poll interval s).
KINDS: dict[str, tuple[str, str, float]] = {
    "prometheus": ("Connect to Prometheus", "https://prometheus.example.com:9090", 5.0),
    "scrape": (
        "Connect to DCGM Exporter",
        "http://gpu-node-1:9400/metrics  http://gpu-node-2:9400/metrics",
        5.0,
    ),
}
AUTH_MODES = ("none", "bearer", "basic")
AUTH_LABELS = {"none": "None", "bearer": "Bearer token", "basic": "Basic (user + password)"}
SECRET_FROM = ("env", "typed")
TLS_WARNING = (
    "TLS verification is OFF: anyone on the network path can read the credentials and feed "
    "false data. For a private certificate, choose its CA file instead."
)


class ConnectError(ValueError):
    """The dialog's input cannot make a source; the message says what to fix."""


def strip_userinfo(url: str) -> str:
    """The URL without ``user:password@`` (so it can be shown and remembered)."""
    parts = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return clean if "://" in url else clean.split("://", 1)[1]


def split_urls(text: str) -> list[str]:
    return [u for u in text.replace(",", " ").split() if u]


@dataclass
class ConnectionSpec:
    """What the dialog collected. ``secret`` is only ever held here in memory."""

    kind: str
    urls: list[str]
    auth: str = "none"
    user: str = ""
    secret_from: str = "env"
    secret_env: str = ""
    secret: str = field(default="", repr=False)
    verify_tls: bool = True
    ca_file: str = ""
    interval_s: float = 5.0

    def resolve_secret(self, env: dict[str, str] | None = None) -> str:
        if self.auth == "none":
            return ""
        env = os.environ if env is None else env
        if self.secret_from == "typed":
            if not self.secret:
                raise ConnectError(f"type the {self._secret_name()} or take it from a variable")
            return self.secret
        name = self.secret_env.strip()
        if not name:
            raise ConnectError(
                f"name the environment variable that holds the {self._secret_name()}"
            )
        value = env.get(name)
        if not value:
            raise ConnectError(f"environment variable {name} is not set (or empty)")
        return value

    def _secret_name(self) -> str:
        return "token" if self.auth == "bearer" else "password"

    def source_options(self, env: dict[str, str] | None = None) -> dict[str, Any]:
        """Keyword options for ``registry.create(kind, facility, **options)``."""
        if not self.urls:
            raise ConnectError("enter a URL")
        for url in self.urls:
            u = url if "://" in url or self.kind != "scrape" else "http://" + url
            parts = urllib.parse.urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConnectError(f"not an http(s) URL: {strip_userinfo(url)!r}")
        if self.kind == "prometheus" and len(self.urls) != 1:
            raise ConnectError("Prometheus takes one URL")
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise ConnectError(f"CA file not found: {self.ca_file}")
        opts: dict[str, Any] = {
            "verify_tls": bool(self.verify_tls),
            "ca_file": self.ca_file or None,
            "interval_s": float(self.interval_s),
        }
        secret = self.resolve_secret(env)
        if self.auth == "bearer":
            opts["token"] = secret
        elif self.auth == "basic":
            if not self.user.strip():
                raise ConnectError("enter the user name for basic authentication")
            opts["user"], opts["password"] = self.user.strip(), secret
        if self.kind == "prometheus":
            opts["url"] = self.urls[0]
            opts["env"] = {}  # the dialog decided the credentials; no TWIN_PROMETHEUS_* fallback
        else:
            opts["urls"] = list(self.urls)
        return opts

    def build(self, facility: Facility, env: dict[str, str] | None = None) -> Source:
        """Create the source (not started) through the registry."""
        from twin.telemetry.registry import SourceNotFound, create

        options = self.source_options(env)
        try:
            return create(self.kind, facility, **options)
        except (ValueError, SourceNotFound, OSError) as exc:
            raise ConnectError(str(exc)) from None


class ConnectDialog(QDialog):
    """Asks for a live source's connection; ``source`` holds the built source after OK."""

    def __init__(
        self,
        kind: str,
        facility: Facility,
        settings: QSettings,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        if kind not in KINDS:
            raise ValueError(f"no connect dialog for source {kind!r}")
        self.kind = kind
        self.facility = facility
        self.settings = settings
        self.source: Source | None = None
        self.spec: ConnectionSpec | None = None
        title, placeholder, interval = KINDS[kind]
        self.setWindowTitle(title + "…")
        self.setObjectName(f"connect_{kind}")
        self.setMinimumWidth(560)

        self.form = QFormLayout()
        self._add_url_row(placeholder)
        self._add_auth_rows()
        self._add_tls_rows()
        self._add_interval_row(interval)
        self._add_error_and_buttons()

        self._shown_auth: str | None = None
        self._env_names = {"bearer": ENV_TOKEN, "basic": ENV_PASSWORD}
        self._restore()
        self.auth.currentIndexChanged.connect(self._update_rows)
        self.secret_from.currentIndexChanged.connect(self._update_rows)
        self.verify_tls.toggled.connect(self._update_rows)
        self._update_rows()

    # ------------------------------------------------------------------ building
    def _add_url_row(self, placeholder: str) -> None:
        self.url = QLineEdit(self)
        self.url.setPlaceholderText(placeholder)
        if self.kind == "scrape":
            self.url.setToolTip("One or more exporter URLs, separated by spaces or commas")
        self.form.addRow("URL:", self.url)

    def _add_auth_rows(self) -> None:
        """Mode, user, where the secret comes from, and the variable or the typed secret."""
        form = self.form
        self.auth = QComboBox(self)
        for mode in AUTH_MODES:
            self.auth.addItem(AUTH_LABELS[mode], mode)
        form.addRow("Authentication:", self.auth)
        self.user = QLineEdit(self)
        self.user.setText(os.environ.get(ENV_USER, ""))
        form.addRow("User:", self.user)
        self.secret_from = QComboBox(self)
        self.secret_from.addItem("Environment variable", "env")
        self.secret_from.addItem("Typed here (kept in memory only)", "typed")
        form.addRow("Secret from:", self.secret_from)
        self.secret_env = QLineEdit(self)
        form.addRow("Variable:", self.secret_env)
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Secret:", self.secret)

    def _add_tls_rows(self) -> None:
        """Verification (on by default, a red warning when off) and a private CA file."""
        form = self.form
        self.verify_tls = QCheckBox("Verify TLS certificates (recommended)", self)
        self.verify_tls.setChecked(True)
        form.addRow("TLS:", self.verify_tls)
        self.tls_warning = QLabel(TLS_WARNING, self)
        self.tls_warning.setWordWrap(True)
        self.tls_warning.setStyleSheet("QLabel { color: #ff5c5c; }")
        form.addRow("", self.tls_warning)
        ca_row = QWidget(self)
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        self.ca_file = QLineEdit(ca_row)
        self.ca_file.setPlaceholderText("system certificates")
        self.ca_browse = QPushButton("Browse…", ca_row)
        self.ca_browse.clicked.connect(self._choose_ca)
        ca_layout.addWidget(self.ca_file, 1)
        ca_layout.addWidget(self.ca_browse)
        form.addRow("CA file:", ca_row)

    def _add_interval_row(self, interval_s: float) -> None:
        self.interval = QDoubleSpinBox(self)
        self.interval.setRange(0.2, 3600.0)
        self.interval.setDecimals(1)
        self.interval.setSuffix(" s")
        self.interval.setValue(interval_s)
        self.form.addRow("Poll every:", self.interval)

    def _add_error_and_buttons(self) -> None:
        """Under the form: the error line (hidden until there is one) and Connect / Cancel."""
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel { color: #ff5c5c; }")
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(self.error)
        box.addWidget(self.buttons)

    # ------------------------------------------------------------------ settings
    def _key(self, name: str) -> str:
        return f"live/{self.kind}/{name}"

    def _restore(self) -> None:
        s = self.settings
        self.url.setText(str(s.value(self._key("url"), "") or ""))
        auth = str(s.value(self._key("auth"), "none") or "none")
        self.auth.setCurrentIndex(max(0, self.auth.findData(auth)))
        self._env_names = {
            "bearer": str(s.value(self._key("token_env"), ENV_TOKEN) or ENV_TOKEN),
            "basic": str(s.value(self._key("password_env"), ENV_PASSWORD) or ENV_PASSWORD),
        }
        try:
            self.interval.setValue(float(s.value(self._key("interval_s"), self.interval.value())))
        except (TypeError, ValueError):
            pass

    def _remember(self, spec: ConnectionSpec) -> None:
        """Only non-secret choices: URL(s) without credentials, modes, variable names."""
        s = self.settings
        s.setValue(self._key("url"), " ".join(strip_userinfo(u) for u in spec.urls))
        s.setValue(self._key("auth"), spec.auth)
        if spec.auth != "none" and spec.secret_from == "env":
            key = "token_env" if spec.auth == "bearer" else "password_env"
            s.setValue(self._key(key), spec.secret_env)
        s.setValue(self._key("interval_s"), spec.interval_s)
        s.sync()

    # ------------------------------------------------------------------ form
    def _update_rows(self) -> None:
        auth = self.auth.currentData()
        if self._shown_auth in self._env_names and self.secret_env.text():
            self._env_names[self._shown_auth] = self.secret_env.text()
        if auth != self._shown_auth and auth in self._env_names:
            self.secret_env.setText(self._env_names[auth])
        self._shown_auth = auth
        needs_secret = auth != "none"
        typed = self.secret_from.currentData() == "typed"
        name = "Token" if auth == "bearer" else "Password"
        self.form.setRowVisible(self.user, auth == "basic")
        self.form.setRowVisible(self.secret_from, needs_secret)
        self.form.setRowVisible(self.secret_env, needs_secret and not typed)
        self.form.setRowVisible(self.secret, needs_secret and typed)
        label = self.form.labelForField(self.secret)
        if label is not None:
            label.setText(f"{name}:")
        self.secret_env.setToolTip(f"Name of the environment variable holding the {name.lower()}")
        self.tls_warning.setVisible(not self.verify_tls.isChecked())
        self.adjustSize()

    def _choose_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", "", "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)

    def spec_from_form(self) -> ConnectionSpec:
        return ConnectionSpec(
            kind=self.kind,
            urls=split_urls(self.url.text()),
            auth=self.auth.currentData(),
            user=self.user.text(),
            secret_from=self.secret_from.currentData(),
            secret_env=self.secret_env.text().strip(),
            secret=self.secret.text(),
            verify_tls=self.verify_tls.isChecked(),
            ca_file=self.ca_file.text().strip(),
            interval_s=self.interval.value(),
        )

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def accept(self) -> None:
        """Build the source; on a problem say what to fix and stay open."""
        spec = self.spec_from_form()
        try:
            self.source = spec.build(self.facility)
        except ConnectError as exc:
            self.show_error(str(exc))
            return
        self._remember(spec)
        spec.secret = ""
        self.secret.clear()  # the source holds the credentials now; the form does not
        self.spec = spec
        self.show_error("")
        super().accept()
