"""Entry script of the frozen bundle: the same ``twin`` command as the installed package."""

import multiprocessing
import sys

from twin.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # Dask/multiprocessing workers re-enter through here
    sys.exit(main())
