"""Exporter presets, one module each, and the registry: `scrape.exporters[].exporter` in a spec
names one. Adding a preset is its module and its entry in PRESETS; the schema's enum is read from
it (mongen.spec.schema)."""

from __future__ import annotations

from mongen.presets import dcgm, tgi, triton, vllm
from mongen.presets.base import Preset

PRESETS: dict[str, Preset] = {p.name: p for p in (dcgm.PRESET, vllm.PRESET, triton.PRESET, tgi.PRESET)}

__all__ = ["PRESETS", "Preset"]
