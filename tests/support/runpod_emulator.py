"""A RunPod GraphQL emulator that the real ``runpod`` SDK reaches through ``RUNPOD_API_BASE_URL``.

It parses and executes requests with graphql-core against a subset of RunPod's schema, so a
mutation the SDK garbled (an unescaped quote in an env value) fails here as it would at RunPod.
Creating a pod starts the worker command (``hotfolder work``) as a subprocess, in its own
directory, with only the pod's env (secret references substituted, as RunPod does) plus
``RUNPOD_POD_ID``, a pod-scoped ``RUNPOD_API_KEY`` and ``RUNPOD_API_BASE_URL``; terminating kills
it. Faults: "no instances available" per GPU type, HTML 5xx answers, hangs, dropped connections,
and an answer lost after the pod was created. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import graphql

REPO_ROOT = Path(__file__).resolve().parents[2]
NO_CAPACITY = "There are no longer any instances available with the requested specifications. Please refresh and try again."

SCHEMA = graphql.build_schema(
    """
    type Query {
      myself: User
      pod(input: PodFilter!): Pod
      gpuTypes(input: GpuTypeFilter): [GpuType]
    }
    type Mutation {
      podFindAndDeployOnDemand(input: PodFindAndDeployOnDemandInput!): Pod
      podRentInterruptable(input: PodRentInterruptableInput!): Pod
      deployCpuPod(input: DeployCpuPodInput!): Pod
      podTerminate(input: PodTerminateInput!): Boolean
      podStop(input: PodStopInput!): Pod
    }
    input PodStopInput { podId: String! }
    enum CloudTypeEnum { ALL SECURE COMMUNITY }
    input EnvironmentVariableInput { key: String!, value: String! }
    input PodFindAndDeployOnDemandInput {
      name: String, imageName: String, cloudType: CloudTypeEnum, startSsh: Boolean, gpuTypeId: String,
      supportPublicIp: Boolean, gpuCount: Int, volumeInGb: Int, minVcpuCount: Int, minMemoryInGb: Int,
      allowedCudaVersions: [String], dataCenterId: String, dockerArgs: String, countryCode: String,
      containerDiskInGb: Int, ports: String, volumeMountPath: String, env: [EnvironmentVariableInput],
      templateId: String, networkVolumeId: String, minDownload: Int, minUpload: Int,
      containerRegistryAuthId: String
    }
    input PodRentInterruptableInput {
      name: String, imageName: String, cloudType: CloudTypeEnum, startSsh: Boolean, gpuTypeId: String,
      supportPublicIp: Boolean, gpuCount: Int, volumeInGb: Int, minVcpuCount: Int, minMemoryInGb: Int,
      allowedCudaVersions: [String], dataCenterId: String, dockerArgs: String, countryCode: String,
      containerDiskInGb: Int, ports: String, volumeMountPath: String, env: [EnvironmentVariableInput],
      templateId: String, networkVolumeId: String, containerRegistryAuthId: String, bidPerGpu: Float!
    }
    input DeployCpuPodInput {
      name: String, imageName: String, cloudType: CloudTypeEnum, startSsh: Boolean, instanceId: String!,
      dataCenterId: String, countryCode: String, containerDiskInGb: Int, volumeInGb: Int, ports: String,
      env: [EnvironmentVariableInput], templateId: String, networkVolumeId: String,
      containerRegistryAuthId: String
    }
    input PodFilter { podId: String! }
    input PodTerminateInput { podId: String! }
    input GpuTypeFilter { id: String }
    input LowestPriceInput { gpuCount: Int }
    type User { id: String, pods: [Pod] }
    type Pod {
      id: String!, containerDiskInGb: Int, costPerHr: Float, desiredStatus: String, dockerArgs: String,
      dockerId: String, env: [String], gpuCount: Int, imageName: String, lastStatusChange: String,
      machineId: String, memoryInGb: Float, name: String, podType: String, port: Int, ports: String,
      uptimeSeconds: Int, vcpuCount: Float, volumeInGb: Float, volumeMountPath: String,
      runtime: PodRuntime, machine: Machine
    }
    type PodRuntime { uptimeInSeconds: Int, ports: [Port] }
    type Port { ip: String, isIpPublic: Boolean, privatePort: Int, publicPort: Int, type: String }
    type Machine { podHostId: String, gpuDisplayName: String }
    type LowestPrice { minimumBidPrice: Float, uninterruptablePrice: Float }
    type GpuType {
      id: String, displayName: String, manufacturer: String, memoryInGb: Int, cudaCores: Int,
      secureCloud: Boolean, communityCloud: Boolean, securePrice: Float, communityPrice: Float,
      oneMonthPrice: Float, threeMonthPrice: Float, oneWeekPrice: Float, communitySpotPrice: Float,
      secureSpotPrice: Float, maxGpuCount: Int, lowestPrice(input: LowestPriceInput): LowestPrice
    }
    """
)

DEFAULT_GPUS = {
    "NVIDIA GeForce RTX 4090": 0.69,
    "NVIDIA RTX A5000": 0.27,
    "NVIDIA L4": 0.43,
    "NVIDIA RTX A4000": 0.17,
    "NVIDIA A100 80GB PCIe": 1.64,
}
# RunPod CPU instances ("cpu<gen><flavour>-<vCPUs>-<GB>") and their on-demand USD/h in the emulator.
DEFAULT_CPUS = {"cpu5c-8-16": 0.32, "cpu3c-8-16": 0.24, "cpu3g-8-32": 0.32, "cpu3c-2-4": 0.06}
DATA_CENTERS = {"EU-RO-1": "RO", "EU-SE-1": "SE", "EU-NL-1": "NL", "EU-CZ-1": "CZ", "US-TX-3": "US", "CA-MTL-1": "CA"}
_SECRET_REF = re.compile(r"\{\{\s*RUNPOD_SECRET_([A-Za-z0-9_\-]+)\s*\}\}")


@dataclass
class Recorded:
    op: str  # root field, e.g. "podFindAndDeployOnDemand"
    query: str
    api_key: str
    status: int
    time: float


@dataclass
class Fault:
    kind: str  # "html_5xx" | "hang" | "drop" | "lose_answer"
    op: str | None
    count: int
    status: int = 502
    seconds: float = 0.0


@dataclass
class EmulatedPod:
    id: str
    name: str
    image: str
    gpu: str  # GPU type id, or "" for a CPU pod
    cost_per_hr: float
    env: dict[str, str]  # as RunPod hands it to the container (secrets substituted)
    key: str  # pod-scoped API key
    created: float
    dir: Path
    log: Path
    process: subprocess.Popen | None = None
    ended: float | None = None
    terminated_by: str | None = None  # "pod" (its own key) or "account"
    stopped_by: str | None = None  # podStop: the container ended, the pod kept
    extra: dict[str, Any] = field(default_factory=dict)
    kind: str = "gpu"  # "gpu" | "cpu"
    interruptible: bool = False
    data_center: str = ""

    @property
    def input(self) -> dict[str, Any]:
        """The create mutation's input as RunPod received it."""
        return self.extra["input"]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class RunpodEmulator:
    """Use as a context manager; ``url`` goes into ``RUNPOD_API_BASE_URL``."""

    def __init__(
        self,
        workdir: Path,
        api_key: str = "rpa_EMULATOR_ACCOUNT_KEY_0123456789",
        command: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        gpus: dict[str, float] | None = None,
        stop_grace: float = 10.0,
        cpus: dict[str, float] | None = None,
    ):
        self.workdir = Path(workdir)
        self.api_key = api_key
        self.command = command or [sys.executable, "-m", "hotfolder", "work"]
        self.extra_env = dict(extra_env or {})
        self.gpus = dict(gpus or DEFAULT_GPUS)
        self.stop_grace = stop_grace
        self.cpus = dict(cpus or DEFAULT_CPUS)
        # GPU types / CPU instance ids with no capacity; "<type>@<data centre>" for one data centre only.
        self.unavailable: set[str] = set()
        self.spot_unavailable: set[str] = set()  # no interruptible capacity at any bid
        # Registry credentials saved in the account (id -> registry host) and private images: a pod whose
        # image is private and created without a matching auth id never pulls it (and never starts).
        self.registry_auths: dict[str, str] = {}
        self.private_registries: set[str] = set()
        self.secrets: dict[str, str] = {}
        self.pods: dict[str, EmulatedPod] = {}  # live (not terminated) pods
        self.terminated: dict[str, EmulatedPod] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> "RunpodEmulator":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                emulator._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        for pod in list(self.pods.values()):
            self._kill(pod, grace=1.0)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test helpers --------------------------------------------------------------------------

    def inject(self, kind: str, op: str | None = None, count: int = 1, status: int = 502, seconds: float = 0.0) -> None:
        with self._lock:
            self.faults.append(Fault(kind, op, count, status, seconds))

    def all_pods(self) -> list[EmulatedPod]:
        with self._lock:
            return [*self.pods.values(), *self.terminated.values()]

    def running_pods(self) -> list[EmulatedPod]:
        return [p for p in self.all_pods() if p.running]

    def wait_terminated(self, pod_id: str, timeout: float) -> EmulatedPod:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pod = self.terminated.get(pod_id)
            if pod is not None and not pod.running:
                return pod
            time.sleep(0.1)
        pod = self.pods.get(pod_id) or self.terminated.get(pod_id)
        raise AssertionError(
            f"pod {pod_id} not terminated within {timeout} s; log:\n{pod.log_text()[-4000:] if pod else '(none)'}"
        )

    def ops(self, op: str) -> list[Recorded]:
        return [r for r in self.requests if r.op == op]

    CREATE_OPS = ("podFindAndDeployOnDemand", "podRentInterruptable", "deployCpuPod")

    def creates(self) -> list[Recorded]:
        """Every pod-creating request (GPU on demand, GPU interruptible, CPU)."""
        return [r for r in self.requests if r.op in self.CREATE_OPS]

    def logs(self) -> str:
        return "\n".join(p.log_text() for p in self.all_pods())

    # -- HTTP ----------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length)
        key = (h.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        try:
            query = json.loads(body)["query"]
        except (ValueError, KeyError, TypeError):
            return self._send(h, 400, {"errors": [{"message": "expected a JSON body with a query"}]}, "", "", key)
        op = _root_field(query)
        fault = self._take_fault(op)
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "drop":
            self._record(op, query, key, 0)
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault is not None and fault.kind == "html_5xx":
            return self._send_html(h, fault.status, op, query, key)
        caller = self._caller(key)
        if caller is None:
            return self._send(h, 401, {"errors": [{"message": "Unauthorized"}]}, op, query, key)
        result = graphql.graphql_sync(SCHEMA, query, root_value=_Root(self, caller))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        if fault is not None and fault.kind == "lose_answer":
            return self._send_html(h, fault.status, op, query, key)
        return self._send(h, 200, payload, op, query, key)

    def _send(self, h, status: int, payload: dict, op: str, query: str, key: str) -> None:
        self._record(op, query, key, status)
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _send_html(self, h, status: int, op: str, query: str, key: str) -> None:
        self._record(op, query, key, status)
        data = f"<html><head><title>{status} Bad Gateway</title></head><body><h1>{status}</h1></body></html>".encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _record(self, op: str, query: str, key: str, status: int) -> None:
        with self._lock:
            self.requests.append(Recorded(op, query, key, status, time.time()))

    def _take_fault(self, op: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.op is None or f.op == op:
                    f.count -= 1
                    if f.count <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def _caller(self, key: str) -> str | None:
        """"account", or the id of the pod whose scoped key this is; None: unauthorised."""
        if key and key == self.api_key:
            return "account"
        with self._lock:
            for pod in [*self.pods.values(), *self.terminated.values()]:
                if key == pod.key:
                    return pod.id
        return None

    # -- pods ----------------------------------------------------------------------------------

    def _create(self, caller: str, args: dict[str, Any], op: str = "podFindAndDeployOnDemand") -> EmulatedPod:
        if caller != "account":
            raise graphql.GraphQLError("a pod-scoped key cannot create pods")
        dc = args.get("dataCenterId") or ""
        if dc and dc not in DATA_CENTERS:
            raise graphql.GraphQLError(f"Invalid data center id {dc!r}")
        country = args.get("countryCode") or ""
        places = [d for d, c in DATA_CENTERS.items() if (not dc or d == dc) and (not country or c == country)]
        if op == "deployCpuPod":
            kind, offer = "cpu", args.get("instanceId") or ""
            if offer not in self.cpus:
                raise graphql.GraphQLError(f"Invalid instance id {offer!r}")
            price = self.cpus[offer]
        else:
            kind, offer = "gpu", args.get("gpuTypeId") or ""
            if offer not in self.gpus:
                raise graphql.GraphQLError(f"Invalid GPU type {offer!r}")
            price = self.gpus[offer]
        places = [d for d in places if offer not in self.unavailable and f"{offer}@{d}" not in self.unavailable]
        if not places:
            raise graphql.GraphQLError(NO_CAPACITY)
        interruptible = op == "podRentInterruptable"
        if interruptible:
            minimum = round(price * 0.5, 2)
            if offer in self.spot_unavailable:
                raise graphql.GraphQLError(NO_CAPACITY)
            if args["bidPerGpu"] < minimum:
                raise graphql.GraphQLError(f"Your bid of {args['bidPerGpu']} is below the minimum bid price of {minimum}")
            price = args["bidPerGpu"]
        auth = args.get("containerRegistryAuthId") or ""
        if auth and auth not in self.registry_auths:
            raise graphql.GraphQLError(f"container registry auth {auth} not found")
        gpu = offer if kind == "gpu" else ""
        env = {e["key"]: self._substitute(e["value"]) for e in args.get("env") or []}
        pod_id = secrets.token_hex(7)[:14]
        pod_dir = self.workdir / pod_id
        (pod_dir / "root").mkdir(parents=True)
        pod = EmulatedPod(
            id=pod_id,
            name=args.get("name") or "",
            image=args.get("imageName") or "",
            gpu=gpu,
            cost_per_hr=price,
            env=env,
            key="rpa_POD_" + secrets.token_hex(16),
            created=time.time(),
            dir=pod_dir,
            log=pod_dir / "container.log",
            extra={"input": args, "op": op},
            kind=kind,
            interruptible=interruptible,
            data_center=places[0],
        )
        proc_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(pod_dir / "root"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO_ROOT)])),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
            **env,
            "RUNPOD_POD_ID": pod_id,
            "RUNPOD_API_KEY": pod.key,
            "RUNPOD_API_BASE_URL": self.url,
        }
        registry = (pod.image.split("/", 1)[0] if "/" in pod.image else "docker.io")
        if registry in self.private_registries and self.registry_auths.get(auth) != registry:
            # RunPod creates (and bills) the pod, which then fails to pull its image forever.
            pod.log.write_text(f"error pulling image {pod.image}: pull access denied, authentication required\n")
            pod.extra["pull_failed"] = True
            with self._lock:
                self.pods[pod_id] = pod
            return pod
        with pod.log.open("ab") as out:
            pod.process = subprocess.Popen(
                self.command,
                cwd=pod_dir / "root",
                env=proc_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with self._lock:
            self.pods[pod_id] = pod
        return pod

    def _substitute(self, value: str) -> str:
        return _SECRET_REF.sub(lambda m: self.secrets.get(m.group(1), m.group(0)), value)

    def _terminate(self, caller: str, pod_id: str) -> bool:
        with self._lock:
            pod = self.pods.get(pod_id)
            if pod is None:
                raise graphql.GraphQLError(f"pod not found: {pod_id}")
            if caller not in ("account", pod_id):
                raise graphql.GraphQLError("this key may not terminate that pod")
            del self.pods[pod_id]
            pod.terminated_by = "pod" if caller == pod_id else "account"
            self.terminated[pod_id] = pod
        # Answer first, then stop the container, as RunPod does.
        threading.Thread(target=self._kill, args=(pod, self.stop_grace, 0.2), daemon=True).start()
        return True

    def _kill(self, pod: EmulatedPod, grace: float, delay: float = 0.0) -> None:
        time.sleep(delay)
        proc = pod.process
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if pod.ended is None:
            pod.ended = time.time()

    def _pod_view(self, pod: EmulatedPod) -> dict[str, Any]:
        running = pod.running
        if not running and pod.ended is None:
            pod.ended = time.time()
        end = time.time() if running else pod.ended
        return {
            "id": pod.id,
            "name": pod.name,
            "imageName": pod.image,
            "desiredStatus": "RUNNING" if running or pod.extra.get("pull_failed") and pod.ended is None else "EXITED",
            "costPerHr": pod.cost_per_hr,
            "uptimeSeconds": int(end - pod.created),
            "containerDiskInGb": (pod.extra["input"].get("containerDiskInGb")),
            "gpuCount": 1 if pod.kind == "gpu" else 0,
            # Like RunPod, env is returned as KEY=value; secret references stay unresolved here.
            "env": [f"{e['key']}={e['value']}" for e in pod.extra["input"].get("env") or []],
            "machineId": "m-" + pod.id[:6],
            "machine": {"podHostId": pod.id + "-host",
                        "gpuDisplayName": pod.gpu.removeprefix("NVIDIA ") if pod.gpu else None},
            "lastStatusChange": "Rented by User",
            "podType": "INTERRUPTABLE" if pod.interruptible else "RESERVED",
            "runtime": {"uptimeInSeconds": int(end - pod.created), "ports": []} if running else None,
        }


class _Root:
    """Resolvers: graphql-core calls root attributes that are callables with (info, **args)."""

    def __init__(self, emu: RunpodEmulator, caller: str):
        self.emu, self.caller = emu, caller

    def myself(self, info) -> dict[str, Any]:
        pods = list(self.emu.pods.values())
        if self.caller != "account":
            pods = [p for p in pods if p.id == self.caller]
        return {"id": "user-1", "pods": [self.emu._pod_view(p) for p in pods]}

    def pod(self, info, input) -> dict[str, Any] | None:
        pod = self.emu.pods.get(input["podId"])
        if pod is None or self.caller not in ("account", pod.id):
            return None
        return self.emu._pod_view(pod)

    def gpuTypes(self, info, input=None) -> list[dict[str, Any]]:
        ids = [input["id"]] if input and input.get("id") else list(self.emu.gpus)
        out = []
        for gpu_id in ids:
            if gpu_id not in self.emu.gpus:
                continue
            price = self.emu.gpus[gpu_id]
            out.append({
                "id": gpu_id, "displayName": gpu_id.removeprefix("NVIDIA "), "manufacturer": "Nvidia",
                "memoryInGb": 24, "cudaCores": 0, "secureCloud": True, "communityCloud": True,
                "securePrice": price, "communityPrice": round(price * 0.8, 2), "maxGpuCount": 8,
                "lowestPrice": {"minimumBidPrice": round(price * 0.5, 2), "uninterruptablePrice": price},
            })  # fmt: skip
        return out

    def podFindAndDeployOnDemand(self, info, input) -> dict[str, Any]:
        pod = self.emu._create(self.caller, input)
        return self.emu._pod_view(pod)

    def podRentInterruptable(self, info, input) -> dict[str, Any]:
        return self.emu._pod_view(self.emu._create(self.caller, input, "podRentInterruptable"))

    def deployCpuPod(self, info, input) -> dict[str, Any]:
        return self.emu._pod_view(self.emu._create(self.caller, input, "deployCpuPod"))

    def podTerminate(self, info, input) -> bool:
        return self.emu._terminate(self.caller, input["podId"])

    def podStop(self, info, input) -> dict[str, Any]:
        """Stop the container, keep the pod (its disk bills on; its compute does not)."""
        pod = self.emu.pods.get(input["podId"])
        if pod is None or self.caller not in ("account", pod.id):
            raise graphql.GraphQLError(f"pod not found: {input['podId']}")
        pod.stopped_by = "pod" if self.caller == pod.id else "account"
        threading.Thread(target=self.emu._kill, args=(pod, self.emu.stop_grace, 0.2), daemon=True).start()
        return {"id": pod.id, "desiredStatus": "EXITED"}


def _root_field(query: str) -> str:
    try:
        doc = graphql.parse(query)
    except graphql.GraphQLError:
        return "?"
    for definition in doc.definitions:
        if isinstance(definition, graphql.OperationDefinitionNode):
            for sel in definition.selection_set.selections:
                if isinstance(sel, graphql.FieldNode):
                    return sel.name.value
    return "?"
