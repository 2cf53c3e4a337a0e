"""Small layouts for telemetry tests: two air-cooled DGX H100 rows with CRAHs and 2N power,
and a liquid-cooled GB200 row on a CDU."""

from __future__ import annotations

import pytest

from twin.model.loader import facility_from_text

SMALL_LAYOUT = """\
format: twin-layout/1
name: small test hall
halls: [{id: H1, size_m: [14, 12, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [3.0, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [3.6, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A03, position_m: [4.2, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
  - id: B
    hall: H1
    racks:
      - {id: B01, position_m: [3.0, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: B02, position_m: [3.6, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: B03, position_m: [4.2, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
  - id: L
    hall: H1
    racks:
      - {id: L01, type: rack-nvl72, position_m: [9.0, 4], servers: [{type: gb200-nvl72, count: 1}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
      - {id: L02, type: rack-nvl72, position_m: [9.6, 4], servers: [{type: gb200-nvl72, count: 1}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
power:
  - {id: UTIL-A, type: utility-feed-5mva}
  - {id: UPS-A, type: ups-1250kw, upstream: UTIL-A}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS-A}
  - {id: UTIL-B, type: utility-feed-5mva}
  - {id: UPS-B, type: ups-1250kw, upstream: UTIL-B}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS-B}
cooling:
  air_units:
    - {id: CRAH-1, type: crah-150kw, hall: H1, position_m: [2.0, 1.0]}
    - {id: CRAH-2, type: crah-150kw, hall: H1, position_m: [11.0, 1.0]}
  cdus:
    - {id: CDU-1, type: cdu-row-1300kw, hall: H1, position_m: [11.5, 4]}
"""


@pytest.fixture(scope="session")
def small_facility():
    return facility_from_text(SMALL_LAYOUT, "small.yaml")


@pytest.fixture
def small_layout_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_LAYOUT)
    return path
