"""Frozen-app entry point (PyInstaller runs this file, not the console script)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # The DICOM decode pool starts worker processes; a frozen app must route them here.
    multiprocessing.freeze_support()
    from viewer.cli import main

    sys.exit(main())
