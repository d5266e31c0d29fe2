"""Lifecycle transitions, one scenario per transition (pure: no IO), each ending consistent."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from orchestrator.sandbox.tenant import lifecycle as lc
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.model import (
    AssignedLicense,
    MailboxState,
    RestoreStatus,
    TenantModel,
    UserState,
)

D = timedelta(days=1)


def load(b: FixtureBuilder) -> tuple[TenantModel, datetime]:
    model, start = b.model()
    assert lc.check_invariants(model, start) == []
    return model, start


def ok(model: TenantModel, now: datetime) -> None:
    lc.advance(model, now)
    assert lc.check_invariants(model, now) == []


def refused(refusal: lc.Refusal, fn: object, *args: object, **kw: object) -> None:
    with pytest.raises(lc.LifecycleError) as info:
        fn(*args, **kw)  # type: ignore[operator]
    assert info.value.refusal is refusal


def G(b: FixtureBuilder, key: str) -> uuid.UUID:
    return uuid.UUID(b.guid(key))


# --------------------------------------------------------------------------- deleting users


def test_delete_licensed_user_soft_deletes_mailbox_and_keeps_edoi() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("alice"))
    m, t = load(b)
    lc.delete_user(m, G(b, "user-alice"), t)
    mbx = m.mailboxes[x]
    assert mbx.state is MailboxState.SOFT_DELETED and mbx.when_soft_deleted == t
    assert not mbx.is_soft_deleted_by_remove
    assert mbx.external_directory_object_id == G(b, "user-alice")
    assert "OU=Soft Deleted Objects" in mbx.distinguished_name
    assert m.users[G(b, "user-alice")].state is UserState.RECYCLE_BIN
    ok(m, t)


@pytest.mark.parametrize(
    "holds",
    [
        {"litigation_hold_enabled": True},
        {"compliance_tag_hold_applied": True},
        {"delay_hold_expires": "+5d"},
        {"delay_release_hold_expires": "+5d"},
    ],
)
def test_delete_user_with_any_hold_makes_mailbox_inactive(holds: dict[str, object]) -> None:
    b = FixtureBuilder()
    b.user("bob")
    x = uuid.UUID(b.mailbox("bob", holds=holds))
    m, t = load(b)
    lc.delete_user(m, G(b, "user-bob"), t)
    assert m.mailboxes[x].state is MailboxState.INACTIVE
    ok(m, t)


def test_org_wide_retain_policy_makes_deleted_mailboxes_inactive_unless_excluded() -> None:
    b = FixtureBuilder()
    held, excluded = uuid.UUID(b.active("held")), uuid.UUID(b.active("free"))
    pol = b.retention("org", org_wide=True, exceptions=("free",))
    b.data["mailboxes"][1]["holds"] = {"in_place_holds": [f"-mbx{uuid.UUID(pol).hex}"]}
    m, t = load(b)
    lc.delete_user(m, G(b, "user-held"), t)
    lc.delete_user(m, G(b, "user-free"), t)
    assert m.mailboxes[held].state is MailboxState.INACTIVE
    assert m.mailboxes[excluded].state is MailboxState.SOFT_DELETED
    assert lc.org_in_place_holds(m) == [f"mbx{uuid.UUID(pol).hex}:2"]
    ok(m, t)


def test_delete_only_retention_is_not_a_hold() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("dora"))
    pol = b.retention("del", "dora", action="Delete")
    b.data["mailboxes"][0]["holds"] = {"in_place_holds": [f"mbx{uuid.UUID(pol).hex}:1"]}
    m, t = load(b)
    lc.delete_user(m, G(b, "user-dora"), t)
    assert m.mailboxes[x].state is MailboxState.SOFT_DELETED


def test_delete_user_after_licence_removal_leaves_no_soft_deleted_mailbox() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("kim"))
    m, t = load(b)
    lc.assign_licenses(m, G(b, "user-kim"), t, remove=[uuid.UUID(b.sku("E3"))])
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED
    lc.delete_user(m, G(b, "user-kim"), t + D)
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED  # invisible: KB 3158794
    lc.purge_user(m, G(b, "user-kim"), t + 2 * D)
    assert m.mailboxes[x].state is MailboxState.PURGED
    ok(m, t + 2 * D)


def test_dir_synced_user_cannot_be_deleted_from_the_cloud() -> None:
    b = FixtureBuilder()
    b.active("sync", dir_synced=True)
    m, t = load(b)
    refused(lc.Refusal.DIR_SYNCED, lc.delete_user, m, G(b, "user-sync"), t)
    lc.delete_user(m, G(b, "user-sync"), t, by_sync=True)
    ok(m, t)


# --------------------------------------------------------------------------- restore / purge users


def test_restore_user_within_30_days_reconnects_mailbox_as_cloud_user() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("erin", dir_synced=True))
    m, t = load(b)
    lc.delete_user(m, G(b, "user-erin"), t, by_sync=True)
    assert m.mailboxes[x].is_dir_synced
    lc.restore_user(m, G(b, "user-erin"), t + 10 * D)
    assert m.mailboxes[x].state is MailboxState.ACTIVE
    assert not m.users[G(b, "user-erin")].dir_synced and not m.mailboxes[x].is_dir_synced
    ok(m, t + 10 * D)


def test_restore_refused_outside_the_recycle_bin() -> None:
    b = FixtureBuilder()
    b.active("al")
    m, t = load(b)
    refused(lc.Refusal.NOT_IN_RECYCLE_BIN, lc.restore_user, m, G(b, "user-al"), t)


def test_purge_user_orphans_soft_deleted_and_inactive_mailboxes() -> None:
    b = FixtureBuilder()
    soft = uuid.UUID(b.active("sam"))
    b.user("ina")
    inactive = uuid.UUID(b.mailbox("ina", holds={"litigation_hold_enabled": True}))
    m, t = load(b)
    for key in ("sam", "ina"):
        lc.delete_user(m, G(b, f"user-{key}"), t)
        lc.purge_user(m, G(b, f"user-{key}"), t + D)
    assert m.mailboxes[soft].state is MailboxState.SOFT_DELETED
    assert m.mailboxes[inactive].state is MailboxState.INACTIVE
    assert m.mailboxes[soft].external_directory_object_id is None
    assert m.mailboxes[inactive].external_directory_object_id is None
    ok(m, t + D)


def test_recycle_bin_expiry_purges_user_after_30_days() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("pat"))
    m, t = load(b)
    lc.delete_user(m, G(b, "user-pat"), t)
    lc.advance(m, t + 29 * D)
    assert m.users[G(b, "user-pat")].state is UserState.RECYCLE_BIN
    events = lc.advance(m, t + 30 * D)
    assert [e.what for e in events] == ["recycle_bin_expired", "soft_delete_expired"]
    assert m.users[G(b, "user-pat")].state is UserState.PURGED
    assert m.mailboxes[x].state is MailboxState.PURGED
    ok(m, t + 30 * D)


# --------------------------------------------------------------------------- licences


def test_licence_removal_disconnects_and_relicensing_reconnects_after_provisioning() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("lee"))
    m, t = load(b)
    e3 = uuid.UUID(b.sku("E3"))
    lc.assign_licenses(m, G(b, "user-lee"), t, remove=[e3])
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED
    assert m.users[G(b, "user-lee")].previous_recipient_type_details == "UserMailbox"
    lc.assign_licenses(m, G(b, "user-lee"), t + 10 * D, add=[AssignedLicense(e3)])
    lc.advance(m, t + 10 * D + timedelta(minutes=4))
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED  # still provisioning
    ok(m, t + 10 * D + timedelta(minutes=5))
    assert m.mailboxes[x].state is MailboxState.ACTIVE
    assert m.users[G(b, "user-lee")].previous_recipient_type_details is None


def test_disconnected_mailbox_is_deleted_after_the_30_day_grace() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("gus"))
    m, t = load(b)
    lc.assign_licenses(m, G(b, "user-gus"), t, remove=[uuid.UUID(b.sku("E3"))])
    ok(m, t + 30 * D)
    assert m.mailboxes[x].state is MailboxState.PURGED
    # a licence now provisions a new, empty mailbox
    lc.assign_licenses(m, G(b, "user-gus"), t + 31 * D, add=[AssignedLicense(uuid.UUID(b.sku("E3")))])
    ok(m, t + 32 * D)
    new = m.mailbox_of_user(G(b, "user-gus"))
    assert new is not None and new.exchange_guid != x and new.state is MailboxState.ACTIVE


def test_disabled_exchange_plan_does_not_license_exchange() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("dee"))
    m, t = load(b)
    lc.assign_licenses(
        m, G(b, "user-dee"), t, add=[AssignedLicense(uuid.UUID(b.sku("E3")), [uuid.UUID(b.guid("exo2"))])]
    )
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED


def test_group_licence_cannot_be_removed_per_user_but_membership_can() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("gina", licenses=()))
    b.data["groups"].append(
        {"object_id": b.guid("grp"), "display_name": "Lic", "members": [b.guid("user-gina")],
         "licenses": [{"sku_id": b.sku("E3")}]}
    )  # fmt: skip
    m, t = load(b)
    refused(
        lc.Refusal.GROUP_LICENSE, lc.assign_licenses, m, G(b, "user-gina"), t, remove=[uuid.UUID(b.sku("E3"))]
    )
    refused(
        lc.Refusal.SKU_NOT_FOUND,
        lc.assign_licenses,
        m,
        G(b, "user-gina"),
        t,
        add=[AssignedLicense(uuid.uuid4())],
    )
    lc.remove_group_member(m, G(b, "grp"), G(b, "user-gina"), t)
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED
    lc.add_group_member(m, G(b, "grp"), G(b, "user-gina"), t + D)
    ok(m, t + D + timedelta(minutes=5))
    assert m.mailboxes[x].state is MailboxState.ACTIVE


def test_new_licensed_user_gets_a_mailbox_after_the_provisioning_delay() -> None:
    b = FixtureBuilder()
    m, t = load(b)
    u = lc.create_user(
        m, t, upn="neo@contoso.com", display_name="Neo", licenses=[AssignedLicense(uuid.UUID(b.sku("E3")))]
    )
    assert m.mailbox_of_user(u.object_id) is None
    ok(m, t + timedelta(minutes=5))
    mbx = m.mailbox_of_user(u.object_id)
    assert mbx is not None and mbx.primary_smtp_address == "neo@contoso.com"
    refused(lc.Refusal.FEDERATED_DOMAIN, lc.create_user, m, t, upn="x@fabrikam.com", display_name="X")
    refused(lc.Refusal.DOMAIN_NOT_ACCEPTED, lc.create_user, m, t, upn="x@nowhere.org", display_name="X")


# --------------------------------------------------------------------------- Remove-Mailbox


def test_remove_mailbox_soft_deletes_and_deletes_the_user() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("rita"))
    m, t = load(b)
    lc.remove_mailbox(m, x, t)
    assert m.mailboxes[x].state is MailboxState.SOFT_DELETED and m.mailboxes[x].is_soft_deleted_by_remove
    assert m.users[G(b, "user-rita")].state is UserState.RECYCLE_BIN
    refused(lc.Refusal.NOT_FOUND, lc.remove_mailbox, m, x, t)
    ok(m, t)


def test_remove_mailbox_refuses_dir_synced_and_public_folder_without_switch() -> None:
    b = FixtureBuilder()
    synced = uuid.UUID(b.active("hy", dir_synced=True))
    pf = uuid.UUID(b.mailbox("pf", user=None, recipient_type_details="PublicFolderMailbox"))
    m, t = load(b)
    refused(lc.Refusal.DIR_SYNCED, lc.remove_mailbox, m, synced, t)
    refused(lc.Refusal.PUBLIC_FOLDER_SWITCH, lc.remove_mailbox, m, pf, t)
    lc.remove_mailbox(m, pf, t, public_folder=True)
    assert m.mailboxes[pf].state is MailboxState.SOFT_DELETED


def test_permanently_delete_guards_in_order() -> None:
    b = FixtureBuilder()
    active = uuid.UUID(b.active("act"))
    b.user("inac")
    inactive = uuid.UUID(b.mailbox("inac", holds={"litigation_hold_enabled": True}))
    recycled = uuid.UUID(b.active("rec"))
    synced = uuid.UUID(b.active("syn", dir_synced=True))
    orphan = uuid.UUID(b.active("orph"))
    m, t = load(b)
    for key in ("inac", "rec", "orph"):
        lc.delete_user(m, G(b, f"user-{key}"), t)
    lc.delete_user(m, G(b, "user-syn"), t, by_sync=True)
    lc.purge_user(m, G(b, "user-orph"), t + D)
    refused(lc.Refusal.NOT_SOFT_DELETED, lc.permanently_delete_mailbox, m, active, t + D)
    refused(lc.Refusal.ON_HOLD, lc.permanently_delete_mailbox, m, inactive, t + D)
    refused(lc.Refusal.SOFT_DELETED_USER_EXISTS, lc.permanently_delete_mailbox, m, recycled, t + D)
    refused(lc.Refusal.DIR_SYNCED, lc.permanently_delete_mailbox, m, synced, t + D)
    lc.permanently_delete_mailbox(m, orphan, t + D)
    assert m.mailboxes[orphan].state is MailboxState.PURGED
    refused(lc.Refusal.NOT_FOUND, lc.permanently_delete_mailbox, m, orphan, t + D)
    # purging the synced user clears IsDirSynced (assumption) and the purge then works
    lc.purge_user(m, G(b, "user-syn"), t + 2 * D)
    lc.permanently_delete_mailbox(m, synced, t + 2 * D)
    ok(m, t + 2 * D)


# --------------------------------------------------------------------------- Undo / recover


def test_undo_soft_deleted_mailbox_restores_the_recycled_user() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("una"))
    m, t = load(b)
    lc.remove_mailbox(m, x, t)
    lc.undo_soft_deleted_mailbox(m, x, t + D)
    assert m.mailboxes[x].state is MailboxState.ACTIVE
    assert m.users[G(b, "user-una")].state is UserState.ACTIVE
    ok(m, t + D)


def test_undo_for_an_orphan_needs_a_new_managed_sign_in_name() -> None:
    b = FixtureBuilder()
    x = uuid.UUID(b.active("olga"))
    m, t = load(b)
    lc.delete_user(m, G(b, "user-olga"), t)
    lc.purge_user(m, G(b, "user-olga"), t + D)
    refused(lc.Refusal.WINDOWS_LIVE_ID_REQUIRED, lc.undo_soft_deleted_mailbox, m, x, t + D)
    refused(
        lc.Refusal.FEDERATED_DOMAIN,
        lc.undo_soft_deleted_mailbox,
        m,
        x,
        t + D,
        windows_live_id="olga@fabrikam.com",
    )
    mbx = lc.undo_soft_deleted_mailbox(m, x, t + D, windows_live_id="olga2@contoso.com")
    assert mbx.state is MailboxState.ACTIVE and "smtp:olga@contoso.com" in mbx.email_addresses
    assert mbx.license_grace_until == t + D + 30 * D  # unlicensed new user: 30 days to license
    ok(m, t + D)
    ok(m, t + 31 * D)
    assert m.mailboxes[x].state is MailboxState.DISCONNECTED


def test_undo_refused_after_30_days() -> None:
    b = FixtureBuilder()
    b.user("fi", state="Purged", deleted="-200d", purged="-170d")
    x = uuid.UUID(
        b.mailbox("fi", state="FormerlyInactive", soft_deleted="-200d", inactive_retire_time="-10d")
    )
    m, t = load(b)
    refused(
        lc.Refusal.SOFT_DELETE_PERIOD_EXPIRED,
        lc.undo_soft_deleted_mailbox,
        m,
        x,
        t,
        windows_live_id="f@contoso.com",
    )


def test_recover_inactive_mailbox_hold_outcomes() -> None:
    b = FixtureBuilder()
    b.user("ivy", state="Purged", deleted="-90d", purged="-60d")
    pol = b.retention("nolock", "ivy")
    locked = b.retention("lock", "ivy", preservation_lock=True)
    case = b.case_hold("c1", "ivy")
    x = uuid.UUID(
        b.mailbox(
            "ivy",
            state="Inactive",
            soft_deleted="-90d",
            holds={
                "litigation_hold_enabled": False,
                "in_place_holds": [
                    f"mbx{uuid.UUID(pol).hex}:2",
                    f"mbx{uuid.UUID(locked).hex}:2",
                    f"UniH{case}",
                ],
            },
        )
    )
    m, t = load(b)
    refused(
        lc.Refusal.FEDERATED_DOMAIN,
        lc.recover_inactive_mailbox,
        m,
        x,
        t,
        name="Ivy New",
        microsoft_online_services_id="ivy@fabrikam.com",
    )
    mbx = lc.recover_inactive_mailbox(
        m, x, t, name="Ivy New", microsoft_online_services_id="ivy.new@contoso.com"
    )
    assert mbx.state is MailboxState.ACTIVE and mbx.primary_smtp_address == "ivy.new@contoso.com"
    assert mbx.holds.litigation_hold_enabled  # unlocked retention → litigation hold on
    assert mbx.holds.in_place_holds == [f"mbx{uuid.UUID(locked).hex}:2"]  # locked policy kept
    assert x not in m.case_hold_policies[uuid.UUID(case)].exchange_locations
    assert mbx.retain_deleted_items_for_days == 30 and mbx.retention_hold_until == t + 30 * D
    ok(m, t)


def test_recover_refused_while_soft_delete_period_runs_or_with_auto_expanding_archive() -> None:
    b = FixtureBuilder()
    b.user("rb", state="RecycleBin", deleted="-3d")
    running = uuid.UUID(
        b.mailbox("rb", state="Inactive", soft_deleted="-3d", holds={"litigation_hold_enabled": True})
    )
    b.user("ax", state="Purged", deleted="-90d", purged="-60d")
    archive = uuid.UUID(
        b.mailbox(
            "ax",
            state="Inactive",
            soft_deleted="-90d",
            holds={"litigation_hold_enabled": True},
            archive_guid=b.guid("arch"),
            auto_expanding_archive=True,
        )
    )
    m, t = load(b)
    kw = {"name": "N", "microsoft_online_services_id": "n@contoso.com"}
    refused(lc.Refusal.SOFT_DELETE_PERIOD_RUNNING, lc.recover_inactive_mailbox, m, running, t, **kw)
    refused(lc.Refusal.AUTO_EXPANDING_ARCHIVE, lc.recover_inactive_mailbox, m, archive, t, **kw)


# --------------------------------------------------------------------------- holds and timers


def test_hold_removal_stamps_delay_holds_then_formerly_inactive_then_purged() -> None:
    b = FixtureBuilder()
    b.user("hal", state="Purged", deleted="-90d", purged="-60d")
    x = uuid.UUID(
        b.mailbox("hal", state="Inactive", soft_deleted="-90d", holds={"litigation_hold_enabled": True})
    )
    m, t = load(b)
    lc.set_litigation_hold(m, x, t, enabled=False)
    mbx = m.mailboxes[x]
    assert (
        mbx.state is MailboxState.INACTIVE
        and mbx.holds.delay_hold_applied
        and mbx.holds.delay_release_hold_applied
    )
    refused(lc.Refusal.ON_HOLD, lc.permanently_delete_mailbox, m, x, t)
    # one big jump applies the chain in order: delay expiry on day 30, retirement 183 days later
    events = lc.advance(m, t + 400 * D)
    assert [e.what for e in events] == ["delay_hold_expired", "delay_release_hold_expired", "retired"]
    assert mbx.state is MailboxState.PURGED and mbx.inactive_mailbox_retire_time == t + 30 * D
    ok(m, t + 400 * D)


def test_clearing_delay_holds_releases_an_inactive_mailbox_at_once() -> None:
    b = FixtureBuilder()
    b.user("cl", state="Purged", deleted="-90d", purged="-60d")
    x = uuid.UUID(b.mailbox("cl", state="Inactive", soft_deleted="-90d", holds={"delay_hold_expires": "+3d"}))
    m, t = load(b)
    lc.clear_delay_holds(m, x, t)
    mbx = m.mailboxes[x]
    assert mbx.state is MailboxState.FORMERLY_INACTIVE and mbx.was_inactive_mailbox
    assert mbx.inactive_mailbox_retire_time == t
    lc.permanently_delete_mailbox(m, x, t + D)
    ok(m, t + D)


def test_case_hold_disable_and_location_changes_keep_stamps_consistent() -> None:
    b = FixtureBuilder()
    b.user("cy", state="Purged", deleted="-90d", purged="-60d")
    case = uuid.UUID(b.case_hold("k", "cy"))
    x = uuid.UUID(
        b.mailbox("cy", state="Inactive", soft_deleted="-90d", holds={"in_place_holds": [f"UniH{case}"]})
    )
    b.active("act")
    m, t = load(b)
    lc.set_case_hold_policy_enabled(m, case, False, t)
    assert m.mailboxes[x].holds.in_place_holds == [] and m.mailboxes[x].holds.delay_hold_applied
    lc.set_case_hold_policy_enabled(m, case, True, t)
    lc.add_case_hold_location(m, case, G(b, "mbx-act"), t)
    assert f"UniH{case}" in m.mailboxes[G(b, "mbx-act")].holds.in_place_holds
    lc.remove_case_hold_location(m, case, G(b, "mbx-act"), t)
    lc.delete_case_hold_policy(m, case, t)
    ok(m, t)


def test_exclude_from_org_hold_and_legacy_hold_removal() -> None:
    b = FixtureBuilder()
    b.user("ex", state="Purged", deleted="-90d", purged="-60d")
    org = uuid.UUID(b.retention("org", org_wide=True))
    legacy = b.legacy_hold("old", "ex")
    x = uuid.UUID(b.mailbox("ex", state="Inactive", soft_deleted="-90d", holds={"in_place_holds": [legacy]}))
    m, t = load(b)
    lc.remove_legacy_hold(m, legacy, x, t)
    lc.exclude_from_org_hold(m, x, org, t)
    assert m.mailboxes[x].holds.in_place_holds == [f"-mbx{org.hex}"]
    lc.clear_delay_holds(m, x, t)
    assert m.mailboxes[x].state is MailboxState.FORMERLY_INACTIVE
    ok(m, t)


def test_restore_request_timeline_names_and_legacy_dn_check() -> None:
    b = FixtureBuilder()
    b.user("src", state="Purged", deleted="-20d", purged="-2d")
    src = uuid.UUID(b.mailbox("src", state="SoftDeleted", soft_deleted="-20d"))
    tgt = uuid.UUID(b.active("tgt"))
    m, t = load(b)
    bad = lc.new_restore_request(m, src, tgt, t)
    good = lc.new_restore_request(m, src, tgt, t, allow_legacy_dn_mismatch=True)
    assert (bad.name, good.name) == ("MailboxRestore", "MailboxRestore1")
    assert good.status is RestoreStatus.QUEUED
    lc.advance(m, t + timedelta(minutes=2))
    assert bad.status is RestoreStatus.FAILED and good.status is RestoreStatus.IN_PROGRESS
    assert 0 <= lc.restore_progress(good, t + timedelta(minutes=2)) < 100
    lc.suspend_restore_request(m, good.request_guid, t + timedelta(minutes=2))
    lc.resume_restore_request(m, good.request_guid, t + timedelta(minutes=3))
    ok(m, t + D)
    assert good.status is RestoreStatus.COMPLETED and lc.restore_progress(good, t + D) == 100
    lc.remove_restore_request(m, bad.request_guid, t + D)
    assert bad.request_guid not in m.restore_requests
    refused(lc.Refusal.NOT_FOUND, lc.new_restore_request, m, tgt, src, t)


def test_soft_deleted_dn_stays_unique_for_same_names() -> None:
    b = FixtureBuilder()
    one, two = uuid.UUID(b.active("one")), uuid.UUID(b.active("two"))
    b.data["mailboxes"][1]["name"] = "Twin"
    b.data["mailboxes"][0]["name"] = "Twin2"
    m, t = load(b)
    lc.remove_mailbox(m, one, t)
    m.mailboxes[one].name = "Twin"
    lc.remove_mailbox(m, two, t)
    assert m.mailboxes[one].distinguished_name != m.mailboxes[two].distinguished_name
