"""`hotfolder` subcommands owned by the drive package (registered by hotfolder.py)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands; keep imports inside the command functions."""
    p = sub.add_parser(
        "auth",
        help="authorize access to Google Drive (one-time browser consent; stores the token)",
        description="Sign in to Google once and store the Drive token (mode 0600) at drive.token_file. "
        "On a headless machine use --no-browser and forward the port: ssh -L 8080:localhost:8080 HOST.",
    )
    p.add_argument("--client-secrets", metavar="FILE", help="OAuth desktop client JSON (default: drive.client_secrets_file)")
    p.add_argument("--host", default="localhost", help="redirect host (default: localhost)")
    p.add_argument("--port", type=int, default=8080, help="redirect port; 0 picks a free one (default: 8080)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL; do not open a browser")
    p.add_argument("--check", action="store_true", help="no sign-in: check that the stored token works (refreshing it) and show the hot folder")
    p.set_defaults(func=auth_command)


def auth_command(args: argparse.Namespace, settings) -> int:
    from pathlib import Path

    from drive.credentials import AuthError
    from drive.oauth_flow import authorize

    if args.check:
        return check_command(settings)
    secrets = args.client_secrets or settings.drive.client_secrets_file
    if not secrets:
        print("hotfolder auth: give --client-secrets FILE (the OAuth desktop client JSON from the Google Cloud console)", file=sys.stderr)
        return 2
    secrets = Path(secrets).expanduser()
    if not secrets.is_file():
        print(f"hotfolder auth: client secrets file {secrets} does not exist", file=sys.stderr)
        return 2
    try:
        path = authorize(secrets, settings.drive, host=args.host, port=args.port, open_browser=not args.no_browser)
    except AuthError as exc:
        print(f"hotfolder auth: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # oauthlib/requests errors: show one line, not a traceback
        print(f"hotfolder auth: authorization failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"Drive token saved to {path} (mode 0600).")
    return 0


def check_command(settings) -> int:
    """Load (and refresh) the stored token and read the hot folder: a one-line verdict."""
    from drive.credentials import AuthError, load_credentials
    from drive.storage import StorageError

    try:
        creds = load_credentials(settings.drive)
        if not settings.drive.folder_id:
            print(f"Drive token {settings.drive.token_file} is valid; drive.folder_id is not set yet.")
            return 0
        from drive.drive_store import DriveStore

        store = DriveStore(settings, credentials=creds)
        videos = store.list_videos()
    except AuthError as exc:
        print(f"hotfolder: {exc}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"hotfolder: {exc}", file=sys.stderr)
        return 1
    print(f"Drive token OK; the hot folder holds {len(videos)} video(s).")
    return 0
