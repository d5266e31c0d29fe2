"""WS-Management envelopes: parse what pypsrp sends, write what it expects back.

Only the parts of [MS-WSMV] a PSRP client uses are modelled. Responses are written as text
(they are small and fixed in shape, apart from base64 stream data that needs no escaping); every
one carries ``wsa:RelatesTo`` = the request's MessageID, which pypsrp checks.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "NS",
    "SoapFault",
    "WSManRequest",
    "fault_envelope",
    "parse_request",
    "response_envelope",
]

NS: dict[str, str] = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "pwsh": "http://schemas.microsoft.com/powershell",
}
_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


class SoapFault(Exception):
    """A WS-Man fault to answer with (HTTP 500); ``code`` is the WSManFault code pypsrp reads."""

    def __init__(self, code: int, reason: str, subcode: str = "wsman:InternalError") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.subcode = subcode


# Codes pypsrp and PowerShell know.
OPERATION_TIMEOUT = 2150858793  # 0x80338029
SHELL_NOT_FOUND = 2150858843  # 0x8033805B: is_alive() reads it as "pool gone"
INVALID_REQUEST = 2150858752  # 0x80338000, generic
ACTION_NOT_SUPPORTED = 2150858774  # 0x80338016


@dataclass
class WSManRequest:
    """The header fields and body of one request, as the endpoint needs them."""

    action: str  # full wsa:Action URI
    message_id: str
    resource_uri: str
    operation_timeout_s: float
    max_envelope_size: int
    selectors: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None

    @property
    def short_action(self) -> str:
        return self.action.rstrip("/").rsplit("/", 1)[-1]

    @property
    def shell_id(self) -> str | None:
        value = self.selectors.get("ShellId")
        return value.upper() if value else None

    def find(self, path: str) -> ET.Element | None:
        return None if self.body is None else self.body.find(path, NS)


def parse_duration(text: str | None, default: float) -> float:
    """``PT20S``/``PT20.000S``/``P0DT0H1M0S`` -> seconds; anything else -> ``default``."""
    match = _DURATION.match((text or "").strip())
    if not match or not any(match.groups()):
        return default
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def parse_request(data: bytes) -> WSManRequest:
    """Parse a request envelope. Raises ``SoapFault`` when it is not a usable WS-Man request."""
    try:
        # The client is authenticated and on loopback; expat (>= 2.4.1 in supported Pythons)
        # refuses entity-expansion bombs, and there is no DTD or external entity support in ET.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise SoapFault(INVALID_REQUEST, f"The request is not well-formed XML: {exc}") from exc
    header = root.find("s:Header", NS)
    if header is None:
        raise SoapFault(INVALID_REQUEST, "The request has no SOAP header.")

    def text(path: str) -> str:
        element = header.find(path, NS)
        return (element.text or "").strip() if element is not None else ""

    action = text("wsa:Action")
    message_id = text("wsa:MessageID")
    if not action or not message_id:
        raise SoapFault(INVALID_REQUEST, "The request lacks wsa:Action or wsa:MessageID.")
    try:
        max_envelope = int(text("wsman:MaxEnvelopeSize") or "153600")
    except ValueError:
        max_envelope = 153600
    selectors = {
        sel.attrib.get("Name", ""): (sel.text or "").strip()
        for sel in header.findall("wsman:SelectorSet/wsman:Selector", NS)
    }
    body = root.find("s:Body", NS)
    return WSManRequest(
        action=action,
        message_id=message_id,
        resource_uri=text("wsman:ResourceURI"),
        operation_timeout_s=parse_duration(text("wsman:OperationTimeout"), 60.0),
        max_envelope_size=max(8192, max_envelope),
        selectors=selectors,
        body=body[0] if body is not None and len(body) else None,
    )


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    ns = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())
    return (
        f'<s:Envelope xml:lang="en-US" {ns}><s:Header>'
        f"<wsa:Action>{escape(action)}</wsa:Action>"
        f"<wsa:MessageID>uuid:{str(uuid.uuid4()).upper()}</wsa:MessageID>"
        f"<wsa:To>{_ANONYMOUS}</wsa:To>"
        f"<wsa:RelatesTo>{escape(relates_to)}</wsa:RelatesTo>"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def response_envelope(request: WSManRequest, body: str) -> bytes:
    """The response to ``request`` (action + ``Response``) with ``body`` (trusted XML text)."""
    return _envelope(request.action + "Response", request.message_id, body)


def fault_envelope(request: WSManRequest | None, fault: SoapFault, machine: str) -> bytes:
    """A SOAP fault with the WSManFault detail pypsrp turns into ``WSManFaultError(code, ...)``."""
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
        f"<s:Subcode><s:Value>{escape(fault.subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(fault.reason)}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault Code="{fault.code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(fault.reason)}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return _envelope(
        "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
        request.message_id if request is not None else "",
        body,
    )
