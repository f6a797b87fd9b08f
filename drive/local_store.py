"""The storage port over a local folder tree (the embedded default; also a synced folder or a share).

Layout under ``settings.local.root``::

    inbox/            videos are dropped here (the hot folder)
    inbox/Reports/ inbox/Done/ inbox/Failed/   (names from settings.drive.*_folder), created on first
                      use inside the hot folder, so whoever shares it sees them; the inbox listing
                      takes plain files only, so they never count as inbox content.
                      ``drive.status_folders = "beside"``: root/Reports/ root/Done/ root/Failed/ (the old layout)
    <folder>/.hotfolder/<file>.json   sidecar: the file's hf_* properties (they follow moves)
    <folder>/.hotfolder/<file>.lock   per-file lock (fcntl.flock) for read-modify-write of the sidecar
    <folder>/.hotfolder/.md5-cache.json  md5 cache keyed by size + mtime + inode, so polls stay cheap

Ids: a file in the inbox has its name as id; elsewhere ``"<folder>/<name>"`` (e.g. ``"Done/a.mp4"``).
So, unlike Drive ids, a local id changes when the file moves; the queue never uses an id after a move.
Outputs are tagged with their source's id and its sidecar ``uid`` (which moves with the file), so
``find_output(name, "Done/a.mp4")`` finds what was uploaded for ``"a.mp4"`` before the move, as on Drive.
Besides videos, ``list_files`` lists other plain files (a time study next to the videos); their
properties live in the same sidecars.

A sidecar records the inode, size and mtime of its file: when a different file later appears under the
same name (the user moved the old one away by hand, then dropped a new one), the stale sidecar is
ignored and the new file starts pending. Several processes may update one sidecar at once: writes
happen under the file's lock and land atomically (temp file + rename), so readers never see half a file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from config.settings import Settings
from drive.atomic import atomic_write
from drive.model import Folder, ReportRef, VideoFile, has_video_extension, utcnow
from drive.storage import FileGone, ProgressFn, StorageError

log = logging.getLogger(__name__)

INBOX_DIR = "inbox"
META_DIR = ".hotfolder"
MD5_CACHE = ".md5-cache.json"
# Partial or temporary files of browsers, sync clients and office tools.
PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".!sync", ".opdownload")
_NAME_TOO_LONG = 200  # bytes; sidecar names add a suffix and file systems stop at 255


class LocalStore:
    def __init__(self, settings: Settings):
        self.root = Path(settings.local.root).expanduser().resolve()
        self.chunk_size = settings.drive.chunk_size
        self.inside = settings.drive.status_folders == "inside"
        self.dirs = {
            Folder.INBOX: INBOX_DIR,
            Folder.REPORTS: settings.drive.reports_folder,
            Folder.DONE: settings.drive.done_folder,
            Folder.FAILED: settings.drive.failed_folder,
        }
        for folder, name in self.dirs.items():
            if not name or "/" in name or name in (".", "..") or name.startswith("."):
                raise StorageError(f"invalid folder name {name!r} for {folder.value}")
        if len(set(self.dirs.values())) != len(self.dirs):
            raise StorageError(f"folder names must differ: {sorted(self.dirs.values())}")
        # Where each folder is on disk (ids keep using the bare names: "Done/a.mp4").
        status_parent = self.root / INBOX_DIR if self.inside else self.root
        self.places = {f: (self.root / INBOX_DIR if f is Folder.INBOX else status_parent / name)
                       for f, name in self.dirs.items()}
        self._md5_memory: dict[tuple, str] = {}
        self._md5_disk: dict[Folder, tuple[int | None, dict]] = {}
        self._created = False
        self._listing = False  # thread-local would be purer; a stray deferred save only delays a cache write
        self._md5_dirty: set[Folder] = set()

    # ------------------------------------------------------------------ paths and ids

    def path(self, folder: Folder) -> Path:
        """The folder's directory; the whole tree is created on first use."""
        if not self._created:
            try:
                for place in self.places.values():
                    (place / META_DIR).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the hot folder tree under {self.root}: {exc}") from exc
            self._created = True
        return self.places[folder]

    def _id(self, folder: Folder, name: str) -> str:
        return name if folder is Folder.INBOX else f"{self.dirs[folder]}/{name}"

    def _resolve(self, file_id: str) -> tuple[Folder, str]:
        folder, name = Folder.INBOX, file_id
        if "/" in file_id:
            head, name = file_id.split("/", 1)
            match = [f for f, d in self.dirs.items() if d == head and f is not Folder.INBOX]
            if not match:
                raise FileGone(f"no such file: {file_id!r}")
            folder = match[0]
        if not name or "/" in name or name in (".", "..") or "\0" in name:
            raise FileGone(f"no such file: {file_id!r}")
        return folder, name

    # ------------------------------------------------------------------ listing

    def list_videos(self, folder: Folder = Folder.INBOX) -> list[VideoFile]:
        return self._scan(folder, lambda path: _is_video(path))

    def list_outcomes(self, since: datetime | None = None) -> list[VideoFile]:
        """Videos in Done and Failed that arrived (or changed) at or after ``since`` (all when None).

        A move is a rename, which sets the file's ctime: entries are filtered on their stat alone,
        so only the few recent ones have their state and checksum read, however long Done grows."""
        cutoff = since.timestamp() if since is not None else None

        def recent(path: Path) -> bool:
            if cutoff is not None:
                st = path.stat()
                if max(st.st_ctime, st.st_mtime) < cutoff:
                    return False
            return _is_video(path)

        return [v for folder in (Folder.DONE, Folder.FAILED) for v in self._scan(folder, recent)]

    def output_link(self, ref_id: str) -> str | None:
        """Where a person opens an output (a report): its path on this machine."""
        if not ref_id:
            return None
        try:
            folder, name = self._resolve(ref_id)
        except FileGone:
            return None
        if folder is Folder.INBOX:  # a bare name: an output in Reports
            folder = Folder.REPORTS
        return str(self.path(folder) / name)

    def list_files(self, folder: Folder, suffixes: tuple[str, ...]) -> list[VideoFile]:
        ends = tuple(s.lower() for s in suffixes)
        if not ends:
            return []
        return self._scan(folder, lambda path: path.name.lower().endswith(ends) and not _is_video(path), plain=True)

    def _scan(self, folder: Folder, keep, plain: bool = False) -> list[VideoFile]:
        """Files directly in ``folder`` that ``keep(path)`` accepts (hidden and partial files never)."""
        base = self.path(folder)
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except FileNotFoundError:  # someone removed the folder: create the tree again
            self._created = False
            base = self.path(folder)
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError as exc:
            raise StorageError(f"cannot list {base}: {exc}") from exc
        files = []
        self._listing = True
        try:
            for entry in entries:
                if _ignored(entry.name):
                    continue
                try:
                    if not entry.is_file():  # follows symlinks; directories and sockets are skipped
                        continue
                    if not keep(Path(entry.path)):
                        continue
                    files.append(self._view(folder, entry.name, plain=plain))
                except (FileNotFoundError, FileGone):
                    continue  # moved away while we looked
                except PermissionError as exc:
                    log.warning("skipping %s: %s", entry.path, exc)
                    continue
        finally:
            self._listing = False
            self._prune_md5_cache(folder, {e.name for e in entries})
        return files

    def get_video(self, file_id: str) -> VideoFile:
        folder, name = self._resolve(file_id)
        return self._view(folder, name)

    def _view(self, folder: Folder, name: str, plain: bool = False) -> VideoFile:
        path = self.path(folder) / name
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise FileGone(f"{self._id(folder, name)} is gone") from exc
        if not path.is_file():
            raise FileGone(f"{self._id(folder, name)} is not a file")
        sidecar = self._read_sidecar(folder, name, st)
        return VideoFile(
            id=self._id(folder, name),
            name=name,
            size=st.st_size,
            md5=self._md5(folder, path, st),
            mime_type=_plain_mime_type(path) if plain else _mime_type(path),
            modified_time=datetime.fromtimestamp(st.st_mtime, timezone.utc),
            properties=dict(sidecar.get("properties", {})),
            link=str(path),
            folder=folder,
        )

    # ------------------------------------------------------------------ properties

    def update_properties(self, file_id: str, props: dict[str, str | None]) -> VideoFile:
        folder, name = self._resolve(file_id)
        with self._lock(folder, name):
            path = self.path(folder) / name
            try:
                st = path.stat()
            except FileNotFoundError as exc:
                raise FileGone(f"{file_id} is gone") from exc
            sidecar = self._read_sidecar(folder, name, st)
            merged = dict(sidecar.get("properties", {}))
            for key, value in props.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = str(value)
            sidecar["properties"] = merged
            sidecar.setdefault("uid", secrets.token_hex(8))
            self._write_sidecar(folder, name, st, sidecar)
        return self._view(folder, name, plain=not _is_video(self.path(folder) / name))

    def _sidecar_path(self, folder: Folder, name: str, suffix: str = ".json") -> Path:
        meta = self.path(folder) / META_DIR
        if len(name.encode()) > _NAME_TOO_LONG:
            name = hashlib.sha1(name.encode()).hexdigest()
        return meta / (name + suffix)

    def _read_sidecar(self, folder: Folder, name: str, st: os.stat_result) -> dict:
        path = self._sidecar_path(folder, name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable state file %s (%s)", path, exc)
            return {}
        if not isinstance(data, dict) or data.get("name") != name:
            return {}
        same_inode = data.get("inode") == st.st_ino
        same_file = data.get("size") == st.st_size and data.get("mtime_ns") == st.st_mtime_ns
        if not (same_inode or same_file):
            return {}  # left behind by another file of the same name
        return data

    def _write_sidecar(self, folder: Folder, name: str, st: os.stat_result, data: dict) -> None:
        data = {**data, "name": name, "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        _atomic_write(self._sidecar_path(folder, name), json.dumps(data, indent=1, sort_keys=True).encode())

    @contextlib.contextmanager
    def _lock(self, folder: Folder, name: str, remove: bool = False) -> Iterator[None]:
        """Exclusive lock on one file's state, across processes (flock dies with its process)."""
        path = self._sidecar_path(folder, name, ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                # The lock file may have been removed (after a move) while we waited: lock the new one.
                try:
                    same = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
            except BaseException:
                os.close(fd)
                raise
            if same:
                break
            os.close(fd)
        try:
            yield
        finally:
            if remove:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            os.close(fd)  # releases the flock

    # ------------------------------------------------------------------ checksums

    def _md5(self, folder: Folder, path: Path, st: os.stat_result) -> str:
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        if key in self._md5_memory:
            return self._md5_memory[key]
        cache = self._disk_md5(folder)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        entry = cache.get(path.name)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("md5"), str):
            digest = entry["md5"]
        else:
            digest = _file_md5(path, self.chunk_size)
            cache[path.name] = {"stamp": stamp, "md5": digest}
            if self._listing:
                self._md5_dirty.add(folder)  # saved once at the end of the listing
            else:
                self._save_md5(folder, cache)
        self._md5_memory[key] = digest
        return digest

    def _disk_md5(self, folder: Folder) -> dict:
        """The folder's persisted md5 cache (shared by processes; re-read when another one wrote it)."""
        path = self.path(folder) / META_DIR / MD5_CACHE
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        cached = self._md5_disk.get(folder)
        if cached is None or cached[0] != mtime:
            cached = (mtime, _read_json(path) if mtime is not None else {})
            self._md5_disk[folder] = cached
        return cached[1]

    def _save_md5(self, folder: Folder, cache: dict) -> None:
        path = self.path(folder) / META_DIR / MD5_CACHE
        try:
            _atomic_write(path, json.dumps(cache, sort_keys=True).encode(), durable=False)
            self._md5_disk[folder] = (path.stat().st_mtime_ns, cache)
            self._md5_dirty.discard(folder)
        except OSError as exc:  # only a cache
            log.debug("md5 cache %s not written: %s", path, exc)

    def _prune_md5_cache(self, folder: Folder, names: set[str]) -> None:
        cache = self._disk_md5(folder)
        gone = [name for name in cache if name not in names]
        for name in gone:
            del cache[name]
        if gone or folder in self._md5_dirty:
            self._save_md5(folder, cache)
        if len(self._md5_memory) > 10_000:
            self._md5_memory.clear()

    # ------------------------------------------------------------------ content

    def download(self, file_id: str, dest: Path, progress: ProgressFn | None = None) -> Path:
        video = self.get_video(file_id)
        return self._copy_out(file_id, dest, progress, size=video.size, md5=video.md5)

    def _copy_out(self, file_id: str, dest: Path, progress: ProgressFn | None = None,
                  size: int | None = None, md5: str | None = None) -> Path:
        """Copy a stored file to ``dest`` in chunks via a temporary file; with ``md5``, verified."""
        folder, name = self._resolve(file_id)
        src = self.path(folder) / name
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5()
        fd, tmp = tempfile.mkstemp(prefix="." + dest.name[:100] + ".", suffix=".part", dir=dest.parent)
        try:
            with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                _copy_chunks(fin, fout, self.chunk_size, size, progress, digest)
            if md5 is not None and digest.hexdigest() != md5:
                raise StorageError(f"{name} changed while it was being copied (checksum mismatch)")
            os.replace(tmp, dest)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise FileGone(f"{file_id} is gone") from exc
        except OSError as exc:
            raise StorageError(f"copying {name} to {dest} failed: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return dest

    def find_output(self, name: str, source_id: str) -> ReportRef | None:
        uid = self._source_uid(source_id)
        reports = self.path(Folder.REPORTS)
        # Oldest first, as on Drive: when two workers raced, everyone agrees which copy is the one.
        tags = [(meta, _read_json(meta)) for meta in (reports / META_DIR).glob("*.json")]
        tags.sort(key=lambda mt: (mt[1].get("mtime_ns") or 0, mt[0].name))
        for meta, data in tags:
            if data.get("output_name") != name:
                continue
            if uid and data.get("source_uid"):
                # The uid travels with the file: its outputs are found after it moved to Done or Failed
                # (its id changed), and an older file of the same name that had this id is not it.
                if data["source_uid"] != uid:
                    continue
            elif data.get("source_id") != source_id:
                continue
            file_name = data.get("name")
            if isinstance(file_name, str) and (reports / file_name).is_file():
                return self._report_ref(Folder.REPORTS, file_name)
        return None

    def upload_output(self, local: Path, name: str, source_id: str, mime_type: str, claim: str = "",
                      progress: ProgressFn | None = None) -> ReportRef:
        if not name or "/" in name or name.startswith(".") or "\0" in name:
            raise StorageError(f"invalid output name {name!r}")
        reports = self.path(Folder.REPORTS)
        tag = {"output_name": name, "source_id": source_id, "source_uid": self._source_uid(source_id),
               "mime_type": mime_type, "claim": claim}
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=reports)
        try:
            os.fchmod(fd, _file_mode())
            with open(local, "rb") as fin, os.fdopen(fd, "wb") as fout:
                _copy_chunks(fin, fout, self.chunk_size, os.fstat(fin.fileno()).st_size, progress)
                fout.flush()
                os.fsync(fout.fileno())
            # Never over an existing output: a second one (a late writer's) is told apart and removed
            # by its writer (processor.runtime.worker), never mixed into the first.
            final = _place(Path(tmp), reports, name)
            st = (reports / final).stat()
            self._write_report_tag(final, st, tag)
        except OSError as exc:
            raise StorageError(f"storing {name} in {reports} failed: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return self._report_ref(Folder.REPORTS, final)

    def fetch(self, file_id: str, dest: Path) -> Path:
        return self._copy_out(file_id, dest)

    def delete_output(self, ref_id: str) -> None:
        try:
            folder, name = self._resolve(ref_id)
        except FileGone:
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(folder) / name)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._sidecar_path(folder, name))
        except OSError as exc:
            raise StorageError(f"removing {name} from {self.path(folder)} failed: {exc}") from exc

    def server_time(self) -> datetime:
        return utcnow()  # the folder and every local worker share this machine's clock

    def replace_output(self, ref: ReportRef, local: Path, mime_type: str) -> ReportRef:
        folder, name = self._resolve(ref.id)
        target_dir = self.path(folder)
        target = target_dir / name
        if not target.is_file():
            raise FileGone(f"{ref.id} is gone")
        tag = _read_json(self._sidecar_path(folder, name))
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=target_dir)
        try:
            os.fchmod(fd, _file_mode())
            with open(local, "rb") as fin, os.fdopen(fd, "wb") as fout:
                shutil.copyfileobj(fin, fout, self.chunk_size)
                fout.flush()
                os.fsync(fout.fileno())
            os.replace(tmp, target)
            if tag.get("name") == name:  # keep the output's tags (source id) for find_output
                self._write_report_tag(name, target.stat(), {**tag, "mime_type": mime_type})
        except OSError as exc:
            raise StorageError(f"replacing {ref.id} failed: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return self._report_ref(folder, name)

    def _write_report_tag(self, final: str, st: os.stat_result, tag: dict) -> None:
        data = {**tag, "name": final, "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        _atomic_write(self._sidecar_path(Folder.REPORTS, final), json.dumps(data, indent=1, sort_keys=True).encode())

    def _source_uid(self, source_id: str) -> str | None:
        try:
            folder, name = self._resolve(source_id)
            st = (self.path(folder) / name).stat()
        except (FileGone, FileNotFoundError):
            return None
        return self._read_sidecar(folder, name, st).get("uid")

    def _report_ref(self, folder: Folder, name: str) -> ReportRef:
        return ReportRef(id=self._id(folder, name), name=name, link=str(self.path(folder) / name))

    def write_text(self, folder: Folder, name: str, text: str) -> ReportRef:
        if not name or "/" in name or name.startswith("."):
            raise StorageError(f"invalid file name {name!r}")
        target = self.path(folder) / name
        try:
            _atomic_write(target, text.encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"writing {target} failed: {exc}") from exc
        return self._report_ref(folder, name)

    # ------------------------------------------------------------------ moving

    def move_video(self, file_id: str, folder: Folder) -> None:
        src_folder, name = self._resolve(file_id)
        if src_folder is folder:
            return
        src = self.path(src_folder) / name
        target_dir = self.path(folder)
        with self._lock(src_folder, name, remove=True):
            try:
                st = src.stat()
            except FileNotFoundError as exc:
                raise FileGone(f"{file_id} is gone") from exc
            sidecar = self._read_sidecar(src_folder, name, st)
            try:
                final = _place(src, target_dir, name)  # never overwrites: a clash gets " (2)"
            except FileNotFoundError as exc:
                raise FileGone(f"{file_id} is gone") from exc
            except OSError as exc:
                raise StorageError(f"moving {name} to {target_dir} failed: {exc}") from exc
            moved = (target_dir / final).stat()
            # The state travels with the file (same inode). A crash before this line leaves the file
            # pending in its new folder, which only the inbox would act upon.
            self._write_sidecar(folder, final, moved, sidecar)
            with contextlib.suppress(FileNotFoundError):
                self._sidecar_path(src_folder, name).unlink()
        log.info("moved %s to %s/%s", file_id, self.dirs[folder], final)


# ---------------------------------------------------------------------- helpers


def _ignored(name: str) -> bool:
    lower = name.lower()
    return name.startswith((".", "~$")) or name.endswith("~") or lower.endswith(PARTIAL_SUFFIXES) or lower in ("thumbs.db", "desktop.ini")


def _is_video(path: Path) -> bool:
    if has_video_extension(path.name):
        return True
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed:
        return guessed.startswith("video/")
    return _sniff(path) is not None  # no known extension: look at the first bytes


def _sniff(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video/mpeg"
    return None


def _plain_mime_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _mime_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed and guessed.startswith("video/"):
        return guessed
    return _sniff(path) or "application/octet-stream"


def _file_md5(path: Path, chunk: int) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _candidates(name: str) -> Iterator[str]:
    yield name
    stem, dot, ext = name.rpartition(".")
    if not stem or " " in ext:  # no extension
        stem, dot, ext = name, "", ""
    stem = re.sub(r" \(\d+\)$", "", stem)
    for n in range(2, 10_000):
        yield f"{stem} ({n}){dot}{ext}"
    raise StorageError(f"no free name for {name}")


def _copy_chunks(fin, fout, chunk_size: int, size: int | None, progress: ProgressFn | None, digest=None) -> None:
    """Copy in chunks, telling ``progress`` of each (a heartbeat's sign of life on a slow disk)."""
    done = 0
    while chunk := fin.read(chunk_size):
        fout.write(chunk)
        if digest is not None:
            digest.update(chunk)
        done += len(chunk)
        if progress:
            progress(done, size)


def _place(src: Path, target_dir: Path, name: str) -> str:
    """Move ``src`` into ``target_dir`` under ``name`` or the first free ``name (n)``; never overwrites."""
    for candidate in _candidates(name):
        dst = target_dir / candidate
        try:
            os.link(src, dst)  # atomic and fails if dst exists
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # No hard links here (some shares): check then rename, a small race we accept.
            if dst.exists():
                continue
            os.rename(src, dst)
            return candidate
        os.unlink(src)
        return candidate
    raise StorageError(f"no free name for {name}")  # pragma: no cover (the generator raises first)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=1)
def _file_mode() -> int:
    """What open() would give a new file (mkstemp makes 0600; reports must stay readable on a share)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


def _atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    atomic_write(path, data, mode=_file_mode(), durable=durable)
