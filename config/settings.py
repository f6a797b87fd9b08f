"""The one settings model: a TOML file overridden by ``HOTFOLDER_<SECTION>__<KEY>`` variables.

Every other module receives a ``Settings`` (or one of its sections); nothing else reads the
environment or config files. Durations are seconds.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "HOTFOLDER_CONFIG"
GOOGLE_API_ROOT = "https://www.googleapis.com/"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class Section(BaseModel):
    # A misspelt key must fail at start, not be silently ignored.
    model_config = ConfigDict(extra="forbid", validate_default=True)


class StorageSettings(Section):
    backend: Literal["local", "drive"] = "local"


class LocalSettings(Section):
    # inbox/, Reports/, Done/, Failed/ live under root (folder names from [drive]).
    root: Path = Path("hotfolder-data")


class DriveSettings(Section):
    """Drive access, plus the queue rules that apply to both storage backends."""

    folder_id: str = ""
    api_root: str = GOOGLE_API_ROOT
    token_uri: str = GOOGLE_TOKEN_URI
    token_file: Path = Path("~/.config/hotfolder/drive-token.json")
    client_secrets_file: Path | None = None
    # A Google service-account key (JSON, mode 0600) instead of a user token: no consent screen; the
    # hot folder lives on a shared drive the service account is a member of. Empty: OAuth user token.
    service_account_file: Path | None = None
    reports_folder: str = "Reports"
    done_folder: str = "Done"
    failed_folder: str = "Failed"
    # Where Reports/Done/Failed live: "inside" the hot folder (everyone it is shared with sees them),
    # or "beside" it (in its parent folder: the layout before 2026-11; README "Moving the status folders").
    status_folders: Literal["inside", "beside"] = "inside"
    settle_seconds: float = Field(30.0, ge=0)
    lease_seconds: float = Field(300.0, gt=0)
    max_attempts: int = Field(3, ge=1)
    # Claim protocol: re-read this long after writing a claim; the last writer wins (drive/queue.py).
    claim_pause: float = Field(2.0, ge=0)
    chunk_size: int = Field(8 * 1024 * 1024, ge=256 * 1024)


class LauncherSettings(Section):
    backend: Literal["local", "runpod"] = "local"
    max_workers: int = Field(1, ge=1)
    max_lifetime: float = Field(6 * 3600.0, gt=0)
    idle_timeout: float = Field(900.0, gt=0)
    name_prefix: str = "hotfolder-worker"
    # Spend cap in USD per UTC day (price x uptime of the day's workers, as the status page estimates);
    # reached: no new launch until midnight UTC, with an event and a mail. 0: no cap.
    max_daily_cost: float = Field(0.0, ge=0)


class RunpodSettings(Section):
    api_key: SecretStr = SecretStr("")
    image: str = ""
    gpu_types: list[str] = [
        "NVIDIA GeForce RTX 4090",
        "NVIDIA RTX A5000",
        "NVIDIA L4",
        "NVIDIA RTX A4000",
    ]
    # "auto": CPU pods when analysis.smplx_model is empty (skeleton mode runs on the CPU), GPU pods
    # when a body model is configured.
    pod_kind: Literal["auto", "cpu", "gpu"] = "auto"
    # CPU pods: RunPod instance ids "cpu<generation><flavour>-<vCPUs>-<GB RAM>", tried in order; each
    # must meet the minimums below (checked at start).
    cpu_instance_ids: list[str] = ["cpu5c-8-16", "cpu3c-8-16", "cpu3g-8-32"]
    cpu_min_vcpus: int = Field(8, ge=1)
    cpu_min_memory_gb: int = Field(16, ge=1)
    # GPU pods: one GPU with at least this many vCPUs and this much RAM (decoding and pose run on CPUs).
    gpu_min_vcpus: int = Field(8, ge=1)
    gpu_min_memory_gb: int = Field(16, ge=1)
    # Host CUDA versions the image's torch (PyPI's CUDA 13.0 build) runs on: hosts whose driver is older
    # are not rented. Empty: any host.
    allowed_cuda_versions: list[str] = ["13.0", "13.1", "13.2"]
    # Data residency: SECURE = RunPod's own data centres (no third-party community hosts). Pods are only
    # placed in data_center_ids (e.g. ["EU-RO-1", "EU-SE-1"]) or, if that is empty, in country_codes
    # (e.g. ["RO", "SE", "NL", "CZ"]); both empty: anywhere the cloud type allows.
    cloud_type: Literal["ALL", "SECURE", "COMMUNITY"] = "SECURE"
    data_center_ids: list[str] = []
    country_codes: list[str] = []
    container_disk_gb: int = Field(30, ge=5)
    # RunPod secret reference for the Drive credential, e.g. "{{ RUNPOD_SECRET_hotfolder_drive_token }}"
    # (the secret holds the base64 of the token or service-account JSON).
    drive_token_secret: str = ""
    # Without a secret reference the launcher refuses to put the credential into a pod's env, where
    # RunPod shows it to anyone with access to the account's pods; true allows that (base64 in the env).
    allow_plain_token_env: bool = False
    # A private image: the id of the registry credential saved in RunPod (Settings > Container
    # Registry Auth), set on every pod created.
    container_registry_auth_id: str = ""
    # Interruptible (spot) GPU pods: bid per GPU-hour in USD (0: RunPod's current minimum bid); when the
    # bid is not met, the same GPU type on demand if interruptible_fallback. CPU pods are on demand.
    interruptible: bool = False
    bid_per_gpu: float = Field(0.0, ge=0)
    interruptible_fallback: bool = True
    retry_after: float = Field(300.0, ge=0)


class WorkerSettings(Section):
    scratch_dir: Path = Path("hotfolder-data/scratch")
    idle_grace: float = Field(60.0, ge=0)
    heartbeat: float = Field(30.0, gt=0)
    # A video whose work shows no progress for this long is stopped and its attempt counted
    # (processor.runtime.heartbeat); the pose stage reports progress every few seconds.
    stall_seconds: float = Field(600.0, gt=0)


class AnalysisSettings(Section):
    standard: str = "nv361"
    quality: Literal["fast", "balanced", "accurate"] = "balanced"
    lang: Literal["en", "cs"] = "en"
    preview: bool = False
    shift_hours: float = Field(8.0, gt=0)  # zone profiles (iso11226, en1005-4, ...): the shift a video samples
    # NV 361 catalogue without a time study: the work time (shift minus meal break, minutes) a single
    # video stands for, and the body parts marked as supported ("trunk", "head", "arm").
    work_minutes: float = Field(480.0, gt=0, le=1440)
    supported: list[Literal["trunk", "head", "arm"]] = []
    # A path, or "drive:<file id>"; empty: skeleton mode on the landmarks.
    smplx_model: str = ""
    # Optional SHA-256 (64 hex digits) the model file must have; checked before the file is loaded.
    smplx_sha256: str = Field("", pattern=r"^\s*([0-9a-fA-F]{64})?\s*$")
    camera_pitch_deg: float | None = None
    processes: int = Field(0, ge=0)  # 0: the CPUs the container may use, capped by memory (processor.resources)
    blur_faces: bool = True  # keyframes and the preview video blur faces (employees' personal data)


class ProtocolSettings(Section):
    """The report's metadata block where no time study names a video (a time study's fields win)."""

    company: str = ""
    ico: str = ""  # the company's IČO
    workplace: str = ""
    position: str = ""
    measured_by: str = ""  # who measured: the lab or the person

    def fields(self):
        """As the report's ``processor.model.ProtocolFields`` (the one place settings become report fields)."""
        from processor.model import ProtocolFields

        return ProtocolFields(**self.model_dump())


