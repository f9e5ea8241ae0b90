"""A throwaway ops repository as a team keeps one: a project config naming the showcase specs
(output in monitoring/, not at the root) and the team's own rule file."""

from __future__ import annotations

from pathlib import Path

from tests.support import ROOT

# rules/team.yml: lines 17 and 19 hold a typo'd metric and a label value only the other spec has.
TEAM_RULES = """\
groups:
  - name: team
    rules:
      - alert: TtsErrorsHigh
        expr: job:emoti_voice_tts_requests:error_ratio_rate5m > 0.1
        for: 5m
        labels: {severity: page}
        annotations: {summary: TTS errors, description: "{{ $value }}"}
      - alert: BudgetLow
        expr: slo:period_error_budget_remaining:ratio{service="emotivoice"} < 0.1
        for: 5m
        labels: {severity: ticket}
        annotations: {summary: budget, description: "{{ $labels.slo }}"}
      - record: job:llm_and_tts_requests:rate5m
        expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m])) + on (job) sum by (job) (rate(llm_requests_total[5m]))
      - record: job:typo:rate5m
        expr: sum by (job) (rate(emoti_voice_tts_request_total[5m]))
      - record: job:llm_not_found:rate5m
        expr: sum by (job) (rate(llm_requests_total{status="404"}[5m]))
"""


def ops_tree(root: Path, specs: tuple[str, ...] = ("emotivoice", "llm")) -> Path:
    """A git repository with specs/*.yaml, mongen.toml (output in monitoring/) and rules/team.yml."""
    (root / "specs").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / ".git").mkdir()
    for name in specs:
        text = (ROOT / f"specs/{name}.yaml").read_text("utf-8")
        if name == "llm":
            # One prometheus.yml holds both services: job names must differ from emotivoice's.
            text = text.replace("{job: dcgm-exporter,", "{job: llm-dcgm-exporter,")
        (root / f"specs/{name}.yaml").write_text(text, "utf-8")
    listed = ", ".join(f'"specs/{name}.yaml"' for name in specs)
    (root / "mongen.toml").write_text(f'specs = [{listed}]\nout = "monitoring"\n', "utf-8")
    (root / "rules/team.yml").write_text(TEAM_RULES, "utf-8")
    return root
