"""Read-side and connection cmdlets called directly with hand-built ``CmdletCall``s."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_streams import CollectingRuntime

from orchestrator.sandbox.catalog import load_catalog
from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.exchange_read import DEFAULT_RESULT_SIZE_WARNING, MORE_RESULTS_WARNING
from orchestrator.sandbox.cmdlets.registry import REGISTRY, SessionState, lookup
from orchestrator.sandbox.fixtures import load_fixture_file
from orchestrator.sandbox.runtime import (
    CmdletCall,
    PSObject,
    PSTerminatingError,
    SwitchParameter,
)
from orchestrator.sandbox.tenant.generate import generate_large_tenant
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.sandbox.tenant.views import EXO_PROPERTY_SETS, GET_MAILBOX_PROPERTIES

ON = SwitchParameter(True)


Runtime = CollectingRuntime


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenant]:
    t = Tenant.init(tmp_path_factory.mktemp("t") / "state", load_fixture_file("showcase"))
    yield t
    t.close()


def _app(tenant: Tenant) -> tuple[str, str, str, str]:
    with tenant.transaction() as m:
        return (
            str(m.tenant.app.app_id),
            m.tenant.app.certificate_thumbprint,
            m.tenant.organization,
            str(m.tenant.tenant_id),
        )


def run(session: SessionState, name: str, parameter_set: str = "Identity", **bound: Any) -> Runtime:
    rt = Runtime()
    entry = lookup(name)
    assert entry is not None
    entry.impl(CmdletCall(name=entry.name, bound=bound, parameter_set=parameter_set), rt, session)
    return rt


@pytest.fixture
def session(tenant: Tenant) -> SessionState:
    s = SessionState(tenant=tenant, pool_id="pool-1", username="operator")
    app, thumb, org, _ = _app(tenant)
    run(
        s,
        "Connect-ExchangeOnline",
        "Set1",
        AppId=app,
        CertificateThumbprint=thumb,
        Organization=org,
        ShowBanner=SwitchParameter(False),
    )
    assert s.exo_connected
    return s


def names(rt: Runtime) -> list[str]:
    return sorted(o.get("Name") for o in rt.output)


# --------------------------------------------------------------------------- registry / connect


def test_registry_is_case_insensitive_and_every_cmdlet_is_catalogued() -> None:
    assert lookup("get-MAILBOX") is lookup("Get-Mailbox")
    assert lookup("Get-Mailbox").requires == "exo"  # type: ignore[union-attr]
    assert lookup("Get-MgUser").requires == "graph"  # type: ignore[union-attr]
    assert lookup("Connect-ExchangeOnline").requires is None  # type: ignore[union-attr]
    catalog = load_catalog()
    assert all(catalog.get(e.name) is not None for e in REGISTRY.values())
    assert lookup("Get-Nothing") is None


def test_connect_exchange_online_errors(tenant: Tenant) -> None:
    app, thumb, org, _ = _app(tenant)
    s = SessionState(tenant=tenant, pool_id="p", username="u")
    assert run(s, "Get-ConnectionInformation", "Default").output == []
    cases = [
        ({"AppId": str(uuid.uuid4()), "CertificateThumbprint": thumb, "Organization": org}, "AADSTS700016"),
        ({"AppId": app, "CertificateThumbprint": "00" * 20, "Organization": org}, "AADSTS700027"),
        (
            {"AppId": app, "CertificateThumbprint": thumb, "Organization": "other.onmicrosoft.com"},
            "AADSTS90002",
        ),
        ({"AppId": app, "Organization": org}, "exactly one of"),
        ({"Credential": PSObject({"UserName": "x"})}, "not implemented"),
    ]
    for bound, text in cases:
        with pytest.raises(PSTerminatingError) as info:
            run(s, "Connect-ExchangeOnline", "Set1", **bound)
        assert text in info.value.record.message
    assert not s.exo_connected
    run(
        s,
        "Connect-ExchangeOnline",
        "Set1",
        AppId=app,
        CertificateThumbprint=thumb.lower(),
        Organization=org.upper(),
    )
    info_rt = run(s, "Get-ConnectionInformation", "Default")
    (conn,) = info_rt.output
    assert (
        conn.get("State") == "Connected" and conn.get("TokenStatus") == "Active" and conn.get("AppId") == app
    )
    run(s, "Disconnect-ExchangeOnline", "DefaultParameterSet", Confirm=SwitchParameter(False))
    assert not s.exo_connected and run(s, "Get-ConnectionInformation", "Default").output == []


# --------------------------------------------------------------------------- Get-Mailbox


def test_get_mailbox_scopes(session: SessionState) -> None:
    active = run(session, "Get-Mailbox")
    assert names(active) == ["Alice Adams", "Boardroom", "Bob Brown", "Olivia Ortiz", "Reception"]
    obj = active.output[0]
    assert obj.adapted and obj.type_names[0] == "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    assert isinstance(obj.get("ExchangeGuid"), uuid.UUID) and obj.get("WhenCreated").tzinfo is not None
    assert tuple(obj.names()) == GET_MAILBOX_PROPERTIES
    soft = run(session, "Get-Mailbox", SoftDeletedMailbox=ON)
    assert len(soft.output) == 11 and "Mallory Moore" not in names(soft)  # disconnected: invisible
    assert all(o.get("Identity").startswith("Soft Deleted Objects\\") for o in soft.output)
    assert names(run(session, "Get-Mailbox", InactiveMailboxOnly=ON)) == [
        "Grace Green", "Heidi Hill", "Ivan Ivanov", "Judy Jones", "Ken King",
    ]  # fmt: skip
    assert len(run(session, "Get-Mailbox", IncludeInactiveMailbox=ON).output) == 10
    assert names(run(session, "Get-Mailbox", SoftDeletedMailbox=ON, PublicFolder=ON)) == ["PF-Archive"]
    leo = next(o for o in soft.output if o.get("Name") == "Leo Lopez")
    assert (
        leo.get("WasInactiveMailbox")
        and not leo.get("IsInactiveMailbox")
        and leo.get("InactiveMailboxRetireTime")
    )


def test_get_mailbox_identity_forms(session: SessionState) -> None:
    assert names(run(session, "Get-Mailbox", Identity="alice@contoso.com")) == ["Alice Adams"]
    assert names(run(session, "Get-Mailbox", Identity="smtp:alice@contoso.onmicrosoft.com")) == [
        "Alice Adams"
    ]
    twins = run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Identity="Soft Deleted Objects\\Frank Miller")
    assert len(twins.output) == 2 and twins.errors == []  # Get returns every match
    guid = twins.output[0].get("ExchangeGuid")
    assert len(run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Identity=str(guid)).output) == 1
    assert len(run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Identity=guid).output) == 1
    piped = run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Identity=twins.output[1])
    assert [o.get("ExchangeGuid") for o in piped.output] == [twins.output[1].get("ExchangeGuid")]
    assert names(run(session, "Get-Mailbox", Identity="b*")) == ["Boardroom", "Bob Brown"]
    assert len(run(session, "Get-Mailbox", Identity=None).output) == 5  # $null identity: everything


def test_get_mailbox_not_found_is_the_rest_error(session: SessionState) -> None:
    rt = run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Identity="alice@contoso.com")
    (err,) = rt.errors
    assert rt.output == []
    assert err.message.startswith(
        "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"
        "The operation couldn't "
        "be performed because object 'alice@contoso.com' couldn't be found on '"
    )
    assert err.fq_error_id.startswith("[Server=") and err.fq_error_id.endswith("],Write-ErrorMessage")
    assert "RequestId=" in err.fq_error_id and err.reason == "ManagementObjectNotFoundException"
    assert run(session, "Get-Mailbox", Identity="carol@contoso.com").errors  # soft-deleted: needs the switch
    assert run(session, "Get-Mailbox", Identity="mallory@contoso.com").errors  # disconnected: nowhere


def test_get_mailbox_filter(session: SessionState) -> None:
    held = run(session, "Get-Mailbox", InactiveMailboxOnly=ON, Filter="LitigationHoldEnabled -eq $true")
    assert names(held) == ["Grace Green"]
    franks = run(
        session,
        "Get-Mailbox",
        SoftDeletedMailbox=ON,
        Filter="Name -like 'frank*' -and -not (IsDirSynced -eq $true)",
    )
    assert len(franks.output) == 2
    either = run(session, "Get-Mailbox", Filter="(Alias -eq 'bob') -or (Alias -eq \"alice\")")
    assert names(either) == ["Alice Adams", "Bob Brown"]
    orphans = run(session, "Get-Mailbox", SoftDeletedMailbox=ON, Filter="ExternalDirectoryObjectId -eq $null")
    assert "Dave Davis" in names(orphans) and "Carol Clark" not in names(orphans)
    for bad in ("Colour -eq 'red'", "Name -gt 'a'", "Name -eq", "Name -eq $x"):
        rt = run(session, "Get-Mailbox", Filter=bad)
        assert rt.output == [] and "Invalid filter syntax" in rt.errors[0].message, bad


def test_result_size_and_warnings(tmp_path: Path) -> None:
    with Tenant.init(tmp_path / "big", generate_large_tenant(1_100, seed=2)) as big:
        with big.transaction() as m:
            app, thumb, org = (
                str(m.tenant.app.app_id),
                m.tenant.app.certificate_thumbprint,
                m.tenant.organization,
            )
            active = sum(1 for x in m.mailboxes.values() if x.state == "Active")
        s = SessionState(tenant=big, pool_id="p", username="u")
        run(s, "Connect-ExchangeOnline", "Set1", AppId=app, CertificateThumbprint=thumb, Organization=org)
        default = run(s, "Get-Mailbox")
        assert len(default.output) == 1000 and default.warnings == [DEFAULT_RESULT_SIZE_WARNING]
        five = run(s, "Get-Mailbox", ResultSize=5)
        assert len(five.output) == 5 and five.warnings == [MORE_RESULTS_WARNING]
        everything = run(s, "Get-Mailbox", ResultSize="Unlimited")
        assert len(everything.output) == active and everything.warnings == []


# --------------------------------------------------------------------------- Get-EXOMailbox


def test_get_exo_mailbox_property_sets_are_strict(session: SessionState) -> None:
    rt = run(session, "Get-EXOMailbox", Identity="alice@contoso.com")
    assert set(rt.output[0].names()) == set(EXO_PROPERTY_SETS["Minimum"])
    assert rt.output[0].get("ExchangeGuid") is None and not rt.output[0].has("ExchangeGuid")
    rt = run(
        session,
        "Get-EXOMailbox",
        SoftDeletedMailbox=ON,
        PropertySets=["SoftDelete", "Hold"],
        Identity="grace@contoso.com",
    )
    assert set(rt.output[0].names()) == set(EXO_PROPERTY_SETS["SoftDelete"]) | set(EXO_PROPERTY_SETS["Hold"])
    assert rt.output[0].get("IsInactiveMailbox") is True
    rt = run(session, "Get-EXOMailbox", Properties=["exchangeguid", "InPlaceHolds"], InactiveMailboxOnly=ON)
    assert {"ExchangeGuid", "InPlaceHolds", "Name"} <= set(rt.output[0].names())
    rt = run(
        session,
        "Get-EXOMailbox",
        SoftDeletedMailbox=ON,
        Properties=["WasInactiveMailbox"],
        Identity="leo@contoso.com",
    )
    assert rt.output[0].get("WasInactiveMailbox") is True
    bad = run(session, "Get-EXOMailbox", Properties=["Nonsense"])
    assert bad.output == [] and bad.errors[0].message.startswith(
        "Error while querying REST service. HttpStatusCode=400"
    )
    missing = run(session, "Get-EXOMailbox", Identity="nobody@contoso.com")
    assert "HttpStatusCode=404" in missing.errors[0].message and "Ex6F9304|" in missing.errors[0].message
    by_upn = run(session, "Get-EXOMailbox", UserPrincipalName="bob@contoso.com")
    assert names(by_upn) == ["Bob Brown"]


# --------------------------------------------------------------------------- other EXO reads


def test_get_user_shows_licence_removed_user(session: SessionState) -> None:
    (mallory,) = run(session, "Get-User", Identity="mallory@contoso.com").output
    assert mallory.get("RecipientTypeDetails") == "User"
    assert (
        mallory.get("PreviousRecipientTypeDetails") == "UserMailbox" and mallory.get("SKUAssigned") is False
    )
    (alice,) = run(session, "Get-User", Identity="Alice Adams").output
    assert alice.get("RecipientTypeDetails") == "UserMailbox" and alice.get("SKUAssigned") is True
    users = run(session, "Get-User", RecipientTypeDetails=["User"])
    assert "Mallory Moore" in names(users)
    assert run(session, "Get-User", Identity="carol@contoso.com").errors  # in the recycle bin


def test_get_recipient_statistics_org_config_roles(session: SessionState, tenant: Tenant) -> None:
    assert len(run(session, "Get-Recipient").output) == 5
    assert len(run(session, "Get-Recipient", IncludeSoftDeletedRecipients=ON).output) == 17
    stats = run(
        session, "Get-MailboxStatistics", Identity="grace@contoso.com", IncludeSoftDeletedRecipients=ON
    )
    assert stats.output[0].get("ItemCount") == 1200 and "bytes)" in stats.output[0].get("TotalItemSize")
    (org,) = run(session, "Get-OrganizationConfig", "Set1").output
    assert len(org.get("InPlaceHolds")) == 1 and org.get("InPlaceHolds")[0].endswith(":1")
    app = _app(tenant)[0]
    roles = run(session, "Get-ManagementRoleAssignment", "RoleAssignee", RoleAssignee=app)
    assert "Mail Recipients" in {o.get("Role") for o in roles.output}


def test_unimplemented_parameters_are_refused(session: SessionState) -> None:
    rt = run(session, "Get-Mailbox", OrganizationalUnit="x")
    assert rt.output == [] and "does not implement -OrganizationalUnit" in rt.errors[0].message


# --------------------------------------------------------------------------- Graph


def test_graph_cmdlets_need_connect_mggraph(tenant: Tenant) -> None:
    s = SessionState(tenant=tenant, pool_id="p", username="u")
    rt = run(s, "Get-MgUser", "List", All=ON)
    assert rt.errors[0].message == "Authentication needed. Please call Connect-MgGraph."
    assert rt.errors[0].activity == "Get-MgUser_List"
    assert run(s, "Get-MgContext", "UserParameterSet").output == []
    app, thumb, _, tid = _app(tenant)
    with pytest.raises(PSTerminatingError) as info:
        run(
            s,
            "Connect-MgGraph",
            "AppCertificateParameterSet",
            ClientId=str(uuid.uuid4()),
            TenantId=tid,
            CertificateThumbprint=thumb,
        )
    assert info.value.record.message.startswith(
        "AADSTS700016: ClientCertificateCredential authentication failed"
    )
    run(
        s,
        "Connect-MgGraph",
        "AppCertificateParameterSet",
        ClientId=app,
        TenantId=tid,
        CertificateThumbprint=thumb,
        NoWelcome=ON,
    )
    (ctx,) = run(s, "Get-MgContext", "UserParameterSet").output
    assert ctx.get("AuthType") == "AppOnly" and ctx.get("ClientId") == app
    run(s, "Disconnect-MgGraph", "__AllParameterSets")
    assert run(s, "Get-MgUser", "List").errors


@pytest.fixture
def graph(tenant: Tenant) -> SessionState:
    s = SessionState(tenant=tenant, pool_id="g", username="u")
    app, thumb, org, _ = _app(tenant)
    run(
        s,
        "Connect-MgGraph",
        "AppCertificateParameterSet",
        ClientId=app,
        TenantId=org,
        CertificateThumbprint=thumb,
    )
    return s


def test_get_mg_user(graph: SessionState) -> None:
    every = run(graph, "Get-MgUser", "List", All=ON)
    assert all(
        o.type_names[0] == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser" for o in every.output
    )
    assert {o.get("UserPrincipalName") for o in every.output} >= {"alice@contoso.com", "mallory@contoso.com"}
    assert every.output[0].get("AssignedLicenses") is None  # not in the default $select
    (alice,) = run(
        graph,
        "Get-MgUser",
        "Get",
        UserId="alice@contoso.com",
        Property=["Id", "AssignedLicenses", "OnPremisesSyncEnabled"],
    ).output
    assert len(alice.get("AssignedLicenses")) == 1 and alice.get("DisplayName") is None
    filtered = run(
        graph,
        "Get-MgUser",
        "List",
        Filter="userPrincipalName eq 'olivia@contoso.com'",
        Property=["OnPremisesSyncEnabled"],
    )
    assert [o.get("OnPremisesSyncEnabled") for o in filtered.output] == [True]
    missing = run(graph, "Get-MgUser", "Get", UserId="carol@contoso.com")  # deleted: not a user any more
    assert (
        missing.errors[0].fq_error_id
        == "Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgUser_Get"
    )
    assert "Status: 404 (NotFound)" in missing.errors[0].message
    assert run(graph, "Get-MgUser", "List", Filter="bogus(x)").errors
    assert run(graph, "Get-MgUser", "List", Property=["Nope"]).errors
    assert len(run(graph, "Get-MgUser", "List", Top=2).output) == 2


def test_deleted_items_skus_domains_licence_details(graph: SessionState) -> None:
    deleted = run(graph, "Get-MgDirectoryDeletedItemAsUser", "List", All=ON)
    upns = sorted(o.get("UserPrincipalName") for o in deleted.output)
    assert len(upns) == 4 and all(u.endswith("@contoso.com") and len(u.split("@")[0]) > 32 for u in upns)
    first = deleted.output[0]
    assert first.get("DeletedDateTime") is not None
    one = run(graph, "Get-MgDirectoryDeletedItem", "Get", DirectoryObjectId=first.get("Id"))
    assert one.output[0].get("AdditionalProperties")["@odata.type"] == "#microsoft.graph.user"
    assert run(graph, "Get-MgDirectoryDeletedItem", "Get", DirectoryObjectId=str(uuid.uuid4())).errors
    skus = {o.get("SkuPartNumber"): o for o in run(graph, "Get-MgSubscribedSku", "List", All=ON).output}
    assert skus["SPE_E3"].get("ConsumedUnits") == 2  # Alice via the group, Olivia directly
    domains = {o.get("Id"): o.get("AuthenticationType") for o in run(graph, "Get-MgDomain", "List").output}
    assert domains["fabrikam.com"] == "Federated" and domains["contoso.com"] == "Managed"
    details = run(graph, "Get-MgUserLicenseDetail", "List", UserId="alice@contoso.com")
    assert [o.get("SkuPartNumber") for o in details.output] == ["SPE_E3"]


# --------------------------------------------------------------------------- error factories


def test_error_factories_are_deterministic_and_well_formed(tmp_path: Path) -> None:
    records = []
    for n in range(2):
        with Tenant.init(tmp_path / f"t{n}", load_fixture_file("showcase")) as t:
            s = SessionState(tenant=t, pool_id="p", username="u")
            records.append(
                [
                    errors.ambiguous(s, "Remove-Mailbox", "Soft Deleted Objects\\Frank Miller"),
                    errors.soft_deleted_user_exists(s, "Remove-Mailbox", "x"),
                    errors.writing_scope(s, "Remove-Mailbox", "x"),
                    errors.rbac_parameter(s, "Remove-Mailbox", "Disconnect"),
                    errors.on_hold(s, "Remove-Mailbox", "x"),
                    errors.federated_managed_account(s, "New-Mailbox", "x@fabrikam.com"),
                    errors.throttled(s, "Remove-Mailbox", 1500),
                    errors.rest_transient(s, "Get-EXOMailbox"),
                    errors.graph_group_license(s, "Set-MgUserLicense", "AssignExpanded", "x"),
                ]
            )
    assert records[0] == records[1]
    amb, sdu, scope, rbac, hold, fed, thr, transient, grp = records[0]
    assert "'Soft Deleted Objects\\Frank Miller' matches multiple entries" in amb.message
    assert "there is a soft deleted user" in sdu.message and "writing scope" in scope.message
    assert 'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet' in rbac.message
    assert "Litigation Hold" in hold.message and "namespace state, which is federated" in fed.message
    assert thr.message.endswith("Suggested backoff time 1500 ms.")
    assert transient.message.startswith("Error while querying REST service. HttpStatusCode=500")
    assert (
        grp.fq_error_id
        == "Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserLicense_AssignExpanded"
    )
    assert all(r.message.count("|") >= 2 for r in (amb, sdu, scope, rbac, hold, fed, thr))
