"""The cmdlet catalog: Microsoft's published signatures, loaded once from ``data/cmdlets.json``.

``cmdlets.json`` is reference data made from the Exchange Online / Security & Compliance and
Microsoft Graph PowerShell docs (see ``shared/reference/cmdlets.md``). This module turns it into
frozen dataclasses the binder can use without re-reading JSON, and adds the two things the docs do
not spell out per cmdlet:

* **Common parameters** (``-Verbose``, ``-ErrorAction``, ...) with their real types and aliases.
  They exist on every cmdlet and in every parameter set. ``-WhatIf``/``-Confirm`` exist only
  where the cmdlet lists them (it supports ShouldProcess); they too belong to every set.
* **The cloud view.** The sandbox simulates the *cloud* service. A parameter whose ``cloud`` flag
  is false (on-premises only, e.g. Remove-Mailbox ``-Permanent``/``-Database``) does not exist
  there, and neither does a parameter set whose ``cloud`` flag is false. ``CmdletSpec`` keeps the
  documented data as is (``parameters``, ``parameter_sets``) and precomputes the cloud view
  (``cloud_parameters``, ``cloud_sets``) that binding uses. The names of on-premises parameters
  are kept in ``onprem_names`` so the binder can report them as not found (see binding.md).

Position numbers are kept as documented; the docs are not consistent about the base (0 or 1), so
only their relative order within a cmdlet is ever used.

The docs do not publish ``DefaultParameterSetName`` for Exchange cmdlets. ``default_set`` is the
documented default, or else the set named ``Identity`` (Exchange's task base classes declare
``DefaultParameterSetName = "Identity"``); ``default_set_inferred`` says which.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = [
    "COMMON_PARAMETERS",
    "SHOULD_PROCESS_PARAMETERS",
    "Catalog",
    "CatalogError",
    "CmdletSpec",
    "ParameterSetSpec",
    "ParameterSpec",
    "SetMember",
    "load_catalog",
    "parse_catalog",
]

BY_VALUE = "ByValue"
BY_PROPERTY_NAME = "ByPropertyName"

# (name, .NET type, aliases): PowerShell's CommonParameters, as [CmdletBinding()] adds them.
COMMON_PARAMETERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Verbose", "System.Management.Automation.SwitchParameter", ("vb",)),
    ("Debug", "System.Management.Automation.SwitchParameter", ("db",)),
    ("ErrorAction", "System.Management.Automation.ActionPreference", ("ea",)),
    ("WarningAction", "System.Management.Automation.ActionPreference", ("wa",)),
    ("InformationAction", "System.Management.Automation.ActionPreference", ("infa",)),
    ("ProgressAction", "System.Management.Automation.ActionPreference", ("proga",)),
    ("ErrorVariable", "System.String", ("ev",)),
    ("WarningVariable", "System.String", ("wv",)),
    ("InformationVariable", "System.String", ("iv",)),
    ("OutVariable", "System.String", ("ov",)),
    ("OutBuffer", "System.Int32", ("ob",)),
    ("PipelineVariable", "System.String", ("pv",)),
)
# Only real on cmdlets that support ShouldProcess (the catalog lists them there).
SHOULD_PROCESS_PARAMETERS: tuple[str, ...] = ("WhatIf", "Confirm")

_EXCHANGE_MODULE = "ExchangeOnlineManagement"
_GRAPH_MODULE_PREFIX = "Microsoft.Graph."


class CatalogError(Exception):
    """``cmdlets.json`` does not have the shape this loader understands."""


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter as documented.

    ``pipeline_by`` is normalised: the Exchange docs say only "accepts pipeline input: True"
    (``pipeline`` without ``pipeline_by``); Exchange's identity parameters are
    ``ValueFromPipeline``, so those are read as ``{"ByValue"}`` and ``pipeline_by_documented``
    is False. ``type`` is None only for the example-only Restore-MgDirectoryDeletedItem
    ``-BodyParameter``.
    """

    name: str
    type: str | None
    switch: bool = False
    aliases: tuple[str, ...] = ()
    pipeline: bool = False
    pipeline_by: frozenset[str] = frozenset()
    pipeline_by_documented: bool = False
    value_optional: bool = False
    accepted_values: tuple[str, ...] | None = None
    cloud: bool = True
    is_common: bool = False
    example_only: bool = False

    @property
    def by_value(self) -> bool:
        return BY_VALUE in self.pipeline_by

    @property
    def by_property_name(self) -> bool:
        return BY_PROPERTY_NAME in self.pipeline_by


