"""Alert annotations from the spec are text, never Go template actions.

Prometheus renders every annotation as a Go template at alert time, so a description holding
`{{ with query "..." }}` would run a query and paste its result into the notification. These
tests render the annotations with the real promtool and compare against the literal text.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from mongen.annotations import LabelRef, ValueRef, expected_text, go_template
from mongen.loading import build_spec
from mongen.pipeline import render
from mongen.serialize import to_yaml
from mongen.spec.loader import load_yaml
from mongen.writer import write_tree
from tests.support import ROOT, need
from tests.support.hostile import OWN_ACTIONS

# Leaks a host name into the notification if it runs.
LEAK = '{{ with query "node_uname_info" }}{{ range . }}{{ .Labels.nodename }}{{ end }}{{ end }}'
# Renders to its own text, so a test comparing rendered with raw text passes even unescaped.
QUINE = '{{$s := "{{$s := %q}}{{printf $s $s}}"}}{{printf $s $s}}'
TRICKY_TEXTS = (LEAK, QUINE, "a{", "{", "{{", "{{{", "}}", "{{- 1 -}}", "{{/* c */}}", '{{ "{{" }}', "%s {{.}")


def _promtool_test(root: Path, rule_file: dict, tests: list[dict], interval: str = "1m") -> str:
    (root / "r.yml").write_text(to_yaml(rule_file))
    (root / "t.yml").write_text(to_yaml({"rule_files": ["r.yml"], "evaluation_interval": interval, "tests": tests}))
    proc = subprocess.run(
        [need("promtool"), "test", "rules", "t.yml"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    return proc.stdout + proc.stderr if proc.returncode else ""


def test_text_parts_render_literally_whatever_follows_them(tmp_path: Path) -> None:
    """Each tricky text before and after a label reference and the value renders as itself."""
    rules, expected = [], []
    for i, text in enumerate(TRICKY_TEXTS):
        parts = (text, LabelRef("job"), text, ValueRef("humanize"), text)
        rules.append({"alert": f"A{i}", "expr": "up == 1", "annotations": {"d": go_template(parts)}})
        expected.append(
            {
                "eval_time": "2m",
                "alertname": f"A{i}",
                "exp_alerts": [
                    {"exp_labels": {"job": "j"}, "exp_annotations": {"d": expected_text(parts, {"job": "j"}, 1.0)}}
                ],
            }
        )
    tests = [
        {"interval": "1m", "input_series": [{"series": 'up{job="j"}', "values": "1x5"}], "alert_rule_test": expected}
    ]
    assert _promtool_test(tmp_path, {"groups": [{"name": "g", "rules": rules}]}, tests) == ""


def _hostile_spec():
    base = yaml.safe_load((ROOT / "specs/emotivoice.yaml").read_text())
    base["alerts"][0]["description"] = LEAK
    base["alerts"][1]["description"] = QUINE
    return build_spec(load_yaml(yaml.safe_dump(base), "hostile.yaml"))




def test_spec_descriptions_reach_prometheus_as_text(tmp_path: Path) -> None:
    """The generated alert tests, with a secret host added to every test's input, pass: the
    description renders to the spec's literal text, so the `query` never ran."""
    files = render(_hostile_spec())
    write_tree(tmp_path, files)
    rules = yaml.safe_load(files["prometheus/rules/emotivoice-alerts.yml"])
    for rule in rules["groups"][0]["rules"]:
        # Whatever the spec said, only mongen's actions remain once they are taken out.
        for text in rule["annotations"].values():
            assert "{{" not in OWN_ACTIONS.sub("", text), text
    tests_file = tmp_path / "prometheus/tests/emotivoice-alerts.test.yml"
    doc = yaml.safe_load(tests_file.read_text())
    for test in doc["tests"]:
        test["input_series"].append({"series": 'node_uname_info{nodename="secret-host"}', "values": "1+0x200"})
    descriptions = [
        exp["exp_annotations"]["description"]
        for test in doc["tests"]
        for case in test.get("alert_rule_test", [])
        for exp in case.get("exp_alerts", [])
    ]
    assert any(d.endswith(" " + LEAK) for d in descriptions) and any(d.endswith(" " + QUINE) for d in descriptions)
    tests_file.write_text(to_yaml(doc))
    proc = subprocess.run(
        [need("promtool"), "test", "rules", tests_file.name],
        cwd=tests_file.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "secret-host" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_expected_text_is_the_literal(text: str) -> None:
    assert expected_text((text,), {}, 0.0) == text
