"""``hotfolder work`` with the quick analyzer, plus self-inflicted SIGKILLs for crash trials.

Run as ``python -m tests.support.quick_worker``. ``HF_TEST_KILL_AT`` names the point where the
worker kills itself with SIGKILL (no cleanup, like a pod vanishing):
``download`` (half-way through copying the video), ``analysis`` (half-way through), ``upload``
(after the first output, before the second), ``before_complete`` (all outputs uploaded, not yet
marked), ``before_move`` (marked done, not yet moved to Done).
"""

from __future__ import annotations

import os
import signal
import sys

from processor.runtime.worker import worker_main
from tests.support.quick_analyzer import quick_analyze

KILL_AT = os.environ.get("HF_TEST_KILL_AT", "")


def die(point: str) -> None:
    if KILL_AT == point:
        print(f"HF_TEST: SIGKILL at {point}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


def analyze(path, out_dir, options, progress=None):
    if KILL_AT == "analysis":
        def progress_then_die(fraction, _inner=progress):
            if _inner:
                _inner(fraction)
            if fraction >= 0.5:
                die("analysis")
        return quick_analyze(path, out_dir, options, progress_then_die)
    return quick_analyze(path, out_dir, options, progress)


def patch_storage() -> None:
    """Wrap the storage backend's methods at the kill points."""
    import drive.factory

    real_open = drive.factory.open_storage

    def open_storage(settings):
        store = real_open(settings)
        download, upload, move = store.download, store.upload_output, store.move_video
        uploads = []

        def download_(file_id, dest, progress=None):
            def progress_(done, total):
                if progress:
                    progress(done, total)
                if total and done * 2 >= total:
                    die("download")
            return download(file_id, dest, progress_)

        def upload_(local, name, source_id, mime_type, claim="", progress=None):
            ref = upload(local, name, source_id, mime_type, claim=claim, progress=progress)
            uploads.append(name)
            if len(uploads) == 1:
                die("upload")
            if name.endswith(" - summary.json"):  # the last output: all uploaded, not yet marked done
                die("before_complete")
            return ref

        def move_(file_id, folder):
            if folder.value == "done":
                die("before_move")
            return move(file_id, folder)

        store.download, store.upload_output, store.move_video = download_, upload_, move_
        return store

    drive.factory.open_storage = open_storage


if __name__ == "__main__":
    patch_storage()
    sys.exit(worker_main(os.environ.get("HOTFOLDER_CONFIG"), analyze=analyze))
