"""Adopting mongen from what a team already has: a spec drafted from a running service's
`/metrics` (from_metrics.py), SLOs imported from Sloth and OpenSLO, and exported back to OpenSLO.
These modules sit above spec loading: they write spec text and check it with the spec builder."""
