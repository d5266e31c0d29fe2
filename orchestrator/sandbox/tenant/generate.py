"""``generate_large_tenant``: a big, valid fixture dict built in memory (benchmarks, load tests).

Deterministic for a given ``seed``. The mix follows a tenant some years into its life: most
mailboxes active, a few percent soft-deleted (orphaned or with the user in the recycle bin),
some inactive under litigation hold, an org-wide delete-only retention policy, and a handful
disconnected after licence removal.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from orchestrator.sandbox.tenant.fixture_schema import FORMAT, VERSION

__all__ = ["generate_large_tenant"]


def generate_large_tenant(mailboxes: int = 50_000, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    ns = uuid.UUID(int=rng.getrandbits(128))

    def g(name: str) -> str:
        return str(uuid.uuid5(ns, name))

    sku = g("sku-e3")
    users: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []
    for i in range(mailboxes):
        alias = f"user{i:06d}"
        upn = f"{alias}@contoso.com"
        roll = rng.random()
        user: dict[str, Any] = {
            "object_id": g(f"u{i}"),
            "user_principal_name": upn,
            "display_name": f"User {i:06d}",
            "created": f"-{rng.randint(40, 2000)}d",
            "licenses": [{"sku_id": sku}],
        }
        box: dict[str, Any] = {
            "exchange_guid": g(f"m{i}"),
            "name": alias,
            "alias": alias,
            "display_name": f"User {i:06d}",
            "primary_smtp_address": upn,
            "user": user["object_id"],
            "state": "Active",
            "item_count": rng.randint(0, 50_000),
            "total_item_size_bytes": rng.randint(0, 50_000_000_000),
        }
        if roll < 0.03:  # soft-deleted, user still in the recycle bin
            days = rng.randint(1, 29)
            user.update(state="RecycleBin", deleted=f"-{days}d")
            box.update(state="SoftDeleted", soft_deleted=f"-{days}d")
        elif roll < 0.05:  # orphaned soft-deleted
            days = rng.randint(2, 29)
            user.update(state="Purged", deleted=f"-{days}d", purged="-1d")
            box.update(state="SoftDeleted", soft_deleted=f"-{days}d")
        elif roll < 0.07:  # inactive under litigation hold
            days = rng.randint(40, 900)
            user.update(state="Purged", deleted=f"-{days}d", purged=f"-{days - 30}d")
            box.update(state="Inactive", soft_deleted=f"-{days}d", holds={"litigation_hold_enabled": True})
        elif roll < 0.075:  # licence removed
            user.pop("licenses")
            box.update(state="Disconnected", disconnected=f"-{rng.randint(1, 29)}d")
        users.append(user)
        boxes.append(box)
    return {
        "format": FORMAT,
        "version": VERSION,
        "description": f"generated: {mailboxes} mailboxes, seed {seed}",
        "clock": {"start": "2026-03-02T09:00:00Z"},
        "tenant": {
            "tenant_id": g("tenant"),
            "organization": "contoso.onmicrosoft.com",
            "display_name": "Contoso (generated)",
            "app": {
                "app_id": g("app"),
                "certificate_thumbprint": uuid.UUID(g("thumb")).hex.upper() + "00000000",
            },
        },
        "knobs": {"seed": seed},
        "domains": [{"name": "contoso.com", "default": True}],
        "skus": [
            {"sku_id": sku, "part_number": "SPE_E3", "exchange_plan": "Plan2", "prepaid_units": mailboxes}
        ],
        "users": users,
        "mailboxes": boxes,
        "retention_policies": [
            {
                "guid": g("org-delete"),
                "name": "Org-wide delete after 10 years",
                "action": "Delete",
                "exchange_location_all": True,
            }
        ],
    }
