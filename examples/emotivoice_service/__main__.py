"""Entry point of the simulated EmotiVoice service (implementation: mongen/verify/service/app.py)."""

from mongen.verify.service.app import main

main()
