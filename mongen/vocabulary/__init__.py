"""Names other programs define: exporters' series and labels. The lowest layer: it imports nothing
of mongen, so the spec, the rules, the dashboard and verify all read the same spelling."""
