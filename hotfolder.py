"""The ``hotfolder`` command: one console script, subcommands registered by the packages.

Each ``<package>.cli`` module adds its subcommands with ``register(subparsers)`` and must stay
cheap to import (heavy imports such as mediapipe or torch happen inside the command function).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = ("drive.cli", "processor.cli", "watcher.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotfolder",
        description="Google Drive hot folder that turns workplace videos into ergonomic posture reports.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: $HOTFOLDER_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from config import SettingsError, load_settings
    from config.logs import setup_logging

    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"hotfolder: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings, verbose=args.verbose)
    from drive.storage import StorageError

    try:
        return int(args.func(args, settings) or 0)
    except StorageError as exc:
        # Auth and storage failures are explained in one sentence (run `hotfolder auth`, ...).
        print(f"hotfolder: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        logging.getLogger("hotfolder").warning("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
