"""The command line as an operator uses it: exit codes, stdout vs stderr, sandbox commands."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main

TENANT_FLAGS = [
    "--tenant-organization",
    "contoso.onmicrosoft.com",
    "--tenant-app-id",
    "d751976f-7897-5f78-811d-e157788a86d0",
    "--tenant-certificate-thumbprint",
    "3F2504E04F8911D39A0C0305E82C33013F2504E0",
]


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def test_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--sandbox" in out and "MBXO_WINRM_HOST" in out


def test_templates_list_and_render(capsys):
    code, out, _ = run(capsys, "templates", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["inventory"]
    code, out, _ = run(capsys, "templates", "render", "inventory", "--set", "include_directory=false")
    assert code == 0
    assert out.startswith("# mailbox-orchestrator: inventory")
    assert "Connect-MgGraph" not in out and "Get-EXOMailbox" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["templates", "render", "nope"], "no template named 'nope'"),
        (["templates", "render", "inventory", "--set", "include_directory=maybe"], "takes true or false"),
        (["templates", "render", "inventory", "--set", "bogus"], "OPTION=VALUE"),
        (["inventory", "--format", "xml"], "Invalid value"),
    ],
)
def test_operator_errors_exit_2_with_a_message(capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert fragment in err
    assert out == ""


def test_inventory_json_and_csv_on_the_sandbox(capsys, tmp_path):
    state = str(tmp_path / "tenant")
    code, out, err = run(capsys, "--sandbox", state, "inventory", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list) and rows
    for key in (
        "exchange_guid",
        "primary_smtp_address",
        "state",
        "when_soft_deleted",
        "external_directory_object_id",
        "holds",
    ):
        assert key in rows[0]
    code, out, err = run(capsys, "--sandbox", state, "inventory", "--format", "csv", "--no-directory")
    assert code == 0, err
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert len(parsed) >= len([r for r in rows if r["exchange_guid"]])
    assert "sandbox: tenant" in err  # chatter on stderr, data on stdout


def test_sandbox_refuses_connection_flags(capsys, tmp_path):
    code, _, err = run(capsys, "--sandbox", str(tmp_path / "t"), "--winrm-host", "jump01", "inventory")
    assert code == 2
    assert "--sandbox talks to the simulated tenant" in err


def test_unreachable_host_exits_4(capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("MBXO_WINRM_PASSWORD", "pw")
    monkeypatch.setenv("MBXO_CONFIG", "")
    code, out, err = run(
        capsys,
        "--winrm-host",
        "127.0.0.1",
        "--winrm-port",
        str(port),
        "--no-winrm-https",
        "--winrm-auth",
        "basic",
        "--winrm-username",
        "u",
        "--winrm-connection-timeout",
        "2",
        *TENANT_FLAGS,
        "inventory",
    )
    assert code == 4, err
    assert out == ""
    assert "127.0.0.1" in err


def test_bad_configuration_exits_2_naming_the_key(capsys, monkeypatch, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[winrm]\nhots = "x"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "config", "show")
    assert code == 2
    assert "winrm.hots" in err and "winrm.host" in err


def test_config_show_masks_secrets_and_names_sources(capsys, monkeypatch, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[winrm]\nhost = "from-file"\nauth = "basic"\nhttps = true\n', encoding="utf-8")
    monkeypatch.setenv("MBXO_WINRM_PASSWORD", "s3cret-value")
    monkeypatch.setenv("MBXO_WINRM_HOST", "from-env")
    code, out, err = run(
        capsys,
        "--config",
        str(config),
        "--winrm-host",
        "from-flag",
        "--winrm-username",
        "u",
        *TENANT_FLAGS,
        "config",
        "show",
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["winrm.host"]["value"] == "from-flag"
    assert data["winrm.auth"]["value"] == "basic"
    assert "s3cret-value" not in out + err
    assert data["winrm.password"]["value"] == "********"


def test_sandbox_init_advance_audit(capsys, tmp_path):
    state = str(tmp_path / "t")
    code, out, _ = run(capsys, "sandbox", "init", state)
    assert code == 0 and json.loads(out)["organization"] == "contoso.onmicrosoft.com"
    code, _, err = run(capsys, "sandbox", "init", state)
    assert code == 2 and "already" in err
    code, out, _ = run(capsys, "sandbox", "advance", state, "--days", "1")
    assert code == 0 and "simulated time is now" in out
    code, out, _ = run(capsys, "--sandbox", state, "inventory", "--format", "json")
    assert code == 0
    code, out, _ = run(capsys, "sandbox", "audit", state, "--cmdlet", "get-exomailbox")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and all(line["cmdlet"] == "Get-EXOMailbox" for line in lines)


def test_demo_runs_the_showcase(capsys):
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    assert "== inventory" in out
    assert "soft_deleted" in out and "inactive" in out
    assert "audit log" in out


@pytest.mark.timeout(90)
def test_sandbox_serve_is_usable_by_bare_pypsrp(tmp_path):
    """`sandbox serve` prints how to connect; a plain pypsrp client (no project code) connects."""
    state = tmp_path / "t"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    init = subprocess.run(
        [sys.executable, "-m", "orchestrator", "sandbox", "init", str(state)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "sandbox", "serve", str(state), "--https"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info = json.loads(server.stdout.readline())
        client = """
