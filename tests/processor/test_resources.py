"""The pose pool's size: CPUs the container may use (affinity, cgroup quota), capped by memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from processor.resources import POSE_PROCESS_BYTES, available_memory, pose_processes, usable_cpus

GiB = 2**30


def files(root: Path, tree: dict[str, str]) -> Path:
    for rel, text in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def meminfo(available_bytes: int) -> dict[str, str]:
    return {"proc/meminfo": f"MemTotal:       999999999 kB\nMemAvailable:   {available_bytes // 1024} kB\n"}


@pytest.fixture
def host_cpus(monkeypatch):
    """A host whose affinity mask lists ``n`` CPUs (os.cpu_count() says the same)."""

    def set_cpus(n: int) -> None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)
        monkeypatch.setattr(os, "cpu_count", lambda: n)

    return set_cpus


def test_a_2_cpu_quota_on_a_192_cpu_host_gives_2_processes(tmp_path, host_cpus):
    """The RunPod case: os.cpu_count() is 192, the pod's cgroup v2 quota is 2 CPUs."""
    host_cpus(192)
    root = files(tmp_path, {"sys/fs/cgroup/cgroup.controllers": "cpu memory", "sys/fs/cgroup/cpu.max": "200000 100000",
                            "proc/self/cgroup": "0::/\n", **meminfo(64 * GiB)})  # fmt: skip
    assert usable_cpus(root) == 2
    assert pose_processes(0, root) == 2


def test_a_fractional_quota_rounds_up(tmp_path, host_cpus):
    host_cpus(192)
    assert usable_cpus(files(tmp_path, {"sys/fs/cgroup/cpu.max": "150000 100000"})) == 2
    assert usable_cpus(files(tmp_path, {"sys/fs/cgroup/cpu.max": "10000 100000"})) == 1