class MailSettings(Section):
    host: str = ""  # empty: notifications go to the log only
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = ""
    recipients: list[str] = []
    digest_hour: int | None = Field(None, ge=0, le=23)


class WebSettings(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8787
    token: SecretStr = SecretStr("")
    # The address people open (e.g. "https://hotfolder.example.org/" behind a TLS proxy): used in
    # e-mails, and an https:// one makes the session cookie Secure. Empty: http://host:port/.
    public_url: str = ""
    # IANA zone for the times on the page and in e-mails, e.g. "Europe/Prague"; empty: the machine's zone.
    timezone: str = ""


class WatcherSettings(Section):
    poll_seconds: float = Field(60.0, gt=0)
    # History (events, sent mail, videos no longer anywhere) older than this is pruned once a day.
    history_days: float = Field(90.0, gt=0)
    state_dir: Path = Path("hotfolder-data/state")
    once_timeout: float = Field(3600.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTFOLDER_",
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    storage: StorageSettings = StorageSettings()
    local: LocalSettings = LocalSettings()
    drive: DriveSettings = DriveSettings()
    launcher: LauncherSettings = LauncherSettings()
    runpod: RunpodSettings = RunpodSettings()
    worker: WorkerSettings = WorkerSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    protocol: ProtocolSettings = ProtocolSettings()
    mail: MailSettings = MailSettings()
    web: WebSettings = WebSettings()
    watcher: WatcherSettings = WatcherSettings()

    @model_validator(mode="after")
    def _lease_outlasts_renewals(self) -> "Settings":
        # A lease compares clocks of different machines and must survive a few missed renewals:
        # one shorter than a minute or than three heartbeats lets a live claim be taken.
        least = max(MIN_LEASE_SECONDS, 3 * self.worker.heartbeat)
        if self.drive.lease_seconds < least:
            raise ValueError(
                f"drive.lease_seconds ({self.drive.lease_seconds:g}) must be at least {least:g} s: "
                f"{MIN_LEASE_SECONDS:g} s, and three worker.heartbeat periods ({self.worker.heartbeat:g} s each)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if _toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=_toml_path))
        return tuple(sources)


MIN_LEASE_SECONDS = 60.0


class SettingsError(Exception):
    """A config file or variable is wrong; the message names the key, the file and what was expected."""


_toml_path: Path | None = None


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read settings: ``config_file`` (or ``$HOTFOLDER_CONFIG``), then the environment on top.

    ``overrides`` (section dicts) win over both; tests use them.
    """
    global _toml_path
    path = config_file or os.environ.get(CONFIG_ENV) or None
    source = "defaults and environment"
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise SettingsError(f"config file {path} does not exist")
        try:
            with path.open("rb") as fh:
                tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        source = str(path)
    _toml_path = path
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, source)) from None
    finally:
        _toml_path = None


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"invalid settings in {source}:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        env = "HOTFOLDER_" + "__".join(str(p) for p in err["loc"]).upper()
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (env {env}); see config/hotfolder.example.toml")
        else:
            got = err.get("input")
            if any(word in key for word in ("password", "token", "api_key", "secret")):
                got = "***"
            lines.append(f"  {key}: {err['msg']} (got {got!r}; env {env})")
    return "\n".join(lines)
