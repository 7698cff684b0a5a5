"""`python -m loglake`."""

from __future__ import annotations

from loglake.cli.main import main

if __name__ == "__main__":
    main()
