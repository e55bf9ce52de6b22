# crowdsim: `make run` (main job) and `make test` (test suite) do all set-up themselves.
# Python >= 3.12 is found in this order: $(PYTHON) if given, python3.13, python3.12, python3,
# then any pyenv-installed 3.12+/3.13+.

VENV      := .venv
VPY       := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
# numba's cache warmed by `crowdsim warm` (every model's kernels): redone when a source of
# sim/ changes, since numba recompiles a kernel whose file changed
WARMSTAMP := $(VENV)/.numba-warm
KERNEL_SOURCES := $(shell find sim -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null)
CONFIG    ?= configs/galton_ox.yaml
PYTEST_ARGS ?= -n auto   # pytest-xdist: one worker per core

.PHONY: run test test-all lint bench clean clean-cache venv chromium warm

run: $(STAMP) $(WARMSTAMP)
	$(VENV)/bin/crowdsim run $(CONFIG)

test: $(TESTSTAMP) $(WARMSTAMP) chromium lint
	$(VPY) -m pytest $(PYTEST_ARGS)

# ruff keeps the style (configured in pyproject.toml)
lint: $(TESTSTAMP)
	$(VENV)/bin/ruff check .

test-all: $(TESTSTAMP) $(WARMSTAMP) chromium
	$(VPY) -m pytest -m "slow or not slow" $(PYTEST_ARGS)

# Debian's chromium for tests/test_app_browser.py: apt-get install when missing (as root);
# otherwise a message, and that test skips
chromium:
	@sh scripts/ensure-chromium.sh

bench: $(TESTSTAMP) $(WARMSTAMP)
	$(VPY) benchmarks/run_all.py

venv: $(VPY)

$(VPY):
	@PY="$$(sh scripts/find-python.sh "$(PYTHON)")" || exit 1; \
	echo "crowdsim: creating $(VENV) with $$PY ($$($$PY --version 2>&1))"; \
	"$$PY" -m venv $(VENV)

$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e .
	@touch $@

$(TESTSTAMP): pyproject.toml $(STAMP)
	$(VPY) -m pip install --quiet -e ".[test]"
	@touch $@

# compile every model's kernels once, so the first real command starts at once (a fresh
# clone has no cache: numba keeps it in __pycache__ next to the sources, keyed by their
# modification times)
$(WARMSTAMP): $(STAMP) $(KERNEL_SOURCES)
	$(VENV)/bin/crowdsim warm --quiet
	@touch $@

warm: $(WARMSTAMP)

# numba's cache does not notice changes in functions a kernel calls from other modules
clean-cache:
	find sim -name '*.nbi' -delete -o -name '*.nbc' -delete
	rm -f $(WARMSTAMP)

clean: clean-cache
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
