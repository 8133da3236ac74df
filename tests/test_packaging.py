"""`pip install .` (not editable) ships schemas/ and templates/ and finds them at run time; the
pre-commit hook definition runs the real command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from ruamel.yaml import YAML

from halcfg import __version__
from tests.support.cli import EXAMPLE, REPO


def fresh_venv_seeing_our_dependencies(venv: Path) -> Path:
    """A new virtualenv, offline, whose interpreter also sees the site-packages of the one running
    these tests (so halcfg's dependencies, already installed, need no download) — but not halcfg
    itself: a .pth line only appends the folder, it does not run the editable install's finder.

    `venv --system-site-packages` would see the *base* interpreter's packages, which inside a
    virtualenv (how most people run the tests) are not where the dependencies are."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    ours = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]
    (site_packages,) = venv.glob("lib/python3*/site-packages")
    (site_packages / "_tests_outer_site.pth").write_text("".join(f"{p}\n" for p in ours))
    return venv


def test_wheel_installs_in_a_fresh_venv_and_runs_the_readme_command(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("halcfg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "halcfg/schemas/halcfg.schema.json" in names
    assert any(name.startswith("halcfg/templates/") for name in names)
    venv = fresh_venv_seeing_our_dependencies(tmp_path / "venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    halcfg = venv / "bin" / "halcfg"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(halcfg), *args], cwd=elsewhere, capture_output=True, text=True)

    assert run("--version").stdout.strip() == f"halcfg {__version__}"
    assert run("kubelet-credential-provider", "--help").returncode == 0
    helper = subprocess.run([str(venv / "bin" / "docker-credential-halcfg"), "version"], capture_output=True, text=True)
    assert helper.stdout == f"docker-credential-halcfg (halcfg) {__version__}\n"
    assert run("validate", str(EXAMPLE)).returncode == 0
    rendered = run("render", "--target", "spinnaker,kubelet", "--out", "out", "-c", str(EXAMPLE))
    assert rendered.returncode == 0 and (elsewhere / "out" / "kubelet" / "credential-provider-config.yaml").is_file()
    for source, name, extra in (("halconfig", "halconfig.yml", ("--deployment", "staging")),
                                ("drone", "drone-registries.yml", ()), ("docker-config", "docker-config.json", ()),
                                ("kubernetes-secret", "k8s-secrets-list.yaml", ())):
        data = EXAMPLE.parents[1] / "tests" / "data" / "import" / name
        imported = run("import", "--from", source, str(data), *extra, "-c", f"{source}.yaml")
        assert imported.returncode == 0 and "Imported" in imported.stdout, imported.stdout + imported.stderr
    schema = run("schema")
    assert schema.returncode == 0 and '"$id"' in schema.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import halcfg.resources as r; print(r.schema_path()); print(r.data_dir('templates'))"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(str(venv) in path for path in where), where


def test_pre_commit_hook_validates_many_files_per_call(tmp_path: Path) -> None:
    (hook,) = YAML(typ="safe").load(REPO / ".pre-commit-hooks.yaml")
    assert hook["id"] == "halcfg-validate" and hook["language"] == "python"
    assert hook.get("pass_filenames", True) and not hook.get("require_serial", False)
    import re

    files = re.compile(hook["files"])
    assert files.search("deploy/halcfg.yaml") and files.search("halcfg-prod.yml") and not files.search("values.yaml")
    bad = tmp_path / "halcfg-bad.yaml"
    bad.write_text("version: 1\nproviders: {dockerRegistry: {accounts: [{name: Bad}]}}\n")
    entry = hook["entry"].split()
    assert entry == ["halcfg", "validate"]
    result = subprocess.run(
        [sys.executable, "-m", "halcfg", *entry[1:], str(EXAMPLE), str(bad)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{EXAMPLE}: " in result.stdout and f"{bad}: 1 error" in result.stdout
    assert f"{EXAMPLE}: 1 error" not in result.stdout
