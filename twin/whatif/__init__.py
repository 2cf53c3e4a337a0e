"""What if it fails: power and thermal consequences of failing devices, from any starting state.

    from twin.whatif import run_whatif, StartState, WhatIfOptions

    res = run_whatif(facility, ["CRAH-2", "CRAH-3"])        # nominal start, 30 minutes
    res.summary()          # GPUs dark / throttled, ride-through, racks outside A1, overloads
    res.racks_ranked()     # per rack: dark, first slowdown, minutes to leave A1 allowable
    res.gpu_slowdown_s     # per GPU: seconds to slowdown (inf never, NaN not followed)

    start = StartState.from_frame(facility, recording.frame_at(t))   # a replay instant or live
    sweep = run_sweep(facility, single_failures(facility, hall=0))   # N-1, local processes
    sweep = run_sweep(..., dask="tcp://scheduler:8786")             # or a Dask cluster

Imports only the model and physics layers (no Qt, no VTK, no recordings: a caller reads the
frame it starts from).
"""

from twin.whatif.engine import Baseline, WhatIfOptions, run_whatif
from twin.whatif.failures import Failures, WhatIfError, power_outcome
from twin.whatif.result import WhatIfResult
from twin.whatif.start import StartState

__all__ = [
    "Baseline",
    "Failures",
    "StartState",
    "WhatIfError",
    "WhatIfOptions",
    "WhatIfResult",
    "power_outcome",
    "run_whatif",
]
