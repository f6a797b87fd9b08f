"""A worker process for the claim race test: drains the queue, logging every claim it wins.

Usage: python claim_race_child.py OVERRIDES_JSON WORKER_ID LOG_FILE GO_FILE
It waits for GO_FILE to exist (so both processes start racing together), then claims until the queue
is empty, uploading a tiny report and completing each claim.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from config.settings import load_settings  # noqa: E402
from drive.factory import open_storage  # noqa: E402
from drive.queue import LostClaim, VideoQueue  # noqa: E402
from drive.settle import SettleTracker  # noqa: E402


def main() -> int:
    overrides, worker, log_file, go_file = json.loads(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    settings = load_settings(**overrides)
    storage = open_storage(settings)
    log = log_file.open("a", encoding="utf-8")

    class LoggingQueue(VideoQueue):
        def _undo_claim(self, file_id, nonce, previous):  # the slow-write path: record it for the test
            log.write(json.dumps({"id": file_id, "worker": worker, "event": "undo"}) + "\n")
            log.flush()
            super()._undo_claim(file_id, nonce, previous)

    queue = LoggingQueue(storage, settings.drive, worker, SettleTracker(None, 0))
    Path(str(log_file) + ".ready").touch()
    deadline = time.monotonic() + 30
    while not go_file.exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.005)
    with log:
        while (claim := queue.claim_next()) is not None:
            log.write(json.dumps({"id": claim.video.id, "worker": worker, "nonce": claim.nonce, "event": "claim"}) + "\n")
            log.flush()
            report = Path(str(log_file) + ".report")
            report.write_text(f"report of {claim.video.name} by {worker}")
            try:
                claim = queue.renew(claim, progress=50)
                ref = storage.upload_output(report, claim.video.name + " - report.txt", claim.video.id, "text/plain")
                queue.complete(claim, ref)
                event = "done"
            except LostClaim:
                event = "lost"
            log.write(json.dumps({"id": claim.video.id, "worker": worker, "event": event}) + "\n")
            log.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
