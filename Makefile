# Two commands on a fresh machine: `make run` and `make test`. Everything else is a building block.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install system-deps run farm test lint unit bench clean

install: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[node,dev]'
	touch $(STAMP)

system-deps:
	bash scripts/install_system_packages.sh

# The main job: the desktop app, connected to a local farm it starts itself (Qt needs system-deps'
# xcb libraries, libxcb-cursor0 and friends, to open a window).
run: install system-deps
	$(VENV)/bin/hearth-app --local-farm

farm: install
	$(VENV)/bin/hearth-server serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: install
	$(VENV)/bin/pytest

test: install system-deps lint unit

bench: install
	$(PY) bench/storage.py
	$(PY) bench/sync.py
	$(PY) bench/farm.py
	$(PY) bench/worker_process_model.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache

# The Blender extension: dist/hearth_blender-<version>.zip (render_client + pure-Python deps as wheels).
.PHONY: addon
addon: install
	$(PY) scripts/build_addon.py

.PHONY: bundle bundle-test
# One-folder desktop bundle in dist/hearth-app/ (build.spec); nodes render with HEARTH_BPY_PYTHON or `blender`.
bundle: install
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec

# CI: build the bundle and run its self-test (offscreen app, local farm, one rendered frame).
bundle-test: bundle
	$(VENV)/bin/pytest tests/app/test_app_bundle_self_test.py