import json, sys
from urllib.parse import urlparse
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
info = json.loads(sys.argv[1])
url = urlparse(info["url"])
wsman = WSMan(url.hostname, port=url.port, ssl=True, auth="basic", username=info["username"],
              password=info["password"], cert_validation=info["ca_cert"])
with RunspacePool(wsman) as pool:
    ps = PowerShell(pool)
    ps.add_script(
        "param($o, $a, $t) "
        "Connect-ExchangeOnline -Organization $o -AppId $a -CertificateThumbprint $t -ShowBanner:$false; "
        "(Get-EXOMailbox -SoftDeletedMailbox -ResultSize Unlimited | Measure-Object).Count"
    )
    ps.add_parameters({"o": info["organization"], "a": info["app_id"], "t": info["certificate_thumbprint"]})
    out = ps.invoke()
    print(out[-1], len(ps.streams.error))
"""
        result = subprocess.run(
            [sys.executable, "-c", client, json.dumps(info)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        count, errors = result.stdout.split()
        assert int(count) > 0 and errors == "0"
        assert Path(info["ca_cert"]).is_file()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_sandbox_init_generates_a_large_tenant(capsys, tmp_path):
    code, out, err = run(capsys, "sandbox", "init", str(tmp_path / "big"), "--generate", "300", "--seed", "7")
    assert code == 0, err
    assert json.loads(out)["mailboxes"] >= 300
    code, _, err = run(
        capsys, "sandbox", "init", str(tmp_path / "x"), "--generate", "5", "--fixture", __file__
    )
    assert code == 2 and "not both" in err


def test_logging_flags_apply_with_the_sandbox(capsys, tmp_path):
    log = tmp_path / "run.jsonl"
    code, _, err = run(
        capsys,
        "--sandbox",
        str(tmp_path / "t"),
        "--logging-level",
        "info",
        "--logging-json-log",
        str(log),
        "inventory",
        "--format",
        "json",
    )
    assert code == 0, err
    assert "script.start" in err  # info reaches the console because the flag said so
    events = [json.loads(line)["event"] for line in log.read_text(encoding="utf-8").splitlines()]
    assert "script.end" in events


@pytest.mark.parametrize("make_dir", [False, True])
def test_sandbox_serve_refuses_a_directory_that_is_not_a_tenant(capsys, tmp_path, make_dir):
    state = tmp_path / "not-a-tenant"
    if make_dir:
        state.mkdir()
    code, out, err = run(capsys, "sandbox", "serve", str(state))
    assert code == 2 and out == ""
    assert "is not a sandbox tenant" in err and "sandbox init" in err
    assert not (state / "tenant.sqlite").exists()
