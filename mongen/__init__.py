"""mongen: monitoring-as-code for AI inference services."""

__version__ = "0.1.0"
