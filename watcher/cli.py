"""`hotfolder` subcommands owned by the watcher package (registered by hotfolder.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands; keep imports inside the command functions."""
    watch = sub.add_parser(
        "watch",
        help="watch the hot folder: launch workers for new videos, reap idle ones, e-mail, serve the status page",
        description="Poll the hot folder every watcher.poll_seconds; launch workers when settled videos wait; "
        "stop idle or overdue workers; send notifications; serve the status page on web.host:web.port.",
    )
    watch.add_argument("--once", action="store_true",
                       help="one cycle: wait for new videos to settle and for the workers launched to finish, "
                       "print where the reports are, exit (0: every video done)")
    watch.set_defaults(func=_watch)

    status = sub.add_parser("status", help="show videos, workers and recent events in the terminal")
    status.add_argument("--json", action="store_true", help="print the overview as JSON")
    status.set_defaults(func=_status)


def _watch(args, settings) -> int:
    from watcher.daemon import run_once, run_watch

    return run_once(settings) if args.once else run_watch(settings)


def _status(args, settings) -> int:
    from watcher.status import run_status

    return run_status(settings, as_json=args.json)
