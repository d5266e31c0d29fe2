"""Settings: TOML file + environment + command-line flags -> validated, frozen dataclasses.

Precedence is **flag > env > file > default**, key by key. Every value remembers where it came
from, so a validation error can say "winrm.port = 70000 (from env MBXO_WINRM_PORT)" and
``Settings.redacted()`` can show the operator which layer to edit.

Why no pydantic: the CLI starts on every scheduled-task run and for ``--help``; plain dataclasses
and ``tomllib`` keep start-up light and the rules readable in one place (``_winrm_problems`` etc.).

Secrets (``winrm.password``, ``tenant.certificate_password``) are wrapped in :class:`Secret` at the
moment they are read, so no repr, log line or error message can show them. They may come from an
environment variable or from a file named by ``*_file`` - never inline in the TOML file, which is
typically world-readable, copied into tickets and checked into change repositories.
"""

from __future__ import annotations

import difflib
import hmac
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from orchestrator.errors import ConfigError

__all__ = [
    "APP_NAME",
    "AUTH_METHODS",
    "ENV_PREFIX",
    "LOG_LEVELS",
    "KeyInfo",
    "LoggingSettings",
    "Secret",
    "Settings",
    "TenantSettings",
    "WinRMSettings",
    "default_config_path",
    "describe_keys",
    "env_var_name",
    "flag_name",
    "load_settings",
]

APP_NAME = "mailbox-orchestrator"
ENV_PREFIX = "MBXO_"
CONFIG_ENV_VAR = "MBXO_CONFIG"
AUTH_METHODS = ("negotiate", "kerberos", "ntlm", "credssp", "certificate", "basic")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
MASK = "********"
CODE_SOURCE = "code"
DEFAULT_SOURCE = "default"

AuthMethod = Literal["negotiate", "kerberos", "ntlm", "credssp", "certificate", "basic"]


# --------------------------------------------------------------------------------------------
# Secret
# --------------------------------------------------------------------------------------------


