"""The launcher port: start, list and terminate workers. Adapters: RunPod pods, local processes.

A launcher never knows about Drive: the caller hands it the complete worker environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class LaunchError(Exception):
    """A worker could not be started (after trying every GPU type)."""


class NoCapacity(LaunchError):
    """No GPU of any configured type is available now; try again later."""


@dataclass(frozen=True)
class WorkerInfo:
    id: str  # pod id, or "local-<pid>"
    name: str  # carries the configured name prefix
    status: str  # e.g. "RUNNING", "EXITED", "TERMINATED"
    started_at: datetime | None
    gpu_type: str | None = None
    cost_per_hour: float | None = None  # USD
    uptime_s: float | None = None

    @property
    def cost_estimate(self) -> float | None:
        if self.cost_per_hour is None or self.uptime_s is None:
            return None
        return self.cost_per_hour * self.uptime_s / 3600.0

    @property
    def alive(self) -> bool:
        return self.status.upper() not in {"EXITED", "TERMINATED", "DEAD", "FAILED"}


@runtime_checkable
class Launcher(Protocol):
    def launch(self, env: dict[str, str]) -> WorkerInfo:
        """Start one worker running ``hotfolder work`` with ``env``; raises ``NoCapacity``/``LaunchError``."""

    def list_workers(self) -> list[WorkerInfo]:
        """This deployment's workers (by name prefix), alive or recently ended."""

    def terminate(self, worker_id: str) -> None:
        """Stop and delete the worker; idempotent (an unknown id is not an error). ``LaunchError``
        when the service cannot be told (the caller retries: ``processor.runtime.ending``)."""

    def stop(self, worker_id: str) -> None:
        """Stop the worker without deleting it (RunPod: compute billing ends, the disk stays): the
        fallback when terminating keeps failing; idempotent; ``LaunchError`` as ``terminate``."""

    def describe(self, worker_id: str) -> WorkerInfo | None:
        """One worker as ``list_workers`` shows it (``started_at`` = its creation), None if unknown."""
