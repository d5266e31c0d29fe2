"""The PSRP session layer: the ONLY module that imports pypsrp (and requests' exceptions).

One :class:`PowerShellSession` per worker thread: pypsrp's RunspacePool shares one serializer and
fragmenter, and two threads on one pool can send malformed PSRP XML. Parallelism is one session
(one WSMan + one single-runspace pool) per worker.

What this module guarantees to the layers above:

* every value reaches PowerShell as a PSRP parameter (``add_parameters``), never spliced into text;
* a per-script deadline of our own (pypsrp has none): ``begin_invoke``/``poll_invoke`` against it,
  then ``stop()`` and :class:`~orchestrator.errors.HostTimeout`;
* results are plain Python (:class:`~orchestrator.results.InvokeResult`): dicts, lists, str, int,
  bool, float, ``uuid.UUID`` and *aware* ``datetime`` (pypsrp's ``<DT>`` handling is replaced);
* every error record is returned, non-terminating ones included (pypsrp's ``had_errors`` is True
  only when the pipeline Failed);
* every failure is an ``orchestrator.errors`` class, mapped in ONE table (:func:`map_exception`),
  with the original kept as ``__cause__``; unknown exceptions are bugs and propagate unchanged.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import requests.exceptions as rexc
import structlog
from pypsrp.complex_objects import GenericComplexObject, PSInvocationState
from pypsrp.exceptions import (
    AuthenticationError,
    FragmentError,
    InvalidPipelineStateError,
    InvalidPSRPOperation,
    InvalidRunspacePoolStateError,
    SerializationError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.wsman import NAMESPACES, WSMan, WSManAction

from orchestrator.config import WinRMSettings
from orchestrator.errors import (
    AuthenticationFailed,
    ConfigError,
    EndpointError,
    HostError,
    HostTimeout,
    OrchestratorError,
    TransientHostError,
)
from orchestrator.logging_setup import clamp_library_loggers, register_secret
from orchestrator.results import InvocationState, InvokeResult, PSErrorInfo

try:  # Kerberos/NTLM failures surface from pyspnego, not from requests
    from spnego.exceptions import SpnegoError as _SpnegoError
except ImportError:  # pragma: no cover - pyspnego is a pypsrp dependency

    class _SpnegoError(Exception):  # type: ignore[no-redef]
        pass


__all__ = ["PowerShellSession", "SessionThreadError", "map_exception"]

# Defensive: even if logging was never configured, pypsrp must not dump envelopes (script text,
# parameter values) at DEBUG through some handler another library installed.
clamp_library_loggers()

_PIPELINE_STATES: dict[int, InvocationState] = {
    PSInvocationState.COMPLETED: "Completed",
    PSInvocationState.FAILED: "Failed",
    PSInvocationState.STOPPED: "Stopped",
}

# System.Management.Automation.ErrorCategory (pypsrp only gives the int)
_ERROR_CATEGORIES = (
    *("NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument"),
    *("InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError", "NotImplemented"),
    *("NotInstalled", "ObjectNotFound", "OperationStopped", "OperationTimeout", "SyntaxError", "ParserError"),
    *("PermissionDenied", "ResourceBusy", "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError"),
    *("FromStdErr", "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError"),
    *("LimitsExceeded", "QuotaExceeded", "NotEnabled"),
)

# WS-Man fault codes we classify explicitly; anything else is an EndpointError.
_WSMAN_OPERATION_TIMEOUT = 0x80338029
_WSMAN_UNEXPECTED_SELECTORS = 0x8033805B  # the shell is gone (host restarted it)
_WSMAN_ACCESS_DENIED = 0x80070005
_RESTRICTED_FQIDS = ("ScriptsNotAllowed",)
_RESTRICTED_TEXT = ("no-language mode", "not supported by this runspace", "restricted language mode")


class SessionThreadError(RuntimeError):
    """A session was used from a thread other than the one that first used it (a bug)."""


# --------------------------------------------------------------------------------------------
# Deserialization: DateTime as aware datetime, everything flattened to plain Python
# --------------------------------------------------------------------------------------------


def _parse_datetime(text: str | None) -> datetime | str | None:
    """CLIXML ``<DT>`` text -> aware datetime (UTC when the value carries no offset)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return text  # defensive: keep what the host sent rather than fail the whole result
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _PlainSerializer(Serializer):
    """pypsrp's Serializer with ``<DT>`` elements turned into aware datetimes at the source,
    instead of guessing later which strings were dates."""

    def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
        if isinstance(element, ET.Element):
            if element.tag == "DT":
                return _parse_datetime(element.text)
        elif isinstance(element, str) and element.lstrip().startswith("<DT"):
            try:
                parsed = ET.fromstring(element)  # noqa: S314 - same parser pypsrp uses on this data
            except ET.ParseError:
                parsed = None
            if parsed is not None and parsed.tag == "DT":
                return _parse_datetime(parsed.text)
        return super().deserialize(element, metadata, clear)


