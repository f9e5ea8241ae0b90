"""Entry point of the fake EmotiVoice service (implementation: mongen/fake_service.py)."""

from mongen.fake_service import main

main()
