"""Synthetic inputs for the generated promtool unit tests: series, histograms, and test cases.

Separate from building rules: a rule never depends on how it is tested. What this package cannot
synthesize for a spec is rejected by a spec check first (see `histograms.quantile_untestable`).
"""
