# mongen developer targets. `make install demo` sets everything up and runs the main job.
PYTHON ?= python3
# The Python that has mongen: ./.venv's after `make install` put it there (see install), else PYTHON.
PY := $(shell [ -z "$$VIRTUAL_ENV" ] && [ -x .venv/bin/python ] && echo .venv/bin/python || echo $(PYTHON))
SPEC ?= specs/emotivoice.yaml
OUT ?= out
# After a non-root `make install` outside a virtualenv, mongen lives in .venv.
MONGEN ?= $(if $(filter .venv/bin/python,$(PY)),.venv/bin/mongen,mongen)

.PHONY: install demo test test-fast lint golden bench

install:
	@missing=""; for t in promtool amtool prometheus prometheus-alertmanager vmagent vmalert victoria-metrics; do command -v $$t >/dev/null || missing=1; done; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing=1; \
	[ -f /etc/prometheus/ceph/ceph_default_alerts.yml ] || missing=1; \
	command -v chromium >/dev/null || missing=1; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager nginx-light ceph-prometheus-alerts victoria-metrics chromium >/dev/null; \
	fi
	@# The Debian packages start their daemons where an init system runs; tests start their own.
	@-if command -v service >/dev/null && [ "$$(id -u)" = "0" ]; then service prometheus stop >/dev/null 2>&1; service prometheus-alertmanager stop >/dev/null 2>&1; service nginx stop >/dev/null 2>&1; true; fi
	@# pip installs into the active virtualenv, or as root into a Python that allows it; anyone else,
	@# and an externally managed Python (Debian's /usr/bin/python3, PEP 668), gets ./.venv.
	@if $(PYTHON) -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' || { [ "$$(id -u)" = "0" ] && \
		$(PYTHON) -c 'import os, sys, sysconfig; sys.exit(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; }; then \
		$(PYTHON) -m pip install -q -e '.[dev]'; \
	else \
		echo "installing into .venv (no virtualenv active, and this Python takes no system-wide install); make's targets use it, '. .venv/bin/activate' puts mongen on your PATH"; \
		if ! $(PYTHON) -c 'import ensurepip' 2>/dev/null && [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; \
		fi; \
		$(PYTHON) -m venv .venv && .venv/bin/python -m pip install -q -e '.[dev]'; \
	fi
	@for t in promtool amtool vmagent vmalert; do command -v $$t >/dev/null || echo "warning: $$t missing: run 'make install' as root, apt-get install prometheus prometheus-alertmanager victoria-metrics, or see README (Installing promtool, amtool and nginx)"; done
	@# Third-party rules the lint corpus test runs on (tests/lint/test_corpus.py).
	@[ -f /etc/prometheus/ceph/ceph_default_alerts.yml ] || echo "warning: Ceph's alert rules missing: run 'make install' as root or apt-get install ceph-prometheus-alerts"
	@# The browser the tests of verify's HTML report render it in (tests/verify/test_html.py).
	@command -v chromium >/dev/null || echo "warning: chromium missing: run 'make install' as root or apt-get install chromium"

demo:
	$(MONGEN) generate $(SPEC) -o $(OUT)
	@cd $(OUT) && find . -type f | sort

# Four workers even on two cores: verify's end-to-end runs spend most of their time waiting for
# (time-compressed) alert windows, so they overlap well; --dist worksteal keeps the long ones apart.
test:
	$(PY) -m pytest -q -n 4 --dist worksteal

test-fast:
	$(PY) -m pytest -q -n 4 --dist worksteal -m "not e2e"

lint:
	$(PY) -m ruff check mongen tests examples bench
	$(PY) -m ruff format --check mongen
	$(PY) -m mypy

golden:
	$(PY) -m tests.regenerate_golden

bench:
	$(PY) bench/run.py