def test_cgroup_v1_quota(tmp_path, host_cpus):
    host_cpus(64)
    root = files(tmp_path, {"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "400000\n",
                            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"})  # fmt: skip
    assert usable_cpus(root) == 4


def test_the_quota_of_the_process_own_cgroup_and_its_parents_counts(tmp_path, host_cpus):
    """Without a cgroup namespace the mount shows the whole tree; /proc/self/cgroup says where we are."""
    host_cpus(32)
    root = files(tmp_path, {
        "proc/self/cgroup": "4:memory:/kubepods/pod1/ctr\n2:cpu,cpuacct:/kubepods/pod1/ctr\n",
        "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1",
        "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
        "sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us": "300000",
        "sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/cpu.cfs_period_us": "100000",
        "sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/ctr/cpu.cfs_quota_us": "-1",
        "sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/ctr/cpu.cfs_period_us": "100000",
        "sys/fs/cgroup/cpu,cpuacct/kubepods/other/cpu.cfs_quota_us": "100000",  # a sibling: not ours
        "sys/fs/cgroup/cpu,cpuacct/kubepods/other/cpu.cfs_period_us": "100000",
        "sys/fs/cgroup/memory/kubepods/pod1/memory.limit_in_bytes": str(2 * GiB),
        "sys/fs/cgroup/memory/kubepods/pod1/memory.usage_in_bytes": str(GiB // 2),
        **meminfo(100 * GiB),
    })  # fmt: skip
    assert usable_cpus(root) == 3
    assert available_memory(root) == 2 * GiB - GiB // 2
    assert pose_processes(0, root) == 3


def test_no_limits_gives_the_affinity(tmp_path, host_cpus):
    host_cpus(12)
    root = files(tmp_path, {"sys/fs/cgroup/cpu.max": "max 100000", "sys/fs/cgroup/memory.max": "max",
                            "sys/fs/cgroup/memory.current": str(GiB),
                            "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
                            "sys/fs/cgroup/memory/memory.usage_in_bytes": str(GiB),
                            "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
                            **meminfo(64 * GiB)})  # fmt: skip
    assert usable_cpus(root) == 12
    assert available_memory(root) == 64 * GiB
    assert pose_processes(0, root) == 12


def test_the_affinity_mask_counts_not_the_host(tmp_path, host_cpus, monkeypatch):
    host_cpus(192)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 5, 7}, raising=False)
    assert usable_cpus(tmp_path) == 3


def test_memory_caps_the_pool(tmp_path, host_cpus):
    """8 CPUs but 1 GiB available: two processes of POSE_PROCESS_BYTES, not eight."""
    host_cpus(8)
    assert POSE_PROCESS_BYTES == 512 * 2**20
    assert pose_processes(0, files(tmp_path, meminfo(GiB))) == 2
    assert pose_processes(0, files(tmp_path, meminfo(100 * 2**20))) == 1  # never 0


def test_the_cgroup_memory_limit_caps_the_pool(tmp_path, host_cpus):
    """cgroup v2: limit minus usage, where reclaimable page cache (inactive_file) is not usage."""
    host_cpus(8)
    root = files(tmp_path, {"sys/fs/cgroup/memory.max": str(3 * GiB), "sys/fs/cgroup/memory.current": str(2 * GiB),
                            "sys/fs/cgroup/memory.stat": f"anon 123\ninactive_file {GiB}\nactive_file 5\n",
                            **meminfo(64 * GiB)})  # fmt: skip
    assert available_memory(root) == 2 * GiB
    assert pose_processes(0, root) == 4


def test_an_explicit_setting_wins(tmp_path, host_cpus):
    host_cpus(192)
    root = files(tmp_path, {"sys/fs/cgroup/cpu.max": "100000 100000", **meminfo(GiB)})
    assert pose_processes(6, root) == 6


@pytest.mark.parametrize("tree", [
    {"sys/fs/cgroup/cpu.max": "lots 100000"},
    {"sys/fs/cgroup/cpu.max": "200000"},
    {"sys/fs/cgroup/cpu.max": "200000 0"},
    {"sys/fs/cgroup/cpu.max": ""},
    {"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "x", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"},
    {"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "200000"},
    {"sys/fs/cgroup/memory.max": "a lot", "sys/fs/cgroup/memory.current": "?"},
    {"sys/fs/cgroup/memory/memory.limit_in_bytes": "-5", "sys/fs/cgroup/memory/memory.usage_in_bytes": "x"},
    {"proc/meminfo": "MemAvailable: lots kB\n"},
    {"proc/meminfo": "\x00\xff garbage"},
    {"proc/self/cgroup": "garbage\n::\n0::/../../etc\n"},
])  # fmt: skip
def test_malformed_files_fall_back_safely(tmp_path, host_cpus, tree):
    host_cpus(6)
    root = files(tmp_path, tree)
    assert usable_cpus(root) == 6
    assert pose_processes(0, root) == 6


def test_an_unreadable_quota_file_is_no_limit(tmp_path, host_cpus):
    host_cpus(4)
    (tmp_path / "sys/fs/cgroup/cpu.max").mkdir(parents=True)  # a folder where a file should be
    assert usable_cpus(tmp_path) == 4


def test_nothing_known_still_gives_at_least_one(tmp_path, monkeypatch):
    def no_affinity(pid):
        raise OSError("not supported")

    monkeypatch.setattr(os, "sched_getaffinity", no_affinity, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert available_memory(tmp_path) is None
    assert pose_processes(0, tmp_path) == 1


def test_the_pose_stage_uses_it(monkeypatch, host_cpus, caplog):
    """processor.pose.resolve_processes no longer takes os.cpu_count() at face value."""
    from processor import pose, resources

    host_cpus(192)
    monkeypatch.setattr(resources, "usable_cpus", lambda root=Path("/"): 2)
    monkeypatch.setattr(resources, "available_memory", lambda root=Path("/"): 64 * GiB)
    with caplog.at_level("INFO", logger="processor.resources"):
        assert pose.resolve_processes(0) == 2
    assert "pose processes: 2 (usable CPUs 2 of 192" in caplog.text
    assert pose.resolve_processes(5) == 5
