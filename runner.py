#!/usr/bin/env python3
"""Kazaguruma's one command line: ``python runner.py --help`` (same as ``kazaguruma``)."""

from bots.cli.app import main

if __name__ == "__main__":
    main()
