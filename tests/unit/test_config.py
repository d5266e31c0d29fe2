"""Settings loading: precedence, secrets, validation messages (key + source + what to do)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from orchestrator.config import (
    Secret,
    Settings,
    TenantSettings,
    WinRMSettings,
    default_config_path,
    describe_keys,
    env_var_name,
    flag_name,
    load_settings,
)
from orchestrator.errors import ConfigError, OperatorError

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
THUMB = "AB" * 20
BASE_ENV = {
    "MBXO_WINRM_HOST": "jump01.corp.example",
    "MBXO_TENANT_ORGANIZATION": "contoso.onmicrosoft.com",
    "MBXO_TENANT_APP_ID": APP_ID,
    "MBXO_TENANT_CERTIFICATE_THUMBPRINT": THUMB,
}


@pytest.fixture(autouse=True)
def _isolated_app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """click.get_app_dir reads the real process environment: point it at an empty directory so a
    config.toml on the test machine can never leak into these tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, object] | None = None,
    **kw: bool,
) -> Settings:
    return load_settings(
        config_path=config_path,
        environ=BASE_ENV | (env or {}),
        overrides=overrides or {},
        **kw,
    )


def error_of(**kw: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(**kw)  # type: ignore[arg-type]
    return info.value


# --- defaults and precedence ----------------------------------------------------------------


def test_defaults() -> None:
    s = load()
    w = s.winrm
    assert (w.https, w.resolved_port, w.auth, w.cert_validation) == (True, 5986, "negotiate", True)
    assert w.configuration_name == "Microsoft.PowerShell"
    assert w.negotiate_service is None
    assert w.read_timeout > w.operation_timeout
    assert w.invoke_timeout == 900
    assert w.encryption == "auto"
    assert w.source_of("auth") == "default"
    assert s.logging.level == "info" and s.logging.json_log is None


def test_port_default_follows_https() -> None:
    assert load(env={"MBXO_WINRM_HTTPS": "false"}).winrm.resolved_port == 5985
    assert load(overrides={"winrm.https": False}).winrm.endpoint == "http://jump01.corp.example:5985/wsman"


@pytest.mark.parametrize(
    ("key", "file_value", "env_value", "flag_value", "expected_type"),
    [
        ("winrm.port", "5001", "5002", 5003, int),
        ("winrm.auth", '"ntlm"', "kerberos", "credssp", str),
        ("winrm.operation_timeout", "5", "6", 7, int),
        ("winrm.configuration_name", '"FromFile"', "FromEnv", "FromFlag", str),
    ],
)
def test_precedence_flag_env_file_default(
    tmp_path: Path, key: str, file_value: str, env_value: str, flag_value: object, expected_type: type
) -> None:
    section, name = key.split(".")
    cfg = write(tmp_path, f"[{section}]\n{name} = {file_value}\n")
    extra = {"MBXO_WINRM_USERNAME": "u", "MBXO_WINRM_PASSWORD": "pw-123456"}  # credssp needs them
    env = {env_var_name(key): env_value} | extra

    def value(s: Settings) -> object:
        return getattr(s.winrm, name)

    only_file = load(config_path=cfg, env=extra)
    assert only_file.winrm.source_of(name) == f"file {cfg}"
    with_env = load(config_path=cfg, env=env)
    assert with_env.winrm.source_of(name) == f"env {env_var_name(key)}"
    with_flag = load(config_path=cfg, env=env, overrides={key: flag_value})
    assert with_flag.winrm.source_of(name) == f"flag {flag_name(key)}"
    not_given = load(config_path=cfg, env=env, overrides={key: None})  # None = flag not given
    assert value(not_given) == value(with_env)
    assert isinstance(value(with_flag), expected_type)
    assert len({repr(value(only_file)), repr(value(with_env)), repr(value(with_flag))}) == 3


def test_empty_env_var_counts_as_unset(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[winrm]\nport = 6000\n")
    assert load(config_path=cfg, env={"MBXO_WINRM_PORT": ""}).winrm.port == 6000


def test_env_bool_parsing() -> None:
    for text, expected in [("true", True), ("0", False), ("No", False), ("on", True)]:
        assert load(env={"MBXO_WINRM_CERT_VALIDATION": text}).winrm.cert_validation is expected


def test_relative_paths_in_file_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "ca.pem").write_text("x")
    cfg = write(tmp_path, '[winrm]\nca_bundle = "ca.pem"\n', name="etc/config.toml")
    assert load(config_path=cfg).winrm.ca_bundle == tmp_path / "etc" / "ca.pem"


# --- secrets -------------------------------------------------------------------------------


def test_password_inline_in_file_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[winrm]\npassword = "hunter2-secret"\n')
    err = error_of(config_path=cfg)
    text = str(err)
    assert "winrm.password" in text and f"file {cfg}" in text
    assert "password_file" in text and "MBXO_WINRM_PASSWORD" in text
    assert "hunter2-secret" not in text


def test_certificate_password_inline_in_file_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[tenant]\ncertificate_password = "pfx-secret"\n')
    text = str(error_of(config_path=cfg))
    assert "MBXO_TENANT_CERTIFICATE_PASSWORD" in text and "pfx-secret" not in text


def test_password_from_env() -> None:
    s = load(env={"MBXO_WINRM_PASSWORD": "s3cret-value"})
    assert s.winrm.password is not None and s.winrm.password.reveal() == "s3cret-value"
    assert s.winrm.source_of("password") == "env MBXO_WINRM_PASSWORD"


def test_password_from_file_strips_trailing_newline_and_bom(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_bytes("\ufeffs3cret value\r\n".encode())
    cfg = write(tmp_path, f"[winrm]\npassword_file = {str(pw)!r}\n")
    s = load(config_path=cfg)
    assert s.winrm.password is not None and s.winrm.password.reveal() == "s3cret value"
    assert str(pw) in s.winrm.source_of("password")


def test_password_file_from_env(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("from-file\n", encoding="utf-8")
    s = load(env={"MBXO_WINRM_PASSWORD_FILE": str(pw)})
    assert s.winrm.password is not None and s.winrm.password.reveal() == "from-file"


def test_env_password_beats_password_file_in_config(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("from-file\n", encoding="utf-8")
    cfg = write(tmp_path, f"[winrm]\npassword_file = {str(pw)!r}\n")
    s = load(config_path=cfg, env={"MBXO_WINRM_PASSWORD": "from-env"})
    assert s.winrm.password is not None and s.winrm.password.reveal() == "from-env"


def test_password_and_password_file_at_same_level_is_ambiguous(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("x1234\n", encoding="utf-8")
    err = error_of(env={"MBXO_WINRM_PASSWORD": "abcd1234", "MBXO_WINRM_PASSWORD_FILE": str(pw)})
    assert "keep only one" in str(err)


def test_missing_or_empty_password_file(tmp_path: Path) -> None:
    assert "cannot read" in str(error_of(env={"MBXO_WINRM_PASSWORD_FILE": str(tmp_path / "nope")}))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert "is empty" in str(error_of(env={"MBXO_WINRM_PASSWORD_FILE": str(empty)}))


def test_secret_never_shows() -> None:
    secret = Secret("hunter2-secret")
    assert repr(secret) == "Secret('********')"
    assert str(secret) == "********" and f"{secret}" == "********"
    assert secret == Secret("hunter2-secret") and secret != Secret("other")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    s = load(
        env={
            "MBXO_WINRM_PASSWORD": "hunter2-secret",
            "MBXO_TENANT_CERTIFICATE_THUMBPRINT": "",
            "MBXO_TENANT_CERTIFICATE_PATH": r"C:\certs\app.pfx",
            "MBXO_TENANT_CERTIFICATE_PASSWORD": "pfx-secret-1",
        }
    )
    for text in (repr(s), str(s), repr(s.winrm), repr(s.tenant), str(s.redacted())):
        assert "hunter2-secret" not in text and "pfx-secret-1" not in text
    shown = s.redacted()
    assert shown["winrm.password"] == {"value": "********", "source": "env MBXO_WINRM_PASSWORD"}
    assert shown["tenant.certificate_password"]["value"] == "********"
    assert shown["winrm.port"] == {"value": 5986, "source": "default"}
    assert shown["winrm.host"]["source"] == "env MBXO_WINRM_HOST"


def test_bad_secret_type_in_flag_does_not_echo_the_value() -> None:
    err = error_of(overrides={"winrm.password": 123456789})
    assert "123456789" not in str(err)


# --- validation: each rule names the key, its source and what to do --------------------------


@pytest.mark.parametrize(
    ("toml", "env", "key", "fragment"),
    [
        (
            "[winrm]\nauth = 'basic'\nhttps = false\nusername = 'u'\n",
            {"MBXO_WINRM_PASSWORD": "pw-1234"},
            "winrm.auth",
            "clear text",
        ),
        (
            "[winrm]\ncert_validation = false\nca_bundle = '{ca}'\n",
            {},
            "winrm.ca_bundle",
            "cert_validation = false",
        ),
        ("[winrm]\nca_bundle = 'missing.pem'\n", {}, "winrm.ca_bundle", "does not exist"),
        (
            "[winrm]\nauth = 'certificate'\nhttps = false\n"
            "certificate_pem = '{ca}'\ncertificate_key_pem = '{ca}'\n",
            {},
            "winrm.https",
            "only works over HTTPS",
        ),
        ("[winrm]\nauth = 'certificate'\n", {}, "winrm.auth", "needs winrm.certificate_pem"),
        (
            "[winrm]\ncertificate_pem = '{ca}'\n",
            {},
            "winrm.certificate_pem",
            "only used with auth=certificate",
        ),
        ("[winrm]\nread_timeout = 20\noperation_timeout = 20\n", {}, "winrm.read_timeout", "greater than"),
        ("[winrm]\nhots = 'x'\n", {}, "winrm.hots", "did you mean 'winrm.host'?"),
        ("[winrn]\nhost = 'x'\n", {}, "winrn", "did you mean 'winrm'?"),
        ("[winrm]\nport = '5986'\n", {}, "winrm.port", "expected a whole number"),
        ("[winrm]\nhttps = 'yes'\n", {}, "winrm.https", "expected true or false"),
        ("[winrm]\nport = 70000\n", {}, "winrm.port", "out of range"),
        ("[winrm]\nauth = 'digest'\n", {}, "winrm.auth", "expected one of"),
        ("[winrm]\nauth = 'credssp'\n", {}, "winrm.auth", "needs winrm.username"),
        ("[winrm]\nconfiguration_name = 'a/b'\n", {}, "winrm.configuration_name", "session configuration"),
        ("[winrm]\nnegotiate_service = 'HTTP'\nauth = 'ntlm'\n", {}, "winrm.negotiate_service", "only used"),
        ("[tenant]\ncertificate_path = 'C:/c.pfx'\n", {}, "tenant.certificate_path", "exactly one"),
        (
            "[tenant]\norganization = 'contoso.com'\n",
            {"MBXO_TENANT_ORGANIZATION": ""},
            "tenant.organization",
            "onmicrosoft.com",
        ),
        ("[tenant]\napp_id = 'not-a-guid'\n", {"MBXO_TENANT_APP_ID": ""}, "tenant.app_id", "not a GUID"),
        (
            "[tenant]\ncertificate_thumbprint = 'ABC'\n",
            {"MBXO_TENANT_CERTIFICATE_THUMBPRINT": ""},
            "tenant.certificate_thumbprint",
            "40 hexadecimal",
        ),
        ("[logging]\njson_log = 'no/such/dir/x.jsonl'\n", {}, "logging.json_log", "does not exist"),
    ],
)
def test_validation_rules_name_key_and_file_source(
    tmp_path: Path, toml: str, env: dict[str, str], key: str, fragment: str
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    cfg = write(tmp_path, toml.replace("{ca}", ca.as_posix()))
    err = error_of(config_path=cfg, env=env)
    assert isinstance(err, OperatorError) and err.exit_code == 2
    matching = [p for p in err.problems if p.startswith(key)]
    assert matching, err.problems
    assert any(fragment in p for p in matching), matching
    assert any(f"file {cfg}" in p for p in matching), matching
    assert err.hint


@pytest.mark.parametrize(
    ("env", "key", "fragment"),
    [
        ({"MBXO_WINRM_PORT": "abc"}, "winrm.port", "whole number"),
        ({"MBXO_WINRM_PORT": "0"}, "winrm.port", "out of range"),
        ({"MBXO_WINRM_HOTS": "x"}, "MBXO_WINRM_HOTS", "did you mean 'MBXO_WINRM_HOST'?"),
        ({"MBXO_TENANT_APP_ID": "xyz"}, "tenant.app_id", "not a GUID"),
        ({"MBXO_WINRM_HOST": ""}, "winrm.host", "required"),
    ],
)
def test_validation_names_env_source(env: dict[str, str], key: str, fragment: str) -> None:
    err = error_of(env=env)
    text = str(err)
    assert key in text and fragment in text
    if key.startswith(("winrm.", "tenant.")) and env[next(iter(env))]:
        assert f"env {env_var_name(key)}" in text


def test_validation_names_flag_source() -> None:
    err = error_of(overrides={"winrm.port": 99999})
    assert "winrm.port (from flag --winrm-port)" in str(err)


def test_basic_over_http_to_loopback_is_allowed() -> None:
    s = load(
        env={"MBXO_WINRM_HOST": "127.0.0.1", "MBXO_WINRM_PASSWORD": "pw-123456"},
        overrides={"winrm.auth": "basic", "winrm.https": False, "winrm.username": "u"},
    )
    assert s.winrm.encryption == "never"


def test_all_problems_reported_together(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[winrm]\nport = 0\nhots = 1\n[tenant]\napp_id = 'x'\n")
    err = error_of(config_path=cfg, env={"MBXO_TENANT_APP_ID": ""})
    assert len(err.problems) == 3
    assert "3 problems" in err.message


def test_invalid_toml(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[winrm\nhost = 1\n")
    assert "not valid TOML" in str(error_of(config_path=cfg))


def test_unknown_override_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"winrm\.hots"):
        load(overrides={"winrm.hots": "x"})


def test_thumbprint_copied_from_windows_dialog_is_normalised() -> None:
    pasted = "\u200e" + " ".join(["ab"] * 20)
    s = load(env={"MBXO_TENANT_CERTIFICATE_THUMBPRINT": pasted})
    assert s.tenant is not None and s.tenant.certificate_thumbprint == THUMB


def test_tenant_optional_when_not_required() -> None:
    env = {"MBXO_TENANT_ORGANIZATION": "", "MBXO_TENANT_APP_ID": "", "MBXO_TENANT_CERTIFICATE_THUMBPRINT": ""}
    s = load(env=env, require_tenant=False)
    assert s.tenant is None
    with pytest.raises(ConfigError, match="no tenant"):
        s.require_tenant()
    with pytest.raises(ConfigError):
        load(env=env)


# --- config file location ----------------------------------------------------------------------


def test_default_config_path_uses_click_app_dir(tmp_path: Path) -> None:
    path = default_config_path({})
    assert path.name == "config.toml" and path.parent.name in ("mailbox-orchestrator",)
    assert tmp_path in path.parents  # XDG_CONFIG_HOME / APPDATA from the fixture


def test_default_config_file_is_read_when_present(tmp_path: Path) -> None:
    path = default_config_path({})
    path.parent.mkdir(parents=True)
    path.write_text("[winrm]\nport = 7001\n", encoding="utf-8")
    assert load().winrm.port == 7001


def test_mbxo_config_env(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[winrm]\nport = 7002\n", name="other.toml")
    assert default_config_path({"MBXO_CONFIG": str(cfg)}) == cfg
    assert load(env={"MBXO_CONFIG": str(cfg)}).winrm.port == 7002
    err = error_of(env={"MBXO_CONFIG": str(tmp_path / "absent.toml")})
    assert "MBXO_CONFIG" in str(err) and "does not exist" in str(err)


def test_explicit_missing_config_file(tmp_path: Path) -> None:
    err = error_of(config_path=tmp_path / "absent.toml")
    assert "--config" in str(err)


# --- key listing and direct construction -------------------------------------------------------


def test_describe_keys() -> None:
    keys = {k.key: k for k in describe_keys()}
    assert keys["winrm.host"].env_var == "MBXO_WINRM_HOST" and keys["winrm.host"].flag == "--winrm-host"
    assert keys["winrm.password"].secret and not keys["winrm.password"].allowed_in_file
    assert keys["winrm.password_file"].env_var == "MBXO_WINRM_PASSWORD_FILE"
    assert keys["tenant.certificate_password"].env_var == "MBXO_TENANT_CERTIFICATE_PASSWORD"
    assert keys["winrm.auth"].type == "negotiate|kerberos|ntlm|credssp|certificate|basic"
    assert keys["winrm.invoke_timeout"].default == "900.0"
    assert all(k.description for k in keys.values())


def test_direct_construction_for_the_sandbox(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    w = WinRMSettings(
        host="127.0.0.1",
        port=45678,
        https=True,
        auth="basic",
        username="sandbox",
        password=Secret("generated-pw"),
        ca_bundle=ca,
    )
    assert w.endpoint == "https://127.0.0.1:45678/wsman" and w.encryption == "auto"
    assert w.source_of("host") == "code"
    t = TenantSettings(
        organization="sandbox.onmicrosoft.com", app_id=APP_ID, certificate_thumbprint=THUMB.lower()
    )
    assert t.certificate_thumbprint == THUMB
    settings = Settings(winrm=w, tenant=t)
    assert settings.redacted()["winrm.password"]["value"] == "********"
    with pytest.raises(ConfigError, match=r"winrm.port \(from code\)"):
        WinRMSettings(host="127.0.0.1", port=0)