def _clixml_to_plain(element: ET.Element, refs: dict[str, object]) -> object:
    """Defensive reading of raw CLIXML that pypsrp could not map (it hands back the XML text)."""
    tag = element.tag
    if tag == "Ref":
        return refs.get(element.attrib.get("RefId", ""))
    if tag == "Obj":
        result: object
        for container in ("LST", "IE", "QUE", "STK"):
            items = element.find(container)
            if items is not None:
                result = [_clixml_to_plain(child, refs) for child in items]
                break
        else:
            dct = element.find("DCT")
            props: dict[str, object] = {}
            if dct is not None:
                for entry in dct.findall("En"):
                    key, value = entry.find("*[@N='Key']"), entry.find("*[@N='Value']")
                    if key is not None:
                        props[str(_clixml_to_plain(key, refs))] = (
                            _clixml_to_plain(value, refs) if value is not None else None
                        )
            for section in ("Props", "MS"):
                for child in element.find(section) or ():
                    props[child.attrib.get("N", "")] = _clixml_to_plain(child, refs)
            to_string = element.find("ToString")
            result = props if props or to_string is None else to_string.text
        if "RefId" in element.attrib:
            refs[element.attrib["RefId"]] = result
        return result
    if tag in ("LST", "IE", "QUE", "STK"):
        return [_clixml_to_plain(child, refs) for child in element]
    return to_plain(_PlainSerializer().deserialize(element))


def _raw_xml(value: str) -> ET.Element | None:
    head = value.lstrip()[:5]
    if not (head.startswith("<Obj") or head.startswith("<LST")):
        return None
    try:
        element = ET.fromstring(value)  # noqa: S314 - expat: no external entities; host-sent CLIXML
    except ET.ParseError:
        return None
    return element if element.tag in ("Obj", "LST") else None


def to_plain(value: object) -> object:
    """Flatten a pypsrp value to plain Python (dict/list/str/int/float/bool/None/UUID/datetime)."""
    if value is None or isinstance(value, bool | int | float | datetime | uuid.UUID | bytes):
        return value
    if isinstance(value, str):
        element = _raw_xml(value)
        return value if element is None else _clixml_to_plain(element, {})
    if isinstance(value, GenericComplexObject):
        props: dict[str, object] = {}
        for key, item in value.adapted_properties.items():
            props[str(key)] = to_plain(item)
        for key, item in value.extended_properties.items():
            props[str(key)] = to_plain(item)
        if props:
            return props
        types = [str(t) for t in value.types]
        if any(t.endswith("System.Enum") for t in types) and value.to_string is not None:
            return str(value.to_string)  # the enum's name reads better than its number
        if value.property_sets:  # a collection (e.g. MultiValuedProperty) or a boxed primitive
            items = [to_plain(item) for item in value.property_sets]
            return items[0] if len(items) == 1 else items
        return None if value.to_string is None else str(value.to_string)
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    return str(value)


def _error_info(record: Any) -> PSErrorInfo:
    """pypsrp ErrorRecordMessage -> PSErrorInfo (see the facts file for what each field holds)."""
    message = getattr(record, "details_message", None) or str(record) or (record.message or "")
    category = record.category
    category_name = (
        _ERROR_CATEGORIES[category]
        if isinstance(category, int) and 0 <= category < len(_ERROR_CATEGORIES)
        else str(category)
    )
    exception_type: str | None = None
    exception = getattr(record, "exception", None)
    if isinstance(exception, GenericComplexObject) and exception.types:
        exception_type = str(exception.types[0]).removeprefix("Deserialized.")
    target_object = getattr(record, "target_object", None)
    target = None if target_object is None else str(to_plain(target_object))
    return PSErrorInfo(
        message=str(message),
        fq_error_id=str(record.fq_error or ""),
        category=category_name,
        reason=record.reason,
        exception_type=exception_type,
        target=target,
        activity=record.activity,
    )


