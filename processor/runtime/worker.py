"""The pod-side worker loop behind ``hotfolder work``: drain the queue, then end (and end the pod).

For each video: claim → download to scratch → analyse → upload the report (and CSV, summary JSON,
preview) to Reports → mark done → move to Done. A heartbeat thread renews the lease and writes progress
while the main thread works, but only while the work moves (``processor.runtime.heartbeat``: a stall or
a video over its time budget, ``processor.runtime.budget``, is cancelled and its child processes
killed). Every upload first looks for an output a crashed attempt already uploaded (``find_output``);
the claim is checked again after each upload and before completing, and a worker that finds it lost
removes the files it made (tagged with its claim), so a late writer never leaves a second report.
Videos keep their own names in scratch, so every reason names the user's file.

At start the worker refuses to run when its clock and the storage's differ by more than
``MAX_SKEW_S`` (leases compare clocks). On RunPod it ends its own pod through the launcher
(``processor.runtime.ending``) in a ``finally``: after the idle grace, on SIGTERM (the claim is released
first), on fatal errors and when ``launcher.max_lifetime`` (counted from the pod's creation) passes.

Time studies (``processor.runtime.positions``): before each video is analysed the worker reads the inbox's time
studies again (only those that changed); a video a study names is analysed with its operation's support
marks instead of ``analysis.supported``. After each finished video, and once when the queue is empty
before it exits, the worker brings the position workbooks up to date (``refresh_positions``). Both are
best effort: a storage error or a broken study is logged (and recorded on the study), never fatal.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, MutableMapping

from config.settings import Settings
from drive.model import OutputNames, ReportRef, fit_name, utcnow, verdict_properties
from pod_launcher.pod_env import worker_identity
from processor.model import AnalysisOptions, AnalysisResult, VideoError
from processor.runtime.heartbeat import ANALYSIS_START, UPLOAD_AT, Cancelled, Heartbeat, kill_child_processes

if TYPE_CHECKING:
    from drive.queue import Claim, VideoQueue
    from drive.storage import Storage

log = logging.getLogger(__name__)

AnalyzeFn = Callable[[Path, Path, AnalysisOptions, Callable[[float], None] | None], AnalysisResult]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
MP4_MIME = "video/mp4"
JSON_MIME = "application/json"
# Exit codes of `hotfolder work`.
EXIT_OK, EXIT_FATAL, EXIT_SIGTERM = 0, 1, 143
# Leases compare this machine's clock with others': refuse to work beyond this difference from the storage's.
MAX_SKEW_S = 5.0
# Free space needed beyond the video itself (outputs, decoder buffers).
DISK_MARGIN = 200 * 1024 * 1024
# Consecutive storage errors while looking for work before the worker gives up.
MAX_LOOKUP_ERRORS = 5
# Consecutive looks whose claim writes all outlasted drive.claim_pause before the worker gives up.
MAX_SLOW_CLAIMS = 5




class Shutdown(BaseException):
    """Raised in the main thread to stop work now (SIGTERM, or the worker's lifetime ran out).

    A BaseException so that no ``except Exception`` in the analysis swallows it.
    """

    def __init__(self, reason: str, release: bool):
        super().__init__(reason)
        self.reason = reason
        self.release = release  # True: give the claim back uncounted; False: count a failed attempt


class DiskFull(Exception):
    pass


@dataclass
class _Stats:
    done: int = 0
    failed: int = 0
    retried: int = 0


def run_worker(
    settings: Settings,
    analyze: AnalyzeFn | None = None,
    storage: "Storage | None" = None,
    environ: MutableMapping[str, str] | None = None,
    install_signals: bool = True,
) -> int:
    """Process videos until the queue stays empty for ``worker.idle_grace``; returns an exit code."""
    from processor.runtime.ending import end_own_pod

    environ = os.environ if environ is None else environ
    worker = _Worker(settings, analyze, storage, environ)
    try:
        return worker.run(install_signals)
    finally:
        end_own_pod(environ, settings)


class _Worker:
    def __init__(self, settings: Settings, analyze: AnalyzeFn | None, storage: "Storage | None", environ):
        self.settings = settings
        self.environ = environ
        self.worker_id = worker_identity(environ)
        self._analyze = analyze
        self._storage = storage
        self.scratch_root = Path(settings.worker.scratch_dir).expanduser().resolve() / _safe(self.worker_id)
        self.poll = min(5.0, max(0.2, settings.worker.idle_grace / 5, settings.drive.settle_seconds / 5))
        self.grace = max(settings.worker.idle_grace, 2 * self.poll)
        self.started = time.monotonic()
        self.deadline = self.started + settings.launcher.max_lifetime
        self.stop = threading.Event()
        self._raise_on_signal = False
        self._lifetime_hit = False
        self._lifetime_timer: threading.Timer | None = None
        self.stats = _Stats()
        self.body_model: Path | None = None  # resolved from analysis.smplx_model at start
        self._studies = None  # processor.runtime.positions.TimeStudyCache, made at the first claimed video

    # -- the loop ------------------------------------------------------------------------------

    def _lifetime_left(self) -> float:
        """Seconds of ``launcher.max_lifetime`` left, counted from the pod's creation on RunPod."""
        from processor.runtime.ending import pod_created_at

        life = self.settings.launcher.max_lifetime
        created = pod_created_at(self.environ, self.settings)
        if created is None:
            return life
        age = (utcnow() - created).total_seconds()
        log.info("pod created %.0f s ago; %.0f s of launcher.max_lifetime left", age, life - age)
        return life - max(0.0, age)

    def run(self, install_signals: bool) -> int:
        left = self._lifetime_left()
        self.deadline = time.monotonic() + left
        if install_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            self._lifetime_timer = threading.Timer(max(0.0, left), self._lifetime_over)
            self._lifetime_timer.daemon = True
            self._lifetime_timer.start()
        try:
            self._raise_on_signal = True
            return self._loop()
        except Shutdown as stop:
            log.warning("worker %s stopping: %s", self.worker_id, stop.reason)
            return EXIT_SIGTERM if stop.release else EXIT_OK
        except Exception:
            log.exception("worker %s stopped by a fatal error", self.worker_id)
            return EXIT_FATAL
        finally:
            self._raise_on_signal = False
            if self._lifetime_timer is not None:
                self._lifetime_timer.cancel()
            shutil.rmtree(self.scratch_root, ignore_errors=True)
            log.info(
                "worker %s finished: %d done, %d failed, %d to be retried",
                self.worker_id, self.stats.done, self.stats.failed, self.stats.retried,
            )  # fmt: skip

    def _loop(self) -> int:
        from drive.factory import open_storage
        from drive.queue import VideoQueue
        from drive.storage import StorageError

        try:
            storage = self._storage or open_storage(self.settings)
        except StorageError as exc:
            log.error("worker %s cannot open the storage: %s", self.worker_id, exc)
            return EXIT_FATAL
        from processor.nv361 import check_standard
        from processor.standards import StandardError

        try:
            skew = (storage.server_time() - utcnow()).total_seconds()
        except StorageError as exc:
            log.error("worker %s cannot read the storage's clock: %s", self.worker_id, exc)
            return EXIT_FATAL
        if abs(skew) > MAX_SKEW_S:
            log.error(
                "worker %s cannot start: this machine's clock is %.0f s %s the storage's; leases compare clocks, "
                "so a skew over %.0f s could take a live claim. Synchronise the clock (NTP) and start again.",
                self.worker_id, abs(skew), "behind" if skew > 0 else "ahead of", MAX_SKEW_S,
            )  # fmt: skip
            return EXIT_FATAL
        try:
            check_standard(self.settings.analysis.standard)  # a bad standard would fail every video
        except StandardError as exc:
            log.error("worker %s cannot start: %s", self.worker_id, exc)
            return EXIT_FATAL
        if self.settings.analysis.smplx_model:
            from processor.body_model import BodyModelError, resolve_configured_model

            try:
                # A Drive-hosted model is fetched once per pod with the worker's own Drive access.
                self.body_model = resolve_configured_model(self.settings, fetch=lambda fid, dest: storage.download(fid, dest))
            except BodyModelError as exc:
                log.error("worker %s cannot start: %s", self.worker_id, exc)
                return EXIT_FATAL
        queue = VideoQueue(storage, self.settings.drive, self.worker_id)
        log.info("worker %s started (idle grace %.0f s)", self.worker_id, self.grace)
        try:
            return self._drain(queue, storage)
        except Shutdown as stop:
            # Stopped outside a video's processing, e.g. mid-claim: give back whatever is ours.
            self._give_back_mine(queue, storage, stop)
            raise

    def _drain(self, queue: "VideoQueue", storage: "Storage") -> int:
        from drive.credentials import AuthError
        from drive.storage import StorageError

        idle_since = time.monotonic()
        errors = slow_claims = 0
        due: dict[str, float] = {}  # unsettled video id -> until when it may keep an idle worker
        while not self.stop.is_set():
            if time.monotonic() >= self.deadline:
                raise Shutdown("launcher.max_lifetime reached", release=False)
            looked_at = time.monotonic()
            try:
                claim = queue.claim_next()
                errors = 0
            except AuthError as exc:
                log.error("worker %s stops: %s", self.worker_id, exc)
                return EXIT_FATAL
            except StorageError as exc:
                errors += 1
                if errors >= MAX_LOOKUP_ERRORS:
                    log.error("storage keeps failing (%s); giving up", exc)
                    return EXIT_FATAL
                log.warning("looking for work failed (%s); trying again", exc)
                self.stop.wait(min(60.0, self.poll * 2**errors))
                continue
            if claim is None:
                now = time.monotonic()
                look = queue.last_lookup
                if look.backed_off:
                    # The video is there; only our claim write was slow (a loaded machine or API).
                    slow_claims += 1
                    if slow_claims >= MAX_SLOW_CLAIMS:
                        log.error(
                            "worker %s stops: claim writes took longer than drive.claim_pause (%.1f s) %d times "
                            "in a row, so no claim could be made safely; raise drive.claim_pause",
                            self.worker_id, queue.claim_pause, slow_claims,
                        )  # fmt: skip
                        return EXIT_FATAL
                    idle_since = now
                else:
                    slow_claims = 0
                # A video still settling (every video, for a fresh worker's tracker) keeps the worker for
                # one settle period from when it was first seen, plus the grace, plus two more looks
                # however slow the listing is; a file that never stops changing holds it no longer.
                margin = max(self.grace, 2 * (self.poll + now - looked_at))
                due = {v.id: due.get(v.id, now + self.settings.drive.settle_seconds + margin) for v in look.waiting}
                if now - idle_since >= self.grace and now >= max(due.values(), default=now):
                    log.info("queue empty for %.0f s: worker %s exits", now - idle_since, self.worker_id)
                    self._refresh_positions(storage)
                    return EXIT_OK
                self.stop.wait(self.poll)
                continue
            slow_claims = 0
            try:
                fatal = self._process(queue, storage, claim)
            finally:
                idle_since = time.monotonic()
            if fatal:
                return EXIT_FATAL
        if self._lifetime_hit:
            raise Shutdown("launcher.max_lifetime reached", release=False)
        raise Shutdown("stop requested", release=True)

    # -- one video -----------------------------------------------------------------------------

    def _process(self, queue: "VideoQueue", storage: "Storage", claim: "Claim") -> bool:
        """Work on one claimed video; True if the worker must stop (full disk)."""
        from drive.queue import LostClaim
        from drive.storage import StorageError

        video = claim.video
        work = self.scratch_root / "video"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        beat = Heartbeat(queue, claim, self.settings.worker.heartbeat, self.settings.worker.stall_seconds)
        stage = "download"
        finished = False
        created: list[tuple[str, ReportRef]] = []  # (output name, file) this attempt made
        try:
            beat.start()
            self._check_space(work, video.size)
            source = work / scratch_name(video.name)  # the user's name: every reason then names their file
            storage.download(video.id, source, progress=beat.download_progress)
            beat.check()
            if not self._fits_budget(queue, beat, source):
                return False
            self._read_time_studies(storage)
            stage = "analysis"
            beat.set_progress(ANALYSIS_START)
            result = self.analyze(source, work / "out", beat.analysis_progress, video.name)
            stage = "upload"
            beat.set_progress(UPLOAD_AT)
            beat.renew_now()  # right before the side effects: still ours?
            report = self._upload(storage, beat, video, result, created)
            self._record_verdicts(storage, video, result)
            beat.stop()
            queue.complete(beat.claim, report)
            self.stats.done += 1
            log.info("%s done: report %s", video.name, report.name)
            finished = True
        except Shutdown as stop:
            beat.stop()
            kill_child_processes()  # queued and running analysis work goes with the worker
            self._give_up(queue, beat.claim, stop)
            raise
        except LostClaim as exc:
            log.warning("%s is no longer ours (%s); leaving it", video.name, exc)
            self._remove_late_outputs(storage, video, created)
        except Cancelled as exc:
            self._fail(queue, beat, f"{stage} stopped: {exc.reason}", permanent=False)
        except VideoError as exc:
            self._fail(queue, beat, f"{exc}", permanent=True)
        except (DiskFull, OSError, StorageError) as exc:
            if _disk_full(exc):
                self._fail(queue, beat, _disk_full_reason(self.settings, video.size, exc), permanent=False)
                return True
            self._fail(queue, beat, f"{stage} failed: {exc}", permanent=False)
        except Exception as exc:  # noqa: BLE001 - any bug in analysis must not stall the queue
            if beat.cancelled is not None:  # the killed children surfaced first (e.g. BrokenProcessPool)
                self._fail(queue, beat, f"{stage} stopped: {beat.cancelled}", permanent=False)
            else:
                log.exception("%s: %s failed", video.name, stage)
                self._fail(queue, beat, f"{stage} failed: {type(exc).__name__}: {exc}", permanent=False)
        finally:
            beat.stop()
            shutil.rmtree(work, ignore_errors=True)
        if finished:
            self._refresh_positions(storage, finished=video.name)
        return False

    def _fits_budget(self, queue: "VideoQueue", beat: Heartbeat, source: Path) -> bool:
        """Give the video its time budget; False (claim handed back or failed) if it cannot finish here."""
        from processor.runtime.budget import time_budget
        from processor.video import probe

        a = self.settings.analysis
        try:
            duration = probe(source).duration_s
        except VideoError:
            return True  # not readable as a video: the analysis says why, in its own words
        budget = time_budget(duration, a.quality, self.body_model is not None)
        life = self.settings.launcher.max_lifetime
        if budget > life:
            self._fail(queue, beat, (
                f"the video is {_span(duration)} long; with the {a.quality} preset it may need up to "
                f"{_span(budget)}, more than a worker may live (launcher.max_lifetime = {_span(life)}): "
                "raise launcher.max_lifetime or cut the video into parts"), permanent=True)
            return False
        left = self.deadline - time.monotonic()
        if budget > left:
            log.info("%s may need %.0f s, and this worker has %.0f s left: leaving it for a fresh worker",
                     beat.claim.video.name, budget, left)
            beat.stop()
            self._give_up(queue, beat.claim, Shutdown("not enough lifetime left for this video", release=True))
            queue.set_aside(beat.claim.video)
            return False
        beat.set_budget(budget)
        return True

    def analyze(self, source: Path, out_dir: Path, progress: Callable[[float], None],
                video_name: str | None = None) -> AnalysisResult:
        out_dir.mkdir(parents=True, exist_ok=True)
        if self._analyze is None:
            from processor.pipeline import analyze_video

            self._analyze = analyze_video
        return self._analyze(source, out_dir, self.options(video_name), progress)

    def options(self, video_name: str | None = None) -> AnalysisOptions:
        """The settings' analysis options; for a video a time study names, its operation's support marks."""
        a = self.settings.analysis
        supported = frozenset(a.supported)
        protocol = self.settings.protocol.fields()
        if video_name is not None and self._studies is not None:
            found = self._studies.protocol_for(video_name)
            if found is not None:
                protocol = found.filled_from(protocol)
            marks = self._studies.supported_for(video_name)
            if marks is not None:
                if marks != supported:
                    log.info("%s: support marks from the time study: %s", video_name, ", ".join(sorted(marks)) or "none")
                supported = marks
        return AnalysisOptions(
            standard=a.standard, quality=a.quality, lang=a.lang, preview=a.preview, shift_hours=a.shift_hours,
            body_model=self.body_model, camera_pitch_deg=a.camera_pitch_deg, processes=a.processes,
            work_minutes=a.work_minutes if "work_minutes" in a.model_fields_set else None,
            supported=supported, blur_faces=a.blur_faces, protocol=protocol,
        )  # fmt: skip

    def _read_time_studies(self, storage: "Storage") -> None:
        """Refresh the parsed time studies (for the support marks); on failure the last ones stay."""
        from processor.runtime.positions import TimeStudyCache

        if self._studies is None:
            self._studies = TimeStudyCache()
        try:
            self._studies.refresh(storage, self.scratch_root / "studies")
        except Exception as exc:  # noqa: BLE001 - the marks are a refinement; the video is analysed anyway
            log.warning("could not read the time studies in the inbox (%s); using the last ones read", exc)

    def _refresh_positions(self, storage: "Storage", finished: str | None = None) -> None:
        """Position workbooks for the time studies whose videos are all done; best effort."""
        from processor.runtime.positions import TimeStudyCache, refresh_positions

        if self._studies is None:
            self._studies = TimeStudyCache()
        try:
            refresh_positions(storage, self.settings, self.scratch_root / "positions", self._studies, finished=finished)
        except Exception as exc:  # noqa: BLE001 - a position must never stop the queue or fail the worker
            log.warning("could not bring the position workbooks up to date (%s); the next refresh tries again", exc)

    def _record_verdicts(self, storage: "Storage", video, result: AnalysisResult) -> None:
        """Leave the key verdicts on the video for people's notifications; best effort."""
        from drive.storage import StorageError

        try:
            storage.update_properties(video.id, verdict_properties(result.verdicts, result.overall_verdict))
        except StorageError as exc:
            log.warning("%s: could not record the verdicts on the video (%s); the report has them", video.name, exc)

    def _upload(self, storage: "Storage", beat: Heartbeat, video, result: AnalysisResult,
                created: list[tuple[str, ReportRef]]) -> ReportRef:
        """Upload the outputs (reusing what an earlier attempt left); the claim is checked after each."""
        names = OutputNames.of(video.name)
        outputs = [(result.report_xlsx, names.report, XLSX_MIME), (result.angles_csv, names.angles, CSV_MIME)]
        if result.summary_json is not None:
            outputs.append((result.summary_json, names.summary, JSON_MIME))
        if result.preview_mp4 is not None:
            outputs.append((result.preview_mp4, names.preview, MP4_MIME))
        refs = []
        for local, name, mime in outputs:
            ref = storage.find_output(name, video.id)
            if ref is None:
                ref = storage.upload_output(Path(local), name, video.id, mime, claim=beat.claim.nonce,
                                            progress=beat.upload_progress)
                created.append((name, ref))
            else:
                log.info("%s: %s was already uploaded by an earlier attempt; reusing it", video.name, name)
            refs.append(ref)
            beat.renew_now()  # a worker frozen mid-upload finds out here, not after a second report
        return refs[0]

    def _remove_late_outputs(self, storage: "Storage", video, created: list[tuple[str, ReportRef]]) -> None:
        """A worker that lost its claim removes what it uploaded where another copy is the one in use
        (the oldest, ``find_output``); a file of ours the winner adopted stays."""
        from drive.storage import StorageError

        for name, ref in created:
            try:
                first = storage.find_output(name, video.id)
                if first is not None and first.id != ref.id:
                    storage.delete_output(ref.id)
                    log.info("%s: removed %s, uploaded after the claim was lost", video.name, ref.name)
            except StorageError as exc:
                log.error("%s: could not remove the late upload %s (%s)", video.name, ref.name, exc)

    def _fail(self, queue: "VideoQueue", beat: Heartbeat, reason: str, permanent: bool) -> None:
        from drive.queue import LostClaim
        from drive.storage import StorageError

        beat.stop()
        try:
            state = queue.fail(beat.claim, reason, permanent=permanent)
        except LostClaim:
            return
        except StorageError as exc:
            log.error("could not record the failure of %s (%s); its lease will expire", beat.claim.video.name, exc)
            return
        if state.state.value == "failed":
            self.stats.failed += 1
        else:
            self.stats.retried += 1

    def _give_up(self, queue: "VideoQueue", claim: "Claim", stop: Shutdown) -> None:
        """SIGTERM: hand the video back uncounted; lifetime over: count a failed attempt."""
        from drive.queue import LostClaim
        from drive.storage import StorageError

        self._raise_on_signal = False
        try:
            if stop.release:
                queue.release(claim)
                log.info("released %s for another worker", claim.video.name)
            else:
                queue.fail(claim, f"the worker stopped mid-video: {stop.reason}", permanent=False)
        except (LostClaim, StorageError) as exc:
            log.warning("could not give %s back (%s); its lease will expire", claim.video.name, exc)

    def _give_back_mine(self, queue: "VideoQueue", storage: "Storage", stop: Shutdown) -> None:
        from drive.model import State, VideoState
        from drive.queue import Claim
        from drive.storage import StorageError

        self._raise_on_signal = False
        try:
            videos = storage.list_videos()
        except StorageError as exc:
            log.warning("could not look for claims to give back (%s); their leases will expire", exc)
            return
        for video in videos:
            state = VideoState.from_properties(video.properties)
            if state.state is State.CLAIMED and state.worker == self.worker_id and state.lease_until:
                claim = Claim(video=video, worker_id=self.worker_id, lease_until=state.lease_until, attempt=state.attempts)
                self._give_up(queue, claim, stop)

    def _check_space(self, where: Path, size: int | None) -> None:
        if size is None:
            return
        free = shutil.disk_usage(where).free
        if free < size + DISK_MARGIN:
            raise DiskFull(f"{size} bytes needed plus margin, {free} free")

    # -- stopping ------------------------------------------------------------------------------

    def _on_signal(self, signum, frame) -> None:
        self.stop.set()
        if self._raise_on_signal:
            self._raise_on_signal = False
            if self._lifetime_hit:
                raise Shutdown("launcher.max_lifetime reached", release=False)
            raise Shutdown(f"received {signal.Signals(signum).name}", release=True)

    def _lifetime_over(self) -> None:
        # A timer thread cannot raise in the main thread; the signal handler can.
        self._lifetime_hit = True
        self.stop.set()
        if self._raise_on_signal:
            os.kill(os.getpid(), signal.SIGTERM)


def _disk_full(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _disk_full_reason(settings: Settings, size: int | None, exc: BaseException) -> str:
    mb = f"{size / 1e6:.0f} MB " if size else ""
    return (
        f"the worker's disk is full ({exc}); the {mb}video and its outputs need more room: "
        f"raise runpod.container_disk_gb (now {settings.runpod.container_disk_gb} GB) or free the scratch folder"
    )


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80] or "worker"


def _span(seconds: float) -> str:
    """10 s, 12 min, 2.5 h: a duration for people."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def scratch_name(name: str) -> str:
    """The video's own name, made safe for a local file: no separators or control characters, no
    leading dot, at most 255 bytes (``drive.model.fit_name``), a plain suffix."""
    clean = re.sub(r"[/\\\x00-\x1f]", "_", name).lstrip(".") or "video"
    stem, suffix = os.path.splitext(clean)
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        stem, suffix = clean, ".video"
    return fit_name(stem or "video", suffix)


def worker_main(config_file: str | None = None, verbose: bool = False, analyze: AnalyzeFn | None = None) -> int:
    """``hotfolder work``: unpack the pod env, load settings, run; the pod ends on every path."""
    from config import SettingsError, load_settings
    from config.logs import setup_logging
    from pod_launcher.pod_env import WorkerEnvError, apply_worker_env

    try:
        apply_worker_env(os.environ)
        settings = load_settings(config_file)
    except (WorkerEnvError, SettingsError) as exc:
        from processor.runtime.ending import end_own_pod

        log.error("worker cannot start: %s", exc)
        end_own_pod(os.environ, Settings.model_construct())  # the defaults: the settings are what is broken
        return EXIT_FATAL
    setup_logging(settings, verbose=verbose)
    return run_worker(settings, analyze=analyze)
