# The README's two commands: `make demo` and `make test`. Both create/update .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install system-deps node-deps lint image-lock-check watcher-install

install: $(STAMP)

# pip's resolver cannot untangle mediapipe's protobuf<5 from runpod's optional extras, so the
# whole environment is installed from a full lock without resolution.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q --no-deps -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian packages the tests need (Chromium for the browser test, ffmpeg to make test clips,
# LibreOffice Calc to recompute and print the workbooks, poppler-utils to turn printed pages into PNGs).
DEBS := chromium ffmpeg libreoffice-calc-nogui poppler-utils
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v ffmpeg >/dev/null || ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBS); \
	  else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBS); fi; \
	fi

node-deps:
	@if [ -f apps_script/package.json ]; then cd apps_script && npm ci --no-audit --no-fund; fi

# The embedded default end to end: a bundled clip goes into the local hot folder, one watcher cycle
# settles it, starts a local worker, waits for the report and prints where it is. The short settle
# time is for the demo only (a copied file does not grow); the default is 30 s.
DEMO_CLIP ?= $(firstword $(wildcard processor/samples/*.mp4) $(wildcard tests/data/synthetic/bodyA_side.mp4) $(wildcard tests/data/synthetic/*_side.mp4) $(wildcard tests/data/synthetic/*.mp4))
demo: $(STAMP)
	@test -n "$(DEMO_CLIP)" || { echo "make demo: no sample clip (processor/samples/*.mp4 or tests/data/synthetic/*.mp4)"; exit 1; }
	mkdir -p hotfolder-data/inbox
	cp "$(DEMO_CLIP)" hotfolder-data/inbox/
	HOTFOLDER_DRIVE__SETTLE_SECONDS=2 HOTFOLDER_WORKER__IDLE_GRACE=5 $(VENV)/bin/hotfolder watch --once

test: $(STAMP) system-deps node-deps
	$(PY) -m pytest
	@if [ -d apps_script ] && ls apps_script/test/*.test.js >/dev/null 2>&1; then node --test apps_script/test/*.test.js; fi

lint: $(STAMP)
	$(VENV)/bin/hadolint Dockerfile

# The watcher alone, for a small always-on box whose workers are RunPod pods: no torch, jax,
# mediapipe or OpenCV (requirements-watcher.lock). `hotfolder watch`, `status` and `auth` work from it.
WATCHER_VENV ?= .venv-watcher
watcher-install:
	test -x $(WATCHER_VENV)/bin/python || python3.11 -m venv $(WATCHER_VENV) || python3 -m venv $(WATCHER_VENV)
	$(WATCHER_VENV)/bin/python -m pip install -q --upgrade pip setuptools wheel
	$(WATCHER_VENV)/bin/python -m pip install -q --no-deps -r requirements-watcher.lock
	$(WATCHER_VENV)/bin/python -m pip install -q --no-deps --no-build-isolation .
	@echo "watcher installed: $(WATCHER_VENV)/bin/hotfolder watch"

# The pod image's lock (CPython 3.11, Linux x86-64): every pin has a wheel, checked against PyPI's
# index and wheel metadata without downloading the wheels (seconds; `make test` runs it too).
image-lock-check: $(STAMP)
	$(PY) -m tests.support.image_lock requirements-image.lock
