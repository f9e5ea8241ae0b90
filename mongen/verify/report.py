"""What a verify run found: what it substituted, one expectation per check, alert states per
phase, series counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from mongen.errors import visible


@dataclass
class Expectation:
    phase: str
    subject: str  # rule, query or alert
    check: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Substitution:
    """One change verify made to a generated artifact (or the deployment around it) for the run,
    because the original cannot exist on 127.0.0.1 or would not fit in a bounded run. Nothing
    else differs from what `mongen generate` wrote."""

    artifact: str  # the generated file (or `deployment` for what is not in one)
    change: str  # original -> substitute
    reason: str


@dataclass
class VerifyReport:
    substitutions: list[Substitution] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    alert_states: dict[str, dict[str, str]] = field(default_factory=dict)  # alert -> phase -> state
    series_counts: dict[str, int] = field(default_factory=dict)  # rule or query -> finite series, healthy phase
    fired_in: dict[str, str | None] = field(default_factory=dict)  # alert -> first phase it fired in
    not_driven: dict[str, str] = field(default_factory=dict)  # alert -> why verify cannot make it fire
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.expectations) and all(e.ok for e in self.expectations)

    def expect(self, phase: str, subject: str, check: str, ok: bool, detail: str = "") -> None:
        self.expectations.append(Expectation(phase, subject, check, ok, detail))

    def conclude(self, spec_alerts: list[str], not_driven: dict[str, str]) -> None:
        """After the fault phases: the phase each alert first fired in. Every alert of the spec
        must fire in one, unless its kind says why verify cannot drive it (listed, not failed:
        it is a limit of verify, not a fault of the monitoring)."""
        self.not_driven = dict(not_driven)
        for alert, states in self.alert_states.items():
            self.fired_in[alert] = next((p for p, s in states.items() if s == "firing" and p != "healthy"), None)
        for alert in spec_alerts:
            if alert in self.not_driven:
                continue
            phase = self.fired_in.get(alert)
            self.expect("all phases", alert, "fires in some phase", phase is not None, f"in {phase}" if phase else "")

    def substitute(self, artifact: str, change: str, reason: str) -> None:
        self.substitutions.append(Substitution(artifact, change, reason))

    def to_json(self) -> str:
        return json.dumps(
            {
                "passed": self.passed,
                "seconds": round(self.seconds, 1),
                "substitutions": [asdict(s) for s in self.substitutions],
                "expectations": [asdict(e) for e in self.expectations],
                "alert_states": self.alert_states,
                "series_counts": self.series_counts,
                "fired_in": self.fired_in,
                "not_driven": self.not_driven,
            },
            indent=2,
            sort_keys=True,
        )

    def to_text(self) -> str:
        lines = ["substituted for this run (everything else runs as generated):"]
        lines += [f"  {s.artifact}: {s.change} ({s.reason})" for s in self.substitutions]
        lines.append("series with a finite value in the healthy phase:")
        width = max((len(k) for k in self.series_counts), default=10)
        lines += [f"  {name:<{width}}  {count}" for name, count in self.series_counts.items()]
        lines += self._alert_table()
        lines += self._fired_lines()
        lines.append("expectations:")
        for e in self.expectations:
            lines.append(
                f"  {'PASS' if e.ok else 'FAIL'}  [{e.phase}] {e.subject}: {e.check}"
                + (f" ({e.detail})" if e.detail else "")
            )
        failed = sum(not e.ok for e in self.expectations)
        lines.append(f"{len(self.expectations) - failed} passed, {failed} failed in {self.seconds:.0f}s")
        # Alert names, details and series names come from the spec and the tools: one entry, one line.
        return "\n".join(visible(line.rstrip(), "\t") for line in lines)

    def _fired_lines(self) -> list[str]:
        if not self.fired_in and not self.not_driven:
            return []
        lines = ["phase that fired each alert:"]
        width = max(len(a) for a in (*self.fired_in, *self.not_driven))
        for alert, phase in self.fired_in.items():
            why = f"not driven: {self.not_driven[alert]}" if alert in self.not_driven else "did not fire"
            lines.append(f"  {alert:<{width}}  {phase or why}")
        lines += [f"  {a:<{width}}  not driven: {why}" for a, why in self.not_driven.items() if a not in self.fired_in]
        return lines

    def _alert_table(self) -> list[str]:
        phases = list(dict.fromkeys(p for states in self.alert_states.values() for p in states))
        alert_width = max((len(a) for a in self.alert_states), default=10)
        phase_width = {p: max(12, len(p)) for p in phases}
        lines = ["alert state per phase:"]
        lines.append(f"  {'alert':<{alert_width}}  " + "  ".join(f"{p:<{phase_width[p]}}" for p in phases))
        for alert, states in self.alert_states.items():
            cells = "  ".join(f"{states.get(p, '-'):<{phase_width[p]}}" for p in phases)
            lines.append(f"  {alert:<{alert_width}}  " + cells)
        return lines
