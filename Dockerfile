# Pod image for the ergo hot folder worker: a RunPod CPU or GPU pod runs `hotfolder work`, drains
# the Drive queue and terminates itself. Settings and the Drive credential arrive in the pod env
# (HOTFOLDER_POD_ENV_B64, HOTFOLDER_DRIVE_TOKEN_B64, normally a RunPod secret reference); no secrets
# or model files are baked in — an SMPL-X model is fetched at run time when analysis.smplx_model names one.
#
#   docker build -t ghcr.io/<you>/hotfolder-worker:1.0 .
#
# One image for both pod kinds. torch is PyPI's default Linux wheel, the CUDA 13.0 build, which
# carries its CUDA libraries (nvidia-* wheels): no CUDA base image is needed, only a host driver for
# CUDA >= 13.0 on GPU pods (the launcher passes runpod.allowed_cuda_versions). On a CPU pod the same
# torch runs on the CPU. Packages come from requirements-image.lock (CPython 3.11, Linux x86-64),
# installed without resolution; `make image-lock-check` proves every pin has a wheel for it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# ffmpeg/ffprobe read rotation metadata; OpenCV and MediaPipe need libGL and GLib.
# Debian's point releases move these versions; the base image tag pins the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates ffmpeg libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/* \
 && python -m venv /opt/venv

WORKDIR /opt/hotfolder
COPY requirements-image.lock ./
RUN pip install --no-cache-dir --no-deps --only-binary=:all: -r requirements-image.lock

COPY pyproject.toml README.md hotfolder.py ./
COPY config ./config
COPY drive ./drive
COPY processor ./processor
COPY pod_launcher ./pod_launcher
COPY watcher ./watcher
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
 && useradd --create-home --uid 1000 --shell /usr/sbin/nologin worker

# Scratch space (downloads, outputs, the token file) lives in the worker's home, on the
# container disk that runpod.container_disk_gb sizes.
USER 1000:1000
WORKDIR /home/worker
ENTRYPOINT ["hotfolder", "work"]
