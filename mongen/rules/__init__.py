"""Prometheus rules from the model: recording rules, SLO rules, and one module per alert kind.

`naming` spells every recorded series; `ruleset.rule_set(spec)` builds the whole rule set once.
This file imports nothing, so the modules below can import each other without a cycle at start-up.
"""
