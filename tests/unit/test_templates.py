"""The renderer: discovery, options, param() extraction, and refusing values that don't fit."""

import itertools

import pytest

from orchestrator.errors import TemplateError, TemplateParameterError, UnknownTemplate
from orchestrator.templates import TemplateCatalog, declared_parameters

CONNECTION = {"Organization": "contoso.onmicrosoft.com", "AppId": "a", "CertificateThumbprint": "t"}


@pytest.fixture(scope="module")
def catalog():
    return TemplateCatalog()


def all_option_sets(catalog, name):
    info = catalog.info(name)
    domains = []
    for option in info.options:
        if option.kind == "bool":
            domains.append([(option.name, v) for v in (True, False)])
        elif option.kind == "choice":
            domains.append([(option.name, v) for v in option.choices])
        else:
            domains.append([(option.name, option.default)])
    return [dict(combo) for combo in itertools.product(*domains)]


def test_inventory_is_listed_and_fragments_are_not(catalog):
    assert "inventory" in catalog.names()
    assert not any(n.startswith("_") for n in catalog.names())


def test_every_template_has_a_summary_and_renders_every_combination(catalog):
    for name in catalog.names():
        info = catalog.info(name)
        assert info.summary, name
        for options in all_option_sets(catalog, name):
            script = catalog.render(name, options)
            assert [p.name for p in script.declared][:3] == ["Organization", "AppId", "CertificateThumbprint"]
            assert "{{" not in script.text and "{%" not in script.text
            assert script.text.endswith("\n")


def test_options_change_structure(catalog):
    full = catalog.render("inventory").text
    narrow = catalog.render("inventory", {"include_public_folders": False, "include_directory": False}).text
    assert "-PublicFolder" in full and "-PublicFolder" not in narrow
    assert "Connect-MgGraph" in full and "Connect-MgGraph" not in narrow


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"include_directory": "yes"}, "takes true or false"),
        ({"include_directory": 1}, "takes true or false"),
        ({"nope": True}, "has no option 'nope'"),
    ],
)
def test_structural_options_are_typed(catalog, options, fragment):
    with pytest.raises(TemplateError, match=fragment):
        catalog.render("inventory", options)


def test_option_parse_from_command_line(catalog):
    option = catalog.info("inventory").option("include_directory")
    assert option.parse("false") is False and option.parse("TRUE") is True
    with pytest.raises(TemplateError):
        option.parse("maybe")


def test_unknown_template(catalog):
    with pytest.raises(UnknownTemplate, match="no template named 'purge-everything'"):
        catalog.render("purge-everything")


def test_bind_refuses_undeclared_and_missing(catalog):
    script = catalog.render("inventory")
    assert script.bind(CONNECTION).parameters == CONNECTION
    with pytest.raises(TemplateParameterError, match="declares no parameter named Identity"):
        script.bind({**CONNECTION, "Identity": "x"})
    with pytest.raises(TemplateParameterError, match="needs a value for CertificateThumbprint"):
        script.bind({"Organization": "o", "AppId": "a"})
    with pytest.raises(TemplateParameterError, match="not sent to scripts"):
        script.bind({**CONNECTION, "AppId": object()})


def test_binding_is_case_insensitive_like_powershell(catalog):
    script = catalog.render("inventory")
    script.bind({"organization": "o", "APPID": "a", "certificatethumbprint": "t"})


def test_secrets_are_masked_for_logs():
    script = TemplateCatalog().render("inventory")
    text = "[CmdletBinding()]\nparam([string]$CertificatePassword, [string]$Name)\n"
    from orchestrator.templates import RenderedScript

    custom = RenderedScript("x", text, {}, tuple(declared_parameters(text)))
    bound = custom.bind({"CertificatePassword": "hunter2", "Name": "n"})
    assert bound.loggable_parameters() == {"CertificatePassword": "********", "Name": "n"}
    assert script.sha256 == TemplateCatalog().render("inventory").sha256


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("param($A, $B)", [("A", False), ("B", False)]),
        (
            "[CmdletBinding()]\nparam(\n  [Parameter(Mandatory = $true)][string]$A,\n  [int]$B = 3\n)",
            [("A", True), ("B", False)],
        ),
        (
            "param([Parameter(Mandatory)][string[]]$Ids, [ValidateSet('a','b,c')][string]$Mode = 'a')",
            [("Ids", True), ("Mode", False)],
        ),
        (
            "param([Parameter(Mandatory = $false)]$X, # comment, with comma\n $Y = 'it''s, ok')",
            [("X", False), ("Y", False)],
        ),
        ("Write-Output 'no param block'", []),
    ],
)
def test_declared_parameters(text, expected):
    assert [(p.name, p.mandatory) for p in declared_parameters(text)] == expected


def test_unclosed_param_block_is_an_error():
    with pytest.raises(TemplateError, match="not closed"):
        declared_parameters("param($A, $B")


def test_a_pfx_certificate_path_is_refused_with_what_to_do():
    from orchestrator.config import Secret, TenantSettings
    from orchestrator.errors import ConfigError
    from orchestrator.workflow import connection_parameters

    tenant = TenantSettings(
        organization="contoso.onmicrosoft.com",
        app_id="d751976f-7897-5f78-811d-e157788a86d0",
        certificate_path="C:/certs/app.pfx",
        certificate_password=Secret("pw"),
    )
    with pytest.raises(ConfigError, match="certificate_path") as caught:
        connection_parameters(tenant)
    assert "certificate_thumbprint" in (caught.value.hint or "")


def test_block_comments_in_param_are_skipped():
    text = "param(\n  <# a, multi-line\n  (comment) with 'quotes #>\n  [string]$A, <# b #> $B\n)"
    assert [(p.name, p.mandatory) for p in declared_parameters(text)] == [("A", False), ("B", False)]
