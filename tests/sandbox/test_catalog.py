"""The packaged cmdlet catalog: same bytes as the shared reference, loads, and says what cmdlets.md says."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestrator.sandbox.catalog import COMMON_PARAMETERS, CatalogError, load_catalog, parse_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "reference" / "cmdlets.json"
PACKAGED = REPO_ROOT / "orchestrator" / "sandbox" / "data" / "cmdlets.json"


def test_packaged_catalog_is_the_shared_reference() -> None:
    if not SHARED.is_file():
        pytest.fail(
            f"shared reference {SHARED} is missing: check out shared/ beside the repository "
            "(CI clones it next to main/)"
        )
    if SHARED.read_bytes() != PACKAGED.read_bytes():
        pytest.fail(f"{PACKAGED} differs from {SHARED}: copy the shared file over the packaged one")


def test_all_41_cmdlets_load_and_lookup_is_case_insensitive() -> None:
    catalog = load_catalog()
    assert len(catalog) == 41 == len(catalog.names())
    assert catalog.get("remove-MAILBOX") is catalog["Remove-Mailbox"]
    assert catalog.get("Get-Nothing") is None
    assert "get-mguser" in catalog
    with pytest.raises(KeyError):
        catalog["Get-Nothing"]


def test_load_is_cached_across_threads() -> None:
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(load_catalog())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is results[0] for r in results)


def test_remove_mailbox_as_cmdlets_md_describes() -> None:
    spec = load_catalog()["Remove-Mailbox"]
    assert spec.is_exchange and not spec.is_graph and not spec.is_compliance
    assert spec.supports_should_process
    assert len(spec.parameters) == 20
    assert [s.name for s in spec.parameter_sets] == ["Identity", "StoreMailboxIdentity", "Default"]
    assert [s.name for s in spec.cloud_sets] == ["Identity", "Default"]  # StoreMailboxIdentity is on-prem
    identity = spec.cloud_set("Identity")
    assert identity.required == ("Identity",)
    assert identity.members["Identity"].position == 1
    default = spec.cloud_set("Default")
    assert {"PermanentlyDelete", "RemoveCNFPublicFolderMailboxPermanently", "Force", "Migration"} <= set(
        default.members
    )
    # on-premises-only parameters are documented but not bindable in the cloud
    for name in ("Permanent", "Database", "StoreMailboxIdentity", "DomainController", "Arbitration"):
        assert not spec.parameters[name].cloud
        assert name not in spec.cloud_parameters
        assert name.lower() in spec.onprem_names
    assert "Permanent" not in identity.members
    assert spec.parameters["Identity"].pipeline and spec.parameters["Identity"].by_value
    assert not spec.parameters["Identity"].pipeline_by_documented
    assert spec.parameters["Confirm"].aliases == ("cf",)
    assert spec.default_set == "Identity" and spec.default_set_inferred


def test_common_parameters_exist_everywhere_with_real_types() -> None:
    catalog = load_catalog()
    for name in catalog.names():
        spec = catalog[name]
        for common, type_name, aliases in COMMON_PARAMETERS:
            parameter = spec.cloud_parameters[common]
            assert parameter.is_common and parameter.type == type_name and parameter.aliases == aliases
        has_should_process = "WhatIf" in spec.parameters
        assert spec.supports_should_process == has_should_process
        assert ("WhatIf" in spec.cloud_parameters) == has_should_process
        for parameter_set in spec.cloud_sets:  # ShouldProcess parameters are in every set
            assert ("Confirm" in parameter_set.members) == ("Confirm" in spec.parameters)
    assert catalog["Get-MgUser"].cloud_parameters["OutBuffer"].type == "System.Int32"
    assert "WhatIf" not in catalog["Get-Mailbox"].cloud_parameters


def test_graph_and_compliance_flags() -> None:
    catalog = load_catalog()
    license_spec = catalog["Set-MgUserLicense"]
    assert license_spec.is_graph and not license_spec.is_exchange
    assert license_spec.default_set == "AssignExpanded" and not license_spec.default_set_inferred
    assert license_spec.parameters["InputObject"].pipeline_by == frozenset({"ByValue"})
    assert catalog["Get-CaseHoldPolicy"].is_compliance
    assert not catalog["Connect-IPPSSession"].is_compliance
    assert catalog["Set-Mailbox"].parameters["Identity"].pipeline_by == frozenset({"ByPropertyName"})


def test_value_optional_and_example_only_parameters() -> None:
    catalog = load_catalog()
    group = catalog["Set-Mailbox"].parameters["GroupMailbox"]
    assert group.value_optional and group.switch
    forms = {
        s.name: s.members["GroupMailbox"].switch
        for s in catalog["Set-Mailbox"].cloud_sets
        if "GroupMailbox" in s.members
    }
    assert forms["ExcludeFromAllHolds"] is True and forms["RemoveDelayHoldApplied"] is False
    body = catalog["Restore-MgDirectoryDeletedItem"].parameters["BodyParameter"]
    assert body.example_only and body.type is None


def test_positions_are_kept_as_documented() -> None:
    catalog = load_catalog()
    assert catalog["Get-EXOMailbox"].cloud_set("Identity").members["Identity"].position == 0
    assert catalog["Get-Mailbox"].cloud_set("Identity").members["Identity"].position == 1


def test_unexpected_common_parameters_are_refused() -> None:
    with pytest.raises(CatalogError):
        parse_catalog({"common_parameters": ["Verbose"], "cmdlets": {}})
    with pytest.raises(CatalogError):
        parse_catalog({"cmdlets": {"X-Y": {"parameters": {}}}})