# --------------------------------------------------------------------------------------------
# Error mapping: one table at the boundary
# --------------------------------------------------------------------------------------------

_HINT_UNREACHABLE = (
    "is the jump host up and WinRM listening (Test-WSMan)? check the firewall, winrm.host/port and "
    "winrm.https (an HTTPS listener drops plain HTTP); HTTP(S)_PROXY/NO_PROXY env vars also apply"
)
_HINT_TLS = (
    "if the host certificate comes from an internal CA, set winrm.ca_bundle to that CA's PEM; the "
    "certificate must name winrm.host; a plain-HTTP listener on this port also fails this way "
    "(check winrm.https and winrm.port)"
)
_HINT_AUTH = (
    "check winrm.username (DOMAIN\\user or user@REALM) and the password source; check that the auth "
    "method is enabled on the listener; for Kerberos, a ticket (klist) and the SPN "
    "(winrm.negotiate_service); the account must be allowed to use the session configuration"
)
_HINT_TIMEOUT = (
    "the host did not answer in time; a cmdlet may already have acted, so re-check the mailbox "
    "before retrying; raise winrm.read_timeout or winrm.invoke_timeout if the host is just slow"
)


def _wsman_fault(exc: WSManFaultError, target: str, action: str) -> HostError:
    code = exc.code if isinstance(exc.code, int) else None
    reason = str(exc.reason or exc.message)
    text = reason.lower()
    details = {"host": target, "wsman_code": hex(code) if code is not None else str(exc.code)}
    if code == _WSMAN_ACCESS_DENIED or "access is denied" in text or "access denied" in text:
        return AuthenticationFailed(
            f"{target} denied access while trying to {action}: {reason}", hint=_HINT_AUTH, details=details
        )
    if (
        code in (_WSMAN_OPERATION_TIMEOUT, _WSMAN_UNEXPECTED_SELECTORS)
        or "quota" in text
        or "maximum number" in text
    ):
        return TransientHostError(
            f"{target} could not {action} right now: {reason}",
            hint="the host's shell or quota state is transient; retry later (a new pool is opened)",
            details=details,
        )
    if "configuration" in text or "resource uri" in text or "resourceuri" in text:
        return EndpointError(
            f"{target} rejected the session configuration while trying to {action}: {reason}",
            hint="check winrm.configuration_name (Get-PSSessionConfiguration on the host lists them)",
            details=details,
        )
    return EndpointError(
        f"{target} returned a WS-Man fault while trying to {action}: {reason}",
        hint="the host is reachable but refused the request; see the fault text and the host's "
        "Windows Remote Management event log",
        details=details,
    )


def map_exception(exc: BaseException, settings: WinRMSettings, action: str) -> OrchestratorError | None:
    """Map a requests/pypsrp/spnego exception to the project's tree; None = not ours (a bug).

    Order matters: requests' SSLError, ConnectTimeout and ProxyError are ConnectionErrors too.
    """
    target = f"{settings.host}:{settings.resolved_port}"
    details: dict[str, object] = {"host": target, "action": action}
    if isinstance(exc, OrchestratorError):
        return exc
    if isinstance(exc, rexc.SSLError):
        return EndpointError(
            f"TLS with {target} failed while trying to {action}: {exc}", hint=_HINT_TLS, details=details
        )
    if isinstance(exc, rexc.ConnectTimeout):
        return TransientHostError(
            f"connecting to {target} timed out while trying to {action}",
            hint=_HINT_UNREACHABLE,
            details=details,
        )
    if isinstance(exc, rexc.ReadTimeout):
        return HostTimeout(
            f"{target} stopped answering while trying to {action} (read timeout {settings.read_timeout:g}s)",
            hint=_HINT_TIMEOUT,
            details=details,
        )
    if isinstance(exc, rexc.ConnectionError | rexc.ChunkedEncodingError | ConnectionError):
        return TransientHostError(
            f"connection to {target} failed while trying to {action}: {_short(exc)}",
            hint=_HINT_UNREACHABLE,
            details=details,
        )
    if isinstance(exc, AuthenticationError | _SpnegoError):
        return AuthenticationFailed(
            f"{target} rejected the credentials (auth={settings.auth}, "
            f"user={settings.username or '(current)'}) while trying to {action}",
            hint=_HINT_AUTH,
            details=details,
        )
    if isinstance(exc, WinRMTransportError):
        code = int(exc.code)
        details["http_status"] = code
        if code == 401:
            return AuthenticationFailed(
                f"{target} answered HTTP 401 while trying to {action}", hint=_HINT_AUTH, details=details
            )
        if code >= 500:
            return TransientHostError(
                f"{target} answered HTTP {code} while trying to {action}",
                hint="the host's WinRM service failed; retry later, and check its event log if it persists",
                details=details,
            )
        return EndpointError(
            f"{target} answered HTTP {code} while trying to {action}",
            hint="this is not a WinRM endpoint as configured: check winrm.host, winrm.port and winrm.https",
            details=details,
        )
    if isinstance(exc, WSManFaultError):
        return _wsman_fault(exc, target, action)
    if isinstance(
        exc,
        InvalidPSRPOperation
        | InvalidPipelineStateError
        | InvalidRunspacePoolStateError
        | FragmentError
        | SerializationError,
    ):
        return EndpointError(
            f"PSRP protocol error with {target} while trying to {action}: {exc}",
            hint="the endpoint did not behave like a PowerShell remoting endpoint; "
            "check winrm.configuration_name",
            details=details,
        )
    if isinstance(exc, WinRMError):
        return EndpointError(f"WinRM error with {target} while trying to {action}: {exc}", details=details)
    return None


