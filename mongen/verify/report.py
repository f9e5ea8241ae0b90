"""What a verify run found: what it substituted, one expectation per check, alert states per
phase, series counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


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
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.expectations) and all(e.ok for e in self.expectations)

    def expect(self, phase: str, subject: str, check: str, ok: bool, detail: str = "") -> None:
        self.expectations.append(Expectation(phase, subject, check, ok, detail))

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
        lines.append("expectations:")
        for e in self.expectations:
            lines.append(
                f"  {'PASS' if e.ok else 'FAIL'}  [{e.phase}] {e.subject}: {e.check}"
                + (f" ({e.detail})" if e.detail else "")
            )
        failed = sum(not e.ok for e in self.expectations)
        lines.append(f"{len(self.expectations) - failed} passed, {failed} failed in {self.seconds:.0f}s")
        return "\n".join(line.rstrip() for line in lines)

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
