"""Attribute names written on the USD prims, and where each comes from.

Public conventions used (NVIDIA SimReady Foundation, "AIF Core Metadata" capability and its
requirements TC.001 / EL.002, and the AIF pipeline samples' "Metadata Specs" page):

- ``aif:core:*`` are common to every AI-factory equipment class: ``assetClass`` (string),
  ``width``, ``depth``, ``height`` (mm), ``overallGeometryDimensions`` (float3, W x D x H in
  mm), ``weight`` (kg).
- ``aif:spec:nominalCoolingCapacity`` (kW) is the cooling capacity of CDUs and CRAHs.
- ``aif:spec:upsRating`` (kVA or kW) is a UPS's rating; Twin writes its kW rating.
- Class names stated there: ``CDU``, ``CRAH``, ``UPS``.

Not stated in the public material (so Twin uses its own ``twin:`` vendor prefix, following
SimReady's naming guide: colon-separated camelCase tokens): the asset-class token of a
compute rack (Twin writes ``ComputeRack``), a compute rack's power (the pages say racks take
"DC power profiles" but name no attribute), feeds and power chains, CDU loops, servers and
their GPUs, telemetry, and every id. ``aif:core:manufacturer`` and ``modelNumber`` are not
written: Twin's catalog names types but does not record manufacturers' model numbers.
"""

from __future__ import annotations

# ---- SimReady AIF (public)
ASSET_CLASS = "aif:core:assetClass"
WIDTH_MM = "aif:core:width"
DEPTH_MM = "aif:core:depth"
HEIGHT_MM = "aif:core:height"
DIMENSIONS_MM = "aif:core:overallGeometryDimensions"
WEIGHT_KG = "aif:core:weight"
NOMINAL_COOLING_KW = "aif:spec:nominalCoolingCapacity"
UPS_RATING_KW = "aif:spec:upsRating"

CLASS_CDU = "CDU"
CLASS_CRAH = "CRAH"
CLASS_UPS = "UPS"
CLASS_COMPUTE_RACK = "ComputeRack"  # Twin's spelling; see the module docstring

# ---- Twin's own
ID = "twin:id"
KIND = "twin:kind"
TYPE = "twin:type"
TYPE_NAME = "twin:typeName"
TELEMETRY = "twin:telemetry:"


def metric_attr(metric: str, prefix: str = "") -> str:
    """``temp_c`` -> ``twin:telemetry:tempC``; with prefix ``gpu``: ``twin:telemetry:gpuTempC``."""
    parts = [p for p in metric.split("_") if p]
    if prefix:
        parts = [prefix, *parts]
    head, *tail = parts
    return TELEMETRY + head + "".join(p[:1].upper() + p[1:] for p in tail)
