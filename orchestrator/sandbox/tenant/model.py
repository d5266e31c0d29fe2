"""The simulated tenant as plain data: Entra ID directory, Exchange Online mailboxes, compliance.

Everything the sandbox knows about a tenant lives in one ``TenantModel``: dataclasses with no
behaviour beyond small derived views. Transitions live in ``lifecycle.py`` (pure functions);
persistence in ``store.py``. The shape follows the reference's simulator model
(exchange-online-lifecycle.md §1.6) and the directory facts of §3, so the write side of the
lifecycle (Remove-Mailbox, restore requests, hold changes, Graph writes) can be added without
changing the data.

Identity keys: users and groups by Entra object id, mailboxes by ExchangeGuid (the id the
reference recommends for soft-deleted and inactive mailboxes, §1.2 "Inactive mailboxes"),
policies by their GUID, restore requests by their request GUID. Times are aware UTC datetimes.

Change tracking: a lifecycle function that changes an object calls ``model.touch(obj)``; the
store then writes only those objects (a single-mailbox change commits a single row).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Final

__all__ = [
    "DAY",
    "DELAY_HOLD_PERIOD",
    "FORMERLY_INACTIVE_PERIOD",
    "LICENSE_GRACE_PERIOD",
    "RECYCLE_BIN_PERIOD",
    "SOFT_DELETE_PERIOD",
    "AppRegistration",
    "AssignedLicense",
    "CaseHoldPolicy",
    "Domain",
    "DomainAuthentication",
    "Group",
    "Holds",
    "LegacyInPlaceHold",
    "Mailbox",
    "MailboxState",
    "RecipientTypeDetails",
    "RestoreRequest",
    "RestoreStatus",
    "RetentionAction",
    "RetentionPolicy",
    "RoleAssignment",
    "RoleDefinition",
    "ServiceKnobs",
    "Sku",
    "TenantInfo",
    "TenantModel",
    "User",
    "UserState",
]

DAY: Final = timedelta(days=1)
SOFT_DELETE_PERIOD: Final = timedelta(days=30)  # §1.1 Soft-deleted, §1.6 timers
RECYCLE_BIN_PERIOD: Final = timedelta(days=30)  # §3 Recycle bin [G-DIR]
LICENSE_GRACE_PERIOD: Final = timedelta(days=30)  # §1.2 Licence removal [X-LIC]
DELAY_HOLD_PERIOD: Final = timedelta(days=30)  # §1.2 Delay holds [P-HOLD]
FORMERLY_INACTIVE_PERIOD: Final = timedelta(days=183)  # §1.2 "30 vs 183 days" [P-DEL]


class MailboxState(enum.StrEnum):
    """Exactly one per mailbox (§1.1). ``Purged`` objects stay as tombstones so none reappears."""

    ACTIVE = "Active"
    SOFT_DELETED = "SoftDeleted"
    INACTIVE = "Inactive"
    FORMERLY_INACTIVE = "FormerlyInactive"
    DISCONNECTED = "Disconnected"
    PURGED = "Purged"


class UserState(enum.StrEnum):
    """Entra user state (§1.6): active, in the recycle bin (30 days), or purged."""

    ACTIVE = "Active"
    RECYCLE_BIN = "RecycleBin"
    PURGED = "Purged"


class DomainAuthentication(enum.StrEnum):
    MANAGED = "Managed"
    FEDERATED = "Federated"


class RecipientTypeDetails(enum.StrEnum):
    """The mailbox kinds the sandbox implements; others are rejected by the fixture loader."""

    USER_MAILBOX = "UserMailbox"
    SHARED_MAILBOX = "SharedMailbox"
    ROOM_MAILBOX = "RoomMailbox"
    EQUIPMENT_MAILBOX = "EquipmentMailbox"
    PUBLIC_FOLDER_MAILBOX = "PublicFolderMailbox"


class RetentionAction(enum.StrEnum):
    """Retention policy action; the ``mbx...:<n>`` suffix of §1.5 (1 delete, 2 retain, 3 both)."""

    DELETE = "Delete"
    RETAIN = "Retain"
    RETAIN_THEN_DELETE = "RetainThenDelete"

    @property
    def suffix(self) -> int:
        return {"Delete": 1, "Retain": 2, "RetainThenDelete": 3}[self.value]

    @property
    def holds(self) -> bool:
        """Only retain actions make a mailbox inactive; delete-only does not (§1.2)."""
        return self is not RetentionAction.DELETE


class RestoreStatus(enum.StrEnum):
    """The subset of ``RequestStatus`` values (§2.8) the sandbox produces."""

    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    SUSPENDED = "Suspended"


# --------------------------------------------------------------------------- directory


@dataclass
class AppRegistration:
    """The app-only identity the orchestrator connects with (§2.10 CBA)."""

    app_id: uuid.UUID
    certificate_thumbprint: str
    display_name: str = "mailbox-orchestrator"
    #: Entra roles on the service principal (§2.10 lists the ones EXO accepts).
    entra_roles: list[str] = field(default_factory=lambda: ["Exchange Administrator"])
    #: Graph application permissions granted (admin consent).
    graph_permissions: list[str] = field(
        default_factory=lambda: ["User.ReadWrite.All", "Organization.Read.All", "Directory.ReadWrite.All"]
    )


@dataclass
class TenantInfo:
    KIND: ClassVar[str] = "tenant"
    tenant_id: uuid.UUID
    organization: str  # the initial *.onmicrosoft.com domain
    display_name: str
    app: AppRegistration
    #: Exchange server names used in error texts (``<DC>.prod.outlook.com``), deterministic.
    server_prefix: str = "AM6PR04"
    #: Counter for deterministic new GUIDs (``TenantModel.new_guid``).
    guid_counter: int = 0

    @property
    def key(self) -> str:
        return "tenant"


@dataclass
class Domain:
    KIND: ClassVar[str] = "domain"
    name: str
    authentication: DomainAuthentication = DomainAuthentication.MANAGED
    is_default: bool = False
    is_initial: bool = False
    is_verified: bool = True

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass
class Sku:
    """A subscribed SKU. ``exchange_plan`` says which Exchange service plan it carries, if any."""

    KIND: ClassVar[str] = "sku"
    sku_id: uuid.UUID
    part_number: str
    #: "Plan1", "Plan2", "Kiosk" or None (no Exchange Online mailbox rights).
    exchange_plan: str | None = None
    exchange_plan_id: uuid.UUID | None = None
    #: Exchange Online Archiving included (Plan 1/Kiosk + EOA qualifies for inactive, §1.2).
    includes_archiving: bool = False
    prepaid_units: int = 10_000

    @property
    def key(self) -> uuid.UUID:
        return self.sku_id

    @property
    def includes_exchange(self) -> bool:
        return self.exchange_plan is not None


@dataclass
class AssignedLicense:
    sku_id: uuid.UUID
    disabled_plans: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Group:
    """A security group used for group-based licensing (§3, error row 16)."""

    KIND: ClassVar[str] = "group"
    object_id: uuid.UUID
    display_name: str
    members: list[uuid.UUID] = field(default_factory=list)
    licenses: list[AssignedLicense] = field(default_factory=list)

    @property
    def key(self) -> uuid.UUID:
        return self.object_id


@dataclass
class User:
    """An Entra user. Licences are the direct ones; group licences come from ``Group.licenses``."""

    KIND: ClassVar[str] = "user"
    object_id: uuid.UUID
    user_principal_name: str
    display_name: str
    mail: str | None = None
    dir_synced: bool = False
    state: UserState = UserState.ACTIVE
    created: datetime | None = None
    deleted_at: datetime | None = None
    purged_at: datetime | None = None
    account_enabled: bool = True
    licenses: list[AssignedLicense] = field(default_factory=list)
    proxy_addresses: list[str] = field(default_factory=list)
    #: Get-User's PreviousRecipientTypeDetails after a licence removal (§1.4).
    previous_recipient_type_details: str | None = None
    #: When set, a new mailbox is provisioned for this licensed user at that time.
    mailbox_provision_due: datetime | None = None

    @property
    def key(self) -> uuid.UUID:
        return self.object_id


# --------------------------------------------------------------------------- mailboxes


@dataclass
class Holds:
    """Per-mailbox holds (§1.4, §1.5). Org-wide retention holds are derived from policies."""

    litigation_hold_enabled: bool = False
    litigation_hold_date: datetime | None = None
    litigation_hold_owner: str | None = None
    #: Days; None = Unlimited.
    litigation_hold_duration: int | None = None
    #: Strings in the §1.5 formats: UniH<guid>, cld<32hex>/<32hex>, mbx<32hex>:<n>, -mbx<32hex>.
    in_place_holds: list[str] = field(default_factory=list)
    compliance_tag_hold_applied: bool = False
    delay_hold_applied: bool = False
    delay_hold_expires: datetime | None = None
    delay_release_hold_applied: bool = False
    delay_release_hold_expires: datetime | None = None


@dataclass
class Mailbox:
    KIND: ClassVar[str] = "mailbox"
    exchange_guid: uuid.UUID
    guid: uuid.UUID
    name: str
    alias: str
    display_name: str
    distinguished_name: str
    legacy_exchange_dn: str
    primary_smtp_address: str
    #: Proxy addresses with prefixes (``SMTP:`` primary, ``smtp:``, ``X500:``), as EXO shows them.
    email_addresses: list[str]
    user_principal_name: str
    recipient_type_details: RecipientTypeDetails
    state: MailboxState
    #: The owning Entra user (kept after the user is purged, for the audit trail).
    user_id: uuid.UUID | None
    #: What EXO shows: the Entra object id, or None once the user is purged (§1.2 B-PURGE).
    external_directory_object_id: uuid.UUID | None
    is_dir_synced: bool = False
    when_created: datetime | None = None
    when_soft_deleted: datetime | None = None
    when_disconnected: datetime | None = None
    is_soft_deleted_by_remove: bool = False
    is_soft_deleted_by_disable: bool = False
    was_inactive_mailbox: bool = False
    inactive_mailbox_retire_time: datetime | None = None
    purged_at: datetime | None = None
    holds: Holds = field(default_factory=Holds)
    archive_guid: uuid.UUID | None = None
    auto_expanding_archive: bool = False
    #: An unlicensed mailbox created by recovery must be licensed by then (New-Mailbox warning).
    license_grace_until: datetime | None = None
    #: A Disconnected mailbox whose licence came back reconnects at this time (provisioning delay).
    reconnect_due: datetime | None = None
    retain_deleted_items_for_days: int = 14
    retention_hold_until: datetime | None = None
    item_count: int = 0
    total_item_size_bytes: int = 0

    @property
    def key(self) -> uuid.UUID:
        return self.exchange_guid

    @property
    def is_inactive(self) -> bool:
        return self.state is MailboxState.INACTIVE

    @property
    def is_soft_deleted_kind(self) -> bool:
        """Returned by ``-SoftDeletedMailbox`` (inactive and formerly inactive included, §1.3)."""
        return self.state in (
            MailboxState.SOFT_DELETED,
            MailboxState.INACTIVE,
            MailboxState.FORMERLY_INACTIVE,
        )

    @property
    def needs_license(self) -> bool:
        """Only user mailboxes need an Exchange licence; shared/resource/public folder do not."""
        return self.recipient_type_details is RecipientTypeDetails.USER_MAILBOX


# --------------------------------------------------------------------------- compliance


@dataclass
class CaseHoldPolicy:
    """An eDiscovery case hold; stamps ``UniH<guid>`` on each located mailbox (§1.5)."""

    KIND: ClassVar[str] = "case_hold_policy"
    guid: uuid.UUID
    name: str
    case: str
    enabled: bool = True
    #: ExchangeGuids of the mailboxes on hold.
    exchange_locations: list[uuid.UUID] = field(default_factory=list)

    @property
    def key(self) -> uuid.UUID:
        return self.guid

    @property
    def hold_id(self) -> str:
        return f"UniH{self.guid}"


@dataclass
class RetentionPolicy:
    """A Microsoft 365 retention policy for Exchange (§1.5, §2.12).

    Org-wide (``exchange_location_all``): listed in Get-OrganizationConfig InPlaceHolds, excluded
    mailboxes carry ``-mbx<hex>``. Specific: each located mailbox carries ``mbx<hex>:<n>``.
    """

    KIND: ClassVar[str] = "retention_policy"
    guid: uuid.UUID
    name: str
    action: RetentionAction = RetentionAction.RETAIN
    enabled: bool = True
    exchange_location_all: bool = False
    exchange_locations: list[uuid.UUID] = field(default_factory=list)
    exchange_location_exceptions: list[uuid.UUID] = field(default_factory=list)
    #: Preservation Lock (``RestrictiveRetention``): survives recovery (§1.2 "Recovering").
    preservation_lock: bool = False
    retention_days: int | None = None

    @property
    def key(self) -> uuid.UUID:
        return self.guid

    @property
    def hold_id(self) -> str:
        return f"mbx{self.guid.hex}:{self.action.suffix}"

    @property
    def exclusion_id(self) -> str:
        return f"-mbx{self.guid.hex}"


@dataclass
class LegacyInPlaceHold:
    """A retired In-Place Hold (§1.2, §1.5): id is ``cld<32hex>`` or bare ``<32hex>``."""

    KIND: ClassVar[str] = "legacy_hold"
    hold_id: str
    name: str
    mailboxes: list[uuid.UUID] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.hold_id.lower()


@dataclass
class RestoreRequest:
    """A New-MailboxRestoreRequest (§2.7): copies content, the source stays where it is."""

    KIND: ClassVar[str] = "restore_request"
    request_guid: uuid.UUID
    name: str
    source_exchange_guid: uuid.UUID
    target_exchange_guid: uuid.UUID
    status: RestoreStatus
    created: datetime
    #: Timeline (deterministic): queued until ``start_at``, then linear progress to ``complete_at``.
    start_at: datetime
    complete_at: datetime
    batch_name: str = ""
    allow_legacy_dn_mismatch: bool = False
    target_root_folder: str | None = None
    source_is_archive: bool = False
    target_is_archive: bool = False
    #: Set when the request is doomed (e.g. LegacyExchangeDN mismatch); it fails at ``start_at``.
    failure_reason: str | None = None
    suspended_at: datetime | None = None
    completed_at: datetime | None = None
    percent_complete: int = 0

    @property
    def key(self) -> uuid.UUID:
        return self.request_guid


@dataclass
class RoleDefinition:
    """A management role: the cmdlets it allows and, per cmdlet, the parameters (``*`` = all)."""

    KIND: ClassVar[str] = "role"
    name: str
    cmdlets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.lower()

    def allows(self, cmdlet: str, parameter: str | None = None) -> bool:
        for name, params in self.cmdlets.items():
            if name.lower() == cmdlet.lower():
                return parameter is None or "*" in params or parameter.lower() in {p.lower() for p in params}
        return False


@dataclass
class RoleAssignment:
    KIND: ClassVar[str] = "role_assignment"
    name: str
    role: str
    #: The app id (app-only RBAC) or a UPN.
    assignee: str
    enabled: bool = True

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass
class ServiceKnobs:
    """Service behaviour as data (latency, faults, budgets). Others implement the effects.

    ``provisioning_delay_s`` and the restore timings are used by ``lifecycle``; the rest are read
    by the host/cmdlet layers (throttling, faults) and documented in docs/sandbox/tenant.md.
    """

    KIND: ClassVar[str] = "knobs"
    seed: int = 0
    #: Simulated seconds per real second added on top of explicit advances (0 = frozen clock).
    time_scale: float = 0.0
    default_latency_ms: int = 0
    cmdlet_latency_ms: dict[str, int] = field(default_factory=dict)
    #: Concurrent cmdlet executions per tenant (None = unlimited).
    concurrency_cap: int | None = None
    #: Destructive cmdlets allowed per window (legacy RPS ``PowerShellMaxDestructiveCmdlets`` 120/60 s, §5).
    destructive_budget: int | None = None
    destructive_window_s: int = 60
    #: Probability per call of a transient REST 500 (§4 row 14), by cmdlet name.
    transient_fault_rates: dict[str, float] = field(default_factory=dict)
    dropped_connection_rate: float = 0.0
    hang_rate: float = 0.0
    provisioning_delay_s: int = 300  # "after some minutes the mailbox is active again" (KB 3158794)
    restore_queue_delay_s: int = 60
    restore_bytes_per_s: int = 2_000_000
    restore_min_duration_s: int = 120

    @property
    def key(self) -> str:
        return "knobs"


# --------------------------------------------------------------------------- the tenant


@dataclass
class TenantModel:
    """The whole tenant. Collections are dicts keyed by each object's ``key``."""

    tenant: TenantInfo
    knobs: ServiceKnobs = field(default_factory=ServiceKnobs)
    domains: dict[str, Domain] = field(default_factory=dict)
    skus: dict[uuid.UUID, Sku] = field(default_factory=dict)
    groups: dict[uuid.UUID, Group] = field(default_factory=dict)
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    mailboxes: dict[uuid.UUID, Mailbox] = field(default_factory=dict)
    case_hold_policies: dict[uuid.UUID, CaseHoldPolicy] = field(default_factory=dict)
    retention_policies: dict[uuid.UUID, RetentionPolicy] = field(default_factory=dict)
    legacy_holds: dict[str, LegacyInPlaceHold] = field(default_factory=dict)
    restore_requests: dict[uuid.UUID, RestoreRequest] = field(default_factory=dict)
    roles: dict[str, RoleDefinition] = field(default_factory=dict)
    role_assignments: dict[str, RoleAssignment] = field(default_factory=dict)
    #: (kind, key) of objects changed since the last commit; deleted ones are absent from their dict.
    dirty: set[tuple[str, object]] = field(default_factory=set, repr=False, compare=False)
    #: Earliest time a lifecycle timer is due; None = unknown (scan everything).
    next_due: datetime | None = field(default=None, repr=False, compare=False)
    #: user object id -> ExchangeGuids linked to it (derived; rebuilt lazily, see ``link``).
    _by_user: dict[uuid.UUID, list[uuid.UUID]] | None = field(default=None, repr=False, compare=False)

    # -- change tracking ---------------------------------------------------------------
    def touch(self, obj: object) -> None:
        """Record that ``obj`` (any model object with KIND and key) must be written back."""
        self.dirty.add((obj.KIND, obj.key))  # type: ignore[attr-defined]

    def remove(self, obj: object) -> None:
        """Delete ``obj`` from its collection; the store deletes its row at commit."""
        self.collection(obj.KIND).pop(obj.key, None)  # type: ignore[attr-defined]
        self.touch(obj)

    def collection(self, kind: str) -> dict[object, object]:
        """The dict holding objects of ``kind`` (store and codec use it)."""
        mapping: dict[str, dict[object, object]] = {
            "domain": self.domains,  # type: ignore[dict-item]
            "sku": self.skus,  # type: ignore[dict-item]
            "group": self.groups,  # type: ignore[dict-item]
            "user": self.users,  # type: ignore[dict-item]
            "mailbox": self.mailboxes,  # type: ignore[dict-item]
            "case_hold_policy": self.case_hold_policies,  # type: ignore[dict-item]
            "retention_policy": self.retention_policies,  # type: ignore[dict-item]
            "legacy_hold": self.legacy_holds,  # type: ignore[dict-item]
            "restore_request": self.restore_requests,  # type: ignore[dict-item]
            "role": self.roles,  # type: ignore[dict-item]
            "role_assignment": self.role_assignments,  # type: ignore[dict-item]
        }
        return mapping[kind]

    def schedule(self, when: datetime | None) -> None:
        """Tell ``lifecycle.advance`` a timer is due at ``when`` (keeps the fast path exact)."""
        if when is not None and self.next_due is not None and when < self.next_due:
            self.next_due = when

    def new_guid(self) -> uuid.UUID:
        """A deterministic new GUID (uuid5 of the tenant id and a persisted counter)."""
        self.tenant.guid_counter += 1
        self.touch(self.tenant)
        return uuid.uuid5(self.tenant.tenant_id, f"guid-{self.tenant.guid_counter}")

    # -- lookups -----------------------------------------------------------------------
    def domain_of(self, address: str) -> Domain | None:
        return self.domains.get(address.rsplit("@", 1)[-1].lower())

    def add_mailbox(self, mbx: Mailbox) -> None:
        """Insert a new mailbox (and index it by its user)."""
        self.mailboxes[mbx.exchange_guid] = mbx
        self.touch(mbx)
        if self._by_user is not None and mbx.user_id is not None:
            self._by_user.setdefault(mbx.user_id, []).append(mbx.exchange_guid)

    def link(self, mbx: Mailbox, user_id: uuid.UUID | None) -> None:
        """Change the user a mailbox belongs to (keeps the user index right)."""
        mbx.user_id = user_id
        self._by_user = None
        self.touch(mbx)

    def invalidate_indexes(self) -> None:
        self._by_user = None

    def mailbox_of_user(self, user_id: uuid.UUID) -> Mailbox | None:
        """The user's non-purged mailbox, if any (O(1) after the index is built)."""
        if self._by_user is None:
            index: dict[uuid.UUID, list[uuid.UUID]] = {}
            for mbx in self.mailboxes.values():
                if mbx.user_id is not None:
                    index.setdefault(mbx.user_id, []).append(mbx.exchange_guid)
            self._by_user = index
        for guid in self._by_user.get(user_id, ()):
            found = self.mailboxes.get(guid)
            if found is not None and found.user_id == user_id and found.state is not MailboxState.PURGED:
                return found
        return None

    def groups_of(self, user_id: uuid.UUID) -> list[Group]:
        return [g for g in self.groups.values() if user_id in g.members]

    def effective_licenses(self, user: User) -> list[tuple[AssignedLicense, Group | None]]:
        """Direct licences (group None) then group licences (with the group that assigns them)."""
        result: list[tuple[AssignedLicense, Group | None]] = [(lic, None) for lic in user.licenses]
        for group in self.groups_of(user.object_id):
            result.extend((lic, group) for lic in group.licenses)
        return result

    def has_exchange_license(self, user: User) -> bool:
        """True if any effective licence carries an Exchange plan that is not disabled."""
        for lic, _group in self.effective_licenses(user):
            sku = self.skus.get(lic.sku_id)
            if sku is None or not sku.includes_exchange:
                continue
            if sku.exchange_plan_id is not None and sku.exchange_plan_id in lic.disabled_plans:
                continue
            return True
        return False

    def server_fqdn(self) -> str:
        return f"{self.tenant.server_prefix}MB1234.{self.tenant.server_prefix[:4]}01.PROD.OUTLOOK.COM"
