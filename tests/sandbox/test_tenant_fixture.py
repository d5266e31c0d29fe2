"""Fixture format: the showcase loads, bad fixtures are rejected naming the field, the shipped
JSON Schema is the one generated from the validator's spec, and both agree on good and bad input."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orchestrator.sandbox.fixtures import SHOWCASE, load_fixture_file
from orchestrator.sandbox.tenant import lifecycle as lc
from orchestrator.sandbox.tenant.fixture import FixtureError, load_fixture, relative_time
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.fixture_schema import json_schema, validate
from orchestrator.sandbox.tenant.generate import generate_large_tenant
from orchestrator.sandbox.tenant.model import MailboxState, UserState

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2] / "orchestrator" / "sandbox" / "data" / "fixture.schema.json"
)
Mut = Callable[[dict[str, Any]], None]


def showcase() -> dict[str, Any]:
    return load_fixture_file("showcase")


def _mbx(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in data["mailboxes"] if m["name"] == name)


def _idx(data: dict[str, Any], name: str) -> int:
    return next(i for i, m in enumerate(data["mailboxes"]) if m["name"] == name)


def test_showcase_loads_and_shows_every_state() -> None:
    model, start = load_fixture(showcase())
    assert start.isoformat() == "2026-03-02T09:00:00+00:00"
    assert lc.check_invariants(model, start) == []
    states = {m.state for m in model.mailboxes.values()}
    assert states == set(MailboxState) - {MailboxState.PURGED}
    by_name: dict[str, list[Any]] = {}
    for m in model.mailboxes.values():
        by_name.setdefault(m.name, []).append(m)
    assert len(by_name["Frank Miller"]) == 2  # ambiguous pair
    assert by_name["Dave Davis"][0].external_directory_object_id is None  # orphan
    assert by_name["Erin Evans"][0].is_dir_synced
    assert model.users[by_name["Carol Clark"][0].user_id].state is UserState.RECYCLE_BIN
    holds = {m.name: m.holds.in_place_holds for m in model.mailboxes.values()}
    assert holds["Heidi Hill"][0].startswith("UniH") and holds["Ivan Ivanov"][0].endswith(":2")
    assert holds["Judy Jones"][0].startswith("-mbx") and holds["Ken King"][0].startswith("cld")
    assert lc.org_in_place_holds(model)
    assert any(d.authentication == "Federated" for d in model.domains.values())
    assert model.groups and model.restore_requests


def test_relative_times() -> None:
    assert relative_time("-3d12h").total_seconds() == -(3 * 86400 + 12 * 3600)
    assert relative_time("+90m").total_seconds() == 5400 and relative_time("0").total_seconds() == 0
    with pytest.raises(ValueError):
        relative_time("2026-01-01")


# (mutation, expected error text) — structural errors: the JSON Schema rejects them too.
STRUCTURAL: list[tuple[str, Mut, str]] = [
    ("unknown top-level", lambda d: d.update(extras=1), "fixture: unknown field 'extras'"),
    (
        "unknown nested",
        lambda d: d["mailboxes"][0].update(colour="red"),
        "mailboxes[0]: unknown field 'colour'",
    ),
    (
        "missing field",
        lambda d: d["mailboxes"][2].pop("alias"),
        "mailboxes[2].alias: required field is missing",
    ),
    (
        "bad guid",
        lambda d: d["users"][1].update(object_id="nope"),
        "users[1].object_id: 'nope' is not a GUID",
    ),
    (
        "bad type",
        lambda d: d["mailboxes"][0].update(item_count="many"),
        "mailboxes[0].item_count: must be an integer",
    ),
    (
        "bool is not int",
        lambda d: d["mailboxes"][0].update(item_count=True),
        "mailboxes[0].item_count: must be an integer",
    ),
    (
        "bad enum",
        lambda d: d["mailboxes"][3].update(state="Zombie"),
        "mailboxes[3].state: 'Zombie' is not one of",
    ),
    (
        "absolute time",
        lambda d: d["users"][5].update(deleted="2026-01-01"),
        "users[5].deleted: '2026-01-01' is not a time relative",
    ),
    ("version 2", lambda d: d.update(version=2), "version: 2 is not one of 1"),
    ("wrong format", lambda d: d.update(format="other"), "format: 'other' is not one of"),
    (
        "thumbprint",
        lambda d: d["tenant"]["app"].update(certificate_thumbprint="xyz"),
        "tenant.app.certificate_thumbprint",
    ),
    ("negative", lambda d: d["mailboxes"][0].update(total_item_size_bytes=-1), "below the minimum"),
    (
        "unsupported rtd",
        lambda d: d["mailboxes"][0].update(recipient_type_details="GroupMailbox"),
        "recipient_type_details",
    ),
    (
        "null not allowed",
        lambda d: d["mailboxes"][0].update(name=None),
        "mailboxes[0].name: must be a non-empty string, not null",
    ),
]


@pytest.mark.parametrize(("label", "mutate", "expected"), STRUCTURAL, ids=[s[0] for s in STRUCTURAL])
def test_structural_errors_name_the_field_and_schema_agrees(label: str, mutate: Mut, expected: str) -> None:
    data = showcase()
    mutate(data)
    with pytest.raises(FixtureError) as info:
        load_fixture(data)
    assert any(expected in e for e in info.value.errors), info.value.errors
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


def _semantic() -> list[tuple[str, Mut, str]]:
    d = showcase()
    heidi = _idx(d, "Heidi Hill")
    carol = _idx(d, "Carol Clark")
    alice = _idx(d, "Alice Adams")
    ivan = _idx(d, "Ivan Ivanov")
    leo = _idx(d, "Leo Lopez")
    return [
        (
            "invalid hold id",
            lambda d: d["mailboxes"][heidi]["holds"].update(in_place_holds=["UniHxyz"]),
            f"mailboxes[{heidi}].holds.in_place_holds[0]: 'UniHxyz' is not a valid hold id",
        ),
        (
            "undefined case hold",
            lambda d: d["mailboxes"][heidi]["holds"].update(in_place_holds=[f"UniH{uuid.UUID(int=5)}"]),
            "is not defined in case_hold_policies",
        ),
        (
            "stamp missing",
            lambda d: d["mailboxes"][ivan]["holds"].update(in_place_holds=[]),
            f"mailboxes[{ivan}].holds.in_place_holds: must contain",
        ),
        (
            "skp not implemented",
            lambda d: d["mailboxes"][ivan]["holds"]["in_place_holds"].append("skp" + "0" * 32 + ":2"),
            "not implemented by the sandbox",
        ),
        (
            "unknown user",
            lambda d: d["mailboxes"][alice].update(user=str(uuid.UUID(int=7))),
            f"mailboxes[{alice}].user: user",
        ),
        (
            "unknown sku",
            lambda d: d["users"][1]["licenses"].append({"sku_id": str(uuid.UUID(int=9))}),
            "users[1].licenses[1].sku_id",
        ),
        (
            "soft without time",
            lambda d: d["mailboxes"][carol].pop("soft_deleted"),
            f"mailboxes[{carol}].soft_deleted: required",
        ),
        ("too old", lambda d: d["mailboxes"][carol].update(soft_deleted="-40d"), "would already be purged"),
        (
            "future time",
            lambda d: d["users"][0].update(created="+1d"),
            "users[0].created: '+1d' is in the future",
        ),
        (
            "inactive without hold",
            lambda d: (
                d["mailboxes"][leo].update(state="Inactive", inactive_retire_time=None)
                or d["mailboxes"][leo].pop("inactive_retire_time")
            ),
            "Inactive but on no hold",
        ),
        (
            "duplicate guid",
            lambda d: d["mailboxes"][1].update(exchange_guid=d["mailboxes"][0]["exchange_guid"]),
            "mailboxes[1].exchange_guid",
        ),
        ("active needs licence", lambda d: d["users"][1].pop("licenses"), "needs an Exchange licence"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_semantic_errors_name_the_field_and_schema_allows_them(case: int) -> None:
    label, mutate, expected = _semantic()[case]
    data = showcase()
    mutate(data)
    if label != "future time":  # schema is structural only: semantic mistakes pass it
        jsonschema.validate(data, json_schema())
    with pytest.raises(FixtureError) as info:
        load_fixture(data)
    assert any(expected in e for e in info.value.errors), (label, info.value.errors)


def test_good_fixtures_pass_both_validators() -> None:
    b = FixtureBuilder()
    b.active("a")
    for data in (showcase(), b.build(), generate_large_tenant(50, seed=3)):
        assert validate(data) == []
        jsonschema.validate(data, json_schema())
        model, start = load_fixture(copy.deepcopy(data))
        assert lc.check_invariants(model, start) == []


def test_shipped_schema_file_is_generated_from_the_spec() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema()
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_showcase_file_is_pretty_and_stable() -> None:
    assert json.loads(SHOWCASE.read_text(encoding="utf-8")) == showcase()