@dataclass(frozen=True)
class SetMember:
    """A parameter's facts within one set. ``switch`` is set only for ``value_optional`` ones."""

    required: bool
    position: int | None
    switch: bool | None = None


@dataclass(frozen=True)
class ParameterSetSpec:
    """A parameter set. ``members`` keeps documentation order (positions are relative only)."""

    name: str
    is_default: bool
    members: Mapping[str, SetMember]
    cloud: bool = True
    in_syntax: bool = True
    name_from_docs: bool = True

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, member in self.members.items() if member.required)

    def positional(self) -> list[tuple[int, str]]:
        """``(position, parameter)`` pairs in ascending position order."""
        pairs = [(m.position, n) for n, m in self.members.items() if m.position is not None]
        return sorted(pairs)


@dataclass(frozen=True, eq=False)
class CmdletSpec:
    """A cmdlet: documented data plus the cloud view that binding uses (see module docstring).

    Compared and hashed by identity (one instance per catalog), so the binder can cache indexes.
    """

    name: str
    module: str
    parameters: Mapping[str, ParameterSpec]
    parameter_sets: tuple[ParameterSetSpec, ...]
    supports_should_process: bool
    is_exchange: bool
    is_graph: bool
    is_compliance: bool
    cloud: bool
    cloud_parameters: Mapping[str, ParameterSpec] = field(repr=False)
    cloud_sets: tuple[ParameterSetSpec, ...] = field(repr=False)
    onprem_names: frozenset[str] = field(repr=False)
    default_set: str | None = None
    default_set_inferred: bool = False
    doc_conflicts: int = 0

    def parameter(self, canonical: str) -> ParameterSpec:
        """The bindable parameter (cloud or common) with this canonical name."""
        return self.cloud_parameters[canonical]

    def cloud_set(self, name: str) -> ParameterSetSpec:
        for parameter_set in self.cloud_sets:
            if parameter_set.name == name:
                return parameter_set
        raise KeyError(name)


class Catalog:
    """All cmdlets, looked up case-insensitively, as PowerShell resolves command names."""

    def __init__(self, cmdlets: Mapping[str, CmdletSpec]) -> None:
        self._by_lower = {name.lower(): spec for name, spec in cmdlets.items()}
        self._names = tuple(cmdlets)

    def get(self, name: str) -> CmdletSpec | None:
        return self._by_lower.get(name.lower())

    def __getitem__(self, name: str) -> CmdletSpec:
        spec = self.get(name)
        if spec is None:
            raise KeyError(name)
        return spec

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def __len__(self) -> int:
        return len(self._names)

    def names(self) -> tuple[str, ...]:
        """Canonical names in catalog order."""
        return self._names


def _parameter(name: str, raw: Mapping[str, Any]) -> ParameterSpec:
    pipeline = bool(raw.get("pipeline", False))
    documented = raw.get("pipeline_by")
    by: set[str] = set()
    for kind in documented or ():
        lowered = str(kind).lower()
        by.add(
            BY_VALUE if lowered == "byvalue" else BY_PROPERTY_NAME if lowered == "bypropertyname" else kind
        )
    if pipeline and not by:
        by.add(BY_VALUE)
    accepted = raw.get("accepted_values")
    return ParameterSpec(
        name=name,
        type=raw.get("type"),
        switch=bool(raw.get("switch", False)),
        aliases=tuple(raw.get("aliases") or ()),
        pipeline=pipeline,
        pipeline_by=frozenset(by) if pipeline else frozenset(),
        pipeline_by_documented=documented is not None,
        value_optional=bool(raw.get("value_optional", False)),
        accepted_values=tuple(accepted) if accepted else None,
        cloud=bool(raw.get("cloud", True)),
        example_only=bool(raw.get("example_only", False)),
    )


def _parameter_set(raw: Mapping[str, Any]) -> ParameterSetSpec:
    members = {
        name: SetMember(
            required=bool(m.get("required", False)),
            position=m.get("position"),
            switch=m.get("switch"),
        )
        for name, m in raw["parameters"].items()
    }
    return ParameterSetSpec(
        name=raw["name"],
        is_default=bool(raw.get("default", False)),
        members=MappingProxyType(members),
        cloud=bool(raw.get("cloud", True)),
        in_syntax=bool(raw.get("in_syntax", True)),
        name_from_docs=bool(raw.get("name_from_docs", True)),
    )


