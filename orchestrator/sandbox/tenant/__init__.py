"""The simulated tenant: model, lifecycle, fixture format, persistent store, clock, audit log.

Entry points: ``init(state_dir, fixture)`` creates a tenant, ``open(state_dir)`` opens one (both
return a ``Tenant``); ``lifecycle`` holds every transition; ``read_audit(state_dir)`` reads the
audit log. See docs/sandbox/tenant.md and docs/sandbox/fixtures.md.
"""

from __future__ import annotations

from orchestrator.sandbox.tenant.audit import read_audit
from orchestrator.sandbox.tenant.service import Tenant, TenantExistsError, init_tenant, open_tenant

__all__ = ["Tenant", "TenantExistsError", "init", "init_tenant", "open", "open_tenant", "read_audit"]

init = init_tenant
open = open_tenant
