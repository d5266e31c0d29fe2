"""What every write-side cmdlet needs: the tenant, confirmation, identities, RBAC, error emission.

The write cmdlets (``exchange_write``, ``graph_write``, ``compliance``, ``restore_requests``) are
thin: resolve the identity, check the caller may do it, ask ShouldProcess, then call one pure
transition of ``tenant.lifecycle``. The parts of that recipe the real services share live here so
that every cmdlet fails the same way for the same reason:

* **ShouldProcess** (``should_process``). PSRP clients such as pypsrp open runspaces without a
  host UI, so a confirmation prompt cannot be shown: PowerShell raises ``HostException``
  ("A command that prompts the user failed because the host program ..."), fq id
  ``HostFunctionNotImplemented``, and it is *terminating* (the prompt is raised inside
  ProcessRecord). High-impact cmdlets (Remove-Mailbox, Remove-MailboxRestoreRequest) prompt
  unless given exactly ``-Confirm:$false`` or ``-Force``; any cmdlet prompts when given an
  explicit ``-Confirm``. ``-WhatIf`` validates (identity, guards) but changes nothing and, as
  PowerShell does without a host, prints nothing.
* **Validation before the prompt**: Exchange validates a task (identity, holds, scope) before it
  calls ShouldProcess, so a refused operation reports its refusal even under ``-WhatIf`` or
  without ``-Confirm:$false``. ``run_transition`` does that by running the transition on a copy of
  the model when the real one must not change.
* **Mailbox identities** (``find_mailboxes``): the forms ``MailboxIdParameter`` accepts, matched
  against the states a cmdlet can see.
* **RBAC** (``rbac_refusal``): the fixture's role definitions say which parameters of a cmdlet the
  app's roles allow (reference §4 row 4). See docs/sandbox/cmdlets-write.md "Assumptions".

Section numbers refer to /work/shared/reference/exchange-online-lifecycle.md.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from orchestrator.sandbox.catalog import COMMON_PARAMETERS
from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.runtime import (
    CmdletCall,
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    PSObject,
    PSTerminatingError,
    SwitchParameter,
)
from orchestrator.sandbox.tenant.identity import identity_text, match_mailboxes
from orchestrator.sandbox.tenant.lifecycle import LifecycleError
from orchestrator.sandbox.tenant.model import Mailbox, MailboxState, RecipientTypeDetails, TenantModel
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.sandbox.tenant.views import mailbox_properties

__all__ = [
    "ACTIVE",
    "ACTIVE_OR_SOFT",
    "SOFT",
    "Purges",
    "SessionLike",
    "find_mailboxes",
    "identity_text",
    "prompt_error",
    "rbac_refusal",
    "role_allows",
    "run_transition",
    "should_process",
    "tenant_of",
]

T = TypeVar("T")

ACTIVE: frozenset[MailboxState] = frozenset({MailboxState.ACTIVE})
SOFT: frozenset[MailboxState] = frozenset(
    {MailboxState.SOFT_DELETED, MailboxState.INACTIVE, MailboxState.FORMERLY_INACTIVE}
)
ACTIVE_OR_SOFT: frozenset[MailboxState] = ACTIVE | SOFT
_COMMON = frozenset(name.lower() for name, _type, _aliases in COMMON_PARAMETERS)


class SessionLike(Protocol):
    """What the write cmdlets use of the host's per-runspace ``SessionState``."""

    tenant: Tenant


def tenant_of(session: SessionLike) -> Tenant:
    return session.tenant


# --------------------------------------------------------------------------- ShouldProcess

PROMPT_TEXT = (
    "A command that prompts the user failed because the host program or the command type does not "
    "support user interaction. The host was attempting to request confirmation with the following "
    "message: "
)


def prompt_error(command: str, description: str) -> PSTerminatingError:
    """The terminating error a host-less runspace gives when ShouldProcess must prompt."""
    return PSTerminatingError(
        ErrorRecord(
            message=PROMPT_TEXT + "Are you sure you want to perform this action?\n" + description,
            fq_error_id=f"HostFunctionNotImplemented,{command}",
            category=ErrorCategory.NotImplemented,
            exception_type="System.Management.Automation.Host.HostException",
            activity=command,
        )
    )


def should_process(
    call: CmdletCall, *, high_impact: bool, force_suppresses: bool = False
) -> tuple[bool, bool]:
    """``(proceed, prompts)``: proceed is False for ``-WhatIf``; prompts means a prompt is due.

    The caller validates first, then raises ``prompt_error`` when ``prompts`` is True (see the
    module docstring for the rules).
    """
    if call.switch("WhatIf"):
        return False, False
    confirm = call.bound.get("Confirm")
    if isinstance(confirm, SwitchParameter):
        return True, confirm.is_present
    if high_impact and not (force_suppresses and call.switch("Force")):
        return True, True
    return True, False


