"""Run every case of the bad-layout corpus through ``twin validate`` (and optionally ``twin
thermal``) in a subprocess capped in memory and time, and count the outcomes: clear error, error
without the expected class/field, traceback, hang, killed for memory, accepted.

    PYTHONPATH=$PWD python tests/tools/measure_corpus.py [--thermal] [--mem-gb 2] [--timeout 20]
"""

from __future__ import annotations

import argparse
import collections
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "model"))
from layout_corpus import CASES, CLASSES  # noqa: E402


def classify(case, path: Path, cmd: list[str], mem_gb: float, timeout_s: float) -> str:
    def cap() -> None:
        lim = int(mem_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    try:
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from twin.cli import main; sys.exit(main())",
                *cmd,
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            preexec_fn=cap,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    out = p.stdout + p.stderr
    if "MemoryError" in out or p.returncode < 0:
        return "memory"
    if "Traceback" in out:
        return "traceback"
    if p.returncode == 0:
        return "accepted"
    cls_ok = re.search(CLASSES[case.cls], out, re.I)
    field_ok = case.field is None or re.search(
        re.escape(str(path)) + r":\d+: " + re.escape(case.field) + r"(?=:)", out
    )
    if not (cls_ok and field_ok):
        return "unclear"
    return "clear" if p.returncode == 2 else f"clear-but-exit-{p.returncode}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--thermal", action="store_true")
    ap.add_argument("--mem-gb", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    cmd = ["thermal", "--cell", "0.25"] if args.thermal else ["validate"]
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            path = Path(tmp) / f"{case.name}.yaml"
            path.write_text(case.text())
            outcome = classify(case, path, cmd, args.mem_gb, args.timeout)
            counts[outcome] += 1
            if args.v or outcome != "clear":
                print(f"{case.name:24s} {outcome}", flush=True)
    print(
        f"{len(CASES)} cases, twin {' '.join(cmd)}: "
        + ", ".join(f"{k} {v}" for k, v in counts.most_common())
    )


if __name__ == "__main__":
    main()
