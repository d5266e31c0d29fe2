"""Load a fixture (format ``mailbox-orchestrator/sandbox-fixture`` version 1) into a ``TenantModel``.

Validation runs in two passes: the structural one (``fixture_schema.validate``, mirrored by the
JSON Schema) and the semantic one here: cross-references (mailbox → user, licence → SKU, hold →
policy, policy location → mailbox), state rules (a soft-deleted mailbox needs ``soft_deleted``
within the last 30 days, an inactive one needs a hold, ...) and finally ``check_invariants``.
Every error names the field path. Times are relative to ``clock.start`` so fixtures are
reproducible. See docs/sandbox/fixtures.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from orchestrator.sandbox.tenant import common
from orchestrator.sandbox.tenant.fixture_schema import validate
from orchestrator.sandbox.tenant.holds import HoldKind, HoldRef, parse_hold_id
from orchestrator.sandbox.tenant.invariants import check_invariants
from orchestrator.sandbox.tenant.model import (
    LICENSE_GRACE_PERIOD,
    RECYCLE_BIN_PERIOD,
    SOFT_DELETE_PERIOD,
    AppRegistration,
    AssignedLicense,
    CaseHoldPolicy,
    Domain,
    DomainAuthentication,
    Group,
    Holds,
    LegacyInPlaceHold,
    Mailbox,
    MailboxState,
    RecipientTypeDetails,
    RestoreRequest,
    RestoreStatus,
    RetentionAction,
    RetentionPolicy,
    RoleAssignment,
    RoleDefinition,
    ServiceKnobs,
    Sku,
    TenantInfo,
    TenantModel,
    User,
    UserState,
)

__all__ = ["FixtureError", "load_fixture", "relative_time"]

_REL = re.compile(r"^(?:0|([+-])(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)$")


class FixtureError(ValueError):
    """A fixture was rejected; ``errors`` lists every problem with its field path."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = "\n  ".join(errors[:20]) + (
            f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        )
        super().__init__(f"invalid sandbox fixture:\n  {shown}")


def relative_time(text: str) -> timedelta:
    m = _REL.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a relative time")
    if text == "0":
        return timedelta(0)
    sign = -1 if m.group(1) == "-" else 1
    d, h, mi, s = (int(g or 0) for g in m.groups()[1:])
    return sign * timedelta(days=d, hours=h, minutes=mi, seconds=s)


