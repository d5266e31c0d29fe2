"""The wheel ships the templates and the sandbox data, and the CLI starts light."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (path,) = out.glob("mailbox_orchestrator-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (ROOT / "ps_templates").glob("*.ps1.j2"))
    for name in templates:
        assert f"orchestrator/ps_templates/{name}" in names
    assert "orchestrator/sandbox/data/cmdlets.json" in names
    assert any(n.startswith("orchestrator/sandbox/fixtures/") and n.endswith(".json") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "mailbox-orchestrator = orchestrator.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


@pytest.mark.slow
def test_templates_are_found_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import orchestrator, pathlib; "
        "from orchestrator.templates import TemplateCatalog, templates_root; "
        f"assert pathlib.Path(orchestrator.__file__).is_relative_to({str(site)!r}), orchestrator.__file__; "
        "print(str(templates_root())); print(','.join(TemplateCatalog().names()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(site), "PATH": ""},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    root_line, names_line = result.stdout.strip().splitlines()
    assert root_line.startswith(str(site))
    assert "inventory" in names_line.split(",")


def test_help_does_not_import_pypsrp_or_the_sandbox():
    code = (
        "import sys; from orchestrator.cli import cli; "
        "from click.testing import CliRunner; r = CliRunner().invoke(cli, ['--help']); "
        "assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('pypsrp', 'psrpcore', 'orchestrator.sandbox', 'jinja2', 'requests') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
