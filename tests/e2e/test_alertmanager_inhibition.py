"""Inhibition on a live Alertmanager started with the generated alertmanager.yml (amtool cannot
test inhibit rules): alerts are posted with the labels the generated rules give them, and
Alertmanager's own `status.inhibitedBy` says which are held back."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mongen import layout
from mongen.loading import build_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.spec.loader import load_yaml
from mongen.verify.testbed import HOST, free_port, get_json, start_alertmanager
from tests.support import ROOT, need

pytestmark = pytest.mark.e2e

DEFAULT_SPEC = ROOT / "specs/emotivoice.yaml"


def _labels(spec: Spec, name: str, **values: str) -> dict[str, str]:
    """An alert of the generated rule `name` as Prometheus sends it: its static labels and a value
    for every label of its expression's result."""
    rule = next(r for r in rule_set(spec).all_alerts if r.name == name)
    out = {label: values.get(label, "x") for label in rule.output_labels}
    return {**out, **dict(rule.labels), "alertname": name, **values}


@contextlib.contextmanager
def _alertmanager(spec: Spec, work: Path) -> Iterator[str]:
    config = work / "alertmanager.yml"
    config.write_text(render(spec)[layout.ALERTMANAGER_CONFIG])
    port = free_port()
    with contextlib.ExitStack() as stack:
        server = start_alertmanager(stack, need("prometheus-alertmanager"), config, work, port)
        server.wait_ready()
        yield f"http://{HOST}:{port}"


def _post(url: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels} for labels in alerts]).encode()
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=5).close()


def _inhibited(url: str, control: str, timeout: float = 20.0) -> dict[str, bool]:
    """Alert name -> inhibited, read once the `control` alert (which must be inhibited) is: by
    then Alertmanager has taken in every source alert posted with it."""
    deadline = time.monotonic() + timeout
    while True:
        alerts: list[dict[str, Any]] = get_json(f"{url}/api/v2/alerts")
        state = {a["labels"]["alertname"]: bool(a["status"]["inhibitedBy"]) for a in alerts}
        if state.get(control) or time.monotonic() > deadline:
            return state
        time.sleep(0.3)


def _spec(text: str) -> Spec:
    return build_spec(load_yaml(text, str(DEFAULT_SPEC)))


def test_an_slo_page_inhibits_only_its_own_slos_ticket(default_spec: Spec, tmp_path: Path) -> None:
    spec = default_spec
    alerts = [
        _labels(spec, "EmotivoiceAvailabilityErrorBudgetBurnPage", long_window="1h", short_window="5m"),
        _labels(spec, "EmotivoiceAvailabilityErrorBudgetBurnTicket", long_window="1d", short_window="2h"),
        _labels(spec, "EmotivoiceLatencyErrorBudgetBurnTicket", long_window="1d", short_window="2h"),
        _labels(spec, "EmotivoiceP95LatencyHigh", endpoint="/synthesize"),
        _labels(spec, "EmotivoiceGpuMemoryHigh", instance="192.168.1.10:8080"),
        _labels(spec, "EmotivoiceGpuFrameBufferFull", gpu="0"),
    ]
    with _alertmanager(spec, tmp_path) as url:
        _post(url, alerts)
        state = _inhibited(url, "EmotivoiceAvailabilityErrorBudgetBurnTicket")
    assert state == {
        "EmotivoiceAvailabilityErrorBudgetBurnPage": False,
        "EmotivoiceAvailabilityErrorBudgetBurnTicket": True,  # its own SLO's page fires
        "EmotivoiceLatencyErrorBudgetBurnTicket": False,  # another SLO's page is no reason
        "EmotivoiceP95LatencyHigh": False,
        "EmotivoiceGpuMemoryHigh": False,  # a threshold page inhibits no GPU ticket
        "EmotivoiceGpuFrameBufferFull": False,
    }


def test_declared_inhibition_compares_the_labels_both_carry(tmp_path: Path) -> None:
    """`inhibits` on the target-down alert: the service's down replica silences its own GPU
    memory ticket (both carry `instance`), not another replica's."""
    text = DEFAULT_SPEC.read_text().replace(
        "    kind: target_down\n", "    kind: target_down\n    inhibits: [EmotivoiceGpuMemoryHigh]\n"
    )
    spec = _spec(text)
    rules = yaml.safe_load(render(spec)[layout.ALERTMANAGER_CONFIG])["inhibit_rules"]
    assert rules[-1]["equal"] == ["instance", "job", "service"]
    down = "192.168.1.10:8080"
    alerts = [
        _labels(spec, "EmotivoiceTargetDown", instance=down, job="emotivoice"),
        _labels(spec, "EmotivoiceGpuMemoryHigh", instance=down, job="emotivoice"),
        _labels(spec, "EmotivoiceGpuMemoryHigh", instance="192.168.1.11:8080", job="emotivoice"),
        _labels(spec, "EmotivoiceMetricsAbsent"),
    ]
    with _alertmanager(spec, tmp_path) as url:
        _post(url, alerts)
        time.sleep(0.5)
        deadline = time.monotonic() + 20
        while True:
            got = {
                a["labels"]["alertname"] + "@" + a["labels"].get("instance", "-"): bool(a["status"]["inhibitedBy"])
                for a in get_json(f"{url}/api/v2/alerts")
            }
            if got.get(f"EmotivoiceGpuMemoryHigh@{down}") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    assert got == {
        f"EmotivoiceTargetDown@{down}": False,
        f"EmotivoiceGpuMemoryHigh@{down}": True,
        "EmotivoiceGpuMemoryHigh@192.168.1.11:8080": False,
        "EmotivoiceMetricsAbsent@-": False,  # not named in `inhibits`
    }
