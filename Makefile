# LLMSpell Studio — `make run` opens the IDE, `make test` runs the linters and the whole suite. Both set
# everything up first.
PYTHON ?= python3.11
VENV   := .venv
ifeq ($(OS),Windows_NT)
BIN    := $(VENV)/Scripts
else
BIN    := $(VENV)/bin
endif
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint coverage setup system-deps package-deps bench screenshots package package-test clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

TSC    := $(VENV)/tools/node_modules/.bin/tsc

setup: $(STAMP) system-deps $(TSC)

# TypeScript checks the generated .d.ts against every JS example (skipped when node/npm are missing).
$(TSC):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/tools typescript@5.9.3 >/dev/null 2>&1 \
	    || echo "note: could not install typescript; the .d.ts check will be skipped"; \
	fi

# Debian packages the IDE and its tests need (Qt's xcb/EGL libraries, Xvfb for a real window without a screen).
system-deps:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	  need=""; for p in libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 xvfb xauth; do \
	    dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	  if [ -n "$$need" ]; then echo "installing:$$need"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	fi

run: setup
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && command -v xvfb-run >/dev/null 2>&1; then \
	  echo "no display: starting under Xvfb"; xvfb-run -a $(BIN)/llmspell-studio; \
	else $(BIN)/llmspell-studio; fi

# Lint, format check and type check (configured in pyproject.toml). `make test` fails on any of them.
lint: $(STAMP)
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy app

test: setup lint
	QT_QPA_PLATFORM=offscreen LLMSPELL_TSC=$$( [ -x $(TSC) ] && echo $(abspath $(TSC)) ) $(PY) -m pytest -q
	$(PY) benchmarks/tengo_conformance.py
	$(PY) -m app.cli test examples/

# The suite with line coverage of app/ (terminal summary; HTML in build/coverage/). Spell workers are separate
# processes: engine code counts where tests run it in-process (the Tengo suite does), not inside workers.
coverage: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q --cov=app --cov-report=term --cov-report=html:build/coverage

# Installers: a one-folder PyInstaller bundle, a .deb and a .tar.gz in dist/ (packaging/README.md), then smoke tests.
# What building the packages needs beyond `make setup`: the libraries the bundle links but does not carry must be
# installed for packaging/debdeps.py to name their packages in the .deb's Depends (Qt's Wayland plugins link
# libwayland-cursor0 and libwayland-egl1), objdump (binutils), dpkg-shlibdeps (dpkg-dev) and zstd.
PACKAGE_DEBS := libwayland-client0 libwayland-cursor0 libwayland-egl1 libdrm2 binutils dpkg-dev zstd

package-deps:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	  need=""; for p in $(PACKAGE_DEBS); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	  if [ -n "$$need" ]; then echo "installing:$$need"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	elif command -v dpkg >/dev/null 2>&1; then \
	  for p in $(PACKAGE_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo "note: $$p is not installed (run make package as root to install it)"; done; \
	fi

package: setup package-deps
	$(PY) -m pip install --quiet -e '.[package]'
	packaging/build.sh

package-test:
	packaging/smoke_test.sh dist

# PNGs of the main window in both themes, with a spell run and a trace selected; a paused debug session and
# completion / call tips (their popups only in the *-screen.png grabs, which need an X server: xvfb-run); the
# debugging and editing layouts at 1280x800 and 1024x680 and the first run from the welcome page.
screenshots: setup
	@if [ -z "$$DISPLAY" ] && command -v xvfb-run >/dev/null 2>&1; then xvfb-run -a $(PY) benchmarks/screenshots.py screenshots \
	&& xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) benchmarks/screenshots_debug.py screenshots \
	&& xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) benchmarks/screenshots_layout.py screenshots \
	&& xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) benchmarks/screenshots_eval.py screenshots \
	&& xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) benchmarks/screenshots_tests.py screenshots; \
	else $(PY) benchmarks/screenshots.py screenshots && $(PY) benchmarks/screenshots_debug.py screenshots \
	&& $(PY) benchmarks/screenshots_layout.py screenshots && $(PY) benchmarks/screenshots_eval.py screenshots \
	&& $(PY) benchmarks/screenshots_tests.py screenshots; fi

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
