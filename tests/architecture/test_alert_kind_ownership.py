"""An alert kind owns its parameters and what it needs and offers: no code outside
mongen/rules/alert_kinds/ branches on an alert kind's name, and a kind's parameter class lives in
its module only. A toy kind, defined in a module of its own and added to the registry, is read,
checked, recorded, ruled and drawn without a change anywhere else."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from mongen.errors import SpecError
from mongen.generators.grafana import dashboard
from mongen.generators.grafana.queries import alert_thresholds
from mongen.loading import load_spec
from mongen.rules import alert_kinds
from mongen.rules.alert_kinds import KINDS, AlertKindName
from mongen.rules.recording import metric_rules
from mongen.rules.ruleset import rule_set
from mongen.spec import schema
from tests.support import ROOT

PACKAGE = ROOT / "mongen"
KINDS_DIR = PACKAGE / "rules/alert_kinds"
KIND_NAMES = frozenset(get_args(AlertKindName))


# --- no branch on a kind's name outside the kinds ----------------------------------------------


def _kind_names_in(node: ast.expr, constants: dict[str, bool]) -> bool:
    """Whether `node` is a kind name, or a collection of nothing but kind names, spelled out or
    through a module-level constant of the same file."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in KIND_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_kind_names_in(e, constants) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("frozenset", "set"):
        return len(node.args) == 1 and _kind_names_in(node.args[0], constants)
    if isinstance(node, ast.Name):
        return constants.get(node.id, False)
    return False


def _is_a_kind(node: ast.expr) -> bool:
    """`x.kind`, `kind`/`alert_kind`, `body["kind"]`: what a kind's name is compared with."""
    if isinstance(node, ast.Attribute):
        return node.attr == "kind"
    if isinstance(node, ast.Name):
        return "kind" in node.id
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "kind"
    return False


