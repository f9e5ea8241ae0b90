# mongen developer targets. `make install demo` sets everything up and runs the main job.
PYTHON ?= python3
SPEC ?= specs/emotivoice.yaml
OUT ?= out
# After a non-root `make install` outside a virtualenv, mongen lives in .venv.
MONGEN ?= $(shell command -v mongen >/dev/null && echo mongen || echo .venv/bin/mongen)

.PHONY: install demo test test-fast lint golden bench

install:
	@missing=""; for t in promtool amtool prometheus prometheus-alertmanager; do command -v $$t >/dev/null || missing=1; done; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing=1; \
	[ -f /etc/prometheus/ceph/ceph_default_alerts.yml ] || missing=1; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager nginx-light ceph-prometheus-alerts >/dev/null; \
	fi
	@# The Debian packages start their daemons where an init system runs; tests start their own.
	@-if command -v service >/dev/null && [ "$$(id -u)" = "0" ]; then service prometheus stop >/dev/null 2>&1; service prometheus-alertmanager stop >/dev/null 2>&1; service nginx stop >/dev/null 2>&1; true; fi
	@# pip installs into the active virtualenv, or as root system-wide; anyone else gets ./.venv
	@# (a per-user install is refused by externally managed Pythons such as Debian's, PEP 668).
	@if [ "$$(id -u)" = "0" ] || $(PYTHON) -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then \
		$(PYTHON) -m pip install -q -e '.[dev]'; \
	else \
		echo "not root and no virtualenv active: installing into .venv; run '. .venv/bin/activate' to use it"; \
		$(PYTHON) -m venv .venv && .venv/bin/python -m pip install -q -e '.[dev]'; \
	fi
	@for t in promtool amtool; do command -v $$t >/dev/null || echo "warning: $$t missing: run 'make install' as root, apt-get install prometheus prometheus-alertmanager, or see README (Installing promtool, amtool and nginx)"; done
	@# Third-party rules the lint corpus test runs on (tests/test_lint_corpus.py).
	@[ -f /etc/prometheus/ceph/ceph_default_alerts.yml ] || echo "warning: Ceph's alert rules missing: run 'make install' as root or apt-get install ceph-prometheus-alerts"

demo:
	$(MONGEN) generate $(SPEC) -o $(OUT)
	@cd $(OUT) && find . -type f | sort

test:
	$(PYTHON) -m pytest -q

test-fast:
	$(PYTHON) -m pytest -q -m "not e2e"

lint:
	ruff check mongen tests examples bench
	ruff format --check mongen
	mypy

golden:
	$(PYTHON) -m tests.regenerate_golden

bench:
	$(PYTHON) bench/run.py
