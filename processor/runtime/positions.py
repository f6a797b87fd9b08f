"""Position workbooks from the time studies (časové snímky) in the hot folder; part of the pod runtime.

A lab drops a time study (an .xlsx that ``processor.nv361.timestudy.is_time_study_name`` recognises)
beside the videos it names. It is never a video: it stays in the inbox, and its state lives in its own
properties:

- ``hf_position_md5``: the checksum of the study version that is settled: evaluated, or broken beyond
  what another video can change. A study whose checksum equals it is skipped (unless a video it names
  was just analysed again); a corrected study (new checksum) is read again and its workbook and JSON
  are *replaced* (same names, same files).
- ``hf_position_report``: the id of the position workbook in Reports.
- ``hf_position_waiting``: the named videos still in the inbox (pending or being analysed), short.
- ``hf_position_error``: the first sentence of what is wrong; the whole text is in
  ``<study name> - error.txt`` in the Failed folder.

``refresh_positions`` (the worker calls it after each finished video and before it exits) brings every
study up to date, one at a time, best effort:

- the study does not parse: the error file, ``hf_position_error`` and ``hf_position_md5`` (nothing but a
  corrected study can help, so it is not read again until it changes);
- a named video is still in the inbox: not yet (``hf_position_waiting``);
- a named video failed, is nowhere, or has no usable summary: the error file and ``hf_position_error``,
  but no ``hf_position_md5``: the user may upload or retry the video, so the next refresh checks again;
- every video is in Done with its ``<stem> - summary.json`` in Reports: ``evaluate_position``, the
  workbook ``<position> - pozice.xlsx`` and its JSON twin uploaded to Reports with the study's id as
  their source (``find_output`` + ``replace_output`` for a corrected study), then the properties. A
  video in Done more than once (dropped again to be analysed again) counts with its newest analysis.

A study saved again as a new file (a new Drive id, or locally a new file that got state of its own
while it waited) is no longer the source ``find_output`` knows; its earlier outputs are then recognised
by the JSON twin's ``time_study`` (this file's name) and replaced all the same.

A storage error leaves the study as it was for the next refresh. The studies are parsed through a
``TimeStudyCache`` (read again only when a file's checksum changes), which the worker also asks for the
support marks (``Opora``) of the operation a video belongs to. Not guarded: two workers evaluating the
same study's *first* version at the same moment may both upload (no claim protocol for studies).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from drive.model import (
    POSITION_ERROR_KEY as ERROR_KEY,
    POSITION_MD5_KEY as MD5_KEY,
    POSITION_REPORT_KEY as REPORT_KEY,
    POSITION_WAITING_KEY as WAITING_KEY,
    Folder,
    OutputNames,
    ReportRef,
    VideoFile,
    error_file_name,
    truncate_property,
)
from drive.storage import FileGone, Storage, StorageError

if TYPE_CHECKING:
    from config.settings import Settings
    from processor.model import ProtocolFields
    from processor.nv361.timestudy import TimeStudy

log = logging.getLogger(__name__)

STUDY_SUFFIXES = (".xlsx",)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MIME = "application/json"


def fingerprint(f: VideoFile) -> str:
    """What tells one version of a file from another: its md5, else size and time."""
    if f.md5:
        return f.md5
    return f"{f.size}-{f.modified_time.isoformat() if f.modified_time else ''}"


# -- parsed studies -------------------------------------------------------------------------------------


class TimeStudyCache:
    """The inbox's time studies, parsed; a file is fetched and parsed again only when its checksum changes."""

    def __init__(self) -> None:
        self._parsed: dict[str, tuple[str, "TimeStudy | Exception"]] = {}  # file id -> (fingerprint, study or error)
        self._current: list[str] = []  # ids of the studies in the inbox at the last refresh, in name order

    def list(self, storage: Storage) -> list[VideoFile]:
        from processor.nv361.timestudy import is_time_study_name

        files = [f for f in storage.list_files(Folder.INBOX, STUDY_SUFFIXES) if is_time_study_name(f.name)]
        return sorted(files, key=lambda f: (f.name, f.id))

    def load(self, storage: Storage, f: VideoFile, scratch: Path) -> "TimeStudy":
        """The parsed study; ``TimeStudyError`` with its sentences; ``StorageError`` when it cannot be fetched."""
        from processor.nv361.timestudy import TimeStudyError, parse_time_study

        stamp = fingerprint(f)
        cached = self._parsed.get(f.id)
        if cached is None or cached[0] != stamp:
            scratch.mkdir(parents=True, exist_ok=True)
            path = storage.fetch(f.id, scratch / "time-study.xlsx")
            try:
                cached = (stamp, parse_time_study(path, name=f.name))
            except TimeStudyError as exc:
                cached = (stamp, exc)
            finally:
                path.unlink(missing_ok=True)
            self._parsed[f.id] = cached
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]

    def refresh(self, storage: Storage, scratch: Path) -> None:
        """Read the inbox's studies again (a broken one is left out here); raises ``StorageError``."""
        from processor.nv361.timestudy import TimeStudyError

        files = self.list(storage)
        for f in files:
            try:
                self.load(storage, f, scratch)
            except TimeStudyError:
                pass
            except FileGone:
                continue
        self._current = [f.id for f in files]
        for gone in set(self._parsed) - set(self._current):
            del self._parsed[gone]

    def studies(self) -> list["TimeStudy"]:
        return [s for fid in self._current if (s := self._ok(fid)) is not None]

    def _ok(self, fid: str) -> "TimeStudy | None":
        entry = self._parsed.get(fid)
        return None if entry is None or isinstance(entry[1], Exception) else entry[1]

    def protocol_for(self, video_name: str) -> "ProtocolFields | None":
        """The report's metadata block from the first study that names ``video_name``; None if none does."""
        from processor.nv361.timestudy import resolve_video
        from processor.report_data import study_fields

        for study in self.studies():
            workers = [w for _op, w, name in study.videos() if resolve_video(name, [video_name]) is not None]
            if workers:
                return study_fields(study, workers, study.source_name)
        return None

    def supported_for(self, video_name: str) -> frozenset[str] | None:
        """The support marks of the operation a study names ``video_name`` for; None if no study names it."""
        from processor.nv361.timestudy import resolve_video

        found: list[tuple[str, frozenset[str]]] = []
        for study in self.studies():
            for op, _worker, name in study.videos():
                if resolve_video(name, [video_name]) is not None:
                    found.append((study.source_name, op.supported))
        if not found:
            return None
        if len({marks for _, marks in found}) > 1:
            log.warning("%s is named by several time studies with different support marks (%s); using %s's",
                        video_name, ", ".join(n for n, _ in found), found[0][0])
        return found[0][1]


