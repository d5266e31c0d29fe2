"""Classify PowerShell error records from Exchange Online, Graph and S&C: pure, table-driven.

The service's errors are the decision core's most important observations: "matches multiple
entries" means *list the candidates and purge by ExchangeGuid*, "there is a soft deleted user"
means *hard-delete the user first*, a throttling budget means *wait the suggested time*. This
module turns an error record into a ``ServiceError`` (kind, retryable, wait, remedy) using the
error catalogue of the reference (section 4). The table is ordered: the first row that matches
wins, so specific rows come before general ones.

EXO V3 (REST) surfaces most errors as ``<code>|<ExceptionType>|<text>`` in the message;
``split_exo_message`` takes that apart so the real exception type is used, not the wrapper's.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Protocol


class ErrorInfo(Protocol):
    """The parts of a PowerShell error record the classifier reads."""

    @property
    def message(self) -> str: ...

    @property
    def fq_error_id(self) -> str: ...

    @property
    def exception_type(self) -> str: ...


class ServiceErrorKind(enum.StrEnum):
    NOT_FOUND = "not_found"
    AMBIGUOUS_IDENTITY = "ambiguous_identity"
    SOFT_DELETED_USER_EXISTS = "soft_deleted_user_exists"
    OUTSIDE_WRITE_SCOPE = "outside_write_scope"
    RBAC_PARAMETER_MISSING = "rbac_parameter_missing"
    HOLD_BLOCKS = "hold_blocks"
    FEDERATED_NAMESPACE = "federated_namespace"
    GROUP_LICENCE = "group_licence"
    DIRSYNC_MASTERED = "dirsync_mastered"
    THROTTLED = "throttled"
    TRANSIENT_SERVICE = "transient_service"
    NOT_CONNECTED = "not_connected"
    AUTHENTICATION = "authentication"
    PARAMETER_BINDING = "parameter_binding"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ServiceError:
    kind: ServiceErrorKind
    retryable: bool
    remedy: str
    message: str
    exception_type: str
    code: str | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class _Rule:
    kind: ServiceErrorKind
    pattern: re.Pattern[str]  # searched in "<exception type> <fq id> <message>"
    retryable: bool
    remedy: str


def _rule(kind: ServiceErrorKind, pattern: str, retryable: bool, remedy: str) -> _Rule:
    return _Rule(kind, re.compile(pattern, re.IGNORECASE | re.DOTALL), retryable, remedy)


_K = ServiceErrorKind
RULES: tuple[_Rule, ...] = (
    _rule(
        _K.THROTTLED,
        r"throttling budget|Suggested backoff time|TooManyRequests|\b429\b|Micro delay applied",
        True,
        "wait for the suggested backoff, then retry; lower the concurrency",
    ),
    _rule(
        _K.AMBIGUOUS_IDENTITY,
        r"matches multiple entries|ManagementObjectAmbiguousException",
        False,
        "list the candidates and address the mailbox by ExchangeGuid or DistinguishedName",
    ),
    _rule(
        _K.SOFT_DELETED_USER_EXISTS,
        r"there is a soft deleted user",
        False,
        "hard-delete the user from the Entra ID recycle bin (Remove-MgDirectoryDeletedItem), then retry",
    ),
    _rule(
        _K.OUTSIDE_WRITE_SCOPE,
        r"outside the writing scope of this server",
        False,
        "the object is mastered on-premises: delete or de-scope it there, let sync run, then retry",
    ),
    _rule(
        _K.RBAC_PARAMETER_MISSING,
        r"isn't present in the role definition for the current user",
        False,
        "grant a role that includes the parameter, or purge one mailbox at a time",
    ),
    _rule(
        _K.HOLD_BLOCKS,
        r"placed on Litigation Hold or In-Place Hold|on hold and cannot be|InactiveMailbox.*hold",
        False,
        "release every hold first (litigation, eDiscovery case, retention, delay holds)",
    ),
    _rule(
        _K.FEDERATED_NAMESPACE,
        r"managed account, which doesn't match the namespace state, which is federated",
        False,
        "use a MicrosoftOnlineServicesID in a managed domain (for example *.onmicrosoft.com)",
    ),
    _rule(
        _K.GROUP_LICENCE,
        r"inherited from a group membership",
        False,
        "change the user's group membership or the group's licence instead",
    ),
    _rule(
        _K.DIRSYNC_MASTERED,
        r"on-premises mastered Directory Sync objects",
        False,
        "make the change on-premises and let directory synchronisation run",
    ),
    _rule(
        _K.TRANSIENT_SERVICE,
        r"HttpStatusCode=5\d\d|ADTransientException|issue may be transient|ServiceUnavailable|"
        r"InternalServerError|GatewayTimeout|\b50[234]\b",
        True,
        "transient service fault: retry with backoff",
    ),
    _rule(
        _K.NOT_FOUND,
        r"ManagementObjectNotFoundException|couldn't be found|Request_ResourceNotFound|does not exist",
        False,
        "check the identity and the switch (-SoftDeletedMailbox / -InactiveMailboxOnly); it may be gone",
    ),
    _rule(
        _K.NOT_CONNECTED,
        r"Authentication needed\. Please call Connect-MgGraph|CommandNotFoundException",
        False,
        "the script did not connect; check the prelude and the module installation on the host",
    ),
    _rule(
        _K.AUTHENTICATION,
        r"AADSTS\d+|UnAuthorized|Unauthorized|certificate.*not found|AccessDenied",
        False,
        "check the app id, its certificate on the jump host and its Exchange/Graph permissions",
    ),
    _rule(
        _K.PARAMETER_BINDING,
        r"ParameterBindingException|NamedParameterNotFound|MissingMandatoryParameter|"
        r"AmbiguousParameterSet|PositionalParameterNotFound",
        False,
        "the script called a cmdlet wrongly: a template bug; report it",
    ),
)

_EXO_MESSAGE = re.compile(r"^\s*(?P<code>Ex[0-9A-F]{6})\|(?P<type>[\w.]+)\|(?P<text>.*)$", re.DOTALL)
_BACKOFF = re.compile(r"Suggested backoff time[^0-9]*(?P<ms>\d+)\s*ms", re.IGNORECASE)
_RETRY_AFTER = re.compile(r"Retry-After[^0-9]*(?P<s>\d+)", re.IGNORECASE)


def split_exo_message(message: str) -> tuple[str | None, str | None, str]:
    """``'Ex6F9304|Microsoft...NotFoundException|text'`` -> (code, type, text)."""
    match = _EXO_MESSAGE.match(message)
    if not match:
        return None, None, message
    return match.group("code"), match.group("type"), match.group("text").strip()


def classify(error: ErrorInfo) -> ServiceError:
    """The kind of one error record, with whether to retry, how long to wait, and what to do."""
    code, inner_type, text = split_exo_message(error.message)
    exception_type = inner_type or error.exception_type
    haystack = f"{exception_type} {error.fq_error_id} {text}"
    for rule in RULES:
        if rule.pattern.search(haystack):
            return ServiceError(
                rule.kind, rule.retryable, rule.remedy, text, exception_type, code, _retry_after(text)
            )
    return ServiceError(_K.UNKNOWN, False, "see the message; no known remedy", text, exception_type, code)


def _retry_after(text: str) -> float | None:
    if match := _BACKOFF.search(text):
        return int(match.group("ms")) / 1000
    if match := _RETRY_AFTER.search(text):
        return float(match.group("s"))
    return None
