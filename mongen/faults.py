"""What can go wrong: the one fault vocabulary of mongen.

An alert kind says which fault makes its alert fire (`AlertKind.fault`, mongen.rules.alert_kinds);
`mongen verify` plans its phases from those values and hands the very same values to what it
simulates: the service (mongen.verify.service, over `POST /admin/faults` as JSON, `to_json` /
`from_json` below), the simulated dcgm-exporter and the preset exporters. The simulations derive
their own numbers from a fault (how far to shift a latency, where to hold a gauge) from their
healthy levels; a fault only says what goes wrong, where, and how much.

Two faults are equal when verify injects the same thing: what an alert reads of it (the counter
its errors are counted in, the labels it fires with) is not compared, so alerts whose faults are
equal share one phase (target_down and absent both fire when the replica goes down).

Nothing here imports from mongen: the rules and verify both build on it.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import ClassVar

LabelMatch = tuple[tuple[str, str], ...]  # (label, value) pairs
Share = float  # 0 to 1: a share of requests or observations


@dataclass(frozen=True)
class Reading:
    """One series of a simulated exporter: a gauge's level; a counter's increase per second; a
    histogram's observations, `rate` a second, each of `value` seconds."""

    series: str
    labels: LabelMatch
    value: float
    rate: float = 0.0


@dataclass(frozen=True)
class ServerErrors:
    """A `share` (0 to 1) of the requests whose labels carry every (label, value) of `match` fail
    with a server error; an empty match means every request. `metric` is the counter the alert
    counts them in, `labels` those of `match` the alert fires with (the ones it groups by)."""

    metric: str = field(compare=False)
    match: LabelMatch
    share: Share
    labels: LabelMatch = field(default=(), compare=False)

    def concerns(self, other: Fault) -> bool:
        # A failed request fails in every counter with an `errors` selector.
        return isinstance(other, ServerErrors)

    def phase_name(self, namespace: str) -> str:
        """`angry-errors`: the label values the alert fires with, alphanumerics only (the label
        name for a value with none), or `all-errors`."""
        values = "-".join("".join(c for c in v if c.isalnum()) or k for k, v in self.labels)
        return f"{values or 'all'}-errors"


@dataclass(frozen=True)
class SlowRequests:
    """A `share` of the observations of the histogram `metric` (drawn at random; 1: all of them)
    land well above `threshold` seconds: every quantile of them, for share 1."""

    metric: str
    threshold: float
    share: Share = 1.0
    labels: ClassVar[LabelMatch] = ()

    def concerns(self, other: Fault) -> bool:
        return isinstance(other, SlowRequests) and other.metric == self.metric

    def phase_name(self, namespace: str) -> str:
        return "slow"


@dataclass(frozen=True)
class GaugeLevel:
    """The gauge `metric` moves well past `threshold`: above it (`above`), or below it."""

    metric: str
    threshold: float
    above: bool = True
    labels: ClassVar[LabelMatch] = ()

    def concerns(self, other: Fault) -> bool:
        return isinstance(other, GaugeLevel) and other.metric == self.metric

    def phase_name(self, namespace: str) -> str:
        return f"{self.metric.removeprefix(namespace + '_')}-{'high' if self.above else 'low'}"


@dataclass(frozen=True)
class TargetGone:
    """The service stops answering at once, keep-alive connections included (a replica going
    down), and its series vanish with it: those of `metric`, for an alert that watches one. It
    does not come back, so it is the last fault of a run."""

    metric: str = field(default="", compare=False)
    labels: ClassVar[LabelMatch] = ()

    def concerns(self, other: Fault) -> bool:
        return isinstance(other, TargetGone)

    def phase_name(self, namespace: str) -> str:
        return "target-down"


@dataclass(frozen=True)
class FrameBufferFull:
    """dcgm-exporter reports GPU `gpu`'s frame buffer used past `threshold` (a share of it);
    verify runs a simulated dcgm-exporter with two GPUs for the spec's `exporter: dcgm` jobs and
    fills the second, so the alert's `gpu` label is checked too."""

    threshold: float
    gpu: str = "1"

    @property
    def labels(self) -> LabelMatch:
        return (("gpu", self.gpu),)

    def concerns(self, other: Fault) -> bool:
        return isinstance(other, FrameBufferFull)

    def phase_name(self, namespace: str) -> str:
        return f"gpu{self.gpu}-frame-buffer-full"