# -- the refresh ----------------------------------------------------------------------------------------


@dataclass
class _Folders:
    """The videos of the inbox, Done and Failed, listed once per refresh and only when needed."""

    storage: Storage
    _lists: dict[Folder, list[VideoFile]] = field(default_factory=dict)

    def videos(self, folder: Folder) -> list[VideoFile]:
        if folder not in self._lists:
            self._lists[folder] = self.storage.list_videos(folder)
        return self._lists[folder]


class _NotYet(Exception):
    """Some named videos are still in the inbox."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


class _Unusable(Exception):
    """The study is fine but some of its videos cannot be used yet (failed, missing, no summary)."""

    def __init__(self, problems: list[str], waiting: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.waiting = waiting


def refresh_positions(storage: Storage, settings: "Settings", scratch: Path, cache: TimeStudyCache | None = None,
                      finished: str | None = None) -> list[str]:
    """Bring the position of every time study in the inbox up to date; the names of the workbooks written.

    ``finished``: the name of a video just analysed; a settled study that names it is evaluated again
    too (the video was dropped again, e.g. to be analysed with the study's support marks).

    Never raises for one study: a broken study or a video that is missing is recorded on the study and
    in its error file, a storage error is logged and left for the next refresh. Raises ``StorageError``
    only when the inbox cannot be listed at all.
    """
    cache = cache or TimeStudyCache()
    files = cache.list(storage)
    work = Path(scratch) / "positions"
    todo = [f for f in files if f.properties.get(MD5_KEY) != fingerprint(f)
            or (finished is not None and _names_video(storage, cache, f, work, finished))]
    if not todo:
        return []
    folders = _Folders(storage)
    written: list[str] = []
    for f in todo:
        try:
            twins = any(g.name == f.name and g.id != f.id for g in files)
            name = _refresh_study(storage, settings, work, cache, folders, f, guess_outputs=not twins)
            if name:
                written.append(name)
        except FileGone as exc:
            log.info("time study %s went away while its position was evaluated (%s)", f.name, exc)
        except StorageError as exc:
            log.warning("position of %s not brought up to date (%s); the next refresh tries again", f.name, exc)
        except Exception as exc:  # noqa: BLE001 - one study must not stop the others, or the worker
            log.exception("position of %s could not be evaluated", f.name)
            try:
                _record_error(storage, settings, f, [f"{f.name}: the position could not be evaluated "
                                                     f"({type(exc).__name__}: {exc})."], settled=False)
            except StorageError as again:
                log.warning("could not record that on %s either (%s)", f.name, again)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return written


def _names_video(storage: Storage, cache: TimeStudyCache, f: VideoFile, work: Path, video_name: str) -> bool:
    from processor.nv361.timestudy import TimeStudyError, resolve_video

    try:
        study = cache.load(storage, f, work)
    except (TimeStudyError, StorageError) as exc:
        log.debug("%s: not read (%s)", f.name, exc)
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return any(resolve_video(name, [video_name]) is not None for _, _, name in study.videos())


def _refresh_study(storage: Storage, settings: "Settings", work: Path, cache: TimeStudyCache, folders: _Folders,
                   f: VideoFile, guess_outputs: bool = True) -> str | None:
    from processor.nv361.position import PositionError, evaluate_position, position_output_names, write_position_json
    from processor.nv361.position import write_position_workbook
    from processor.nv361.timestudy import TimeStudyError

    try:
        study = cache.load(storage, f, work)
    except TimeStudyError as exc:
        _record_error(storage, settings, f, list(exc.problems), settled=True)
        return None
    try:
        summaries = _summaries(storage, settings, study, folders, work)
    except _NotYet as wait:
        log.info("position of %s: not yet, waiting for %s", f.name, ", ".join(wait.names))
        _set(storage, f, {WAITING_KEY: _short(WAITING_KEY, wait.names), ERROR_KEY: None})
        return None
    except _Unusable as bad:
        _record_error(storage, settings, f, bad.problems, settled=False, waiting=bad.waiting)
        return None
    try:
        result = evaluate_position(study, summaries)
    except PositionError as exc:
        _record_error(storage, settings, f, list(exc.problems), settled=False)
        return None
    xlsx_name, json_name = position_output_names(study)
    work.mkdir(parents=True, exist_ok=True)
    xlsx = write_position_workbook(result, work / "position.xlsx", settings.analysis.lang)
    twin = write_position_json(result, work / "position.json")
    earlier: dict[str, ReportRef] | None = None
    refs: dict[str, ReportRef] = {}
    for local, name, mime in ((twin, json_name, JSON_MIME), (xlsx, xlsx_name, XLSX_MIME)):
        ref = storage.find_output(name, f.id)
        if ref is None and guess_outputs:
            if earlier is None:
                earlier = _earlier_outputs(storage, f, xlsx_name, json_name, work)
            ref = earlier.get(name)
        if ref is not None:
            try:
                refs[name] = storage.replace_output(ref, local, mime)
                continue
            except FileGone:  # deleted by someone since: upload it anew
                pass
        refs[name] = storage.upload_output(local, name, f.id, mime)
    storage.update_properties(f.id, {MD5_KEY: fingerprint(f), REPORT_KEY: refs[xlsx_name].id, ERROR_KEY: None,
                                     WAITING_KEY: None})
    log.info("position of %s: %s written (category %s)", f.name, xlsx_name, result.category)
    return xlsx_name


def _summaries(storage: Storage, settings: "Settings", study: "TimeStudy", folders: _Folders, work: Path) -> dict[str, dict]:
    """Each named video's summary, by the name of its video in Done; ``_NotYet`` or ``_Unusable`` otherwise."""
    from processor.nv361.timestudy import check_videos, resolve_video

    src = study.source_name
    inbox = {v.name for v in folders.videos(Folder.INBOX)}
    done: dict[str, list[VideoFile]] = {}
    for v in folders.videos(Folder.DONE):
        done.setdefault(v.name, []).append(v)
    failed = {v.name for v in folders.videos(Folder.FAILED)}
    waiting: list[str] = []
    problems: list[str] = []
    found: dict[str, tuple[str, list[VideoFile]]] = {}  # study video name -> (Done name, candidates)
    named = {_key(n) for _, _, n in study.videos()}
    for op, worker, name in study.videos():
        if (hit := resolve_video(name, inbox)) is not None:
            waiting.append(hit)
        elif (hit := resolve_video(name, done)) is not None:
            found[name] = (hit, _copies(hit, done, named))
        elif (hit := resolve_video(name, failed)) is not None:
            problems.append(f"{src}: video '{name}' of operation '{op.name}' (worker {worker}) could not be analysed; "
                            f"'{hit} - error.txt' in the {settings.drive.failed_folder} folder says why. Fix that "
                            "and retry the video.")
    problems += check_videos(study, inbox | set(done) | failed)
    if problems:
        raise _Unusable(problems, waiting)
    if waiting:
        raise _NotYet(waiting)
    summaries: dict[str, dict] = {}
    for op, worker, name in study.videos():
        hit, candidates = found[name]
        summary = _summary_of(storage, hit, candidates, work)
        if summary is None:
            problems.append(f"{src}: video '{name}' of operation '{op.name}' (worker {worker}) has no "
                            f"'{OutputNames.of(hit).summary}' in the {settings.drive.reports_folder} folder (it was "
                            "analysed with another standard or an older version); put the video into the hot folder "
                            "again to analyse it again.")
        else:
            summaries[hit] = summary
    if problems:
        raise _Unusable(problems, [])
    return summaries


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def _copies(name: str, done: dict[str, list[VideoFile]], named: set[str]) -> list[tuple[int, VideoFile]]:
    """Every copy of video ``name`` in Done, with its copy number: a video dropped again to be analysed
    again is in Done twice, under the same name on Drive, as ``<stem> (2)<ext>`` locally (unless the
    study names that one itself)."""
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    pattern = re.compile(re.escape(stem) + r" \((\d+)\)" + re.escape(dot + ext) + "$")
    out = [(0, v) for v in done[name]]
    for other, videos in done.items():
        m = pattern.match(other)
        if m and _key(other) not in named:
            out += [(int(m.group(1)), v) for v in videos]
    return out


def _summary_of(storage: Storage, name: str, candidates: list[tuple[int, VideoFile]], work: Path) -> dict | None:
    """The summary JSON of the newest copy of video ``name`` in Done that has one (newest by time, then
    copy number, then listing order); a summary that is not JSON counts as one for ``evaluate_position``
    to name."""
    summary_name = OutputNames.of(name).summary
    order = {id(v): i for i, (_, v) in enumerate(candidates)}
    newest_first = sorted(candidates, reverse=True, key=lambda nv: (
        nv[1].modified_time.timestamp() if nv[1].modified_time else 0.0, nv[0], order[id(nv[1])]))
    for _, video in newest_first:
        ref = storage.find_output(summary_name, video.id)
        if ref is None:
            continue
        work.mkdir(parents=True, exist_ok=True)
        path = storage.fetch(ref.id, work / "summary.json")
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            obj = {"unreadable": summary_name}
        finally:
            path.unlink(missing_ok=True)
        return obj if isinstance(obj, dict) else {"unreadable": summary_name}
    return None


def _earlier_outputs(storage: Storage, f: VideoFile, xlsx_name: str, json_name: str, work: Path) -> dict[str, ReportRef]:
    """Outputs an earlier copy of this study wrote when ``find_output`` cannot tell (the study was replaced
    by a new file of the same name: a new Drive id, or a new local file whose state was set since): the
    JSON twin whose ``time_study`` is this file's name, and the one workbook of that name beside it."""
    reports = storage.list_files(Folder.REPORTS, (json_name, xlsx_name))  # exact names below
    for j in (r for r in reports if r.name == json_name):
        try:
            path = storage.fetch(j.id, work / "earlier.json")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (StorageError, OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("time_study") == f.name:
            out = {json_name: ReportRef(j.id, j.name, j.link)}
            books = [r for r in reports if r.name == xlsx_name]
            if len(books) == 1:
                out[xlsx_name] = ReportRef(books[0].id, books[0].name, books[0].link)
            return out
    return {}


# -- recording ------------------------------------------------------------------------------------------


def _short(key: str, names: list[str]) -> str:
    return truncate_property(key, ", ".join(dict.fromkeys(names)))


def _set(storage: Storage, f: VideoFile, props: dict[str, str | None]) -> None:
    """Write only what changes (a refresh runs after every video)."""
    changed = {k: v for k, v in props.items() if f.properties.get(k) != v}
    if changed:
        storage.update_properties(f.id, changed)


def _record_error(storage: Storage, settings: "Settings", f: VideoFile, problems: list[str], settled: bool,
                  waiting: list[str] | None = None) -> None:
    """The error file in Failed, then the study's properties. ``settled``: only a changed study can help,
    so it is not looked at again until it changes; otherwise the next refresh checks again."""
    log.warning("position of %s: %s", f.name, " ".join(problems))
    storage.write_text(Folder.FAILED, error_file_name(f.name), error_text(f.name, problems, settled, settings))
    props: dict[str, str | None] = {ERROR_KEY: truncate_property(ERROR_KEY, " ".join(problems[0].split())),
                                    WAITING_KEY: _short(WAITING_KEY, waiting) if waiting else None}
    if settled:
        props[MD5_KEY] = fingerprint(f)
    _set(storage, f, props)


def error_text(study_name: str, problems: list[str], settled: bool, settings: "Settings") -> str:
    lines = [study_name, "", "The position workbook could not be made from this time study:", ""]
    lines += [f"- {p}" for p in problems]
    lines.append("")
    if settled:
        lines.append("What to do: correct the time study (the template is casovy_snimek_vzor.xlsx) and save it "
                     "into the hot folder again under the same name. It is read again as soon as it has changed, "
                     "the next time the hot folder processes videos.")
    else:
        lines.append("What to do: put the missing videos into the hot folder (under the names the time study gives, "
                     f"or correct the names in the time study), or retry the failed ones from the "
                     f"{settings.drive.failed_folder} folder. The time study is checked again after every video the "
                     "hot folder processes; the position workbook appears in "
                     f"{settings.drive.reports_folder} when all its videos are analysed.")
    return "\n".join(lines) + "\n"