class _Loader:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[str] = []
        self.start = datetime.fromisoformat(data["clock"]["start"].replace("Z", "+00:00"))
        self.dns: set[str] = set()

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def past(self, obj: Mapping[str, Any], key: str, path: str) -> datetime | None:
        """A relative time that must not be in the future."""
        if key not in obj:
            return None
        delta = relative_time(obj[key])
        if delta > timedelta(0):
            self.err(f"{path}.{key}", f"{obj[key]!r} is in the future; it must be 0 or negative")
        return self.start + delta

    def any_time(self, obj: Mapping[str, Any], key: str) -> datetime | None:
        return self.start + relative_time(obj[key]) if key in obj else None

    def unique(self, items: list[Mapping[str, Any]], key: str, path: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = str(item[key]).lower()
            if value in seen:
                self.err(f"{path}[{i}].{key}", f"{item[key]!r} is used twice")
            seen.add(value)

    # -- sections -------------------------------------------------------------------------
    def tenant(self) -> TenantModel:
        t = self.data["tenant"]
        app = t["app"]
        info = TenantInfo(
            tenant_id=uuid.UUID(t["tenant_id"]),
            organization=t["organization"].lower(),
            display_name=t["display_name"],
            app=AppRegistration(
                app_id=uuid.UUID(app["app_id"]),
                certificate_thumbprint=app["certificate_thumbprint"].upper(),
                **{k: app[k] for k in ("display_name", "entra_roles", "graph_permissions") if k in app},
            ),
            **({"server_prefix": t["server_prefix"]} if "server_prefix" in t else {}),
        )
        model = TenantModel(tenant=info, knobs=ServiceKnobs(**self.data.get("knobs", {})))
        model.next_due = None
        return model

    def domains(self, model: TenantModel) -> None:
        items = self.data.get("domains", [])
        self.unique(items, "name", "domains")
        org = model.tenant.organization
        model.domains[org] = Domain(org, DomainAuthentication.MANAGED, is_initial=True)
        for i, d in enumerate(items):
            name = d["name"].lower()
            auth = DomainAuthentication(d.get("authentication", "Managed"))
            if name == org and auth is not DomainAuthentication.MANAGED:
                self.err(
                    f"domains[{i}].authentication", "the initial onmicrosoft.com domain is always Managed"
                )
            model.domains[name] = Domain(
                name, auth, is_default=d.get("default", False), is_initial=name == org
            )
        defaults = [d for d in model.domains.values() if d.is_default]
        if len(defaults) > 1:
            self.err("domains", "more than one domain has default: true")
        elif not defaults:
            model.domains[org].is_default = True

    def skus(self, model: TenantModel) -> None:
        items = self.data.get("skus", [])
        self.unique(items, "sku_id", "skus")
        for i, s in enumerate(items):
            plan_id = s.get("exchange_plan_id")
            if plan_id and not s.get("exchange_plan"):
                self.err(f"skus[{i}].exchange_plan_id", "given without exchange_plan")
            sku = Sku(
                sku_id=uuid.UUID(s["sku_id"]),
                part_number=s["part_number"],
                exchange_plan=s.get("exchange_plan"),
                exchange_plan_id=uuid.UUID(plan_id) if plan_id else None,
                includes_archiving=s.get("includes_archiving", False),
                prepaid_units=s.get("prepaid_units", 10_000),
            )
            model.skus[sku.sku_id] = sku

    def licenses(
        self, model: TenantModel, items: list[Mapping[str, Any]], path: str
    ) -> list[AssignedLicense]:
        out: list[AssignedLicense] = []
        for j, lic in enumerate(items):
            sku_id = uuid.UUID(lic["sku_id"])
            if sku_id not in model.skus:
                self.err(f"{path}[{j}].sku_id", f"SKU {lic['sku_id']} is not defined in skus")
            out.append(AssignedLicense(sku_id, [uuid.UUID(p) for p in lic.get("disabled_plans", [])]))
        return out

    def users(self, model: TenantModel) -> None:
        items = self.data.get("users", [])
        self.unique(items, "object_id", "users")
        for i, u in enumerate(items):
            path = f"users[{i}]"
            state = UserState(u.get("state", "Active"))
            deleted, purged = self.past(u, "deleted", path), self.past(u, "purged", path)
            if state is not UserState.ACTIVE and deleted is None:
                self.err(f"{path}.deleted", f"required when state is {state}")
            if state is UserState.ACTIVE and (deleted or purged):
                self.err(f"{path}.state", "an Active user has no deleted/purged time")
            if state is UserState.RECYCLE_BIN and purged is not None:
                self.err(f"{path}.purged", "a user in the recycle bin is not purged yet")
            if state is UserState.PURGED and purged is None:
                self.err(f"{path}.purged", "required when state is Purged")
            if (
                state is UserState.RECYCLE_BIN
                and deleted is not None
                and self.start - deleted >= RECYCLE_BIN_PERIOD
            ):
                self.err(
                    f"{path}.deleted",
                    "more than 30 days ago: the user would already be purged (use state Purged)",
                )
            if deleted and purged and purged < deleted:
                self.err(f"{path}.purged", "is before deleted")
            if state is UserState.ACTIVE and model.domain_of(u["user_principal_name"]) is None:
                self.err(f"{path}.user_principal_name", "its domain is not one of the tenant's domains")
            user = User(
                object_id=uuid.UUID(u["object_id"]),
                user_principal_name=u["user_principal_name"],
                display_name=u["display_name"],
                mail=u.get("mail"),
                dir_synced=u.get("dir_synced", False),
                state=state,
                created=self.past(u, "created", path),
                deleted_at=deleted,
                purged_at=purged,
                account_enabled=u.get("account_enabled", True),
                licenses=self.licenses(model, u.get("licenses", []), f"{path}.licenses"),
                proxy_addresses=list(u.get("proxy_addresses", [])),
            )
            model.users[user.object_id] = user

    def groups(self, model: TenantModel) -> None:
        items = self.data.get("groups", [])
        self.unique(items, "object_id", "groups")
        for i, g in enumerate(items):
            members = [uuid.UUID(m) for m in g.get("members", [])]
            for j, member in enumerate(members):
                if member not in model.users:
                    self.err(f"groups[{i}].members[{j}]", f"user {member} is not defined in users")
            group = Group(
                object_id=uuid.UUID(g["object_id"]),
                display_name=g["display_name"],
                members=members,
                licenses=self.licenses(model, g.get("licenses", []), f"groups[{i}].licenses"),
            )
            model.groups[group.object_id] = group

    def policies(self, model: TenantModel) -> None:
        for key, path in (("case_hold_policies", "guid"), ("retention_policies", "guid")):
            self.unique(self.data.get(key, []), path, key)
        for c in self.data.get("case_hold_policies", []):
            case = CaseHoldPolicy(
                guid=uuid.UUID(c["guid"]),
                name=c["name"],
                case=c["case"],
                enabled=c.get("enabled", True),
                exchange_locations=[uuid.UUID(x) for x in c.get("exchange_locations", [])],
            )
            model.case_hold_policies[case.guid] = case
        for i, r in enumerate(self.data.get("retention_policies", [])):
            org_wide = r.get("exchange_location_all", False)
            if org_wide and r.get("exchange_locations"):
                self.err(
                    f"retention_policies[{i}].exchange_locations", "not allowed with exchange_location_all"
                )
            if not org_wide and r.get("exchange_location_exceptions"):
                self.err(
                    f"retention_policies[{i}].exchange_location_exceptions", "only for exchange_location_all"
                )
            pol = RetentionPolicy(
                guid=uuid.UUID(r["guid"]),
                name=r["name"],
                action=RetentionAction(r.get("action", "Retain")),
                enabled=r.get("enabled", True),
                exchange_location_all=org_wide,
                exchange_locations=[uuid.UUID(x) for x in r.get("exchange_locations", [])],
                exchange_location_exceptions=[
                    uuid.UUID(x) for x in r.get("exchange_location_exceptions", [])
                ],
                preservation_lock=r.get("preservation_lock", False),
                retention_days=r.get("retention_days"),
            )
            model.retention_policies[pol.guid] = pol
        for lh in self.data.get("legacy_in_place_holds", []):
            hold = LegacyInPlaceHold(lh["id"], lh["name"], [uuid.UUID(x) for x in lh.get("mailboxes", [])])
            model.legacy_holds[hold.key] = hold

    def holds(self, model: TenantModel, h: Mapping[str, Any], path: str) -> Holds:
        holds = Holds(
            litigation_hold_enabled=h.get("litigation_hold_enabled", False),
            litigation_hold_date=self.past(h, "litigation_hold_date", path),
            litigation_hold_owner=h.get("litigation_hold_owner"),
            litigation_hold_duration=h.get("litigation_hold_duration_days"),
            in_place_holds=list(h.get("in_place_holds", [])),
            compliance_tag_hold_applied=h.get("compliance_tag_hold_applied", False),
        )
        if not holds.litigation_hold_enabled and any(
            k.startswith("litigation_hold_") and k != "litigation_hold_enabled" for k in h
        ):
            self.err(f"{path}", "litigation_hold_* details given but litigation_hold_enabled is not true")
        if holds.litigation_hold_enabled and holds.litigation_hold_date is None:
            holds.litigation_hold_date = self.start
        for attr, key in (
            ("delay_hold", "delay_hold_expires"),
            ("delay_release_hold", "delay_release_hold_expires"),
        ):
            expires = self.any_time(h, key)
            if expires is not None:
                if expires <= self.start:
                    self.err(
                        f"{path}.{key}", "must be in the future (an expired delay hold is simply absent)"
                    )
                if expires > self.start + timedelta(days=30):
                    self.err(f"{path}.{key}", "a delay hold lasts at most 30 days")
                setattr(holds, f"{attr}_applied", True)
                setattr(holds, f"{attr}_expires", expires)
        for j, hold_id in enumerate(holds.in_place_holds):
            self.hold_ref(model, hold_id, f"{path}.in_place_holds[{j}]")
        return holds

    def hold_ref(self, model: TenantModel, hold_id: str, path: str) -> None:
        try:
            ref = parse_hold_id(hold_id)
        except ValueError as exc:
            self.err(path, str(exc))
            return
        if ref.kind is HoldKind.SKYPE_RETENTION:
            self.err(
                path,
                f"{hold_id!r}: skp (Skype for Business) retention holds are not implemented by the sandbox",
            )
        elif ref.kind is HoldKind.CASE_HOLD and ref.ref not in model.case_hold_policies:
            self.err(path, f"{hold_id!r}: case hold policy {ref.ref} is not defined in case_hold_policies")
        elif ref.kind in (HoldKind.RETENTION, HoldKind.EXCLUSION):
            pol = model.retention_policies.get(ref.ref)  # type: ignore[arg-type]
            if pol is None:
                self.err(
                    path, f"{hold_id!r}: retention policy {ref.ref} is not defined in retention_policies"
                )
            elif ref.kind is HoldKind.RETENTION and (
                pol.exchange_location_all or ref.action != pol.action.suffix
            ):
                self.err(
                    path,
                    f"{hold_id!r} does not match policy {pol.name!r} "
                    f"(expected {pol.hold_id!r} on a specific location)",
                )
            elif ref.kind is HoldKind.EXCLUSION and not pol.exchange_location_all:
                self.err(path, f"{hold_id!r}: policy {pol.name!r} is not org-wide, nothing to exclude from")
        elif ref.kind is HoldKind.LEGACY and str(ref.ref) not in model.legacy_holds:
            self.err(path, f"{hold_id!r}: legacy In-Place Hold is not defined in legacy_in_place_holds")

    def mailboxes(self, model: TenantModel) -> None:
        items = self.data.get("mailboxes", [])
        self.unique(items, "exchange_guid", "mailboxes")
        for i, b in enumerate(items):
            self.mailbox(model, b, f"mailboxes[{i}]")

    def mailbox(self, model: TenantModel, b: Mapping[str, Any], path: str) -> None:
        state = MailboxState(b["state"])
        rtd = RecipientTypeDetails(b.get("recipient_type_details", "UserMailbox"))
        user_id = uuid.UUID(b["user"]) if b.get("user") else None
        user = model.users.get(user_id) if user_id else None
        if user_id is not None and user is None:
            self.err(f"{path}.user", f"user {user_id} is not defined in users")
        if rtd is RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX and user_id is not None:
            self.err(f"{path}.user", "a public folder mailbox has no user")
        elif (
            rtd is not RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX
            and user_id is None
            and state
            in (
                MailboxState.ACTIVE,
                MailboxState.DISCONNECTED,
            )
        ):
            self.err(f"{path}.user", f"required for a {state} {rtd}")
        soft = self.past(b, "soft_deleted", path)
        disc = self.past(b, "disconnected", path)
        retire = self.past(b, "inactive_retire_time", path)
        grace = self.any_time(b, "license_grace_until")
        soft_kind = state in (
            MailboxState.SOFT_DELETED,
            MailboxState.INACTIVE,
            MailboxState.FORMERLY_INACTIVE,
        )
        if soft_kind and soft is None:
            self.err(f"{path}.soft_deleted", f"required when state is {state}")
        if not soft_kind and soft is not None:
            self.err(f"{path}.soft_deleted", f"not allowed when state is {state}")
        if "soft_deleted_by" in b and not soft_kind:
            self.err(f"{path}.soft_deleted_by", f"not allowed when state is {state}")
        if (
            state is MailboxState.SOFT_DELETED
            and soft is not None
            and self.start - soft >= SOFT_DELETE_PERIOD
        ):
            self.err(f"{path}.soft_deleted", "more than 30 days ago: the mailbox would already be purged")
        if (state is MailboxState.DISCONNECTED) != (disc is not None):
            self.err(f"{path}.disconnected", "required exactly when state is Disconnected")
        if disc is not None and self.start - disc >= LICENSE_GRACE_PERIOD:
            self.err(f"{path}.disconnected", "more than 30 days ago: the mailbox would already be deleted")
        if (state is MailboxState.FORMERLY_INACTIVE) != (retire is not None):
            self.err(f"{path}.inactive_retire_time", "required exactly when state is FormerlyInactive")
        if grace is not None and (state is not MailboxState.ACTIVE or grace <= self.start):
            self.err(f"{path}.license_grace_until", "only for an Active mailbox, and in the future")
        if user is not None:
            self.mailbox_user_rules(model, state, rtd, user, grace, path)
        guid = uuid.UUID(b["guid"]) if "guid" in b else uuid.uuid5(uuid.UUID(b["exchange_guid"]), "guid")
        primary = b["primary_smtp_address"]
        extra = list(b.get("email_addresses", []))
        if any(a.lower() == f"smtp:{primary.lower()}" for a in extra):
            self.err(
                f"{path}.email_addresses",
                "repeats the primary SMTP address (it is added as SMTP: automatically)",
            )
        mbx = Mailbox(
            exchange_guid=uuid.UUID(b["exchange_guid"]),
            guid=guid,
            name=b["name"],
            alias=b["alias"],
            display_name=b["display_name"],
            distinguished_name="",
            legacy_exchange_dn=common.legacy_exchange_dn(guid, b["alias"]),
            primary_smtp_address=primary,
            email_addresses=[f"SMTP:{primary}", *extra],
            user_principal_name=b.get("user_principal_name")
            or (user.user_principal_name if user else primary),
            recipient_type_details=rtd,
            state=state,
            user_id=user_id,
            external_directory_object_id=user_id if user and user.state is not UserState.PURGED else None,
            is_dir_synced=bool(user and user.dir_synced and user.state is not UserState.PURGED),
            when_created=self.past(b, "created", path),
            when_soft_deleted=soft,
            when_disconnected=disc,
            is_soft_deleted_by_remove=b.get("soft_deleted_by") == "Remove",
            is_soft_deleted_by_disable=b.get("soft_deleted_by") == "Disable",
            was_inactive_mailbox=state is MailboxState.FORMERLY_INACTIVE,
            inactive_mailbox_retire_time=retire,
            holds=self.holds(model, b.get("holds", {}), f"{path}.holds"),
            archive_guid=uuid.UUID(b["archive_guid"]) if b.get("archive_guid") else None,
            auto_expanding_archive=b.get("auto_expanding_archive", False),
            license_grace_until=grace,
            item_count=b.get("item_count", 0),
            total_item_size_bytes=b.get("total_item_size_bytes", 0),
        )
        if mbx.auto_expanding_archive and mbx.archive_guid is None:
            self.err(f"{path}.auto_expanding_archive", "needs an archive (archive_guid)")
        mbx.distinguished_name = (
            common.soft_deleted_dn(model, mbx, self.dns) if soft_kind else common.active_dn(model, mbx.name)
        )
        self.dns.add(mbx.distinguished_name.lower())
        model.mailboxes[mbx.exchange_guid] = mbx

    def mailbox_user_rules(
        self,
        model: TenantModel,
        state: MailboxState,
        rtd: RecipientTypeDetails,
        user: User,
        grace: Any,
        path: str,
    ) -> None:
        licensed = model.has_exchange_license(user)
        if state is MailboxState.ACTIVE:
            if user.state is not UserState.ACTIVE:
                self.err(f"{path}.state", f"Active but its user is {user.state}")
            if rtd is RecipientTypeDetails.USER_MAILBOX and not licensed and grace is None:
                self.err(
                    f"{path}.user",
                    "an Active user mailbox needs an Exchange licence (or license_grace_until)",
                )
        elif state is MailboxState.DISCONNECTED:
            user.previous_recipient_type_details = str(rtd)
            if user.state is UserState.PURGED:
                self.err(f"{path}.user", "a disconnected mailbox of a purged user is gone (§1.2)")
            if licensed:
                self.err(
                    f"{path}.user",
                    "the user is licensed for Exchange, so the mailbox would not be disconnected",
                )
            if rtd is not RecipientTypeDetails.USER_MAILBOX:
                self.err(
                    f"{path}.recipient_type_details",
                    "only user mailboxes are disconnected by licence removal",
                )
        elif user.state is UserState.ACTIVE:
            self.err(
                f"{path}.user",
                f"a {state} mailbox whose user is active is not implemented (restore the user)",
            )

    def stamps(self, model: TenantModel) -> None:
        """Policy locations ↔ mailbox InPlaceHolds stamps, both directions, with paths."""
        index = {uuid.UUID(b["exchange_guid"]): i for i, b in enumerate(self.data.get("mailboxes", []))}

        def located(path: str, guids: list[uuid.UUID], stamp: str, enabled: bool = True) -> None:
            for j, g in enumerate(guids):
                mbx = model.mailboxes.get(g)
                if mbx is None:
                    self.err(f"{path}[{j}]", f"mailbox {g} is not defined in mailboxes")
                elif (
                    enabled
                    and stamp not in mbx.holds.in_place_holds
                    and stamp.lower() not in mbx.holds.in_place_holds
                ):
                    self.err(
                        f"mailboxes[{index[g]}].holds.in_place_holds", f"must contain {stamp!r} ({path})"
                    )

        for i, c in enumerate(model.case_hold_policies.values()):
            located(f"case_hold_policies[{i}].exchange_locations", c.exchange_locations, c.hold_id, c.enabled)
        for i, r in enumerate(model.retention_policies.values()):
            located(f"retention_policies[{i}].exchange_locations", r.exchange_locations, r.hold_id, r.enabled)
            located(
                f"retention_policies[{i}].exchange_location_exceptions",
                r.exchange_location_exceptions,
                r.exclusion_id,
            )
        for i, lh in enumerate(model.legacy_holds.values()):
            located(f"legacy_in_place_holds[{i}].mailboxes", lh.mailboxes, lh.hold_id)
        for guid, i in index.items():
            mbx = model.mailboxes[guid]
            for j, hold_id in enumerate(mbx.holds.in_place_holds):
                try:
                    ref = parse_hold_id(hold_id)
                except ValueError:
                    continue
                where = f"mailboxes[{i}].holds.in_place_holds[{j}]"
                members, owner = self._members_of(model, ref)
                if members is not None and guid not in members:
                    self.err(where, f"{hold_id!r}: the mailbox is not an enabled location of {owner!r}")

    @staticmethod
    def _members_of(model: TenantModel, ref: HoldRef) -> tuple[list[uuid.UUID] | None, str]:
        """The mailboxes a hold's policy lists (None if the policy is unknown: reported elsewhere)."""
        key = ref.ref if isinstance(ref.ref, uuid.UUID) else None
        if ref.kind is HoldKind.CASE_HOLD and key in model.case_hold_policies:
            case = model.case_hold_policies[key]
            return (case.exchange_locations if case.enabled else []), case.name
        if ref.kind in (HoldKind.RETENTION, HoldKind.EXCLUSION) and key in model.retention_policies:
            pol = model.retention_policies[key]
            listed = (
                pol.exchange_locations if ref.kind is HoldKind.RETENTION else pol.exchange_location_exceptions
            )
            return listed, pol.name
        if ref.kind is HoldKind.LEGACY and str(ref.ref) in model.legacy_holds:
            legacy = model.legacy_holds[str(ref.ref)]
            return legacy.mailboxes, legacy.name
        return None, ""

    def restore_requests(self, model: TenantModel) -> None:
        items = self.data.get("restore_requests", [])
        self.unique(items, "request_guid", "restore_requests")
        for i, r in enumerate(items):
            path = f"restore_requests[{i}]"
            for key in ("source", "target"):
                if uuid.UUID(r[key]) not in model.mailboxes:
                    self.err(f"{path}.{key}", f"mailbox {r[key]} is not defined in mailboxes")
            status = RestoreStatus(r["status"])
            req = RestoreRequest(
                request_guid=uuid.UUID(r["request_guid"]),
                name=r["name"],
                source_exchange_guid=uuid.UUID(r["source"]),
                target_exchange_guid=uuid.UUID(r["target"]),
                status=status,
                created=self.past(r, "created", path) or self.start,
                start_at=self.start + relative_time(r["start"]),
                complete_at=self.start + relative_time(r["complete"]),
                batch_name=r.get("batch_name", ""),
                allow_legacy_dn_mismatch=r.get("allow_legacy_dn_mismatch", False),
                failure_reason=r.get("failure_reason"),
                percent_complete=r.get("percent_complete", 100 if status is RestoreStatus.COMPLETED else 0),
            )
            if req.complete_at < req.start_at:
                self.err(f"{path}.complete", "is before start")
            if status is RestoreStatus.COMPLETED:
                req.completed_at = req.complete_at
                if req.complete_at > self.start:
                    self.err(f"{path}.complete", "a Completed request completed in the past")
            if status is RestoreStatus.QUEUED and req.start_at <= self.start:
                self.err(f"{path}.start", "a Queued request starts in the future")
            if status is RestoreStatus.IN_PROGRESS and not req.start_at <= self.start < req.complete_at:
                self.err(f"{path}", "an InProgress request has start <= 0 < complete")
            if status is RestoreStatus.FAILED and not req.failure_reason:
                self.err(f"{path}.failure_reason", "required when status is Failed")
            model.restore_requests[req.request_guid] = req

    def rbac(self, model: TenantModel) -> None:
        for r in self.data.get("roles", []):
            role = RoleDefinition(r["name"], {k: list(v) for k, v in r["cmdlets"].items()})
            model.roles[role.key] = role
        for i, a in enumerate(self.data.get("role_assignments", [])):
            if a["role"].lower() not in model.roles:
                self.err(f"role_assignments[{i}].role", f"role {a['role']!r} is not defined in roles")
            ra = RoleAssignment(a["name"], a["role"], a["assignee"], a.get("enabled", True))
            model.role_assignments[ra.key] = ra


def load_fixture(data: Mapping[str, Any]) -> tuple[TenantModel, datetime]:
    """Validate ``data`` and build the model; return it with the clock start. Raises FixtureError."""
    errors = validate(data)
    if errors:
        raise FixtureError(errors)
    loader = _Loader(data)
    model = loader.tenant()
    for step in (
        loader.domains,
        loader.skus,
        loader.users,
        loader.groups,
        loader.policies,
        loader.mailboxes,
        loader.stamps,
        loader.restore_requests,
        loader.rbac,
    ):
        step(model)
    if not loader.errors:
        loader.errors.extend(f"fixture: {v}" for v in check_invariants(model, now=loader.start))
    if loader.errors:
        raise FixtureError(loader.errors)
    model.dirty.clear()
    return model, loader.start
