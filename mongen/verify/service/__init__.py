"""The simulated service verify drives: an HTTP app recording through the generated module
(app.py), how it applies the faults of mongen.faults (faults.py), and the generated module's API it relies
on, as a Protocol (instrumentation.py)."""

from mongen.verify.service.app import ENDPOINTS, SimulatedService, serve
from mongen.verify.service.faults import FaultModel, ServiceFault
from mongen.verify.service.instrumentation import InstrumentationModule, load_instrumentation

__all__ = [
    "ENDPOINTS",
    "FaultModel",
    "InstrumentationModule",
    "ServiceFault",
    "SimulatedService",
    "load_instrumentation",
    "serve",
]