def _short(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 chain, not three nested reprs."""
    inner: BaseException = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    return f"{type(inner).__name__}: {inner}"


# --------------------------------------------------------------------------------------------
# WSMan with bounded Receive retries
# --------------------------------------------------------------------------------------------


class _BoundedWSMan(WSMan):
    """pypsrp retries a timed-out Receive 5 times with doubling waits (~58 s to ~293 s before it
    gives up), which our per-script deadline cannot interrupt. Here the number of those retries
    is ``winrm.reconnection_retries`` (default 0), so a hung host surfaces after read_timeout."""

    receive_retries: int = 0

    def receive(
        self,
        resource_uri: str,
        resource: ET.Element,
        option_set: Any = None,
        selector_set: Any = None,
        timeout: int | None = None,
    ) -> ET.Element:
        res = self.invoke(
            WSManAction.RECEIVE,
            resource_uri,
            resource,
            option_set,
            selector_set,
            timeout,
            retries_on_read_timeout=self.receive_retries,
        )
        body = res.find("s:Body", namespaces=NAMESPACES)
        assert body is not None  # every WS-Man response has a Body (pypsrp assumes the same)
        return body


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------


class PowerShellSession:
    """One WSMan connection and one single-runspace pool, used by exactly one thread.

    The first thread that calls :meth:`open` or :meth:`invoke` owns the session; any other thread
    gets :class:`SessionThreadError`. :meth:`close` may be called from anywhere and never raises.
    """

    def __init__(self, settings: WinRMSettings, *, log: Any | None = None) -> None:
        self._settings = settings
        base = log if log is not None else structlog.get_logger(__name__)
        self._log = base.bind(host=settings.host, port=settings.resolved_port)
        self._wsman: _BoundedWSMan | None = None
        self._pool: RunspacePool | None = None
        self._suspect = False  # a failure happened: check the pool before the next use
        self._owner: int | None = None
        self._closed = False
        if settings.password is not None:
            register_secret(settings.password)

    # -- context manager ------------------------------------------------------------------

    def __enter__(self) -> PowerShellSession:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------

    def open(self) -> None:
        """Connect and open the runspace pool; idempotent. Raises a HostError subclass."""
        self._check_thread()
        if self._closed:
            raise SessionThreadError("this PowerShellSession was closed; create a new one")
        if self._pool is not None:
            return
        if self._wsman is None:
            self._wsman = self._make_wsman()
            self._log_effective_settings()
        self._pool = self._open_pool()

    def close(self) -> None:
        """Close the pool and the HTTP session. Idempotent; logs instead of raising."""
        if self._closed:
            return
        self._closed = True
        if self._owner is not None and self._owner != threading.get_ident():
            self._log.warning("psrp.close_from_other_thread")
        pool, self._pool = self._pool, None
        wsman, self._wsman = self._wsman, None
        if pool is not None:
            try:
                pool.close()
            except Exception as exc:  # a dead host must not turn cleanup into a crash
                self._log.warning("psrp.close_failed", error=_short(exc), error_type=type(exc).__name__)
        if wsman is not None:
            try:
                wsman.close()
            except Exception as exc:
                self._log.warning("psrp.transport_close_failed", error=_short(exc))
        self._log.debug("psrp.closed")

    def invoke(
        self,
        script: str,
        parameters: Mapping[str, object],
        *,
        name: str = "script",
        timeout_s: float | None = None,
    ) -> InvokeResult:
        """Run ``script`` with ``parameters`` bound to its ``param()`` block, within a deadline.

        Returns the result whatever the pipeline state (Completed/Failed/Stopped); raises
        HostTimeout when our deadline passes (the pipeline is stopped first), another HostError
        subclass when the host cannot be used, EndpointError when the endpoint refuses scripts.
        """
        self._check_thread()
        if self._closed:
            raise SessionThreadError("this PowerShellSession was closed; create a new one")
        limit = timeout_s if timeout_s is not None else self._settings.invoke_timeout
        log = self._log.bind(script=name)
        pool = self._usable_pool()
        started = time.monotonic()
        deadline = started + limit
        ps = PowerShell(pool)
        ps.add_script(script)
        if parameters:
            ps.add_parameters(dict(parameters))
        log.debug("psrp.invoke.start", parameter_names=sorted(parameters), timeout_s=limit)
        try:
            self._run(ps, deadline, limit, name)
        except HostError as exc:
            self._suspect = True
            log.warning("psrp.invoke.failed", **exc.to_log())
            raise
        duration = time.monotonic() - started
        result = self._result(ps, name, duration)
        self._release(ps, log)
        log.info(
            "psrp.invoke.end",
            state=result.state,
            duration_s=round(duration, 3),
            outputs=len(result.output),
            errors=len(result.errors),
            warnings=len(result.warnings),
        )
        self._reject_restricted(result)
        return result

    # -- internals ------------------------------------------------------------------------

    def _check_thread(self) -> None:
        me = threading.get_ident()
        if self._owner is None:
            self._owner = me
        elif self._owner != me:
            raise SessionThreadError(
                "a PowerShellSession is used by one thread only (pypsrp pools are not thread-safe); "
                "create one session per worker thread"
            )

    def _target(self) -> str:
        return f"{self._settings.host}:{self._settings.resolved_port}"

    def _mapped(self, exc: BaseException, action: str) -> BaseException:
        mapped = map_exception(exc, self._settings, action)
        if mapped is None:
            return exc
        if mapped is not exc:
            mapped.__cause__ = exc
        return mapped

    def _make_wsman(self) -> _BoundedWSMan:
        s = self._settings
        kwargs: dict[str, Any] = {
            "port": s.resolved_port,
            "username": s.username,
            "password": s.password.reveal() if s.password is not None else None,
            "ssl": s.https,
            "path": "wsman",
            "auth": s.auth,
            "cert_validation": str(s.ca_bundle) if s.ca_bundle is not None else s.cert_validation,
            "encryption": s.encryption,
            "connection_timeout": s.connection_timeout,
            "operation_timeout": s.operation_timeout,
            "read_timeout": s.read_timeout,
            "reconnection_retries": s.reconnection_retries,
            "reconnection_backoff": s.reconnection_backoff,
        }
        if s.negotiate_service is not None:
            kwargs["negotiate_service"] = s.negotiate_service
        if s.auth == "certificate":
            kwargs["certificate_pem"] = str(s.certificate_pem)
            kwargs["certificate_key_pem"] = str(s.certificate_key_pem)
        try:
            wsman = _BoundedWSMan(s.host, **kwargs)
        except ValueError as exc:  # pypsrp refused a combination our validation let through
            raise ConfigError(
                f"pypsrp refused the WinRM settings for {self._target()}: {exc}",
                hint="check winrm.auth, winrm.https and the certificate settings",
            ) from exc
        wsman.receive_retries = s.reconnection_retries
        return wsman

    def _log_effective_settings(self) -> None:
        s = self._settings
        self._log.info(
            "psrp.settings",
            endpoint=s.endpoint,
            auth=s.auth,
            username=s.username,
            encryption=s.encryption,
            cert_validation=f"ca_bundle:{s.ca_bundle}" if s.ca_bundle is not None else s.cert_validation,
            configuration_name=s.configuration_name,
            negotiate_service=s.negotiate_service or "host (pypsrp default)",
            connection_timeout=s.connection_timeout,
            operation_timeout=s.operation_timeout,
            read_timeout=s.read_timeout,
            reconnection_retries=s.reconnection_retries,
            reconnection_backoff=s.reconnection_backoff,
            invoke_timeout=s.invoke_timeout,
        )

    def _open_pool(self) -> RunspacePool:
        assert self._wsman is not None
        pool = RunspacePool(
            self._wsman,
            configuration_name=self._settings.configuration_name,
            min_runspaces=1,
            max_runspaces=1,
        )
        serializer = _PlainSerializer()
        pool._serializer = serializer  # one instance shared with the fragmenter, as pypsrp does
        pool._fragmenter.serializer = serializer
        started = time.monotonic()
        try:
            pool.open()
        except Exception as exc:
            mapped = self._mapped(exc, "open a runspace pool")
            if mapped is exc:
                raise
            self._log.warning("psrp.open_failed", **getattr(mapped, "to_log", dict)())
            raise mapped from exc
        self._suspect = False
        self._log.info("psrp.pool_opened", seconds=round(time.monotonic() - started, 3), pool_id=pool.id)
        return pool

    def _usable_pool(self) -> RunspacePool:
        """The open pool; after a failure, a fresh pool on the same WSMan if the old one died."""
        if self._pool is None:
            self.open()
        elif self._suspect:
            alive = False
            try:
                alive = bool(self._pool.is_alive(timeout=max(1, min(5, self._settings.operation_timeout))))
            except Exception as exc:
                mapped = self._mapped(exc, "check the runspace pool")
                if mapped is exc:
                    raise
                self._log.info("psrp.pool_check_failed", error=str(mapped.args[0]))
            if alive:
                self._suspect = False
            else:
                self._log.info("psrp.pool_dead_reopening")
                self._pool = None
                self._pool = self._open_pool()
        assert self._pool is not None
        return self._pool

    def _run(self, ps: PowerShell, deadline: float, limit: float, name: str) -> None:
        op_timeout = self._settings.operation_timeout
        try:
            ps.begin_invoke()
            while ps.state == PSInvocationState.RUNNING:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._stop(ps)
                    raise HostTimeout(
                        f"script {name!r} did not finish within {limit:g}s on {self._target()}; "
                        "it was stopped",
                        hint="a cmdlet may already have acted: re-check the mailbox before retrying; "
                        "raise winrm.invoke_timeout if the step legitimately takes longer",
                        details={"host": self._target(), "script": name, "timeout_s": limit},
                    )
                if remaining >= op_timeout:
                    ps.poll_invoke()
                else:  # ask the host to answer (or time out) before our deadline
                    ps.poll_invoke(timeout=max(1, math.ceil(remaining)))
            ps.end_invoke()
        except OrchestratorError:
            raise
        except Exception as exc:
            mapped = self._mapped(exc, f"run script {name!r}")
            if mapped is exc:
                raise
            raise mapped from exc

    def _stop(self, ps: PowerShell) -> None:
        try:
            ps.stop()
        except Exception as exc:  # the host may be the reason we are stopping
            self._log.warning("psrp.stop_failed", error=_short(exc), error_type=type(exc).__name__)

    def _release(self, ps: PowerShell, log: Any) -> None:
        """Tell the host the pipeline is done (Terminate signal) so it frees it now rather than
        when the pool closes; a failure here does not change the result already received."""
        try:
            ps.close()
        except Exception as exc:
            self._suspect = True
            log.warning("psrp.pipeline_close_failed", error=_short(exc), error_type=type(exc).__name__)

    def _result(self, ps: PowerShell, name: str, duration: float) -> InvokeResult:
        state = _PIPELINE_STATES.get(ps.state, "Failed")
        return InvokeResult(
            name=name,
            state=state,
            output=[to_plain(item) for item in ps.output],
            errors=[_error_info(record) for record in ps.streams.error],
            warnings=[str(getattr(w, "message", None) or w) for w in ps.streams.warning],
            duration_s=duration,
        )

    def _reject_restricted(self, result: InvokeResult) -> None:
        if result.state != "Failed":
            return
        for err in result.errors:
            text = err.message.lower()
            if any(f in err.fq_error_id for f in _RESTRICTED_FQIDS) or any(
                t in text for t in _RESTRICTED_TEXT
            ):
                raise EndpointError(
                    f"the endpoint {self._settings.configuration_name!r} on {self._target()} "
                    f"refuses scripts: {err.message}",
                    hint="scripts need a FullLanguage endpoint (e.g. Microsoft.PowerShell, or a session "
                    "configuration with LanguageMode FullLanguage); JEA/NoLanguage endpoints cannot run them",
                    details={"host": self._target(), "configuration_name": self._settings.configuration_name},
                )