def run_transition(
    model: TenantModel,
    call: CmdletCall,
    transition: Callable[[TenantModel], T],
    *,
    high_impact: bool,
    force_suppresses: bool = False,
    command: str,
    description: str,
) -> T | None:
    """Validate, ask ShouldProcess, then apply ``transition``; ``None`` when nothing was changed.

    Raises ``LifecycleError`` for a refusal (whether or not the change would have been made) and
    ``PSTerminatingError`` for the prompt a host-less runspace cannot show.
    """
    proceed, prompts = should_process(call, high_impact=high_impact, force_suppresses=force_suppresses)
    if not proceed or prompts:
        transition(copy.deepcopy(model))  # validation only; refusals surface as LifecycleError
        if prompts:
            raise prompt_error(command, description)
        return None
    return transition(model)


def changed(action: Callable[[TenantModel], object]) -> Callable[[TenantModel], bool]:
    """Wrap a transition that returns nothing so ``run_transition`` tells "done" (True) from WhatIf."""

    def run(model: TenantModel) -> bool:
        action(model)
        return True

    return run


# --------------------------------------------------------------------------- identities


def find_mailboxes(
    model: TenantModel,
    value: Any,
    states: Iterable[MailboxState],
    *,
    public_folder: bool | None = None,
) -> list[Mailbox]:
    """Mailboxes in ``states`` that ``value`` (str, UUID, piped object) identifies.

    Matching is the read side's (``tenant.identity``: the forms ``MailboxIdParameter`` accepts; a
    piped object by its ExchangeGuid first), restricted to the states the cmdlet can see.
    ``public_folder`` True/False keeps only public folder mailboxes or only the others (as
    ``-PublicFolder`` does); None keeps both.
    """
    wanted = frozenset(states)
    pool = [m for m in model.mailboxes.values() if m.state in wanted]
    if public_folder is not None:
        pool = [
            m
            for m in pool
            if (m.recipient_type_details is RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX) == public_folder
        ]
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    return match_mailboxes(value, pool)


def parse_guid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


# --------------------------------------------------------------------------- RBAC


def _app_roles(model: TenantModel) -> list[str]:
    app = str(model.tenant.app.app_id).lower()
    return [
        a.role.lower() for a in model.role_assignments.values() if a.enabled and a.assignee.lower() == app
    ]


def role_allows(model: TenantModel, cmdlet: str, parameter: str) -> bool:
    """True when a role assigned to the app grants ``parameter`` of ``cmdlet``.

    A fixture without roles models no RBAC (everything allowed); a cmdlet none of the app's roles
    mentions is the host's business (it hides such cmdlets), so only parameters are judged here.
    """
    if not model.roles:
        return True
    roles = [model.roles[name] for name in _app_roles(model) if name in model.roles]
    granting = [r for r in roles if r.allows(cmdlet)]
    if not granting:
        return True
    return any(r.allows(cmdlet, parameter) for r in granting)


def rbac_refusal(model: TenantModel, call: CmdletCall) -> str | None:
    """The first bound parameter the app's roles do not grant for this cmdlet (§4 row 4), if any."""
    for name in call.bound:
        if name.lower() in _COMMON:
            continue
        if not role_allows(model, call.name, name):
            return name
    return None


class Purges:
    """Counts the mailboxes one ``Remove-Mailbox -PermanentlyDelete`` invocation purges (§4 row 4).

    The host calls a cmdlet once per piped object and stamps every call of one command invocation
    with the same ``CmdletCall.invocation_id`` (fresh per invocation), which tells "the second
    mailbox of this pipeline" from "a new command". A call without an id (made outside the host)
    counts as an invocation of its own. Only the most recent ``_LIMIT`` invocations are
    remembered (ids are never reused, so forgetting one only forgets finished pipelines).
    """

    _lock = threading.Lock()
    _runs: dict[str, int] = {}
    _LIMIT = 1024

    @classmethod
    def next(cls, call: CmdletCall) -> int:
        """Register one purge by ``call``'s invocation; return its ordinal (1, 2, ...)."""
        key = call.invocation_id
        if key is None:
            return 1
        with cls._lock:
            count = cls._runs.pop(key, 0) + 1
            cls._runs[key] = count  # re-inserted: the dict's order is least recently used first
            while len(cls._runs) > cls._LIMIT:
                cls._runs.pop(next(iter(cls._runs)))
            return count


