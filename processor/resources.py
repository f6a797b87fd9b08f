"""What this machine or container lets the pose stage use: CPUs and memory.

``os.cpu_count()`` is the host's core count: on a RunPod pod with 2 vCPUs it says 192, and one
MediaPipe process per host core runs the pod out of memory. The CPUs a process may really use are
the fewer of its CPU affinity and its cgroup's CPU quota (cgroup v2 ``cpu.max``, v1
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), and each pose process needs memory
(`POSE_PROCESS_BYTES`), so the pool is also capped by the memory available (``MemAvailable`` and
the cgroup's limit minus its usage). Every limit that applies counts: the process's own cgroup
and each one above it (as listed in ``/proc/self/cgroup``), and the mount roots a container sees.
A file that is missing or unreadable means no limit from it; the answer is always at least 1.

The file system root is a parameter so tests can build a fake ``/sys/fs/cgroup`` and ``/proc``.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

log = logging.getLogger(__name__)

# Memory one pose process may take. Issue 14 measured ~370 MB resident per MediaPipe pose process
# of the pipeline (a bare MediaPipe Pose on 720p frames: ~230 MB); 512 MiB leaves a margin for
# decoded frames and the segment's arrays.
POSE_PROCESS_BYTES = 512 * 2**20

_UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a huge number (9223372036854771712)
_V1_MOUNTS = {"cpu": ("cpu", "cpu,cpuacct", "cpuacct,cpu"), "memory": ("memory",)}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _limit_dirs(root: Path, controller: str) -> list[Path]:
    """The cgroup folders whose ``controller`` ("cpu" | "memory") limits apply here, innermost
    first: v2 (unified) and v1 layouts, the process's own cgroup and its ancestors, and the mount
    roots (what a container with its own cgroup namespace sees)."""
    fs = root / "sys" / "fs" / "cgroup"
    own: dict[str, str] = {}  # controller ("" for v2) -> path in /proc/self/cgroup
    for line in (_read(root / "proc" / "self" / "cgroup") or "").splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) == 3:
            for name in parts[1].split(","):
                own[name] = parts[2]
    bases = [(fs, own.get("", "/")), (fs / "unified", own.get("", "/"))]
    bases += [(fs / name, own.get(controller, "/")) for name in _V1_MOUNTS[controller]]
    dirs: list[Path] = []
    for base, rel in bases:
        parts = [p for p in rel.split("/") if p and p not in (".", "..")]
        for i in range(len(parts), -1, -1):
            d = base.joinpath(*parts[:i])
            if d not in dirs and d.is_dir():
                dirs.append(d)
    return dirs


def _number(text: str | None, what: Path) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        log.debug("ignoring %s: %r is not a number", what, text[:40])
        return None


def _cpu_quota(d: Path) -> float | None:
    """CPUs allowed by the quota in cgroup folder ``d`` (None: no quota there)."""
    text = _read(d / "cpu.max")  # v2: "<quota> <period>" or "max <period>"
    if text is not None:
        fields = text.split()
        if len(fields) != 2 or fields[0] == "max":
            return None
        quota, period = (_number(f, d / "cpu.max") for f in fields)
    else:  # v1: a quota of -1 is no quota
        quota = _number(_read(d / "cpu.cfs_quota_us"), d / "cpu.cfs_quota_us")
        period = _number(_read(d / "cpu.cfs_period_us"), d / "cpu.cfs_period_us")
    if quota and period and quota > 0 and period > 0:
        return quota / period
    return None


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


def usable_cpus(root: Path = Path("/")) -> int:
    """The CPUs this process may use: its affinity, capped by every cgroup CPU quota that applies
    (rounded up, at least 1)."""
    cpus = _affinity()
    quotas = [q for d in _limit_dirs(Path(root), "cpu") if (q := _cpu_quota(d)) is not None]
    if quotas:
        cpus = min(cpus, max(1, math.ceil(min(quotas) - 1e-9)))
    return cpus


def _inactive_file(d: Path) -> int:
    """Page cache the kernel reclaims before it runs out (counted in the cgroup's usage)."""
    for line in (_read(d / "memory.stat") or "").splitlines():
        key, _, value = line.partition(" ")
        if key in ("inactive_file", "total_inactive_file"):
            return _number(value.strip(), d / "memory.stat") or 0
    return 0


def _cgroup_free(d: Path) -> int | None:
    """Bytes the cgroup in folder ``d`` still allows (None: no memory limit there)."""
    text = _read(d / "memory.max")  # v2
    if text is not None:
        limit = None if text == "max" else _number(text, d / "memory.max")
        usage = _number(_read(d / "memory.current"), d / "memory.current")
    else:  # v1
        limit = _number(_read(d / "memory.limit_in_bytes"), d / "memory.limit_in_bytes")
        usage = _number(_read(d / "memory.usage_in_bytes"), d / "memory.usage_in_bytes")
    if limit is None or limit <= 0 or limit >= _UNLIMITED:
        return None
    used = max(0, (usage or 0) - _inactive_file(d))
    return max(0, limit - used)


def available_memory(root: Path = Path("/")) -> int | None:
    """Bytes available to new processes: the least of ``MemAvailable`` and every cgroup memory
    limit minus its usage (None: nothing known)."""
    root = Path(root)
    found: list[int] = []
    for line in (_read(root / "proc" / "meminfo") or "").splitlines():
        if line.startswith("MemAvailable:"):
            fields = line.split()
            kb = _number(fields[1], root / "proc" / "meminfo") if len(fields) >= 2 else None
            if kb is not None and kb >= 0:
                found.append(kb * 1024)
    found += [free for d in _limit_dirs(root, "memory") if (free := _cgroup_free(d)) is not None]
    return min(found) if found else None


def pose_processes(requested: int = 0, root: Path = Path("/")) -> int:
    """How many pose processes to run: ``requested`` when it is above 0 (`analysis.processes`),
    else the usable CPUs, capped by the available memory at `POSE_PROCESS_BYTES` each; at least 1."""
    if requested and requested > 0:
        return int(requested)
    cpus = usable_cpus(root)
    free = available_memory(root)
    by_memory = None if free is None else max(1, free // POSE_PROCESS_BYTES)
    n = cpus if by_memory is None else max(1, min(cpus, by_memory))
    log.info(
        "pose processes: %d (usable CPUs %d of %s on the host; available memory %s at %d MiB per process)",
        n, cpus, os.cpu_count(), "unknown" if free is None else f"{free / 2**20:.0f} MiB", POSE_PROCESS_BYTES // 2**20,
    )  # fmt: skip
    return n
