# Kazaguruma: `make demo` and `make test` set up everything on a fresh Debian 12 machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: browser, Japanese fonts, OCR, virtual display, clipboard, Tk, PDF tools, PostgreSQL,
# a system tray host for the tray launcher's tests (trayer) and the libraries of Qt's xcb platform.
APT_PACKAGES := chromium fonts-noto-cjk tesseract-ocr tesseract-ocr-jpn xvfb xauth xdotool xclip \
	python3-tk python3-venv poppler-utils postgresql \
	trayer libegl1 libgl1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libfontconfig1 libdbus-1-3

.PHONY: demo test bench soak install system-deps lint typecheck unit clean

install: $(STAMPS)/venv

$(STAMPS)/system: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

system-deps: $(STAMPS)/system

$(STAMPS)/venv: pyproject.toml demo/pyproject.toml $(STAMPS)/system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' -e ./demo
	@touch $@

lint: install
	$(VENV)/bin/ruff check bots demo tests bench runner.py
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy bots demo/kazaguruma_demo

unit: install
	$(VENV)/bin/pytest -q tests/unit

# -n auto: one worker per core; every test has its own ports, folders and display, so they run side by side.
test: install lint typecheck
	$(VENV)/bin/pytest -q -n auto

demo: install
	$(PY) -m kazaguruma_demo.showcase

# The step reference is generated from the step registry; tests/unit/test_step_reference.py fails when it is stale.
.PHONY: docs
docs: install
	$(PY) runner.py --lang ja steps --markdown > docs/steps.md.tmp && mv docs/steps.md.tmp docs/steps.md

bench: install
	$(PY) bench/keying.py --records 200
	$(PY) bench/audit.py --entries 1000000
	$(PY) bench/ocr.py --forms 30
	$(PY) bench/desktop.py --records 30

# The long versions of what make test runs short: the fuzz of every YAML loader and expression
# (make test: a short, fixed-seed one) and the fault soak with 1,000 records (make test: 300).
soak: install
	KZ_FUZZ=long $(VENV)/bin/pytest -q -p no:cacheprovider tests/unit/test_fuzz_loading.py tests/unit/test_expression_fuzz.py
	KZ_SOAK_RECORDS=1000 $(VENV)/bin/pytest -q -p no:cacheprovider tests/acceptance/test_fault_soak.py

clean:
	rm -rf $(STAMPS) build *.egg-info
