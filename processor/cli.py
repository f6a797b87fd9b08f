"""`hotfolder` subcommands owned by the processor package (registered by hotfolder.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands; keep imports inside the command functions."""
    register_work(sub)


def register_work(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "work",
        help="process queued videos until the queue stays empty (what a worker pod runs)",
        description=(
            "Claim, download, analyse and report on queued videos one by one; exit when the queue has "
            "been empty for worker.idle_grace seconds. On RunPod (RUNPOD_POD_ID set) the pod terminates "
            "itself on exit. Settings may arrive packed in HOTFOLDER_POD_ENV_B64 (set by the launcher)."
        ),
    )
    p.set_defaults(func=_work)


def _work(args: argparse.Namespace, settings) -> int:
    from processor.worker import worker_main

    return worker_main(args.config, verbose=args.verbose)