@dataclass(frozen=True)
class ExporterReadings:
    """A preset's simulated exporter (the spec's job `job`) serves `readings` in place of the
    healthy ones of the same series and labels, or stops answering (`readings` None); the alert
    `key` of the preset must fire, with `labels` (besides job and instance)."""

    job: str
    key: str
    readings: tuple[Reading, ...] | None
    labels: LabelMatch = ()

    def concerns(self, other: Fault) -> bool:
        return other == self

    def phase_name(self, namespace: str) -> str:
        return f"{self.job}-{self.key.replace('_', '-')}"


@dataclass(frozen=True)
class CannotDrive:
    """verify cannot produce what makes this alert fire; `reason` says why (shown in its report)."""

    reason: str


Fault = ServerErrors | SlowRequests | GaugeLevel | TargetGone | FrameBufferFull | ExporterReadings

FAULT_TYPES: dict[str, type[Fault]] = {
    t.__name__: t for t in (ServerErrors, SlowRequests, GaugeLevel, TargetGone, FrameBufferFull, ExporterReadings)
}


# --- JSON: the one (de)serialisation of faults ------------------------------------------------


def to_json(fault: Fault) -> dict[str, object]:
    """`{"fault": "<type>", <field>: <value>, ...}`: label pairs as [label, value] lists."""
    return {"fault": type(fault).__name__, **{f.name: _plain(getattr(fault, f.name)) for f in fields(fault)}}


def from_json(data: object) -> Fault:
    """The fault `to_json` wrote; ValueError naming what is wrong with anything else."""
    if not isinstance(data, dict):
        raise ValueError(f'faults: expected objects {{"fault": "<type>", ...}}, got {_short(data)}')
    kind = FAULT_TYPES.get(str(data.get("fault")))
    if kind is None:
        raise ValueError(f"faults: unknown fault {_short(data.get('fault'))} (one of {', '.join(FAULT_TYPES)})")
    values: dict[str, object] = {}
    for f in fields(kind):
        if f.name in data:
            try:
                values[f.name] = _READERS[str(f.type)](data[f.name])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"faults: {kind.__name__}.{f.name}: {exc}") from None
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ValueError(f"faults: {kind.__name__} needs `{f.name}`")
    return kind(**values)  # type: ignore[arg-type]


def _plain(value: object) -> object:
    if isinstance(value, Reading):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def number(value: object) -> float:
    """A finite number (a JSON number, or its text): infinity and NaN are no level, threshold or
    factor the simulations can apply."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {_short(value)}")
    try:
        result = float(value)
    except OverflowError:  # an integer past float's range
        result = math.inf
    except ValueError:
        raise ValueError(f"expected a number, got {_short(value)}") from None
    if not math.isfinite(result):
        raise ValueError(f"expected a finite number, got {_short(value)}")
    return result


def share(value: object) -> float:
    """A number from 0 to 1."""
    result = number(value)
    if not 0 <= result <= 1:
        raise ValueError(f"expected a share from 0 to 1, got {_short(value)}")
    return result


def _short(value: object) -> str:
    """`value` for a message, cut short: a request body may be megabytes."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a number of more than 30 digits"
    return text if len(text) <= 80 else text[:77] + "..."


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_short(value)}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_short(value)}")
    return value


def _label_match(value: object) -> LabelMatch:
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise ValueError(f"expected [[label, value], ...], got {_short(value)}")
    return tuple((str(k), str(v)) for k, v in value)


def _readings(value: object) -> tuple[Reading, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ValueError(f"expected a list of readings or null, got {_short(value)}")
    return tuple(
        Reading(
            _text(r.get("series")), _label_match(r.get("labels", [])), number(r.get("value")), number(r.get("rate", 0))
        )
        for r in value
    )


# How each field type (as annotated above) is read back from JSON.
_READERS = {
    "str": _text,
    "float": number,
    "Share": share,
    "bool": _flag,
    "LabelMatch": _label_match,
    "tuple[Reading, ...] | None": _readings,
}
