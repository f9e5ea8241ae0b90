"""`python -m mongen.verify.service`: the simulated service as its own process (verify runs it so)."""

from mongen.verify.service.app import main

main()
