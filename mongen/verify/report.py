"""What a verify run found: what it substituted, one expectation per check, alert states per
phase, series counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from mongen.errors import visible
from mongen.units import counted
from mongen.verify.recording import PhaseSpan, RunRecording


@dataclass
class Expectation:
    phase: str
    subject: str  # rule, query or alert
    check: str
    ok: bool
    detail: str = ""
    group: str = ""  # what kind of check: fires, delivery, quiet, carried, unexpected, targets, queries, ...


@dataclass(frozen=True)
class DeliveryRow:
    """One cell row of the delivery matrix: in `phase`, `alert` (a required one, one the fault may
    also fire, one carried over, an inhibited one) was expected at `expected` (from the spec's
    routing and inhibition) and reached `observed` (the webhook sink)."""

    phase: str
    alert: str
    role: str  # required, allowed, carried, inhibited, unexpected
    expected: list[str]
    observed: list[str]


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
    deliveries: list[DeliveryRow] = field(default_factory=list)
    seconds: float = 0.0
    phase_spans: list[PhaseSpan] = field(default_factory=list)  # when each phase ran
    recording: RunRecording | None = None  # the run over time, when asked for (`verify --html`)

    @property
    def passed(self) -> bool:
        return bool(self.expectations) and all(e.ok for e in self.expectations)

    def expect(self, phase: str, subject: str, check: str, ok: bool, detail: str = "", group: str = "") -> None:
        self.expectations.append(Expectation(phase, subject, check, ok, detail, group))

    def conclude(self, spec_alerts: list[str], not_driven: dict[str, str], unexcused: tuple[str, ...] = ()) -> None:
        """After the fault phases: the phase each alert first fired in. Every generated alert
        must fire in one, unless verify says why it cannot drive it: listed, not failed (a limit
        of verify, not a fault of the monitoring), except an SLO's alert the spec does not mark
        as not drivable (`unexcused`), which fails."""
        self.not_driven = dict(not_driven)
        for alert in unexcused:
            self.expect(
                "all phases",
                alert,
                "is driven (or its SLO says `verify: false`)",
                False,
                not_driven.get(alert, ""),
                group="coverage",
            )
        for alert, states in self.alert_states.items():
            self.fired_in[alert] = next((p for p, s in states.items() if s == "firing" and p != "healthy"), None)
        for alert in spec_alerts:
            if alert in self.not_driven:
                continue
            phase = self.fired_in.get(alert)
            self.expect(
                "all phases",
                alert,
                "fires in some phase",
                phase is not None,
                f"in {phase}" if phase else "",
                "coverage",
            )

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
                "delivery_matrix": [asdict(d) for d in self.deliveries],
            },
            indent=2,
            sort_keys=True,
        )

    def to_text(self, verbose: bool = False) -> str:
        """One line per phase and check group, every failure in full; `verbose` adds the
        substitutions, series counts, alert states and every expectation."""
        lines = []
        if verbose:
            lines.append("substituted for this run (everything else runs as generated):")
            lines += [f"  {s.artifact}: {s.change} ({s.reason})" for s in self.substitutions]
            lines.append("series with a finite value in the healthy phase:")
            width = max((len(k) for k in self.series_counts), default=10)
            lines += [f"  {name:<{width}}  {count}" for name, count in self.series_counts.items()]
            lines += self._alert_table()
        else:
            lines.append(f"{counted(len(self.substitutions), 'substitution')} for this run (-v lists them)")
        lines += self._phase_lines()
        lines += self._fired_lines(verbose)
        failures = [e for e in self.expectations if not e.ok]
        shown = self.expectations if verbose else failures
        if shown:
            lines.append("expectations:" if verbose else "failures:")
        for e in shown:
            lines.append(
                f"  {'PASS' if e.ok else 'FAIL'}  [{e.phase}] {e.subject}: {e.check}"
                + (f" ({e.detail})" if e.detail else "")
            )
        failed = len(failures)
        lines.append(f"{len(self.expectations) - failed} passed, {failed} failed in {self.seconds:.0f}s")
        # Alert names, details and series names come from the spec and the tools: one entry, one line.
        return "\n".join(visible(line.rstrip(), "\t") for line in lines)

    def _phase_lines(self) -> list[str]:
        summaries = self.phase_summaries()
        width = max((len(p) for p in summaries), default=0)
        return [f"{phase + ':':<{width + 1}} {summary}" for phase, summary in summaries.items()]

    def phase_summaries(self) -> dict[str, str]:
        """Per phase, in run order: `1 fired as expected, 2 deliveries as expected, 4 quiet as
        expected, 1 carried over, 0 unexpected`."""
        phases = list(dict.fromkeys(e.phase for e in self.expectations))
        out = {}
        for phase in phases:
            mine = [e for e in self.expectations if e.phase == phase]
            groups: dict[str, list[Expectation]] = {}
            for e in mine:
                groups.setdefault(e.group or "checks", []).append(e)
            parts = []
            order = [*_GROUP_WORDS, "unexpected"]
            for group, items in sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else -1):
                ok = sum(e.ok for e in items)
                parts.append(_group_text(group, ok, len(items)))
            if "unexpected" not in groups and phase not in ("exposure", "all phases"):
                parts.append("0 unexpected")
            out[phase] = ", ".join(parts)
        return out

    def _fired_lines(self, verbose: bool) -> list[str]:
        if not self.fired_in and not self.not_driven:
            return []
        if not verbose:
            return [f"  not driven: {a}: {why}" for a, why in self.not_driven.items()]
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


# In the order a phase's line tells them: (words after a count of one, after any other count).
_GROUP_WORDS = {
    "targets": ("target scraped", "targets scraped"),
    "queries": ("query with a finite value", "queries with a finite value"),
    "fires": ("fired as expected", "fired as expected"),
    "delivery": ("delivery as expected", "deliveries as expected"),
    "quiet": ("quiet as expected", "quiet as expected"),
    "carried": ("carried over", "carried over"),
    "coverage": ("alert fired in some phase", "alerts fired in some phase"),
}


def _group_text(group: str, ok: int, total: int) -> str:
    if group == "unexpected":
        return f"{total - ok} unexpected"
    if group == "carried":
        return f"{total} carried over"
    one, many = _GROUP_WORDS.get(group, ("check passed", "checks passed"))
    words = one if total == 1 else many
    return f"{ok} {words}" if ok == total else f"{ok}/{total} {words}"
