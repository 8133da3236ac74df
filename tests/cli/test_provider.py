"""`halcfg provider docker-registry enable|disable` through the real CLI."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli


def test_disable_and_enable_touch_one_line(example: Path) -> None:
    path = example
    before = path.read_bytes()
    result = run_cli("provider", "docker-registry", "disable", "-c", path)
    assert (result.returncode, result.stdout) == (0, "+ Provider docker-registry disabled.\n")
    assert path.read_bytes() == before.replace(b"    enabled: true\n", b"    enabled: false\n")
    again = run_cli("provider", "docker-registry", "disable", "-c", path)
    assert (again.returncode, again.stdout) == (0, "Provider docker-registry is already disabled; unchanged.\n")
    assert run_cli("provider", "docker-registry", "enable", "-c", path).returncode == 0
    assert path.read_bytes() == before


def test_enable_adds_the_provider_block_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text("# just a version\nversion: 1\n")
    assert run_cli("provider", "docker-registry", "enable", "-c", path).returncode == 0
    assert path.read_text() == "# just a version\nversion: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n"


def test_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    missing = run_cli("provider", "docker-registry", "enable", "-c", tmp_path / "none.yaml")
    assert missing.returncode == 2
    none = tmp_path / "none.yaml"  # the hint names the command that creates this very file
    assert missing.stderr == f"halcfg: error: {none}: no such file (create one with `halcfg init -c {none}`)\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nproviders: [\n")
    result = run_cli("provider", "docker-registry", "disable", "-c", broken)
    assert result.returncode == 2
    assert result.stderr.startswith(f"halcfg: error: {broken}:3:1: ")
    assert len(result.stderr.splitlines()) == 1
    odd = tmp_path / "odd.yaml"
    odd.write_text("version: 1\nproviders:\n  dockerRegistry: 5\n")
    result = run_cli("provider", "docker-registry", "disable", "-c", odd)
    assert result.returncode == 2
    assert result.stderr == (
        f"halcfg: error: {odd}:3:3: dockerRegistry is not a mapping; fix it by hand (see `halcfg validate`)\n"
    )
    assert odd.read_text() == "version: 1\nproviders:\n  dockerRegistry: 5\n"


def test_primary_account_is_set_on_its_line_and_checked(example: Path) -> None:
    before = example.read_bytes()
    out = run_cli("provider", "docker-registry", "edit", "--primary-account", "quay", "-c", example)
    assert (out.returncode, out.stdout) == (0, "+ Provider docker-registry: primaryAccount quay.\n")
    assert example.read_bytes() == before.replace(b"primaryAccount: dockerhub\n", b"primaryAccount: quay\n")
    again = run_cli("provider", "docker-registry", "edit", "--primary-account", "quay", "-c", example)
    assert (again.returncode, again.stdout) == (
        0, "Provider docker-registry's primaryAccount is already quay; unchanged.\n")
    unknown = run_cli("provider", "docker-registry", "edit", "--primary-account", "qauy", "-c", example)
    assert unknown.returncode == 2
    assert unknown.stderr == f"halcfg: error: {example}: no account named 'qauy'; did you mean 'quay'?\n"
    assert run_cli("provider", "docker-registry", "edit", "--primary-account", "", "-c", example).returncode == 0
    assert example.read_bytes() == before.replace(b"    primaryAccount: dockerhub\n", b"")
    assert run_cli("provider", "docker-registry", "edit", "-c", example).stderr.endswith("No changes supplied.\n")


def test_a_disabled_provider_is_visible_and_not_probed(example: Path) -> None:
    run_cli("provider", "docker-registry", "disable", "-c", example)
    listed = run_cli("account", "list", "-c", example).stdout
    assert listed.startswith("Provider docker-registry is disabled: Spinnaker ignores these accounts")
    checked = run_cli("validate", "-c", example).stdout
    assert "info [provider-disabled] provider docker-registry is disabled" in checked
    assert "fix: halcfg provider docker-registry enable" in checked
    probed = run_cli("probe", "-c", example, "--timeout", "5")
    assert "[provider-disabled]" in probed.stdout
    assert "registry-unreachable" not in probed.stdout and "probe-skipped" not in probed.stdout


def test_setting_the_primary_account_keeps_a_multi_line_flow_accounts_list(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    flow = ("    accounts: [\n"
            "      {name: one, address: quay.io},   # first\n"
            "      {name: two, address: ghcr.io,\n"
            "       repositories: [a/b, c/d]},\n"
            "    ]\n")
    head = "version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n"
    path.write_text(head + flow)
    result = run_cli("provider", "docker-registry", "edit", "--primary-account", "two", "-c", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_text() == head + "    primaryAccount: two\n" + flow
