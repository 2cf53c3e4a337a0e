"""File › Fill Unmeasured Air from the Model: the window's live physics fill.

dcgm-exporter serves GPU readings, not the air, so a live session shows no rack inlet, exhaust
or air-unit figure in the inspector, the charts, the Energy dock or a recording made from the
window. With this on (the default), a source the user connected (File › Connect…, ``twin run
--prometheus/--scrape``) has those gaps filled from the airflow model as ``twin record
--physics`` fills them, never over a reading; the first solve runs on a thread of its own
(``telemetry.physics_background``), so the window keeps drawing. The simulated source and
replays fill their own air and are left alone. The choice is kept in the window's settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.telemetry.physics_air import available
from twin.telemetry.physics_background import BackgroundPhysicsFill, FillState
from twin.ui.actions import Action

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

SETTING = "live/fill_air"


class LiveAirFill:
    """Puts a ``BackgroundPhysicsFill`` on the window's session while a connected live source
    runs (and the action is on), a new one for each layout, none otherwise."""

    def __init__(self, window: MainWindow, order: int) -> None:
        self.window = window
        #: the source the user connected; the fill is for it alone
        self.live_source = None
        self._session = None
        #: the fill this put on the session last (closed once it is off it)
        self._put: BackgroundPhysicsFill | None = None
        self._said: tuple[object, FillState] | None = None
        on = str(window.settings.value(SETTING, "true")).lower() == "true"
        self.action = window.action_registry.add(
            Action(
                "file.fill_air",
                "Fill Unmeasured &Air from the Model",
                "File",
                "5_live",
                order,
                checkable=True,
                checked=on,
                tip="Fill the rack inlets and air-unit figures live telemetry does not measure "
                "from the airflow model (never over a reading)",
                on_toggle=self.set_on,
            )
        )

    @property
    def fill(self) -> BackgroundPhysicsFill | None:
        """The fill on the window's session now (None: frames are not filled)."""
        session = self.window.session
        physics = session.physics if session is not None else None
        return physics if isinstance(physics, BackgroundPhysicsFill) else None

    def set_on(self, on: bool) -> None:
        self.window.settings.setValue(SETTING, "true" if on else "false")
        self.sync()

    def attach(self, source) -> None:
        """``source`` is the live source the user connected."""
        self.live_source = source
        self.sync()

    def sync(self, *_args) -> None:
        """Put on or take off the fill for the session's source and facility now."""
        session = self.window.session
        if session is None:
            return
        if session is not self._session:
            self._session = session
            session.source_changed.connect(self.sync)
            session.facility_changed.connect(self.sync)
        want = (
            self.action.isChecked()
            and session.source is not None
            and session.source is self.live_source
            and available()
        )
        fill = self.fill
        if want and (fill is None or fill.facility is not session.facility):
            session.set_physics(BackgroundPhysicsFill(session.facility))
        elif not want and fill is not None:
            session.set_physics(None)
        if self._put is not None and self._put is not self.fill:
            self._put.close()  # replaced (or dropped by the session with its layout)
        self._put = self.fill

    def status(self) -> tuple[str, str]:
        """Where the air figures come from, for the live status line (a few words) and its
        tooltip (a sentence); empty without a fill."""
        fill = self.fill
        if fill is None or fill.state is FillState.WAITING:
            return "", ""
        words = {
            FillState.SOLVING: "air model solving",
            FillState.FILLING: "air from the model",
            FillState.FAILED: "air not filled",
        }[fill.state]
        return words, f"Air: {fill.message}"

    def refresh(self) -> None:
        """Say in the status bar when the fill starts solving, is ready or failed (once each)."""
        fill = self.fill
        if fill is None or fill.state is FillState.WAITING:
            return
        said = (fill, fill.state)
        if said != self._said:
            self._said = said
            self.window.statusBar().showMessage(fill.message, 10000)
