"""Identity resolution for the Exchange read cmdlets (and, via ``resolve_one``, the write side).

Accepted forms for a mailbox (as Exchange's MailboxIdParameter): Name, Alias, DistinguishedName,
``Soft Deleted Objects\\<Name>`` (soft-deleted kinds only), LegacyExchangeDN, ExchangeGuid, Guid,
ExternalDirectoryObjectId, primary SMTP address, any proxy address, UPN; ``*`` wildcards on name,
alias and addresses. DisplayName is **not** an identity (strict, as Exchange). A piped PSObject
resolves by its ExchangeGuid, else Guid, else ExternalDirectoryObjectId, else Identity/DN/Name.
Resolution is always scoped to the candidates the caller passes (the cmdlet's switches decide
them), so an active mailbox is not found by ``-SoftDeletedMailbox`` and vice versa.

Get cmdlets return every match; Set/Remove cmdlets need exactly one (``resolve_one`` raises
``Ambiguous``), which is the "matches multiple entries" error of §4 row 1.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterable
from typing import Any

from orchestrator.sandbox.runtime import PSObject
from orchestrator.sandbox.tenant.model import Mailbox, User

__all__ = ["Ambiguous", "NotFound", "identity_text", "match_mailboxes", "match_users", "resolve_one"]

_SOFT_PREFIX = "soft deleted objects\\"


class NotFound(LookupError):
    pass


class Ambiguous(LookupError):
    pass


def identity_text(identity: Any) -> str:
    """How the identity appears in error texts."""
    if isinstance(identity, PSObject):
        for name in ("Identity", "DistinguishedName", "ExchangeGuid", "Id", "Name"):
            if identity.get(name) not in (None, ""):
                return str(identity.get(name))
        return "PSObject"
    return str(identity)


def _as_guid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


def _pick(identity: Any) -> Any:
    if not isinstance(identity, PSObject):
        return identity
    for name in (
        "ExchangeGuid",
        "Guid",
        "ExternalDirectoryObjectId",
        "Identity",
        "DistinguishedName",
        "Name",
    ):
        value = identity.get(name)
        if value not in (None, ""):
            return value
    return identity_text(identity)


def _mailbox_keys(mbx: Mailbox) -> list[str]:
    keys = [mbx.name, mbx.alias, mbx.primary_smtp_address, mbx.user_principal_name]
    keys.extend(a.split(":", 1)[1] for a in mbx.email_addresses if ":" in a and a[:4].lower() == "smtp")
    return [k.lower() for k in keys]


def match_mailboxes(identity: Any, candidates: Iterable[Mailbox]) -> list[Mailbox]:
    value = _pick(identity)
    guid = _as_guid(value)
    if guid is not None:
        return [
            m
            for m in candidates
            if guid in (m.exchange_guid, m.guid, m.external_directory_object_id, m.archive_guid)
        ]
    text = str(value).strip()
    low = text.lower()
    if low.startswith(_SOFT_PREFIX):
        name = low[len(_SOFT_PREFIX) :]
        return [m for m in candidates if m.is_soft_deleted_kind and m.name.lower() == name]
    if low.startswith("cn="):
        return [m for m in candidates if m.distinguished_name.lower() == low]
    if low.startswith("/o="):
        return [m for m in candidates if m.legacy_exchange_dn.lower() == low]
    if low.startswith(("smtp:", "x500:")):
        return [m for m in candidates if low in (a.lower() for a in m.email_addresses)]
    if "*" in low:
        return [m for m in candidates if any(fnmatch.fnmatchcase(k, low) for k in _mailbox_keys(m))]
    return [m for m in candidates if low in _mailbox_keys(m)]


def match_users(
    identity: Any, candidates: Iterable[User], names: dict[uuid.UUID, str] | None = None
) -> list[User]:
    """Users by object id, UPN, mail, proxy address or (mailbox) name; ``*`` wildcards."""
    value = _pick(identity)
    guid = _as_guid(value)
    if guid is not None:
        return [u for u in candidates if u.object_id == guid]
    low = str(value).strip().lower()
    names = names or {}

    def keys(u: User) -> list[str]:
        ks = [u.user_principal_name, u.mail or "", names.get(u.object_id, u.display_name)]
        ks.extend(p.split(":", 1)[-1] for p in u.proxy_addresses)
        return [k.lower() for k in ks if k]

    if "*" in low:
        return [u for u in candidates if any(fnmatch.fnmatchcase(k, low) for k in keys(u))]
    return [u for u in candidates if low in keys(u)]


def resolve_one(identity: Any, candidates: Iterable[Mailbox]) -> Mailbox:
    """Exactly one mailbox, else ``NotFound`` / ``Ambiguous`` (for Set/Remove cmdlets)."""
    found = match_mailboxes(identity, candidates)
    if not found:
        raise NotFound(identity_text(identity))
    if len(found) > 1:
        raise Ambiguous(identity_text(identity))
    return found[0]
