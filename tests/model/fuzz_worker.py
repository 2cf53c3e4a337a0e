"""Hypothesis fuzzing of the loader inside a memory and CPU cap (run by test_fuzz_capped.py in
its own process, so a blow-up kills this process, not the test run).

    python tests/model/fuzz_worker.py MEM_BYTES CPU_S EXAMPLES

Every example must either build a Facility or raise LayoutError; a MemoryError, a crash of the
process (killed at the cap), any other exception or a slow example fails.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

MEM, CPU, EXAMPLES = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (MEM, MEM))
resource.setrlimit(resource.RLIMIT_CPU, (CPU, CPU))

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from twin.model.errors import LayoutError  # noqa: E402
from twin.model.facility import Facility  # noqa: E402
from twin.model.loader import facility_from_text  # noqa: E402

ROOT = Path(__file__).parents[2]
DOCS = [
    yaml.safe_load((ROOT / "layouts" / n).read_text())
    for n in ("demo-air-hall.yaml", "gb200-pod.yaml", "test-room.yaml")
]

NASTY = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        1e308,
        -1e308,
        1e-320,
        0,
        -1,
        2**63,
        2**31,
        10**30,
        2**1000,
        True,
        False,
        None,
        "",
        "x" * 100_000,
        "{slot:0999999999d}",
        "{rack.__class__}",
        "{rack[0]}",
        "{}",
        "{slot}",
        "node",
        [],
        {},
        [1, 2, 3],
        [float("nan")] * 4,
        {"a": 1},
        "1e400",
        "-0",
        3.5,
        64,
        65,
        1_000_000,
    ]
)


def _paths(doc, prefix=()):
    """Every path to a value in the document."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [(d, p) for d, doc in enumerate(DOCS) for p in _paths(doc) if p]


def _set(doc, path, value):
    cur = doc
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value


def _check(text: str) -> None:
    t0 = time.process_time()
    try:
        fac = facility_from_text(text, "fuzz.yaml")
    except LayoutError as exc:
        assert exc.problems and all(p.file == "fuzz.yaml" for p in exc.problems)
    else:
        assert isinstance(fac, Facility)
    cpu = time.process_time() - t0
    assert cpu < 10.0, f"{cpu:.1f} s of CPU for one layout"


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
@given(st.lists(st.tuples(st.sampled_from(PATHS), NASTY), min_size=1, max_size=4))
def fuzz_nasty_values(edits):
    import copy

    docs = [copy.deepcopy(d) for d in DOCS]
    for (d, path), value in edits:
        try:
            _set(docs[d], path, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit replaced a parent
    for doc in {d for (d, _), _ in edits}:
        _check(yaml.safe_dump(docs[doc], sort_keys=False))


@settings(
    max_examples=EXAMPLES // 4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@given(st.integers(1, 12), st.integers(2, 12))
def fuzz_alias_bombs(depth, width):
    lines = [
        "format: twin-layout/1",
        "name: bomb",
        "halls: [{id: H, size_m: [10, 10, 3]}]",
        "a0: &a0 [{id: R, position_m: [1, 1]}]",
    ]
    for k in range(1, depth):
        lines.append(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * width)}]")
    lines.append(f"rows: [{{id: A, hall: H, racks: *a{depth - 1}}}]")
    _check("\n".join(lines) + "\n")


if __name__ == "__main__":
    fuzz_nasty_values()
    fuzz_alias_bombs()
    print(
        "fuzzed",
        EXAMPLES,
        "examples, peak",
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "MiB",
    )
