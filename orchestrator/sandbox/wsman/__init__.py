"""The sandbox's WinRM endpoint: WS-Management over HTTP(S) on loopback, PSRP via psrpcore.

See ``docs/sandbox/endpoint.md``. Public API: ``WinRMEndpoint``, the fault hooks
(``EndpointFaults``, ``ScriptedFaults``, ``FaultRule``) and ``ensure_certificate``.
"""

from orchestrator.sandbox.wsman.certs import EndpointCertificate, ensure_certificate
from orchestrator.sandbox.wsman.faults import EndpointFaults, FaultDecision, FaultRule, ScriptedFaults
from orchestrator.sandbox.wsman.server import WinRMEndpoint

__all__ = [
    "EndpointCertificate",
    "EndpointFaults",
    "FaultDecision",
    "FaultRule",
    "ScriptedFaults",
    "WinRMEndpoint",
    "ensure_certificate",
]