def kind_name_branches(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: code` of each comparison against an alert kind's name (`a.kind == "expr"`,
    `a.kind in ("error_ratio",)`, `a.kind == FRAME_BUFFER_ALERT` where that constant is a kind's
    name) and of each collection of kind names (`alert_thresholds(spec, ("error_ratio",), m)`,
    which a callee compares `alert.kind` with)."""
    tree = ast.parse(source)
    constants = {
        target.id: _kind_names_in(node.value, {})
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_kind_names_in(o, constants) for o in operands) and any(_is_a_kind(o) for o in operands):
                found.append(node)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set) and _kind_names_in(node, constants):
            found.append(node)
    return [f"{filename}:{n.lineno}: {ast.unparse(n)}" for n in found]


def _outside_the_kinds() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if KINDS_DIR not in path.parents:
            yield path


def test_no_code_outside_the_alert_kinds_branches_on_a_kind_name() -> None:
    found = [
        hit
        for path in _outside_the_kinds()
        for hit in kind_name_branches(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == [], "ask the kind (mongen.rules.alert_kinds) instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "branch",
    [
        # The shapes the code had before the kinds owned their parameters.
        'windows |= {a.window for a in spec.alerts if a.metric == metric.name and a.kind == "error_ratio"}',
        'FRAME_BUFFER_ALERT = "dcgm_frame_buffer"\nany(a.kind == FRAME_BUFFER_ALERT for a in spec.alerts)',
        'thresholds = alert_thresholds(spec, ("latency_quantile",), metric)',
        'if alert.kind in {"gauge_threshold", "expr"}:\n    pass',
        'if "absent" != alert.kind:\n    pass',
        'DRAWN = frozenset({"gauge_threshold"})\nok = alert.kind not in DRAWN',
        'KIND = "expr"\nif body["kind"] == KIND:\n    pass',
    ],
)
def test_the_scan_finds_a_branch_on_a_kind_name(branch: str) -> None:
    assert kind_name_branches(textwrap.dedent(branch)) != []


@pytest.mark.parametrize(
    "fine",
    [
        'if rule.kind == "alert":\n    pass',  # a rule file's kinds, not alert kinds
        'if node.func in ("absent", "absent_over_time"):\n    pass',  # PromQL functions
        'entry = {"expr": rule.expr}',
        "kind = BY_NAME[alert.kind]",
        "if 'expr' in item.merged:\n    pass",  # a rule file's key
    ],
)
def test_the_scan_leaves_other_kinds_and_names_alone(fine: str) -> None:
    assert kind_name_branches(fine) == []


# --- a kind's parameters live in its module ----------------------------------------------------


def test_each_kinds_parameter_class_is_defined_and_named_in_its_module_only() -> None:
    sources = {path: path.read_text("utf-8") for path in PACKAGE.rglob("*.py")}
    for kind in KINDS:
        module = sys.modules[type(kind).__module__]
        assert kind.params_type.__module__ == module.__name__, kind.name
        named_in = sorted(
            str(path.relative_to(ROOT)) for path, text in sources.items() if kind.params_type.__name__ in text
        )
        assert named_in == [str(Path(module.__file__ or "").relative_to(ROOT))], kind.params_type.__name__


def test_each_kind_requires_only_fields_it_declares() -> None:
    for kind in KINDS:
        assert set(kind.required) <= set(kind.fields), kind.name
        assert not set(kind.fields) & alert_kinds.COMMON_FIELDS, kind.name


def test_the_schema_file_holds_only_the_common_alert_fields() -> None:
    text = (PACKAGE / "schema/spec.schema.json").read_text("utf-8")
    file_fields = set(yaml.safe_load(text)["properties"]["alerts"]["items"]["properties"])
    assert file_fields == alert_kinds.COMMON_FIELDS
    assembled = schema.spec_schema()["properties"]["alerts"]["items"]["properties"]
    assert set(assembled) == alert_kinds.COMMON_FIELDS | {f for kind in KINDS for f in kind.fields}
    assert assembled["quantile"] == KINDS[0].fields["quantile"]


def test_two_kinds_that_define_a_field_differently_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    gauge = alert_kinds.BY_NAME["gauge_threshold"]
    monkeypatch.setattr(type(gauge), "fields", {**type(gauge).fields, "threshold": {"type": "string"}})
    with pytest.raises(ValueError, match="define the field `threshold` differently"):
        schema.alert_kind_fields()


# --- adding a kind: one module and one registry line -------------------------------------------

TOY_MODULE = '''
"""`toy_level`: a gauge above a level (a kind added in one module, for the test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mongen.annotations import LabelRef
from mongen.model import GAUGE, Alert, AlertParams, Spec
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    METRIC_FIELD,
    AlertKind,
    RecordedSeries,
    ThresholdLine,
    common_labels,
    dashboard_url,
    runbook_url,
)
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import base_labels, series


@dataclass(frozen=True)
class ToyLevelParams(AlertParams):
    metric: str
    level: float


class ToyLevel(AlertKind[ToyLevelParams]):
    name: ClassVar[Any] = "toy_level"
    params_type = ToyLevelParams
    fields: ClassVar[dict[str, Any]] = {"metric": METRIC_FIELD, "level": {"type": "number", "minimum": 0}}
    required = ("metric", "level")

    def read(self, reader, body, path):
        metric = reader.metric(body["metric"], (*path, "metric"), (GAUGE,))
        if metric is not None and body["level"] > 1e12:
            reader.fail((*path, "level"), "a toy level is at most 1e12")
        return ToyLevelParams(metric.name, body["level"]) if metric is not None else None

    def recorded(self, alert):
        return (RecordedSeries(self.params(alert).metric, ("toy_group",)),)

    def threshold_lines(self, alert):
        p = self.params(alert)
        return (ThresholdLine("gauge", p.level, p.metric, ()),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        return AlertRule(
            name=alert.name,
            expr=f"max by (job, instance) ({p.metric}) > {p.level:g}",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=(f"{p.metric} above the toy level on ", LabelRef("instance")),
            description=(f"{p.metric} above {p.level:g}.",),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=(),
            output_labels=("job", "instance"),
            threshold=p.level,
        )

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        p = self.params(alert)
        metric = spec.metric_by_name[p.metric]
        labels = base_labels(spec, metric, {})
        result = {"job": labels["job"], "instance": labels["instance"]}
        minutes = alert.for_seconds // 60 + 5
        return [
            threshold_case(rule, firing, f"at {v:g}", [(series(p.metric, labels), f"{v:g}x{minutes}")], minutes * 60, result, v)
            for firing, v in ((True, p.level * 2), (False, p.level / 2))
        ]
'''

TOY_ALERT = {
    "name": "EmotivoiceGpuToyLevel",
    "kind": "toy_level",
    "metric": "emoti_voice_gpu_memory_usage_bytes",
    "level": 12345,
    "for": "5m",
    "severity": "ticket",
}


@pytest.fixture
def toy_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The toy kind's module, imported from a file of its own, and its one registry line."""
    module_file = tmp_path / "toy_level.py"
    module_file.write_text(TOY_MODULE)
    spec_ = importlib.util.spec_from_file_location("toy_level", module_file)
    assert spec_ is not None and spec_.loader is not None
    module = importlib.util.module_from_spec(spec_)
    monkeypatch.setitem(sys.modules, "toy_level", module)
    spec_.loader.exec_module(module)
    kind = module.ToyLevel()
    # The registry line: KINDS (BY_NAME is built from it; every importer holds the one dict).
    monkeypatch.setattr(alert_kinds, "KINDS", (*alert_kinds.KINDS, kind))
    monkeypatch.setitem(alert_kinds.BY_NAME, kind.name, kind)
    schema.spec_schema.cache_clear()
    schema._validator.cache_clear()
    yield kind
    schema.spec_schema.cache_clear()
    schema._validator.cache_clear()


def _spec_with(tmp_path: Path, alert: dict[str, Any]) -> Path:
    doc = yaml.safe_load((ROOT / "specs/emotivoice.yaml").read_text("utf-8"))
    doc["alerts"].append(alert)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_kind_added_in_one_module_is_read_recorded_ruled_and_drawn(toy_kind: Any, tmp_path: Path) -> None:
    spec = load_spec(_spec_with(tmp_path, TOY_ALERT))
    [alert] = [a for a in spec.alerts if a.kind == "toy_level"]
    assert alert.params == toy_kind.params_type("emoti_voice_gpu_memory_usage_bytes", 12345)
    # Its recorded series: the gauge's max by the group it asked for.
    records = {r.record for r in metric_rules(spec)}
    assert "toy_group:emoti_voice_gpu_memory_usage_bytes:max" in records
    # Its rule and promtool cases.
    rules = {r.name: r for r in rule_set(spec).alerts}
    assert rules["EmotivoiceGpuToyLevel"].expr == "max by (job, instance) (emoti_voice_gpu_memory_usage_bytes) > 12345"
    # Its threshold line on the gauge's panel, among the gauge alert's.
    lines = alert_thresholds(spec, "gauge", "emoti_voice_gpu_memory_usage_bytes")
    assert [t.value for t in lines] == [12345, 22000000000]
    assert "12345" in json.dumps(dashboard(spec))


def test_a_kind_added_in_one_module_brings_its_schema_and_checks(toy_kind: Any, tmp_path: Path) -> None:
    assert schema.spec_schema()["properties"]["alerts"]["items"]["properties"]["level"] == {
        "type": "number",
        "minimum": 0,
    }
    with pytest.raises(SpecError) as raised:
        load_spec(_spec_with(tmp_path, {**TOY_ALERT, "level": -1}))
    assert [i.message for i in raised.value.issues] == ["-1 is less than the minimum of 0"]
    with pytest.raises(SpecError) as raised:
        load_spec(_spec_with(tmp_path, {**TOY_ALERT, "level": 1e13}))
    assert [i.message for i in raised.value.issues] == ["a toy level is at most 1e12"]
    with pytest.raises(SpecError) as raised:
        load_spec(_spec_with(tmp_path, {**TOY_ALERT, "threshold": 3}))
    assert [i.message for i in raised.value.issues] == [
        "`threshold` has no meaning for alerts of kind `toy_level`; its fields: level, metric"
    ]
