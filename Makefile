# mongen developer targets. `make install demo` sets everything up and runs the main job.
PYTHON ?= python3
SPEC ?= specs/emotivoice.yaml
OUT ?= out

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
	$(PYTHON) -m pip install -q -e '.[dev]'
	@for t in promtool amtool; do command -v $$t >/dev/null || echo "warning: $$t missing: run 'make install' as root or apt-get install prometheus prometheus-alertmanager"; done
	@# Third-party rules the lint corpus test runs on (tests/test_lint_corpus.py).
	@[ -f /etc/prometheus/ceph/ceph_default_alerts.yml ] || echo "warning: Ceph's alert rules missing: run 'make install' as root or apt-get install ceph-prometheus-alerts"

demo:
	mongen generate $(SPEC) -o $(OUT)
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
