"""The ``Storage`` port on Google Drive v3.

The inbox is ``settings.drive.folder_id``; Reports/Done/Failed (names from settings) are created
on first use inside it, so everyone the hot folder is shared with sees them (``drive.status_folders
= "beside"`` keeps the old layout: in its parent folder, or inside when the parent is not visible to
us). The inbox listing asks for direct children only and keeps videos, so the status folders (and
anything in them) never count as inbox content. A video moved to Done/Failed gets a fresh
``modifiedTime``: ``list_outcomes(since)`` is then one windowed query, however long Done grows.
State lives in each inbox item's ``properties``. A shortcut dropped into the inbox is a video too:
its state and moves apply to the shortcut (the original stays where its owner put it), its
content, size and checksum come from the target. Outputs carry ``properties.hf_source=<video id>``
so a report uploaded just before a crash is found again instead of uploaded twice. ``list_files``
lists the other plain files of a folder (a time study beside the videos); ``replace_output`` gives an
output new content under the same id (``files.update`` with media).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from googleapiclient.errors import HttpError

from config.settings import Settings
from drive.drive_api import Backoff, DriveApi
from drive.drive_transfer import download as _download
from drive.drive_transfer import upload as _upload
from drive.model import OUTPUT_CLAIM_KEY, Folder, ReportRef, VideoFile, has_video_extension, parse_time, utcnow
from drive.storage import FileGone, ProgressFn, StorageError

log = logging.getLogger(__name__)

FOLDER_MIME = "application/vnd.google-apps.folder"
SHORTCUT_MIME = "application/vnd.google-apps.shortcut"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
SOURCE_KEY = "hf_source"
FILE_FIELDS = "id,name,mimeType,size,md5Checksum,modifiedTime,createdTime,parents,properties,trashed,webViewLink,driveId,shortcutDetails"
DRIVE_FILE_URL = "https://drive.google.com/file/d/{id}/view"
LIST_FIELDS = f"nextPageToken,incompleteSearch,files({FILE_FIELDS})"


def is_video(name: str, mime_type: str | None) -> bool:
    """Video by MIME type, or by extension when Drive did not recognise it (``application/octet-stream``)."""
    mime = mime_type or ""
    if mime.startswith(GOOGLE_APPS_PREFIX):
        return False
    if mime.startswith("video/"):
        return True
    return has_video_extension(name)


def _is_plain(item: dict[str, Any]) -> bool:
    """A file with content of its own that is not a video (no folder, shortcut or Google Doc)."""
    mime = item.get("mimeType") or ""
    return not mime.startswith(GOOGLE_APPS_PREFIX) and not is_video(item.get("name", ""), mime)


def rfc3339(t: datetime) -> str:
    """UTC with milliseconds, as Drive writes times (and accepts them in ``q`` and ``modifiedTime``)."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def q_string(value: str) -> str:
    """A value quoted for a Drive ``q`` expression."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class DriveStore:
    """Drive v3 implementation of ``drive.storage.Storage`` (thread-safe)."""

    def __init__(self, settings: Settings, credentials: Any = None, backoff: Backoff = Backoff()):
        self.settings = settings
        self.drive = settings.drive
        if not self.drive.folder_id:
            raise StorageError("drive.folder_id is not set: put the hot folder's id (from its Drive URL) in the config")
        if credentials is None:
            from drive.credentials import load_credentials

            credentials = load_credentials(self.drive)
        self.api = DriveApi(credentials, self.drive.api_root, backoff=backoff)
        self._folders: dict[Folder, str] = {Folder.INBOX: self.drive.folder_id}
        self._folder_lock = threading.Lock()
        self._inbox_meta: dict[str, Any] | None = None

    # ------------------------------------------------------------------ folders

    def _inbox(self) -> dict[str, Any]:
        if self._inbox_meta is None:
            fid = self.drive.folder_id
            meta = self.api.call(
                "get inbox folder",
                lambda: self.api.files().get(fileId=fid, fields="id,name,mimeType,parents,driveId", supportsAllDrives=True),
                not_found=f"the Drive folder {fid} (drive.folder_id) does not exist or is not shared with this account",
            )
            if meta.get("mimeType") != FOLDER_MIME:
                raise StorageError(f"drive.folder_id {fid} is not a folder ({meta.get('name')!r} is {meta.get('mimeType')})")
            self._inbox_meta = meta
        return self._inbox_meta

    def folder_id(self, folder: Folder) -> str:
        """The Drive id of ``folder``, creating Reports/Done/Failed on first use."""
        if folder in self._folders:
            return self._folders[folder]
        with self._folder_lock:
            if folder not in self._folders:
                self._folders[folder] = self._ensure_folder(folder)
            return self._folders[folder]

    def status_parent(self) -> str:
        """The folder that holds Reports/Done/Failed: the hot folder itself, or (``beside``) its parent."""
        inbox = self._inbox()
        if self.drive.status_folders == "beside":
            return (inbox.get("parents") or [inbox["id"]])[0]
        return inbox["id"]

    def _ensure_folder(self, folder: Folder) -> str:
        name = {Folder.REPORTS: self.drive.reports_folder, Folder.DONE: self.drive.done_folder, Folder.FAILED: self.drive.failed_folder}[folder]
        parent = self.status_parent()
        q = f"{q_string(parent)} in parents and name = {q_string(name)} and mimeType = '{FOLDER_MIME}' and trashed = false"
        found = self._list(q)
        if not found:
            self._warn_old_layout(name)
            self.api.call(
                f"create folder {name}",
                lambda: self.api.files().create(body={"name": name, "mimeType": FOLDER_MIME, "parents": [parent]}, fields="id", supportsAllDrives=True),
            )
            # Two workers may create it at once: both then settle on the oldest one.
            found = self._list(q)
            log.info("created Drive folder %s", name)
        found.sort(key=lambda f: (f.get("createdTime", ""), f["id"]))
        return found[0]["id"]

    def _warn_old_layout(self, name: str) -> None:
        """Creating a status folder inside: say so when the old layout's folder still sits beside."""
        if self.drive.status_folders != "inside":
            return
        parents = self._inbox().get("parents") or []
        if not parents:
            return
        q = f"{q_string(parents[0])} in parents and name = {q_string(name)} and mimeType = '{FOLDER_MIME}' and trashed = false"
        try:
            old = self._list(q)
        except StorageError:
            return
        if old:
            log.warning("a %r folder exists beside the hot folder (the layout before status folders moved inside); "
                        "a new one is created inside it. Move the old folder's content into the hot folder "
                        "(README: Moving the status folders) or set drive.status_folders = \"beside\"", name)

    # ------------------------------------------------------------------ listing

    def _list(self, q: str) -> list[dict[str, Any]]:
        inbox = self._inbox()
        extra: dict[str, Any] = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}
        if inbox.get("driveId"):
            extra.update(corpora="drive", driveId=inbox["driveId"])
        files: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.api.call(
                "list files",
                lambda: self.api.files().list(q=q, pageSize=1000, pageToken=token, fields=LIST_FIELDS, orderBy="createdTime", **extra),
            )
            files.extend(page.get("files", []))
            token = page.get("nextPageToken")
            if not token:
                return files

    def list_videos(self, folder: Folder = Folder.INBOX) -> list[VideoFile]:
        q = f"{q_string(self.folder_id(folder))} in parents and trashed = false"
        items = self._list(q)
        targets = self._shortcut_targets(items)
        videos = []
        for item in items:
            video = self._to_video(item, targets)
            if video is not None:
                videos.append(video)
        return videos

    def list_outcomes(self, since: datetime | None = None) -> list[VideoFile]:
        """Videos in Done and Failed moved there (or changed) at or after ``since`` (all when None):
        one query over both folders with a ``modifiedTime`` window, so the cost follows what changed,
        not how long the folders are."""
        q = (f"({q_string(self.folder_id(Folder.DONE))} in parents or {q_string(self.folder_id(Folder.FAILED))} in parents)"
             " and trashed = false")
        if since is not None:
            q += f" and modifiedTime >= {q_string(rfc3339(since))}"
        items = self._list(q)
        targets = self._shortcut_targets(items)
        return [v for v in (self._to_video(item, targets) for item in items) if v is not None]

    def output_link(self, ref_id: str) -> str | None:
        """Where a person opens an output (a report): its Drive web link, no request needed."""
        return DRIVE_FILE_URL.format(id=ref_id) if ref_id else None

    def list_files(self, folder: Folder, suffixes: tuple[str, ...]) -> list[VideoFile]:
        ends = tuple(x.lower() for x in suffixes)
        if not ends:
            return []
        q = f"{q_string(self.folder_id(folder))} in parents and trashed = false"
        return [
            self._to_plain(item)
            for item in self._list(q)
            if _is_plain(item) and item.get("name", "").lower().endswith(ends)
        ]

    def _to_plain(self, item: dict[str, Any]) -> VideoFile:
        size = item.get("size")
        return VideoFile(
            id=item["id"],
            name=item.get("name", ""),
            size=int(size) if size is not None else None,
            md5=item.get("md5Checksum"),
            mime_type=item.get("mimeType"),
            modified_time=parse_time(item["modifiedTime"]) if item.get("modifiedTime") else None,
            properties=dict(item.get("properties") or {}),
            link=item.get("webViewLink"),
        )

    def _shortcut_targets(self, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for item in items:
            details = item.get("shortcutDetails") or {}
            tid = details.get("targetId")
            if item.get("mimeType") == SHORTCUT_MIME and tid and tid not in out:
                if (details.get("targetMimeType") or "").startswith(GOOGLE_APPS_PREFIX):
                    continue  # a shortcut to a folder or a Doc
                try:
                    out[tid] = self._get(tid)
                except FileGone:
                    log.warning("shortcut %r in the inbox points to a file that is gone or not shared", item.get("name"))
        return out

    def _get(self, file_id: str) -> dict[str, Any]:
        return self.api.call(
            f"get file {file_id}",
            lambda: self.api.files().get(fileId=file_id, fields=FILE_FIELDS, supportsAllDrives=True),
            not_found=f"Drive file {file_id} no longer exists",
        )

    def _folder_of(self, item: dict[str, Any], resolve: bool = False) -> Folder | None:
        """The inbox, Done or Failed when ``item``'s parent is one of them; ``resolve`` looks Done and
        Failed up (a get of one video: listings come from a known folder, whose id is already resolved)."""
        parents = set(item.get("parents") or [])
        known = {fid: f for f, fid in self._folders.items()}  # the inbox is known from the settings
        found = next((known[p] for p in parents if p in known), None)
        if found is None and resolve and parents:
            known.update({self.folder_id(f): f for f in (Folder.DONE, Folder.FAILED)})
            found = next((known[p] for p in parents if p in known), None)
        return found if found is not Folder.REPORTS else None

    def _to_video(self, item: dict[str, Any], targets: dict[str, dict[str, Any]], resolve: bool = False) -> VideoFile | None:
        content = item
        if item.get("mimeType") == SHORTCUT_MIME:
            tid = (item.get("shortcutDetails") or {}).get("targetId")
            content = targets.get(tid or "")
            if content is None or content.get("trashed"):
                return None
        if not is_video(content.get("name", ""), content.get("mimeType")) and not is_video(item.get("name", ""), content.get("mimeType")):
            return None
        size = content.get("size")
        return VideoFile(
            id=item["id"],
            name=item.get("name", ""),
            size=int(size) if size is not None else None,
            md5=content.get("md5Checksum"),
            mime_type=content.get("mimeType"),
            modified_time=parse_time(content["modifiedTime"]) if content.get("modifiedTime") else None,
            properties=dict(item.get("properties") or {}),
            link=content.get("webViewLink"),
            folder=self._folder_of(item, resolve),
        )

    def get_video(self, file_id: str) -> VideoFile:
        item = self._get(file_id)
        if item.get("trashed"):
            raise FileGone(f"Drive file {item.get('name')!r} ({file_id}) is in the trash")
        targets = self._shortcut_targets([item])
        video = self._to_video(item, targets, resolve=True)
        if video is None:
            raise FileGone(f"Drive file {item.get('name')!r} ({file_id}) is not a video (or its shortcut target is gone)")
        return video

    # ------------------------------------------------------------------ state and moves

    def update_properties(self, file_id: str, props: dict[str, str | None]) -> VideoFile:
        item = self.api.call(
            f"update properties of {file_id}",
            lambda: self.api.files().update(fileId=file_id, body={"properties": props}, fields=FILE_FIELDS, supportsAllDrives=True),
            not_found=f"Drive file {file_id} no longer exists",
        )
        video = self._to_video(item, self._shortcut_targets([item]))
        if video is None:
            if _is_plain(item):  # a file list_files gave (a time study): its properties work the same
                return self._to_plain(item)
            raise FileGone(f"Drive file {item.get('name')!r} ({file_id}) is not a video")
        return video

    def move_video(self, file_id: str, folder: Folder) -> None:
        target = self.folder_id(folder)
        item = self.api.call(
            f"get parents of {file_id}",
            lambda: self.api.files().get(fileId=file_id, fields="id,parents", supportsAllDrives=True),
            not_found=f"Drive file {file_id} no longer exists",
        )
        parents = item.get("parents") or []
        if parents == [target]:
            return
        remove = ",".join(p for p in parents if p != target)
        # A fresh modifiedTime marks when it arrived: list_outcomes finds it with a time window.
        body = {"modifiedTime": rfc3339(utcnow())}
        self.api.call(
            f"move {file_id}",
            lambda: self.api.files().update(fileId=file_id, body=body, addParents=target, removeParents=remove or None, fields="id,parents", supportsAllDrives=True),
            not_found=f"Drive file {file_id} no longer exists",
        )

    # ------------------------------------------------------------------ content

    def download(self, file_id: str, dest: Path, progress: ProgressFn | None = None) -> Path:
        item = self._get(file_id)
        if item.get("mimeType") == SHORTCUT_MIME:
            tid = (item.get("shortcutDetails") or {}).get("targetId")
            if not tid:
                raise FileGone(f"shortcut {item.get('name')!r} has no target")
            item = self._get(tid)
        if item.get("mimeType", "").startswith(GOOGLE_APPS_PREFIX):
            raise StorageError(f"{item.get('name')!r} is a {item['mimeType']}, not a video file")
        return _download(self.api, item["id"], Path(dest), self.drive.chunk_size, item.get("md5Checksum"), progress)

    def fetch(self, file_id: str, dest: Path) -> Path:
        item = self._get(file_id)
        if item.get("trashed"):
            raise FileGone(f"Drive file {item.get('name')!r} ({file_id}) is in the trash")
        if item.get("mimeType", "").startswith(GOOGLE_APPS_PREFIX):
            raise StorageError(f"{item.get('name')!r} is a {item['mimeType']}, not a file that can be downloaded as it is")
        return _download(self.api, item["id"], Path(dest), self.drive.chunk_size, item.get("md5Checksum"))

    def replace_output(self, ref: ReportRef, local: Path, mime_type: str) -> ReportRef:
        try:
            result = _upload(self.api, Path(local), {}, mime_type, self.drive.chunk_size, "id,name,md5Checksum,webViewLink",
                             file_id=ref.id)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, HttpError) and cause.resp.status == 404:
                raise FileGone(f"Drive file {ref.name!r} ({ref.id}) no longer exists") from exc
            raise
        return ReportRef(result["id"], result.get("name", ref.name), result.get("webViewLink") or ref.link)

    def find_output(self, name: str, source_id: str) -> ReportRef | None:
        q = (
            f"{q_string(self.folder_id(Folder.REPORTS))} in parents and name = {q_string(name)} and trashed = false"
            f" and properties has {{ key='{SOURCE_KEY}' and value={q_string(source_id)} }}"
        )
        found = self._list(q)
        if not found:
            return None
        found.sort(key=lambda f: (f.get("createdTime", ""), f["id"]))
        return ReportRef(found[0]["id"], found[0]["name"], found[0].get("webViewLink"))

    def upload_output(self, local: Path, name: str, source_id: str, mime_type: str, claim: str = "",
                      progress: ProgressFn | None = None) -> ReportRef:
        props = {SOURCE_KEY: source_id, **({OUTPUT_CLAIM_KEY: claim} if claim else {})}
        meta = {"name": name, "parents": [self.folder_id(Folder.REPORTS)], "properties": props}
        result = _upload(self.api, Path(local), meta, mime_type, self.drive.chunk_size, "id,name,md5Checksum,webViewLink", progress)
        return ReportRef(result["id"], result.get("name", name), result.get("webViewLink"))

    def delete_output(self, ref_id: str) -> None:
        try:
            self.api.call("delete output", lambda: self.api.files().delete(fileId=ref_id, supportsAllDrives=True),
                          not_found=f"output {ref_id} is gone")
        except FileGone:
            pass

    def server_time(self) -> datetime:
        def date_of(resp, content) -> str:  # the answer's headers, not its body
            return resp.get("date", "")

        def request():
            req = self.api.files().get(fileId=self.drive.folder_id, fields="id", supportsAllDrives=True)
            req.postproc = date_of
            return req

        header = self.api.call("read the server time", request)
        try:
            return parsedate_to_datetime(header).astimezone(timezone.utc)
        except (TypeError, ValueError) as exc:
            raise StorageError(f"Drive's answer had no usable Date header ({header!r})") from exc

    def write_text(self, folder: Folder, name: str, text: str) -> ReportRef:
        parent = self.folder_id(folder)
        q = f"{q_string(parent)} in parents and name = {q_string(name)} and trashed = false"
        existing = [f for f in self._list(q) if not f.get("mimeType", "").startswith(GOOGLE_APPS_PREFIX)]
        with tempfile.TemporaryDirectory(prefix="hf-text-") as tmp:
            path = Path(tmp) / "text.txt"
            path.write_text(text, encoding="utf-8")
            if existing:
                result = _upload(self.api, path, {}, "text/plain", self.drive.chunk_size, "id,name,md5Checksum,webViewLink", file_id=existing[0]["id"])
            else:
                meta = {"name": name, "parents": [parent], "mimeType": "text/plain"}
                result = _upload(self.api, path, meta, "text/plain", self.drive.chunk_size, "id,name,md5Checksum,webViewLink")
        return ReportRef(result["id"], result.get("name", name), result.get("webViewLink"))
