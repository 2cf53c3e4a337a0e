"""The airflow model's free parameters: what ``twin cfd calibrate`` fits and a layout's
``physics:`` block stores. Defaults are the published values (Chen & Xu's constant as it
stands, a turbulent Prandtl number of 0.9)."""

from __future__ import annotations

from dataclasses import dataclass

from twin.physics.heat import PR_T


@dataclass(frozen=True)
class PhysicsParams:
    """``eddy_viscosity_scale`` multiplies the zero-equation eddy viscosity (momentum mixing,
    so how far jets carry and how strongly row-end vortices form); ``turbulent_prandtl``
    divides it into the heat diffusivity (how fast hot and cold air mix)."""

    eddy_viscosity_scale: float = 1.0
    turbulent_prandtl: float = PR_T

    @classmethod
    def of(cls, layout) -> PhysicsParams:
        """A layout's parameters (its ``physics:`` block, else the defaults)."""
        ph = layout.physics
        if ph is None:
            return cls()
        return cls(float(ph.eddy_viscosity_scale), float(ph.turbulent_prandtl))

    #: Bounds a fit keeps to (the schema's, tightened to where the model stays physical).
    BOUNDS = ((0.1, 10.0), (0.2, 3.0))

    def as_tuple(self) -> tuple[float, float]:
        return (self.eddy_viscosity_scale, self.turbulent_prandtl)


def provenance_line(layout) -> str | None:
    """One line saying the model runs with a layout's own parameters and where they came
    from (its ``physics:`` block and its ``calibration``), or None where the layout keeps the
    published defaults: a user reading air temperatures should know they come from a model
    fitted to a site, and to what."""
    ph = layout.physics
    if ph is None:
        return None
    values = (
        f"eddy viscosity x{ph.eddy_viscosity_scale:.2f}, turbulent Prandtl number "
        f"{ph.turbulent_prandtl:.2f}"
    )
    cal = ph.calibration
    if cal is None:
        return f"model parameters set in the layout: {values}"
    rms = ""
    if cal.rms_before_k is not None and cal.rms_after_k is not None:
        rms = f"; RMS {cal.rms_before_k:.2f} -> {cal.rms_after_k:.2f} K"
    return f"model calibrated to {cal.source} on {cal.fitted_at[:10]}: {values}{rms}"
