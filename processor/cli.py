"""`hotfolder` subcommands owned by the processor package (registered by hotfolder.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands; keep imports inside the command functions."""
