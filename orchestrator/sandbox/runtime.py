"""The contract shared by the sandbox's parts: values, error records, and how a cmdlet is called.

Four parts of the sandbox meet here and nowhere else:

* the PowerShell evaluator (``sandbox.pwsh``) runs script text and produces values;
* the parameter binder (``sandbox.binding``) turns a command's arguments into bound parameters,
  exactly as PowerShell would, from the Microsoft signatures in ``cmdlets.json``;
* the simulated cmdlets (``sandbox.cmdlets``) act on the tenant (``sandbox.tenant``);
* the WinRM endpoint (``sandbox.wsman``) serialises values and error records back to the client.

Values inside the sandbox are plain Python where PowerShell's are plain (``None``, ``bool``, ``int``,
``float``, ``str``, aware ``datetime``, ``uuid.UUID``, ``list`` for arrays), and the small classes
below where PowerShell's semantics differ from Python's (case-insensitive property bags and
hashtables, secure strings, switch parameters). Nothing here does IO.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

__all__ = [
    "CUSTOM_OBJECT_TYPES",
    "NO_VALUE",
    "ArgumentValue",
    "CmdletCall",
    "CmdletImpl",
    "CommandRuntime",
    "ErrorCategory",
    "ErrorRecord",
    "Hashtable",
    "PSObject",
    "PSTerminatingError",
    "ParameterToken",
    "PipelineCommand",
    "PipelineStopped",
    "ScriptHost",
    "ScriptHostFactory",
    "SecureString",
    "SwitchParameter",
]

CUSTOM_OBJECT_TYPES: tuple[str, ...] = ("System.Management.Automation.PSCustomObject", "System.Object")


class _CaseInsensitiveStore(MutableMapping[str, Any]):
    """An insertion-ordered mapping whose keys compare case-insensitively but keep their spelling."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        self._data: dict[str, tuple[str, Any]] = {}
        if items is not None:
            pairs = items.items() if isinstance(items, Mapping) else items
            for key, value in pairs:
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        lowered = key.lower()
        existing = self._data.get(lowered)
        self._data[lowered] = (existing[0] if existing else key, value)

    def __delitem__(self, key: str) -> None:
        del self._data[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data


class Hashtable(_CaseInsensitiveStore):
    """A PowerShell ``@{...}`` literal: ordered (as ``[ordered]``), case-insensitive keys."""

    def __repr__(self) -> str:
        return "@{" + "; ".join(f"{k}={v!r}" for k, v in self.items()) + "}"


class PSObject:
    """A PowerShell object: type names plus ordered, case-insensitive properties.

    ``adapted`` says how the endpoint serialises the properties: ``True`` for objects the service
    returns (Exchange/Graph objects arrive with adapted properties, ``<Props>``), ``False`` for
    ``[pscustomobject]`` and ``Select-Object`` results (note properties, ``<MS>``). Reading a
    property that does not exist gives ``None``, as in PowerShell without strict mode.
    """

    __slots__ = ("adapted", "properties", "type_names")

    def __init__(
        self,
        properties: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        type_names: Sequence[str] = CUSTOM_OBJECT_TYPES,
        *,
        adapted: bool = False,
    ) -> None:
        self.properties = _CaseInsensitiveStore(properties)
        self.type_names: list[str] = list(type_names)
        self.adapted = adapted

    def get(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.properties

    def set(self, name: str, value: Any) -> None:
        self.properties[name] = value

    def names(self) -> list[str]:
        return list(self.properties)

    def __repr__(self) -> str:
        head = self.type_names[0] if self.type_names else "PSObject"
        return f"<{head} " + ", ".join(f"{k}={v!r}" for k, v in self.properties.items()) + ">"


@dataclass(frozen=True)
class SecureString:
    """``System.Security.SecureString``: the value never appears in repr, logs or the audit log."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "SecureString(********)"


@dataclass(frozen=True)
class SwitchParameter:
    """A bound ``[switch]``: ``-Force`` is present, ``-Force:$false`` is bound but not present."""

    is_present: bool

    def __bool__(self) -> bool:
        return self.is_present


class ErrorCategory(enum.IntEnum):
    """``System.Management.Automation.ErrorCategory``, with PowerShell's own numbers."""

    NotSpecified = 0
    OpenError = 1
    CloseError = 2
    DeviceError = 3
    DeadlockDetected = 4
    InvalidArgument = 5
    InvalidData = 6
    InvalidOperation = 7
    InvalidResult = 8
    InvalidType = 9
    MetadataError = 10
    NotImplemented = 11
    NotInstalled = 12
    ObjectNotFound = 13
    OperationStopped = 14
    OperationTimeout = 15
    SyntaxError = 16
    ParserError = 17
    PermissionDenied = 18
    ResourceBusy = 19
    ResourceExists = 20
    ResourceUnavailable = 21
    ReadError = 22
    WriteError = 23
    FromStdErr = 24
    SecurityError = 25
    ProtocolError = 26
    ConnectionError = 27
    AuthenticationError = 28
    LimitsExceeded = 29
    QuotaExceeded = 30
    NotEnabled = 31


@dataclass(frozen=True)
class ErrorRecord:
    """What PowerShell puts in ``$Error`` and the PSRP error stream.

    ``exception_type`` is the full .NET type name (``System.Management.Automation.
    ParameterBindingException``); ``reason`` is its short name, as PowerShell's CategoryInfo shows
    it. ``activity`` is the command that failed. ``fq_error_id`` is the FullyQualifiedErrorId, for
    binding errors ``"<ErrorId>,<CommandName>"``.
    """

    message: str
    fq_error_id: str
    category: ErrorCategory = ErrorCategory.NotSpecified
    exception_type: str = "System.Exception"
    target_object: Any = None
    activity: str = ""

    @property
    def reason(self) -> str:
        return self.exception_type.rsplit(".", 1)[-1]


class PSTerminatingError(Exception):
    """A terminating error: ``throw``, a parse or binding error, or ``-ErrorAction Stop``.

    The evaluator raises it; ``try``/``catch`` in the script can catch it; if nothing does, the
    pipeline ends in the Failed state with ``record`` in the error stream.
    """

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record


class PipelineStopped(Exception):
    """The client stopped the pipeline (PSRP ``ctrl_c`` signal); ends in the Stopped state."""


class CommandRuntime(Protocol):
    """The streams a running command writes to (the evaluator provides it)."""

    def write_output(self, value: Any) -> None: ...

    def write_error(self, record: ErrorRecord) -> None:
        """A non-terminating error; the evaluator applies ``-ErrorAction``/``$ErrorActionPreference``."""
        ...

    def write_warning(self, message: str) -> None: ...

    def apply_common_parameters(self, bound: Mapping[str, Any]) -> None:
        """Told by the host after binding: the command's own ``-ErrorAction``/``-WarningAction``.

        The evaluator implements it (it owns ``$ErrorActionPreference``); the endpoint's stream
        object may ignore it.
        """
        ...

    @property
    def stop_event(self) -> threading.Event:
        """Set when the client stops the pipeline; long-running cmdlets check it."""
        ...


@dataclass
class CmdletCall:
    """One invocation of a simulated cmdlet, after binding.

    ``bound`` maps the canonical parameter names (as spelled in ``cmdlets.json``) to converted
    values; switches are bound as ``SwitchParameter``. ``parameter_set`` is the set the binder
    resolved. ``piped`` is True when ``Identity`` (or another parameter) came from pipeline input,
    in which case the call is made once per input object, as PowerShell's ProcessRecord is.
    Common parameters (``ErrorAction``, ``WarningAction``, ``Confirm``, ``WhatIf``, ...) are in
    ``bound`` too when given.

    ``invocation_id`` identifies one invocation of a command (one command of one pipeline, as
    PowerShell's BeginProcessing/ProcessRecord/EndProcessing span it): every call made for that
    invocation carries the same id, and a new statement (or a new run of the same statement in a
    loop) gets a new one. ``pipeline_index`` is the 0-based position of this call among the calls
    of that invocation (0 for a command without pipeline input; objects that fail to bind make no
    call). The host sets both; a call made outside the host has no ``invocation_id``.
    """

    name: str
    bound: dict[str, Any]
    parameter_set: str
    piped: bool = False
    invocation_id: str | None = None
    pipeline_index: int = 0

    def has(self, parameter: str) -> bool:
        return parameter in self.bound

    def switch(self, parameter: str) -> bool:
        value = self.bound.get(parameter)
        return bool(value.is_present) if isinstance(value, SwitchParameter) else bool(value)


class CmdletImpl(Protocol):
    """A simulated cmdlet: writes results and non-terminating errors through ``runtime``.

    ``session`` is the per-runspace state object of the script host (connections, tenant handle);
    its concrete type belongs to ``sandbox.host``. A cmdlet raises ``PSTerminatingError`` only for
    errors PowerShell itself would make terminating.
    """

    def __call__(self, call: CmdletCall, runtime: CommandRuntime, session: Any) -> None: ...


class _NoValue:
    """Marks a parameter token written without a colon value (``-Force``, or ``-Name`` then a value)."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE: Final = _NoValue()


@dataclass(frozen=True)
class ParameterToken:
    """``-Name`` or ``-Name:value`` as written in a command (``text`` keeps the original spelling).

    The evaluator does not know which parameters are switches: it hands the binder a flat list of
    ``ParameterToken`` and ``ArgumentValue`` and the binder decides, as PowerShell's does, whether
    the argument after ``-Name`` is its value (value parameters) or a positional argument
    (switches). A colon value (``-Confirm:$false``) is always the parameter's own. Splatting
    (``@params``) arrives as colon-form tokens.
    """

    name: str
    value: Any = NO_VALUE
    text: str = ""


@dataclass(frozen=True)
class ArgumentValue:
    """An argument that is not a parameter token: a value after ``-Name`` or a positional one."""

    value: Any


@dataclass(frozen=True)
class PipelineCommand:
    """One command of a PSRP pipeline as the client sent it (``add_script`` or ``add_cmdlet``).

    ``parameters`` keeps the client's order; a ``None`` name is a positional argument
    (``add_argument``). Values are already converted from CLIXML to runtime values.
    """

    command_text: str
    is_script: bool
    parameters: list[tuple[str | None, Any]] = field(default_factory=list)


class ScriptHost(Protocol):
    """What the WinRM endpoint runs a pipeline on: one instance per runspace pool.

    ``invoke`` returns when the pipeline completed, raises ``PSTerminatingError`` when it failed
    (the endpoint reports the Failed state with that record) and ``PipelineStopped`` when
    ``streams.stop_event`` was set. It may be called from several threads at once for different
    pipelines of the same pool (concurrent pipelines on several runspaces).
    """

    def invoke(
        self,
        commands: Sequence[PipelineCommand],
        input_objects: Sequence[Any] | None,
        streams: CommandRuntime,
    ) -> None: ...

    def close(self) -> None: ...


class ScriptHostFactory(Protocol):
    """Makes a ``ScriptHost`` when a client opens a runspace pool (after authentication)."""

    def open_pool(self, pool_id: str, username: str) -> ScriptHost: ...
