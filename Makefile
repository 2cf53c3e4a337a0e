# Twin: two entry points. `make run` opens the demo; `make test` runs everything CI runs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAYOUT ?= layouts/demo-air-hall.yaml
SYSTEM_PACKAGES := xvfb xauth libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcb-cursor0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 \
	libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libdbus-1-3 libfontconfig1 prometheus \
	libxtst6
# OpenFOAM for the test that runs a Twin-written case (tests/cfd/test_openfoam_run.py), without
# its recommended examples (36 MB the tests never read)
SYSTEM_PACKAGES_LEAN := openfoam

.PHONY: run test system-deps venv lint clean bench mutate package package-test validate-cfd \
	validate-cfd-model validate-cfd-holdout

# first-party plugins (plugins/*): installed with Twin so their tests and the import contract run
PLUGINS := plugins/twin-nvml 'plugins/twin-racklist[xlsx]' plugins/twin-usd plugins/twin-margin \
	plugins/twin-inventory

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(addprefix -e ,$(PLUGINS))
	# compile the physics kernels into numba's on-disk cache now (~2 s), not in the first solve
	$(BIN)/python -c "from twin.physics import kernels; kernels.warm_up()"
	touch $(STAMP)

venv: $(STAMP)

# Installs the Debian packages the GUI, live-telemetry and OpenFOAM tests need, when missing.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	lean=""; for p in $(SYSTEM_PACKAGES_LEAN); do \
		dpkg -s $$p >/dev/null 2>&1 || lean="$$lean $$p"; done; \
	if [ -n "$$missing$$lean" ]; then \
		echo "Installing system packages:$$missing$$lean"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q || exit 1; \
		if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive \
			$$SUDO apt-get install -y -q $$missing || exit 1; fi; \
		if [ -n "$$lean" ]; then DEBIAN_FRONTEND=noninteractive \
			$$SUDO apt-get install -y -q --no-install-recommends $$lean || exit 1; fi; \
	fi

run: $(STAMP)
	$(BIN)/twin run $(LAYOUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# pytest workers (pytest-xdist; each starts its own Xvfb): CI has two cores. Work stealing:
# an idle worker takes tests queued for the other, so a run of slow tests bunched on one
# worker does not hold the end (10 min 13 s -> 8 min 58 s in a fresh clone on 2 cores)
TEST_WORKERS ?= 2

test: system-deps $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

bench: $(STAMP)
	$(BIN)/twin bench

# The OpenFOAM references of tests/validation/ (hours of CPU; not part of `make test`).
# ROOMS="open-aisle-85 ..." limits the rooms; the stored results are what the tests use.
validate-cfd: $(STAMP)
	@command -v buoyantBoussinesqSimpleFoam >/dev/null || { \
		echo "validate-cfd needs OpenFOAM: apt-get install -y openfoam"; exit 1; }
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS)
	$(BIN)/python tests/validation/score_twin.py

# The references' turbulence-model check: the rooms again under k-omega SST (0.15 m), each
# continued for 1,500 iterations from validate-cfd's k-epsilon run (about 45 minutes of CPU),
# folded into the stored references as their model_check.
validate-cfd-model: $(STAMP)
	@command -v buoyantBoussinesqSimpleFoam >/dev/null || { \
		echo "validate-cfd-model needs OpenFOAM: apt-get install -y openfoam"; exit 1; }
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS) --mesh fine --coarse 0 \
		--turbulence kOmegaSST --seed-dir build/cfd --work build/cfd-sst \
		--refs build/cfd-sst/references
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS) --model-check build/cfd-sst/references
	$(BIN)/python tests/validation/score_twin.py

# The held-out rooms' references (tests/validation/holdout/), each with its mesh check (0.2 m,
# or run_cfd.COARSE_CELL_M's) and its k-omega SST check (about 100 minutes of CPU on the
# 2026-12-05 machine).
HOLDOUT := --room-dir tests/validation/holdout/rooms
validate-cfd-holdout: $(STAMP)
	@command -v buoyantBoussinesqSimpleFoam >/dev/null || { \
		echo "validate-cfd-holdout needs OpenFOAM: apt-get install -y openfoam"; exit 1; }
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS) $(HOLDOUT) \
		--refs tests/validation/holdout/references --work build/cfd-holdout
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS) $(HOLDOUT) --mesh fine --coarse 0 \
		--turbulence kOmegaSST --seed-dir build/cfd-holdout --work build/cfd-holdout-sst \
		--refs build/cfd-holdout-sst/references
	$(BIN)/python tests/validation/run_cfd.py $(ROOMS) $(HOLDOUT) \
		--refs tests/validation/holdout/references --model-check build/cfd-holdout-sst/references
	$(BIN)/python tests/validation/score_twin.py --holdout

# Mutation score per core module (tools/mutate.py, configuration in pyproject.toml). Slow, so
# not part of `make test`: ONLY=loader limits it to the modules whose path contains the word.
mutate: $(STAMP)
	nice -n 19 $(BIN)/python tools/mutate.py $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf $(VENV) build dist .pytest_cache

# The desktop bundle: build/dist/twin/ (one folder) and dist/twin-VERSION-linux-ARCH.tar.gz.
package: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[package]'
	PY=$(BIN)/python packaging/build.sh

# Builds the bundle, then installs it into an empty folder and runs it with no virtualenv
# (twin --version/validate/thermal/render, the plugins, the window under Xvfb).
package-test: package
	TWIN_BUNDLE_TARBALL=$$(ls -t dist/twin-*-linux-*.tar.gz | head -1) \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m bundle -s tests/packaging
