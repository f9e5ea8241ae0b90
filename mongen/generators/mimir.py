"""Grafana Mimir as the engine (`engines: [mimir]`): Prometheus (or an agent) remote-writes to Mimir
under a tenant, and Mimir's ruler and Alertmanager run each tenant's rules and routing. The tenant
is the service; per service mongen generates:

- `mimir/<service>/rules.yml`: every rule group in one namespace (the service), the file
  `mimirtool rules load` reads.
- `mimir/<service>/remote-write.yml`: the `remote_write` block that sends the service's series to
  its tenant (`X-Scope-OrgID`), to merge into prometheus.yml.
- `mimir/<service>/alertmanager.yml`: the tenant's Alertmanager config (`mimirtool alertmanager
  load`): alertmanager.yml with each secret read from a file (`*_file`, which Mimir refuses in a
  tenant's config) turned into its inline setting holding a placeholder; the top of the file says
  which to set from which file before loading.

Mimir is not installable here (not in Debian, PyPI or npm): promtool checks the rule groups and the
remote_write block, amtool the Alertmanager config; no Mimir has loaded them (README, "Scaling out").
"""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.generators import alertmanager, kubernetes
from mongen.model import Spec
from mongen.serialize import header, quoted_path, to_yaml

ENGINE = "mimir"
# The conventional address of Mimir's distributor push endpoint (a placeholder, like the VictoriaMetrics
# flags' hosts): change it where yours differs.
PUSH_URL = "http://mimir-distributor:8080/api/v1/push"
TENANT_HEADER = "X-Scope-OrgID"


def tenant(spec: Spec) -> str:
    return spec.service


# What a secret read from a file becomes: a value that says it must be replaced, valid where the
# setting must be a URL (amtool checks that), and never a working secret.
_PLACEHOLDER_URL = "https://replace-before-loading.invalid/"
_PLACEHOLDER = "REPLACE_BEFORE_LOADING"


def inline_secrets(value: Any, path: str = "") -> tuple[Any, list[tuple[str, str]]]:
    """`value` with every `*_file` setting (a secret read from the Alertmanager's disk, which Mimir's
    multi-tenant Alertmanager refuses) replaced by its inline setting holding a placeholder, and
    (where the inline setting is, which file held the secret) for each."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        found: list[tuple[str, str]] = []
        for key, item in value.items():
            if isinstance(key, str) and key.endswith("_file") and isinstance(item, str):
                inline = key.removesuffix("_file")
                out[inline] = _PLACEHOLDER_URL if inline.endswith("url") else _PLACEHOLDER
                found.append((f"{path}.{inline}" if path else inline, item))
                continue
            out[key], inner = inline_secrets(item, f"{path}.{key}" if path else str(key))
            found += inner
        return out, found
    if isinstance(value, list):
        items = [inline_secrets(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return [item for item, _ in items], [where for _, found in items for where in found]
    return value, []


def generate(spec: Spec) -> dict[str, str]:
    if ENGINE not in spec.engines:
        return {}
    head = header(spec.source)
    rules = {"namespace": spec.service, "groups": kubernetes.rule_groups_flat(spec)}
    remote_write = {"remote_write": [{"url": PUSH_URL, "headers": {TENANT_HEADER: tenant(spec)}}]}
    routing, secrets = inline_secrets(alertmanager.config([spec]))
    note = "".join(
        f"# Before loading, set `{where}` to the content of {quoted_path(file)} (Mimir refuses files in a tenant's config).\n"
        for where, file in secrets
    )
    return {
        layout.mimir_rules(spec.service): head + to_yaml(rules),
        layout.mimir_remote_write(spec.service): head
        + f"# Merge into prometheus.yml: the service's series go to Mimir tenant `{tenant(spec)}`.\n"
        + to_yaml(remote_write),
        layout.mimir_alertmanager(spec.service): head + note + to_yaml(routing),
    }
