"""What the dashboard shows, before it is Grafana JSON: rows of panel descriptions and variables.

Row functions (`rows.py`) build these from the model, `grid.py` places them and `encode.py`
turns them into Grafana JSON. Nothing here knows grafanalib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PanelKind = Literal["timeseries", "heatmap"]
Stacking = Literal["normal", "percent"]


@dataclass(frozen=True)
class Query:
    expr: str  # PromQL; may hold `$variable` references Grafana interpolates
    legend: str  # Grafana legend template, e.g. `{{endpoint}}`


@dataclass(frozen=True)
class Threshold:
    """A line drawn across a time series at `value`."""

    value: float
    color: str


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str  # a Grafana unit id: `s`, `bytes`, `reqps`, `percentunit`, `none`
    kind: PanelKind = "timeseries"
    width: int = 12  # of the grid's 24 columns
    stacking: Stacking | None = None
    thresholds: tuple[Threshold, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Variable:
    """A dashboard dropdown over one label's values, read from `series` (which carries the label)."""

    label: str
    series: str

    @property
    def title(self) -> str:
        return self.label.capitalize()
