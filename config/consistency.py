"""Settings that each look valid but contradict each other: found when the watcher starts, not after
a day of pods that could never work (``pod_launcher.factory.open_launcher`` calls :func:`check_settings`).
Rules every process must obey, the worker too (the lease against the heartbeat), are refused when the
settings load (``config.settings.Settings``), not here.
"""

from __future__ import annotations

from config.settings import Settings, SettingsError


def settings_problems(settings: Settings) -> list[str]:
    """One sentence per contradiction, naming the keys and what would happen."""
    s = settings
    problems: list[str] = []
    if s.worker.idle_grace > s.launcher.idle_timeout / 2:
        problems.append(
            f"worker.idle_grace ({s.worker.idle_grace:g} s) must be at most half of launcher.idle_timeout "
            f"({s.launcher.idle_timeout:g} s): otherwise the reaper terminates every idle worker before it can end itself"
        )
    if s.launcher.max_lifetime <= s.worker.idle_grace:
        problems.append(
            f"launcher.max_lifetime ({s.launcher.max_lifetime:g} s) must exceed worker.idle_grace ({s.worker.idle_grace:g} s)"
        )
    if s.launcher.backend == "runpod":
        from pod_launcher.runpod_launcher import deployment_problems

        problems.extend(deployment_problems(s))
    return problems


def check_settings(settings: Settings) -> None:
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("contradictory settings:\n" + "\n".join(f"  {p}" for p in problems))