class Secret:
    """A string that never shows itself: repr/str/format give ``'********'``.

    Call :meth:`reveal` at the last moment (handing the password to pypsrp). Equality is
    constant-time so settings objects can still be compared in tests.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # pickling would write the clear text somewhere: refuse
        raise TypeError("Secret values cannot be pickled")


# --------------------------------------------------------------------------------------------
# Validation helpers shared by direct construction and loading
# --------------------------------------------------------------------------------------------

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_THUMBPRINT_RE = re.compile(r"^[0-9A-F]{40}$")
_ORG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62})\.onmicrosoft\.com$", re.IGNORECASE)
_CONFIG_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class _Problem:
    key: str
    source: str
    text: str

    def __str__(self) -> str:
        return f"{self.key} (from {self.source}): {self.text}"


def _raise_problems(problems: list[_Problem]) -> None:
    """One ConfigError naming every problem, so the operator fixes them in one go."""
    if not problems:
        return
    hint = (
        "fix the value at the source named above (flag, env var or config file); "
        "docs/configuration.md lists every key, and 'config show' prints each value with its source"
    )
    if len(problems) == 1:
        p = problems[0]
        error = ConfigError(str(p), hint=hint, details={"key": p.key, "source": p.source}, problems=[str(p)])
    else:
        lines = "\n".join(f"  - {p}" for p in problems)
        error = ConfigError(
            f"{len(problems)} problems in the configuration:\n{lines}",
            hint=hint,
            details={"keys": ", ".join(p.key for p in problems)},
            problems=[str(p) for p in problems],
        )
    setattr(error, "_problems", list(problems))  # noqa: B010 - private hand-over to load_settings
    raise error


def _is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalise_thumbprint(value: str) -> str:
    """Thumbprints copied from the Windows certificate dialog carry spaces and an invisible
    left-to-right mark (U+200E); strip them and upper-case so the check below is fair."""
    return re.sub(r"[\s\u200e\u200f:]", "", value).upper()


# --------------------------------------------------------------------------------------------
# Settings dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WinRMSettings:
    """How to reach the PowerShell jump host over WinRM (PSRP). Validated on construction."""

    host: str
    port: int | None = None  # None = 5986 with https, 5985 without (see resolved_port)
    https: bool = True
    auth: AuthMethod = "negotiate"
    username: str | None = None
    password: Secret | None = None
    cert_validation: bool = True
    ca_bundle: Path | None = None
    certificate_pem: Path | None = None
    certificate_key_pem: Path | None = None
    configuration_name: str = "Microsoft.PowerShell"
    negotiate_service: str | None = None  # None = pypsrp's default ("host" in 0.9)
    connection_timeout: float = 30.0
    operation_timeout: int = 20
    read_timeout: float = 30.0
    reconnection_retries: int = 0
    reconnection_backoff: float = 2.0
    invoke_timeout: float = 900.0  # EXO REST cmdlets give up after 15 minutes
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _raise_problems(_winrm_problems(self))

    @property
    def resolved_port(self) -> int:
        if self.port is not None:
            return self.port
        return 5986 if self.https else 5985

    @property
    def encryption(self) -> Literal["auto", "never"]:
        """pypsrp's ``encryption``: Basic over HTTP cannot wrap messages ('never', allowed only
        to loopback by validation); everything else lets pypsrp decide ('auto': TLS on HTTPS,
        SPNEGO/CredSSP wrapping on HTTP)."""
        return "never" if self.auth == "basic" and not self.https else "auto"

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.https else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.resolved_port}/wsman"

    def source_of(self, key: str) -> str:
        return self.sources.get(key, CODE_SOURCE)


@dataclass(frozen=True)
class TenantSettings:
    """Which Microsoft 365 tenant the scripts connect to (app-only, certificate auth)."""

    organization: str
    app_id: str
    certificate_thumbprint: str | None = None
    certificate_path: str | None = None  # a path ON THE JUMP HOST; not checked locally
    certificate_password: Secret | None = None
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.certificate_thumbprint is not None:
            object.__setattr__(
                self, "certificate_thumbprint", normalise_thumbprint(self.certificate_thumbprint)
            )
        _raise_problems(_tenant_problems(self))

    def source_of(self, key: str) -> str:
        return self.sources.get(key, CODE_SOURCE)


@dataclass(frozen=True)
class LoggingSettings:
    """Console level and the optional JSON-lines file for the SIEM."""

    level: str = "info"
    json_log: Path | None = None
    json_level: str = "debug"
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _raise_problems(_logging_problems(self))

    def source_of(self, key: str) -> str:
        return self.sources.get(key, CODE_SOURCE)


@dataclass(frozen=True)
class Settings:
    """Everything a run needs. ``tenant`` is None only when loaded with ``require_tenant=False``."""

    winrm: WinRMSettings
    tenant: TenantSettings | None
    logging: LoggingSettings = field(default_factory=LoggingSettings)

    def require_tenant(self) -> TenantSettings:
        if self.tenant is None:
            raise ConfigError(
                "no tenant is configured (tenant.organization and tenant.app_id are missing)",
                hint="set them in the [tenant] section, MBXO_TENANT_* env vars or --tenant-* flags",
            )
        return self.tenant

    def redacted(self) -> dict[str, dict[str, object]]:
        """Every effective value with its source, secrets masked: for ``config show`` and logs."""
        out: dict[str, dict[str, object]] = {}
        parts: list[tuple[str, Any]] = [
            ("winrm", self.winrm),
            ("tenant", self.tenant),
            ("logging", self.logging),
        ]
        for section, obj in parts:
            if obj is None:
                continue
            for f in fields(obj):
                if f.name == "sources":
                    continue
                value = getattr(obj, f.name)
                if section == "winrm" and f.name == "port":
                    value = obj.resolved_port
                out[f"{section}.{f.name}"] = {"value": _display(value), "source": obj.source_of(f.name)}
        return out


def _display(value: object) -> object:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Path):
        return str(value)
    return value


# --------------------------------------------------------------------------------------------
# Validation rules (one function per section; each problem names key, source and what to do)
# --------------------------------------------------------------------------------------------


def _winrm_problems(w: WinRMSettings) -> list[_Problem]:
    p: list[_Problem] = []

    def add(key: str, text: str) -> None:
        p.append(_Problem(f"winrm.{key}", w.source_of(key), text))

    if not isinstance(w.host, str) or not w.host.strip():
        add("host", "the jump host name is required; set winrm.host, MBXO_WINRM_HOST or --winrm-host")
    if w.port is not None and not (1 <= w.port <= 65535):
        add("port", f"port {w.port} is out of range; use 1-65535 (WinRM listens on 5985/http, 5986/https)")
    if w.auth not in AUTH_METHODS:
        add("auth", f"unknown auth {w.auth!r}; use one of {', '.join(AUTH_METHODS)}")
    if w.auth == "basic" and not w.https and isinstance(w.host, str) and not _is_loopback(w.host):
        add(
            "auth",
            f"Basic auth over plain HTTP to {w.host!r} would send the password in clear text; "
            "set winrm.https = true (and port 5986), or use negotiate/kerberos",
        )
    if w.auth in ("basic", "credssp") and (not w.username or w.password is None):
        add(  # reported against auth: that is the setting the operator chose and can see
            "auth",
            f"auth={w.auth} needs winrm.username and a password (MBXO_WINRM_PASSWORD or winrm.password_file)",
        )
    if w.auth == "certificate":
        if not w.https:
            add("https", "auth=certificate only works over HTTPS; set winrm.https = true")
        for key in ("certificate_pem", "certificate_key_pem"):
            path = getattr(w, key)
            if path is None:
                add("auth", f"auth=certificate needs winrm.{key} (a PEM file on this machine)")
            elif not Path(path).is_file():
                add(key, f"file {path} does not exist or is not a file; check the path")
    else:
        for key in ("certificate_pem", "certificate_key_pem"):
            if getattr(w, key) is not None:
                add(key, f"only used with auth=certificate (auth is {w.auth!r}); remove it or change auth")
    if w.ca_bundle is not None:
        if not w.cert_validation:
            add(
                "ca_bundle",
                "ca_bundle is set but cert_validation = false would ignore it; "
                "keep cert_validation = true and the CA bundle (recommended), or remove ca_bundle",
            )
        if not w.https:
            add("ca_bundle", "ca_bundle is only used over HTTPS; set winrm.https = true or remove it")
        if not Path(w.ca_bundle).is_file():
            add("ca_bundle", f"CA bundle {w.ca_bundle} does not exist or is not a file; check the path")
    if not isinstance(w.configuration_name, str) or not _CONFIG_NAME_RE.match(w.configuration_name):
        add(
            "configuration_name",
            f"{w.configuration_name!r} is not a PowerShell session configuration name "
            "(letters, digits, '.', '_', '-'); the default is Microsoft.PowerShell",
        )
    if w.negotiate_service is not None and w.auth not in ("negotiate", "kerberos"):
        add("negotiate_service", f"only used with auth=negotiate or kerberos (auth is {w.auth!r})")
    for key in ("connection_timeout", "operation_timeout", "read_timeout", "invoke_timeout"):
        if getattr(w, key) <= 0:
            add(key, f"must be greater than 0 seconds (got {getattr(w, key)})")
    if w.read_timeout <= w.operation_timeout:
        add(
            "read_timeout",
            f"read_timeout ({w.read_timeout}) must be greater than operation_timeout "
            f"({w.operation_timeout}): the host may hold a Receive for operation_timeout seconds "
            "before answering, so a shorter read timeout fails healthy sessions",
        )
    if w.reconnection_retries < 0:
        add("reconnection_retries", f"must be 0 or more (got {w.reconnection_retries})")
    if w.reconnection_backoff < 0:
        add("reconnection_backoff", f"must be 0 or more seconds (got {w.reconnection_backoff})")
    return p


def _tenant_problems(t: TenantSettings) -> list[_Problem]:
    p: list[_Problem] = []

    def add(key: str, text: str) -> None:
        p.append(_Problem(f"tenant.{key}", t.source_of(key), text))

    if not t.organization or not _ORG_RE.match(t.organization):
        add(
            "organization",
            f"{t.organization!r} is not an initial domain; Connect-ExchangeOnline -Organization "
            "needs the tenant's *.onmicrosoft.com name (e.g. contoso.onmicrosoft.com) for app-only auth",
        )
    if not t.app_id or not _GUID_RE.match(t.app_id):
        add("app_id", f"{t.app_id!r} is not a GUID; use the Application (client) ID of the app registration")
    if t.certificate_thumbprint and t.certificate_path:
        add(
            "certificate_path",
            "both certificate_thumbprint and certificate_path are set; use exactly one "
            "(thumbprint = installed in the jump host's certificate store, path = a .pfx on the jump host)",
        )
    elif not t.certificate_thumbprint and not t.certificate_path:
        add(
            "certificate_thumbprint",
            "no certificate: set certificate_thumbprint (store) or certificate_path (.pfx on the jump host)",
        )
    if t.certificate_thumbprint and not _THUMBPRINT_RE.match(t.certificate_thumbprint):
        add(
            "certificate_thumbprint",
            "a thumbprint is 40 hexadecimal characters (SHA-1); check for a copy error",
        )
    if t.certificate_password is not None and not t.certificate_path:
        add("certificate_password", "only used with certificate_path (a password-protected .pfx)")
    return p


def _logging_problems(lg: LoggingSettings) -> list[_Problem]:
    p: list[_Problem] = []
    for key in ("level", "json_level"):
        if getattr(lg, key) not in LOG_LEVELS:
            p.append(_Problem(f"logging.{key}", lg.source_of(key), f"use one of {', '.join(LOG_LEVELS)}"))
    if lg.json_log is not None and not Path(lg.json_log).parent.is_dir():
        p.append(
            _Problem(
                "logging.json_log",
                lg.source_of("json_log"),
                f"directory {Path(lg.json_log).parent} does not exist; create it or choose another path",
            )
        )
    return p


# --------------------------------------------------------------------------------------------
# Key registry: one row per key drives parsing, env names, flags, --help and `config show`
# --------------------------------------------------------------------------------------------

Kind = Literal["str", "int", "float", "bool", "path", "secret", "choice"]


@dataclass(frozen=True)
class _Spec:
    section: str
    name: str
    kind: Kind
    default: object
    description: str
    choices: tuple[str, ...] = ()
    in_file: bool = True  # False for inline secrets: refused in the TOML file

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


_SPECS: tuple[_Spec, ...] = (
    _Spec("winrm", "host", "str", None, "DNS name or IP address of the PowerShell jump host (required)"),
    _Spec("winrm", "port", "int", None, "WinRM port; default 5986 with https, 5985 without"),
    _Spec("winrm", "https", "bool", True, "use HTTPS (WinRM over TLS); false = HTTP with message encryption"),
    _Spec("winrm", "auth", "choice", "negotiate", "authentication method", AUTH_METHODS),
    _Spec("winrm", "username", "str", None, "account on the jump host (DOMAIN\\user or user@REALM)"),
    _Spec(
        "winrm",
        "password",
        "secret",
        None,
        "password: environment variable or password_file, never inline in the config file",
        in_file=False,
    ),
    _Spec(
        "winrm",
        "password_file",
        "path",
        None,
        "file holding the password (first line, trailing newline dropped)",
    ),
    _Spec("winrm", "cert_validation", "bool", True, "verify the host's TLS certificate"),
    _Spec("winrm", "ca_bundle", "path", None, "PEM file of the CA(s) that signed the host certificate"),
    _Spec("winrm", "certificate_pem", "path", None, "client certificate (PEM) for auth=certificate"),
    _Spec("winrm", "certificate_key_pem", "path", None, "client certificate key (PEM) for auth=certificate"),
    _Spec("winrm", "configuration_name", "str", "Microsoft.PowerShell", "PowerShell session configuration"),
    _Spec("winrm", "negotiate_service", "str", None, "SPN service class for Kerberos (pypsrp default: host)"),
    _Spec("winrm", "connection_timeout", "float", 30.0, "seconds to establish the TCP/TLS connection"),
    _Spec(
        "winrm",
        "operation_timeout",
        "int",
        20,
        "WS-Man OperationTimeout: seconds the host may hold a request",
    ),
    _Spec(
        "winrm", "read_timeout", "float", 30.0, "seconds to wait for an HTTP response (> operation_timeout)"
    ),
    _Spec("winrm", "reconnection_retries", "int", 0, "connection-level retries inside pypsrp"),
    _Spec(
        "winrm", "reconnection_backoff", "float", 2.0, "seconds of back-off between those retries (doubling)"
    ),
    _Spec(
        "winrm", "invoke_timeout", "float", 900.0, "our deadline per script; the pipeline is stopped after it"
    ),
    _Spec(
        "tenant",
        "organization",
        "str",
        None,
        "tenant initial domain, e.g. contoso.onmicrosoft.com (required)",
    ),
    _Spec(
        "tenant", "app_id", "str", None, "application (client) ID of the app registration, a GUID (required)"
    ),
    _Spec(
        "tenant",
        "certificate_thumbprint",
        "str",
        None,
        "thumbprint of the app certificate in the host's store",
    ),
    _Spec("tenant", "certificate_path", "str", None, "path of the app certificate .pfx ON THE JUMP HOST"),
    _Spec(
        "tenant",
        "certificate_password",
        "secret",
        None,
        "password of that .pfx: environment variable or *_file, never inline in the config file",
        in_file=False,
    ),
    _Spec("tenant", "certificate_password_file", "path", None, "file holding the .pfx password"),
    _Spec("logging", "level", "choice", "info", "console log level", LOG_LEVELS),
    _Spec("logging", "json_log", "path", None, "append JSON lines (for a SIEM) to this file"),
    _Spec("logging", "json_level", "choice", "debug", "level of the JSON log file", LOG_LEVELS),
)
_BY_KEY: dict[str, _Spec] = {s.key: s for s in _SPECS}
_SECTIONS = ("winrm", "tenant", "logging")
# (secret key, file key): the two ways to give one secret
_SECRET_PAIRS = (
    ("winrm.password", "winrm.password_file"),
    ("tenant.certificate_password", "tenant.certificate_password_file"),
)
_FILE_KEYS = {file_key for _, file_key in _SECRET_PAIRS}


def env_var_name(key: str) -> str:
    """``winrm.host`` -> ``MBXO_WINRM_HOST``."""
    return ENV_PREFIX + key.replace(".", "_").upper()


def flag_name(key: str) -> str:
    """``winrm.host`` -> ``--winrm-host`` (the CLI's naming pattern)."""
    return "--" + key.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class KeyInfo:
    """One configuration key, for ``--help`` texts, ``config show`` and the docs."""

    key: str
    env_var: str
    flag: str
    type: str
    default: str
    description: str
    secret: bool
    allowed_in_file: bool


def describe_keys() -> list[KeyInfo]:
    """Every key with its env var, flag, type, default and meaning, in documentation order."""
    out = []
    for s in _SPECS:
        type_name = "|".join(s.choices) if s.kind == "choice" else s.kind
        default = (
            "(none)"
            if s.default is None
            else str(s.default).lower()
            if isinstance(s.default, bool)
            else str(s.default)
        )
        out.append(
            KeyInfo(
                key=s.key,
                env_var=env_var_name(s.key),
                flag=flag_name(s.key),
                type=type_name,
                default=default,
                description=s.description,
                secret=s.kind == "secret",
                allowed_in_file=s.in_file,
            )
        )
    return out


def default_config_path(environ: Mapping[str, str]) -> Path:
    """``MBXO_CONFIG`` if set, else ``<click app dir>/config.toml``:
    %APPDATA%\\mailbox-orchestrator on Windows, ~/.config/mailbox-orchestrator elsewhere."""
    explicit = environ.get(CONFIG_ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    import click  # the CLI imports it anyway; kept local so config stays importable alone

    return Path(click.get_app_dir(APP_NAME)) / "config.toml"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

_RANK = {"default": 0, "file": 1, "env": 2, "flag": 3}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _BadValue(Exception):
    pass


@dataclass
class _Value:
    value: object
    layer: str  # default | file | env | flag
    source: str  # human text: "file C:\\...\\config.toml", "env MBXO_WINRM_HOST", ...


def _coerce(spec: _Spec, raw: object, layer: str, base_dir: Path | None) -> object:
    """Turn a raw value from one layer into the key's type; raise _BadValue saying what is wanted.

    TOML values must already have the right type (a quoted "5986" is a mistake worth reporting);
    env values are always strings and are parsed; flag values may be either.
    """
    text_ok = layer in ("env", "flag")
    kind = spec.kind
    if kind == "str":
        if isinstance(raw, str):
            return raw.strip()
        raise _BadValue("expected a string")
    if kind == "choice":
        if isinstance(raw, str) and raw.strip().lower() in spec.choices:
            return raw.strip().lower()
        raise _BadValue(f"expected one of {', '.join(spec.choices)}")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if text_ok and isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise _BadValue("expected true or false")
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if text_ok and isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise _BadValue("expected a whole number")
    if kind == "float":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if text_ok and isinstance(raw, str):
            try:
                return float(raw.strip())
            except ValueError:
                pass
        raise _BadValue("expected a number of seconds")
    if kind == "path":
        if isinstance(raw, Path):
            path = raw
        elif isinstance(raw, str) and raw.strip():
            path = Path(raw.strip())
        else:
            raise _BadValue("expected a file path")
        path = path.expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path  # relative paths in the file are relative to the file
        return path
    if kind == "secret":
        if isinstance(raw, Secret):
            return raw
        if isinstance(raw, str):
            return Secret(raw)
        raise _BadValue("expected a string")
    raise AssertionError(kind)  # pragma: no cover


def _suggest(name: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else f"; known keys: {', '.join(candidates)}"


def _read_file_layer(path: Path, problems: list[_Problem]) -> dict[str, _Value]:
    source = f"file {path}"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint="fix the syntax (strings in quotes, [section] headers, key = value)",
            details={"file": str(path)},
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}",
            hint="check the path (--config / MBXO_CONFIG) and its permissions",
            details={"file": str(path)},
        ) from exc

    known = [s.key for s in _SPECS if s.in_file]
    out: dict[str, _Value] = {}
    for section, table in data.items():
        if section not in _SECTIONS or not isinstance(table, dict):
            if section in _SECTIONS:
                problems.append(_Problem(section, source, f"[{section}] must be a table of key = value"))
            else:
                problems.append(
                    _Problem(
                        section,
                        source,
                        f"unknown key {section!r} in {path}{_suggest(section, list(_SECTIONS))}",
                    )
                )
            continue
        for name, raw in table.items():
            key = f"{section}.{name}"
            spec = _BY_KEY.get(key)
            if spec is None:
                problems.append(_Problem(key, source, f"unknown key {key!r} in {path}{_suggest(key, known)}"))
                continue
            if not spec.in_file:
                env = env_var_name(key)
                problems.append(
                    _Problem(
                        key,
                        source,
                        f"{key} is not allowed in the config file (config files get copied, shared and "
                        f"read by others); put it in a file readable only by this account and set "
                        f"{key}_file, or set the environment variable {env}",
                    )
                )
                continue
            try:
                out[key] = _Value(_coerce(spec, raw, "file", path.parent), "file", source)
            except _BadValue as exc:
                problems.append(_Problem(key, source, f"{exc} (got {raw!r})"))
    return out


def _read_env_layer(environ: Mapping[str, str], problems: list[_Problem]) -> dict[str, _Value]:
    by_env = {env_var_name(s.key): s for s in _SPECS}
    out: dict[str, _Value] = {}
    section_prefixes = tuple(f"{ENV_PREFIX}{s.upper()}_" for s in _SECTIONS)
    for name, raw in environ.items():
        spec = by_env.get(name)
        if spec is None:
            if name.startswith(section_prefixes):  # typo protection for our own sections only
                problems.append(
                    _Problem(
                        name, f"env {name}", f"unknown environment variable{_suggest(name, list(by_env))}"
                    )
                )
            continue
        if raw == "":
            continue  # an empty variable means "not set" (common in scheduled-task wrappers)
        source = f"env {name}"
        try:
            out[spec.key] = _Value(_coerce(spec, raw, "env", None), "env", source)
        except _BadValue as exc:
            shown = MASK if spec.kind == "secret" else repr(raw)
            problems.append(_Problem(spec.key, source, f"{exc} (got {shown})"))
    return out


def _read_flag_layer(overrides: Mapping[str, object], problems: list[_Problem]) -> dict[str, _Value]:
    out: dict[str, _Value] = {}
    for key, raw in overrides.items():
        spec = _BY_KEY.get(key)
        if spec is None:
            raise ValueError(f"unknown settings override {key!r}{_suggest(key, list(_BY_KEY))}")  # a CLI bug
        if raw is None:
            continue
        source = f"flag {flag_name(key)}"
        try:
            out[key] = _Value(_coerce(spec, raw, "flag", None), "flag", source)
        except _BadValue as exc:
            shown = MASK if spec.kind == "secret" else repr(raw)
            problems.append(_Problem(key, source, f"{exc} (got {shown})"))
    return out


def _read_secret_file(path: Path, via: str, key: str, problems: list[_Problem]) -> Secret | None:
    """Read a password file: UTF-8 (a BOM from Notepad is dropped), first line, no trailing newline."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(
            _Problem(key, via, f"cannot read {path}: {exc.strerror or exc}; check the path and permissions")
        )
        return None
    except UnicodeDecodeError:
        problems.append(_Problem(key, via, f"{path} is not UTF-8 text; save it as UTF-8"))
        return None
    value = text.rstrip("\r\n")
    if "\n" in value:
        problems.append(_Problem(key, via, f"{path} has more than one line; it must hold only the secret"))
        return None
    if not value:
        problems.append(_Problem(key, via, f"{path} is empty"))
        return None
    return Secret(value)


def load_settings(
    *,
    config_path: Path | None,
    environ: Mapping[str, str],
    overrides: Mapping[str, object],
    require_tenant: bool = True,
) -> Settings:
    """Load settings with precedence flag > env > file > default, validate, return frozen objects.

    ``config_path`` None means ``default_config_path(environ)``; a missing *default* file is fine
    (everything can come from env/flags), a missing *explicit* one (argument or MBXO_CONFIG) is an
    error. ``overrides`` maps dotted keys to flag values (None = flag not given). Raises
    :class:`ConfigError` listing every problem found.
    """
    problems: list[_Problem] = []
    explicit = config_path is not None or bool(environ.get(CONFIG_ENV_VAR, "").strip())
    path = config_path if config_path is not None else default_config_path(environ)
    layers: list[dict[str, _Value]] = []
    if path.is_file() or explicit:
        if not path.is_file():
            origin = "--config" if config_path is not None else CONFIG_ENV_VAR
            raise ConfigError(
                f"config file {path} (from {origin}) does not exist",
                hint="check the path, or leave it unset to use only environment variables and flags",
                details={"file": str(path)},
            )
        layers.append(_read_file_layer(path, problems))
    layers.append(_read_env_layer(environ, problems))
    layers.append(_read_flag_layer(overrides, problems))

    chosen: dict[str, _Value] = {}
    for layer in layers:  # later layers have higher precedence
        chosen.update(layer)

    _resolve_secret_pairs(chosen, problems)
    already = {p.key for p in problems}  # keys whose value was unusable: skip follow-on complaints

    def section(name: str) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for spec in _SPECS:
            if spec.section != name or spec.key in _FILE_KEYS:
                continue
            v = chosen.get(spec.key)
            if v is None:
                values[spec.name] = spec.default
                sources[spec.name] = DEFAULT_SOURCE
            else:
                values[spec.name] = v.value
                sources[spec.name] = v.source
        return values, sources

    built: dict[str, Any] = {}
    for name, cls in (("winrm", WinRMSettings), ("tenant", TenantSettings), ("logging", LoggingSettings)):
        values, sources = section(name)
        if name == "tenant" and not require_tenant and not any(k.startswith("tenant.") for k in chosen):
            built[name] = None
            continue
        if name == "winrm" and values["host"] is None:
            values["host"] = ""
        if name == "tenant":
            values["organization"] = values["organization"] or ""
            values["app_id"] = values["app_id"] or ""
        try:
            built[name] = cls(**values, sources=sources)
        except ConfigError as exc:
            problems.extend(p for p in _problems_of(exc) if p.key not in already)
    _raise_problems(problems)
    return Settings(winrm=built["winrm"], tenant=built["tenant"], logging=built["logging"])


def _resolve_secret_pairs(chosen: dict[str, _Value], problems: list[_Problem]) -> None:
    """A secret can be given inline (env/flag) or as a file; the higher layer wins, the same
    layer twice is ambiguous. The winning file is read here, so the settings hold only a Secret."""
    for secret_key, file_key in _SECRET_PAIRS:
        inline = chosen.get(secret_key)
        from_file = chosen.pop(file_key, None)
        if from_file is None:
            continue
        if inline is not None and _RANK[inline.layer] == _RANK[from_file.layer]:
            problems.append(
                _Problem(
                    secret_key,
                    f"{inline.source} and {from_file.source}",
                    f"both {secret_key} and {file_key} are set at the same level; keep only one",
                )
            )
            continue
        if inline is not None and _RANK[inline.layer] > _RANK[from_file.layer]:
            continue
        assert isinstance(from_file.value, Path)
        secret = _read_secret_file(from_file.value, from_file.source, file_key, problems)
        if secret is not None:
            chosen[secret_key] = _Value(secret, from_file.layer, f"{from_file.value} via {from_file.source}")


def _problems_of(exc: ConfigError) -> list[_Problem]:
    """Recover the individual problems of a ConfigError raised by a dataclass's validation so
    load_settings can report winrm, tenant and logging problems together."""
    cause = getattr(exc, "_problems", None)
    if isinstance(cause, list):
        return cause
    return [_Problem(str(exc.details.get("key", "?")), str(exc.details.get("source", "?")), exc.message)]
