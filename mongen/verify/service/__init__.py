"""The simulated service verify drives: an HTTP app recording through the generated module
(app.py), the faults it can be given (faults.py), and the generated module's API it relies
on, as a Protocol (instrumentation.py)."""

from mongen.verify.service.app import ENDPOINTS, SimulatedService, serve
from mongen.verify.service.faults import Fault, FaultModel, Outage, ServerErrors, SlowResponses
from mongen.verify.service.instrumentation import InstrumentationModule, load_instrumentation

__all__ = [
    "ENDPOINTS",
    "Fault",
    "FaultModel",
    "InstrumentationModule",
    "Outage",
    "ServerErrors",
    "SimulatedService",
    "SlowResponses",
    "load_instrumentation",
    "serve",
]