def now_of(session: SessionLike) -> datetime:
    return session.tenant.now()


# --------------------------------------------------------------------------- error emission

INVALID_OPERATION = "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException"
RECIPIENT_TASK = "Microsoft.Exchange.Management.Tasks.RecipientTaskException"


def refuse(session: SessionLike, runtime: CommandRuntime, cmdlet: str, exc: LifecycleError) -> None:
    """Write the service's error for a refused transition (non-terminating, as EXO V3 does)."""
    runtime.write_error(errors.lifecycle_error(session, cmdlet, exc))


def exo_refusal(
    session: SessionLike,
    runtime: CommandRuntime,
    cmdlet: str,
    text: str,
    *,
    exception_type: str = INVALID_OPERATION,
    target: Any = None,
) -> None:
    """A refusal whose text the error catalogue does not publish (see the Assumptions in the docs)."""
    runtime.write_error(errors.exo_error(session, cmdlet, exception_type, text, target=target))


def resolve_one(
    session: SessionLike,
    runtime: CommandRuntime,
    model: TenantModel,
    cmdlet: str,
    value: Any,
    states: Iterable[MailboxState],
    *,
    public_folder: bool | None = None,
) -> Mailbox | None:
    """The one mailbox ``value`` names, or None after writing not-found (§4 row 7) or ambiguous (row 1)."""
    found = find_mailboxes(model, value, states, public_folder=public_folder)
    if len(found) == 1:
        return found[0]
    text = identity_text(value)
    if found:
        runtime.write_error(errors.ambiguous(session, cmdlet, text))
    else:
        runtime.write_error(errors.not_found(session, cmdlet, text))
    return None


def missing_mandatory(cmdlet: str, names: Sequence[str]) -> PSTerminatingError:
    """PowerShell's own error for a mandatory parameter a host-less runspace cannot prompt for."""
    joined = " ".join(names)
    return PSTerminatingError(
        ErrorRecord(
            message=f"Cannot process command because of one or more missing mandatory parameters: {joined}.",
            fq_error_id=f"MissingMandatoryParameter,{cmdlet}",
            category=ErrorCategory.InvalidArgument,
            exception_type="System.Management.Automation.ParameterBindingException",
            activity=cmdlet,
        )
    )


def not_implemented(runtime: CommandRuntime, cmdlet: str, parameters: Sequence[str]) -> None:
    """The sandbox's own refusal for a real parameter it does not simulate (never a silent no-op)."""
    names = ", ".join(f"-{p}" for p in parameters)
    runtime.write_error(
        ErrorRecord(
            message=f"The sandbox does not simulate {cmdlet} {names}.",
            fq_error_id=f"SandboxNotImplemented,{cmdlet}",
            category=ErrorCategory.NotImplemented,
            exception_type="System.NotImplementedException",
            activity=cmdlet,
        )
    )


def explicit_parameters(call: CmdletCall) -> list[str]:
    """Bound parameters other than PowerShell's common ones and the ShouldProcess pair."""
    return [n for n in call.bound if n.lower() not in _COMMON and n not in ("WhatIf", "Confirm")]


def refuse_unsupported(call: CmdletCall, runtime: CommandRuntime, supported: Collection[str]) -> bool:
    """Write the sandbox's refusal for parameters outside ``supported``; True when it did."""
    others = [p for p in explicit_parameters(call) if p not in supported]
    if others:
        not_implemented(runtime, call.name, others)
    return bool(others)


# --------------------------------------------------------------------------- output objects

MAILBOX_TYPES = (
    "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
    "Microsoft.Exchange.Data.Directory.ADPresentationObject",
    "Microsoft.Exchange.Data.Directory.ConfigurableObject",
    "System.Object",
)


def mailbox_object(model: TenantModel, mbx: Mailbox, now: datetime) -> PSObject:
    """The mailbox a write cmdlet returns (New-Mailbox, Undo-SoftDeletedMailbox), shaped as
    Get-Mailbox shapes it (``tenant.views``), so scripts can pipe either the same way."""
    return PSObject(mailbox_properties(model, mbx, now), MAILBOX_TYPES, adapted=True)


__all__ += [
    "INVALID_OPERATION",
    "RECIPIENT_TASK",
    "LifecycleError",
    "changed",
    "exo_refusal",
    "explicit_parameters",
    "mailbox_object",
    "missing_mandatory",
    "not_implemented",
    "now_of",
    "parse_guid",
    "refuse",
    "resolve_one",
]
