"""A layout of a given size (20 MB: about 140,000 DGX racks), optionally with one planted fault.

Written as text directly (a YAML dumper would take longer than the validation it is used to
time), in the block style ``twin`` itself saves. The fault sits near the end of the file, so a
validator that stops early or skips the tail cannot report it.
"""

from __future__ import annotations

from typing import Literal

Fault = Literal["duplicate-id", "unknown-key"] | None

RACK_PITCH_M = 0.6
ROW_PITCH_M = 2.4  # a 1.2 m rack plus a 1.2 m aisle
RACKS_PER_ROW = 100
ROWS_PER_HALL = 100
#: Bytes one rack takes in the text, for sizing.
RACK_BYTES = 152
#: Where the fault goes, as a fraction of the racks.
FAULT_AT = 0.9
#: The key a planted ``unknown-key`` fault adds to a rack.
UNKNOWN_KEY = "colour"


def _hall(h: int) -> str:
    width = RACKS_PER_ROW * RACK_PITCH_M + 4.0
    depth = ROWS_PER_HALL * ROW_PITCH_M + 4.0
    return (
        f"- id: H{h:03d}\n"
        f"  origin_m: [0.0, {h * (depth + 10.0):.1f}]\n"
        f"  size_m: [{width:.1f}, {depth:.1f}, 4.0]\n"
    )


def _rack(h: int, r: int, k: int, rid: str, extra: str) -> str:
    x = 2.0 + (k + 0.5) * RACK_PITCH_M
    y = 2.0 + r * ROW_PITCH_M + 0.6
    return (
        f"  - id: {rid}\n"
        f"    type: rack-600x1200-48u\n"
        f"    position_m: [{x:.2f}, {y:.2f}]\n"
        f"    rotation_deg: {180.0 if r % 2 else 0.0}\n"
        f"    servers:\n"
        f"    - {{type: dgx-h100, count: 1}}\n{extra}"
    )


def big_layout_text(target_bytes: int = 20 * 2**20, fault: Fault = None) -> str:
    """A valid layout of about ``target_bytes`` (whole halls of 100 rows of 100 racks), or one
    with a single ``fault`` in the rack at ``FAULT_AT`` of the way through."""
    n_racks = max(1, target_bytes // RACK_BYTES)
    per_hall = RACKS_PER_ROW * ROWS_PER_HALL
    n_halls = -(-n_racks // per_hall)
    faulty = int(n_racks * FAULT_AT)
    parts = [
        "format: twin-layout/1\n",
        f"name: big layout ({n_racks} racks)\n",
        "halls:\n",
        *(_hall(h) for h in range(n_halls)),
        "rows:\n",
    ]
    done = 0
    for h in range(n_halls):
        for r in range(ROWS_PER_HALL):
            if done >= n_racks:
                break
            parts.append(f"- id: H{h:03d}-R{r:03d}\n  hall: H{h:03d}\n  racks:\n")
            for k in range(min(RACKS_PER_ROW, n_racks - done)):
                rid, extra = f"H{h:03d}-R{r:03d}-{k:03d}", ""
                if done == faulty and fault == "duplicate-id":
                    rid = "H000-R000-000"
                elif done == faulty and fault == "unknown-key":
                    extra = f"    {UNKNOWN_KEY}: red\n"
                parts.append(_rack(h, r, k, rid, extra))
                done += 1
    return "".join(parts)
