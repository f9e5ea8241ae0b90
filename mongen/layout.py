"""Where every output file lives, relative to the output directory. The one place paths are spelled.

Generators ask for a spec's paths; `mongen validate` and lint, which see a directory and no spec,
use the folder patterns. A change of layout is a change of this file only.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

RuleFileKind = Literal["recording", "slos", "alerts"]
RULE_FILE_KINDS: tuple[RuleFileKind, ...] = ("recording", "slos", "alerts")

MARKER = ".mongen"  # marks a directory as written by mongen

PROMETHEUS_DIR = "prometheus"
PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
RULES_DIR = "prometheus/rules"
RULE_TESTS_DIR = "prometheus/tests"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ROUTES_TEST = "alertmanager/routes.test.yml"
DASHBOARDS_DIR = "grafana/dashboards"
GRAFANA_DATASOURCE = "grafana/provisioning/datasources/prometheus.yml"
NGINX_DIR = "nginx"
KUBERNETES_DIR = "kubernetes"
INSTRUMENTATION_DIR = "instrumentation"
RUNBOOKS_DIR = "runbooks"
# Scale-out engines (README, "Scaling out"): each beside the Prometheus files, reading the same rules.
VICTORIAMETRICS_DIR = "victoriametrics"
VMAGENT_CONFIG = "victoriametrics/vmagent.yml"
THANOS_DIR = "thanos"
MIMIR_DIR = "mimir"

# Patterns for tools that see only a directory (validate, lint).
PROMETHEUS_CONFIGS_GLOB = "prometheus/*.yml"
RULES_GLOB = "prometheus/rules/*.yml"
RULE_TESTS_GLOB = "prometheus/tests/*.yml"
DASHBOARDS_GLOB = "grafana/dashboards/*.json"
NGINX_GLOB = "nginx/*.conf"
KUBERNETES_GLOB = "kubernetes/*.yml"
INSTRUMENTATION_GLOB = "instrumentation/*.py"
RUNBOOKS_GLOB = "runbooks/*.md"
VMAGENT_CONFIGS_GLOB = "victoriametrics/vmagent.yml"
MIMIR_RULES_GLOB = "mimir/*/rules.yml"
MIMIR_ALERTMANAGER_GLOB = "mimir/*/alertmanager.yml"
MIMIR_REMOTE_WRITE_GLOB = "mimir/*/remote-write.yml"


def python_module_name(service: str) -> str:
    """The generated module's import name: `emotivoice_metrics` (service names may hold `-`)."""
    return f"{service.replace('-', '_')}_metrics"


def instrumentation_module(service: str) -> str:
    return f"{INSTRUMENTATION_DIR}/{python_module_name(service)}.py"


def rule_file(service: str, kind: RuleFileKind) -> str:
    return f"{RULES_DIR}/{service}-{kind}.yml"


def rule_files(service: str) -> dict[RuleFileKind, str]:
    return {kind: rule_file(service, kind) for kind in RULE_FILE_KINDS}


def services_listed(paths: Iterable[str]) -> list[str]:
    """The services whose files a listing (a marker's) holds: every service writes its recording
    rule file, and no other file matches its pattern."""
    prefix, suffix = f"{RULES_DIR}/", "-recording.yml"
    names = (path[len(prefix) : -len(suffix)] for path in paths if path.startswith(prefix) and path.endswith(suffix))
    return sorted(name for name in names if name and "/" not in name)


def rule_test_file(service: str, name: str) -> str:
    """`name` is `alerts`, `recording` or `slo-<slo name>`."""
    return f"{RULE_TESTS_DIR}/{service}-{name}.test.yml"


def dashboard(service: str) -> str:
    return f"{DASHBOARDS_DIR}/{service}.json"


def dashboard_provider(service: str) -> str:
    return f"grafana/provisioning/dashboards/{service}.yml"


def nginx_snippet(service: str) -> str:
    return f"{NGINX_DIR}/{service}-metrics.conf"


def prometheus_rule(service: str) -> str:
    return f"{KUBERNETES_DIR}/{service}-prometheusrule.yml"


def pod_monitor(service: str) -> str:
    return f"{KUBERNETES_DIR}/{service}-podmonitor.yml"


def vm_rule(service: str) -> str:
    """The VictoriaMetrics operator's VMRule (the PrometheusRule's groups)."""
    return f"{KUBERNETES_DIR}/{service}-vmrule.yml"


def vm_pod_scrape(service: str) -> str:
    return f"{KUBERNETES_DIR}/{service}-vmpodscrape.yml"


def engine_flags(engine_dir: str, binary: str) -> str:
    """A binary's documented command-line flags (`victoriametrics/vmalert.flags`)."""
    return f"{engine_dir}/{binary}.flags"


def thanos_ruler_flags(service: str) -> str:
    return f"{THANOS_DIR}/{service}-ruler.flags"


def mimir_rules(service: str) -> str:
    """The service's rule namespace, as `mimirtool rules load` reads it."""
    return f"{MIMIR_DIR}/{service}/rules.yml"


def mimir_alertmanager(service: str) -> str:
    """The service's tenant's Alertmanager config (`mimirtool alertmanager load`)."""
    return f"{MIMIR_DIR}/{service}/alertmanager.yml"


def mimir_remote_write(service: str) -> str:
    return f"{MIMIR_DIR}/{service}/remote-write.yml"


def runbook(alert: str) -> str:
    """The runbook skeleton of an alert (written when the spec has no `runbook_base`)."""
    return f"{RUNBOOKS_DIR}/{alert}.md"


def relative(path: str, start: str) -> str:
    """`path` as seen from the file `start` (both relative to the output directory)."""
    return posixpath.relpath(path, posixpath.dirname(start))


def shown_path(path: Path) -> str:
    """A path for messages: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
