"""Entry script of the frozen bundle: the same ``twin`` command as the installed package."""

import multiprocessing
import sys

from twin.cli import main

if __name__ == "__main__":
    # spawned children re-enter through here (Dask/multiprocessing workers, the process
    # twin plugins --check imports plugins in): freeze_support runs them, not main()
    multiprocessing.freeze_support()
    sys.exit(main())
