"""Pick the launcher adapter named by ``launcher.backend``."""

from __future__ import annotations

from config.settings import Settings
from pod_launcher.base import Launcher


def open_launcher(settings: Settings) -> Launcher:
    """The configured launcher; contradictory settings fail here, when the watcher starts
    (``config.settings.SettingsError`` naming each key)."""
    from config.consistency import check_settings

    check_settings(settings)
    if settings.launcher.backend == "runpod":
        from pod_launcher.runpod_launcher import RunpodLauncher

        return RunpodLauncher(settings)
    from pod_launcher.local_launcher import LocalLauncher

    return LocalLauncher(settings)