def _common_specs() -> dict[str, ParameterSpec]:
    return {
        name: ParameterSpec(
            name=name,
            type=type_name,
            switch=type_name.endswith("SwitchParameter"),
            aliases=aliases,
            is_common=True,
        )
        for name, type_name, aliases in COMMON_PARAMETERS
    }


def _cmdlet(name: str, raw: Mapping[str, Any], common: Mapping[str, ParameterSpec]) -> CmdletSpec:
    documented = {p: _parameter(p, r) for p, r in raw["parameters"].items()}
    sets = tuple(_parameter_set(s) for s in raw["parameter_sets"])
    for parameter_set in sets:
        unknown = set(parameter_set.members) - set(documented)
        if unknown:
            raise CatalogError(f"{name}: set {parameter_set.name} names unknown parameters {sorted(unknown)}")

    should_process = {p for p in SHOULD_PROCESS_PARAMETERS if p in documented}
    cloud_params: dict[str, ParameterSpec] = {}
    for p, spec in documented.items():
        if p in common:
            raise CatalogError(f"{name}: parameter {p} collides with a common parameter")
        if spec.cloud:
            is_common = p in should_process
            cloud_params[p] = replace(spec, is_common=is_common)
    cloud_params.update(common)
    onprem = frozenset(
        n.lower() for p, spec in documented.items() if not spec.cloud for n in (p, *spec.aliases)
    )

    cloud_sets: list[ParameterSetSpec] = []
    for parameter_set in sets:
        if not parameter_set.cloud:
            continue
        members = {p: m for p, m in parameter_set.members.items() if p in cloud_params}
        for p in should_process:  # ShouldProcess parameters are in every set, as in PowerShell
            members.setdefault(p, SetMember(required=False, position=None))
        cloud_sets.append(
            ParameterSetSpec(
                name=parameter_set.name,
                is_default=parameter_set.is_default,
                members=MappingProxyType(members),
                cloud=True,
                in_syntax=parameter_set.in_syntax,
                name_from_docs=parameter_set.name_from_docs,
            )
        )

    default = next((s.name for s in cloud_sets if s.is_default), None)
    inferred = False
    if default is None and not any(s.is_default for s in sets):
        identity = next((s.name for s in cloud_sets if s.name == "Identity"), None)
        if identity is not None:
            default, inferred = identity, True

    module = str(raw.get("module", ""))
    exchange_online = bool(raw.get("exchange_online", False))
    return CmdletSpec(
        name=name,
        module=module,
        parameters=MappingProxyType(documented),
        parameter_sets=sets,
        supports_should_process=bool(should_process),
        is_exchange=module == _EXCHANGE_MODULE,
        is_graph=module.startswith(_GRAPH_MODULE_PREFIX),
        is_compliance=bool(raw.get("security_compliance", False)) and not exchange_online,
        cloud=bool(raw.get("cloud", True)),
        cloud_parameters=MappingProxyType(cloud_params),
        cloud_sets=tuple(cloud_sets),
        onprem_names=onprem,
        default_set=default,
        default_set_inferred=inferred,
        doc_conflicts=len(raw.get("doc_conflicts") or ()),
    )


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """Build a ``Catalog`` from the decoded JSON (tests use it with hand-made cmdlets too)."""
    listed = [p for p in data.get("common_parameters", ()) if p not in SHOULD_PROCESS_PARAMETERS]
    known = [name for name, _, _ in COMMON_PARAMETERS]
    if listed and listed != known:
        raise CatalogError(f"common_parameters {listed} differ from the ones this binder knows {known}")
    common = _common_specs()
    try:
        cmdlets = {name: _cmdlet(name, raw, common) for name, raw in data["cmdlets"].items()}
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"malformed cmdlets.json: {exc!r}") from exc
    return Catalog(cmdlets)


_lock = threading.Lock()
_catalog: Catalog | None = None


def load_catalog() -> Catalog:
    """The packaged catalog, parsed once per process (thread-safe; works from a wheel)."""
    global _catalog
    if _catalog is None:
        with _lock:
            if _catalog is None:
                resource = resources.files("orchestrator.sandbox") / "data" / "cmdlets.json"
                _catalog = parse_catalog(json.loads(resource.read_text(encoding="utf-8")))
    return _catalog
