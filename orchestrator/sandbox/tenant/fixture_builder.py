"""``FixtureBuilder``: write small, valid fixtures in a few lines (tests, the write side, demos).

Everything gets a deterministic GUID from its key (``builder.guid("alice")``), the tenant comes
with a managed default domain ``contoso.com``, a federated ``fabrikam.com`` and the SKUs ``E3``
(Exchange Plan 2), ``P1`` (Plan 1), ``EOA`` (archiving add-on) and ``FLOW`` (no Exchange).
``build()`` returns a fresh fixture dict; ``model()`` loads it.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from orchestrator.sandbox.tenant.fixture_schema import FORMAT, VERSION
from orchestrator.sandbox.tenant.model import TenantModel

__all__ = ["APP_ID_KEY", "THUMBPRINT", "FixtureBuilder"]

APP_ID_KEY = "app"
THUMBPRINT = "A909502DD82AE41433E6F83886B00D4277A32A7B"
_NS = uuid.UUID("0f0e0d0c-0b0a-4909-8807-060504030201")


class FixtureBuilder:
    def __init__(self, start: str = "2026-03-02T09:00:00Z", *, seed: int = 0) -> None:
        g = self.guid
        self.data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "clock": {"start": start},
            "tenant": {
                "tenant_id": g("tenant"),
                "organization": "contoso.onmicrosoft.com",
                "display_name": "Contoso",
                "app": {"app_id": g(APP_ID_KEY), "certificate_thumbprint": THUMBPRINT},
            },
            "knobs": {"seed": seed, "provisioning_delay_s": 300},
            "domains": [
                {"name": "contoso.com", "authentication": "Managed", "default": True},
                {"name": "fabrikam.com", "authentication": "Federated"},
            ],
            "skus": [
                {
                    "sku_id": g("sku-E3"),
                    "part_number": "SPE_E3",
                    "exchange_plan": "Plan2",
                    "exchange_plan_id": g("exo2"),
                },
                {"sku_id": g("sku-P1"), "part_number": "EXCHANGESTANDARD", "exchange_plan": "Plan1"},
                {"sku_id": g("sku-EOA"), "part_number": "EXCHANGEARCHIVE_ADDON", "includes_archiving": True},
                {"sku_id": g("sku-FLOW"), "part_number": "FLOW_FREE"},
            ],
            "users": [],
            "mailboxes": [],
            "groups": [],
            "case_hold_policies": [],
            "retention_policies": [],
            "legacy_in_place_holds": [],
        }

    @staticmethod
    def guid(key: str) -> str:
        return str(uuid.uuid5(_NS, key))

    def sku(self, name: str) -> str:
        return self.guid(f"sku-{name}")

    def user(
        self,
        key: str,
        *,
        state: str = "Active",
        licenses: tuple[str, ...] = ("E3",),
        domain: str = "contoso.com",
        **extra: Any,
    ) -> str:
        upn = f"{key}@{domain}"
        user: dict[str, Any] = {
            "object_id": self.guid(f"user-{key}"),
            "user_principal_name": upn,
            "display_name": key.title(),
            "mail": upn,
            "state": state,
            "created": "-400d",
        }
        if licenses:
            user["licenses"] = [{"sku_id": self.sku(s)} for s in licenses]
        user.update(extra)
        self.data["users"].append(user)
        return str(user["object_id"])

    def mailbox(
        self,
        key: str,
        *,
        state: str = "Active",
        user: str | None = "same",
        recipient_type_details: str = "UserMailbox",
        holds: dict[str, Any] | None = None,
        **extra: Any,
    ) -> str:
        box: dict[str, Any] = {
            "exchange_guid": self.guid(f"mbx-{key}"),
            "name": key.title(),
            "alias": key,
            "display_name": key.title(),
            "primary_smtp_address": f"{key}@contoso.com",
            "user": self.guid(f"user-{key}")
            if user == "same"
            else (self.guid(f"user-{user}") if user else None),
            "recipient_type_details": recipient_type_details,
            "state": state,
            "created": "-300d",
            "total_item_size_bytes": 50_000_000,
        }
        if holds:
            box["holds"] = holds
        box.update(extra)
        self.data["mailboxes"].append(box)
        return str(box["exchange_guid"])

    def active(self, key: str, **user_extra: Any) -> str:
        """A licensed user with an active mailbox; returns the ExchangeGuid."""
        self.user(key, **user_extra)
        return self.mailbox(key)

    def case_hold(self, key: str, *mailbox_keys: str, enabled: bool = True) -> str:
        guid = self.guid(f"case-{key}")
        self.data["case_hold_policies"].append(
            {
                "guid": guid,
                "name": f"Case hold {key}",
                "case": f"Case {key}",
                "enabled": enabled,
                "exchange_locations": [self.guid(f"mbx-{m}") for m in mailbox_keys],
            }
        )
        return guid

    def retention(
        self,
        key: str,
        *mailbox_keys: str,
        org_wide: bool = False,
        exceptions: tuple[str, ...] = (),
        action: str = "Retain",
        preservation_lock: bool = False,
    ) -> str:
        guid = self.guid(f"ret-{key}")
        policy: dict[str, Any] = {
            "guid": guid,
            "name": f"Retention {key}",
            "action": action,
            "exchange_location_all": org_wide,
            "preservation_lock": preservation_lock,
        }
        if org_wide:
            policy["exchange_location_exceptions"] = [self.guid(f"mbx-{m}") for m in exceptions]
        else:
            policy["exchange_locations"] = [self.guid(f"mbx-{m}") for m in mailbox_keys]
        self.data["retention_policies"].append(policy)
        return guid

    def legacy_hold(self, key: str, *mailbox_keys: str) -> str:
        hold_id = "cld" + uuid.UUID(self.guid(f"legacy-{key}")).hex
        self.data["legacy_in_place_holds"].append(
            {
                "id": hold_id,
                "name": f"Legacy {key}",
                "mailboxes": [self.guid(f"mbx-{m}") for m in mailbox_keys],
            }
        )
        return hold_id

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    def model(self) -> tuple[TenantModel, datetime]:
        from orchestrator.sandbox.tenant.fixture import load_fixture

        return load_fixture(self.build())
