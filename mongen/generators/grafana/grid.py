"""Where each row header and panel sits on Grafana's 24-column grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 24  # Grafana's grid is 24 columns wide
ROW_HEIGHT = 1
PANEL_HEIGHT = 8  # the height Grafana gives a new panel


@dataclass(frozen=True)
class GridPos:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PlacedRow:
    header: GridPos
    panels: tuple[GridPos, ...]


def place(rows: Sequence[Sequence[int]]) -> tuple[PlacedRow, ...]:
    """Rows top to bottom, each given as its panels' widths: a full-width header, then the
    panels left to right, wrapping to a new line when the next one does not fit."""
    placed = []
    y = 0
    for widths in rows:
        header = GridPos(0, y, WIDTH, ROW_HEIGHT)
        y += ROW_HEIGHT
        x = 0
        cells = []
        for width in widths:
            if x + width > WIDTH:
                x, y = 0, y + PANEL_HEIGHT
            cells.append(GridPos(x, y, width, PANEL_HEIGHT))
            x += width
        y += PANEL_HEIGHT
        placed.append(PlacedRow(header, tuple(cells)))
    return tuple(placed)
