"""Fields Alertmanager renders as Go templates (email `to` and `from`, Slack `channel`) hold only
literal text: with `{{` in them an alert's labels would choose the recipient or the sender, and
amtool does not check them. Each is refused at its field with FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

import pytest

from mongen.errors import SpecError
from mongen.loading import load_spec
from tests.support import ROOT

_SLACK = "    - {name: team-slack, type: slack, api_url_file: /etc/am/slack, channel: CHANNEL}\n"


@pytest.mark.parametrize(
    ("find", "replace", "where"),
    [
        ("      to: sre@example.com\n", '      to: "{{.CommonLabels.team}}@example.com"\n', "routing.receivers[2].to"),
        ("    from: alertmanager@example.com\n", '    from: "a{{.GroupLabels.x}}@example.com"\n', "routing.email.from"),
        (
            "  receivers:\n",
            "  receivers:\n" + _SLACK.replace("CHANNEL", '"#{{.CommonLabels.team}}"'),
            "routing.receivers[0].channel",
        ),
    ],
    ids=["email-to", "email-from", "slack-channel"],
)
def test_a_templated_field_with_a_go_template_is_refused(tmp_path: Path, find: str, replace: str, where: str) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    assert find in text
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text.replace(find, replace, 1))
    with pytest.raises(SpecError) as refused:
        load_spec(spec_file)
    issues = [str(i) for i in refused.value.issues]
    assert any(f"error: {where}:" in issue and issue.startswith(f"{spec_file}:") for issue in issues), issues


def test_literal_values_of_the_same_fields_are_accepted(tmp_path: Path) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text.replace("  receivers:\n", "  receivers:\n" + _SLACK.replace("CHANNEL", '"#sre"'), 1))
    spec = load_spec(spec_file)
    assert {r.channel for r in spec.routing.receivers} >= {"#sre"}
