"""`halcfg render --out DIR` under attack: it owns only what it wrote, never follows a link (writing
or `--check` reading), gives secrets to nobody else, changes a target's files all or none, and
keeps secrets out of git. Each test goes through the real CLI."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from tests.cli.test_render import BOOKKEEPING, assert_no_secret, tree, write_accounts
from tests.support.cli import run_cli

CANARY = "CANARY-safety-41d7"


def accounts_file(folder: Path, *names: str, password: str = CANARY) -> Path:
    (folder / "pw").write_text(password)
    return write_accounts(folder / "halcfg.yaml", "".join(
        f"      - name: {name}\n        address: {name[:40]}.example.com\n        username: bot\n"
        f"        repositories: [a/b]\n        passwordFile: pw\n" for name in names))


def render(accounts: Path, out: Path, *extra: str, target: str = "drone,kubernetes") -> subprocess.CompletedProcess:
    return run_cli("render", "--target", target, "--out", out, "-c", accounts, *extra)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` (bookkeeping too) with its mode: to prove nothing changed."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_files_halcfg_did_not_write_stay(tmp_path: Path) -> None:
    out = tmp_path / "out"
    accounts = accounts_file(tmp_path, "one", "two")
    (out / "kubernetes").mkdir(parents=True)
    hand = {"kubernetes/kustomization.yaml": b"resources: [one.yaml]\n", "kubernetes/README.md": b"# ours\n",
            "kubernetes/notes.txt": b"keep me\n"}
    for name, data in hand.items():
        (out / name).write_bytes(data)
    assert render(accounts, out).returncode == 0
    assert (out / "kubernetes/two.yaml").exists()
    assert (out / "kubernetes/.halcfg-rendered").read_text().splitlines()[1:] == [".gitignore", "one.yaml", "two.yaml"]
    accounts_file(tmp_path, "one")
    result = render(accounts, out)
    assert result.returncode == 0 and f"removed {out}/kubernetes/two.yaml" in result.stdout, result.stdout
    assert not (out / "kubernetes/two.yaml").exists() and (out / "kubernetes/one.yaml").exists()
    assert all((out / name).read_bytes() == data for name, data in hand.items())
    checked = render(accounts, out, "--check")
    assert checked.returncode == 0, checked.stdout  # the user's files are not "no longer rendered"
    # A name halcfg wrote once, then a user's file of that name: still listed, so still halcfg's to replace.
    assert render(accounts, out, "--account", "one").returncode == 0


def test_a_target_folder_that_is_a_link_is_never_followed(tmp_path: Path) -> None:
    accounts = accounts_file(tmp_path, "one")
    elsewhere = tmp_path / "home-docker"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine\n")
    (elsewhere / "registries.yml").write_text("not yours\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "drone").symlink_to(elsewhere)
    for extra in ((), ("--check",)):
        result = render(accounts, out, *extra, target="drone")
        assert result.returncode == 2 and "is a symbolic link" in result.stderr, result.stdout + result.stderr
        assert "Traceback" not in result.stderr and "not yours" not in result.stdout + result.stderr
    assert sorted(os.listdir(elsewhere)) == ["notes.txt", "registries.yml"]
    assert (elsewhere / "registries.yml").read_text() == "not yours\n"
    linked_out = tmp_path / "linked-out"
    linked_out.symlink_to(elsewhere)
    result = render(accounts, linked_out, target="drone")
    assert result.returncode == 2 and "--out" in result.stderr and "symbolic link" in result.stderr
    assert sorted(os.listdir(elsewhere)) == ["notes.txt", "registries.yml"]


def test_check_never_reads_through_a_link(tmp_path: Path) -> None:
    """A pull request commits deploy/kubelet/<file> -> /proc/self/environ: CI's --check must not print it."""
    accounts = accounts_file(tmp_path, "one")
    out = tmp_path / "deploy"
    assert render(accounts, out, target="kubelet,drone").returncode == 0
    target = out / "kubelet" / "credential-provider-config.yaml"
    target.unlink()
    target.symlink_to("/proc/self/environ")
    result = run_cli("render", "--target", "kubelet,drone", "--out", out, "--check", "-c", accounts,
                     env={"RUNNER_TOKEN": "ENV-CANARY-77e1"})
    assert result.returncode == 2 and "is a symbolic link" in result.stderr, result.stdout + result.stderr
    assert "ENV-CANARY-77e1" not in result.stdout + result.stderr
    # The list of what halcfg wrote is not read through a link either.
    target.unlink()
    (out / "drone" / ".halcfg-rendered").unlink()
    (out / "drone" / ".halcfg-rendered").symlink_to("/proc/self/environ")
    result = run_cli("render", "--target", "drone", "--out", out, "--check", "-c", accounts,
                     env={"RUNNER_TOKEN": "ENV-CANARY-77e1"})
    assert result.returncode == 2 and "ENV-CANARY-77e1" not in result.stdout + result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file another user's")
def test_a_root_render_gives_secrets_to_nobody_else(tmp_path: Path) -> None:
    accounts = accounts_file(tmp_path, "one")
    out = tmp_path / "shared"
    (out / "drone").mkdir(parents=True)
    old = out / "drone" / "registries.yml"
    old.write_text("old\n")
    os.chmod(old, 0o644)
    os.chown(old, 65534, 65534)
    os.chown(out / "drone", 65534, 65534)
    assert render(accounts, out, target="drone").returncode == 0
    info = old.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), os.getegid(), 0o600)
    assert CANARY in old.read_text()


def test_a_link_swapped_in_while_rendering_is_replaced_never_followed(tmp_path: Path) -> None:
    """Another user keeps turning registries.yml into a link to a file of theirs (or ours): every
    render either refuses or replaces the link; what it points to is never written."""
    accounts = accounts_file(tmp_path, "one")
    out = tmp_path / "out"
    assert render(accounts, out, target="drone").returncode == 0
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    name = out / "drone" / "registries.yml"
    stop = threading.Event()

    def swap() -> None:
        n = 0
        while not stop.is_set():
            link = out / "drone" / f"link{n}"
            n += 1
            link.symlink_to(victim)
            os.replace(link, name)

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        codes = {render(accounts, out, target="drone").returncode for _ in range(12)}
    finally:
        stop.set()
        swapper.join()
    assert codes <= {0, 2}
    assert victim.read_text() == "untouched\n"


def test_a_name_too_long_leaves_every_old_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    accounts = accounts_file(tmp_path, "one", "two")
    assert render(accounts, out, target="drone,kubernetes,docker-config").returncode == 0
    before = snapshot(out)
    # 253 characters: a valid account name, but <name>.yaml is longer than the 255 bytes of NAME_MAX.
    accounts_file(tmp_path, "one", "two", "n" * 253, password=CANARY + "-rotated")
    result = render(accounts, out, target="drone,kubernetes,docker-config")
    assert result.returncode == 2 and "over the 255 this file system allows" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert snapshot(out) == before  # no target changed, not even the ones before kubernetes
    # 242 characters: the old temp file name (.<name>.yaml.XXXXXXXX.tmp) was too long; now it renders,
    # and the rotated password reaches every file.
    accounts_file(tmp_path, "one", "two", "n" * 242, password=CANARY + "-rotated")
    result = render(accounts, out, target="drone,kubernetes,docker-config")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "kubernetes" / ("n" * 242 + ".yaml")).exists()
    assert all(CANARY + "-rotated" in (out / f).read_text() for f in ("drone/registries.yml",))
    assert not [p for p in out.rglob(".halcfg-stage-*")]


def test_a_target_whose_file_cannot_be_replaced_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    accounts = accounts_file(tmp_path, "one", "two")
    assert render(accounts, out).returncode == 0
    (out / "kubernetes" / "two.yaml").unlink()
    (out / "kubernetes" / "two.yaml").mkdir()  # in the way of one of the files
    before = snapshot(out)
    accounts_file(tmp_path, "one", "two", password=CANARY + "-rotated")
    result = render(accounts, out)
    assert result.returncode == 2 and "kubernetes/two.yaml is not a regular file" in result.stderr, result.stderr
    assert snapshot(out) == before  # one.yaml keeps the old password: all or none


def test_secrets_are_git_ignored_unless_the_user_opts_out(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    accounts = accounts_file(tmp_path, "one", "two")
    result = render(accounts, repo / "deploy", "--inline-secrets", target="all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert CANARY in (repo / "deploy" / "drone" / "registries.yml").read_text()
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    staged = subprocess.run(["git", "-C", str(repo), "ls-files"], check=True, capture_output=True, text=True)
    names = staged.stdout.split()
    assert "deploy/kubelet/credential-provider-config.yaml" in names  # what holds no secret is committed
    assert "deploy/spinnaker/igor-local.yml" in names and "deploy/drone/.gitignore" in names
    assert not [n for n in names if n.startswith(("deploy/drone/registries", "deploy/kubernetes/one"))]
    contents = "".join(subprocess.run(["git", "-C", str(repo), "show", f":{name}"], check=True,
                                      capture_output=True, text=True).stdout for name in names)
    assert_no_secret(contents, [CANARY], "bot")

    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    assert render(accounts, other / "deploy", "--no-gitignore", target="drone").returncode == 0
    assert not (other / "deploy" / "drone" / ".gitignore").exists()
    subprocess.run(["git", "-C", str(other), "add", "."], check=True)
    staged = subprocess.run(["git", "-C", str(other), "ls-files"], check=True, capture_output=True, text=True)
    assert "deploy/drone/registries.yml" in staged.stdout.split()


def test_a_gitignore_of_the_users_is_kept_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "out"
    accounts = accounts_file(tmp_path, "one")
    (out / "drone").mkdir(parents=True)
    (out / "drone" / ".gitignore").write_text("*.yml\n")
    result = render(accounts, out, target="drone")
    assert result.returncode == 0 and "[render-gitignore-kept]" in result.stdout, result.stdout
    assert (out / "drone" / ".gitignore").read_text() == "*.yml\n"
    assert set(tree(out)) == {"drone/registries.yml"} and BOOKKEEPING[0] in os.listdir(out / "drone")


# ---- templates are bounded --------------------------------------------------------------------


def custom(folder: Path, manifest: str = "files:\n  - name: out.txt\n    template: t.j2\n", **templates: str) -> Path:
    (folder / "mine").mkdir(parents=True, exist_ok=True)
    (folder / "mine" / "manifest.yaml").write_text(manifest)
    for name, text in templates.items():
        (folder / "mine" / name.replace("_", ".")).write_text(text)
    return folder


def render_custom(tmp_path: Path, templates: Path, *extra: str) -> subprocess.CompletedProcess:
    accounts = accounts_file(tmp_path, "one")
    return run_cli("render", "--target", "mine", "--template-dir", templates, "--out", tmp_path / "out",
                   "-c", accounts, *extra)


def assert_refused(result: subprocess.CompletedProcess, message: str, tmp_path: Path) -> None:
    assert result.returncode == 2 and message in result.stderr, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "mine").exists()


@pytest.mark.parametrize("link", ["template", "include", "folder", "manifest", "subfolder"])
def test_a_template_that_is_a_link_is_refused(tmp_path: Path, link: str) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "t.j2").write_text("PRIVATE-77c2\n")
    (private / "manifest.yaml").write_text("files:\n  - name: out.txt\n    template: t.j2\n")
    templates = custom(tmp_path / "t", t_j2="{% include 'mine/inc.j2' %}\n", inc_j2="fine\n")
    mine = templates / "mine"
    if link == "template":
        (mine / "t.j2").unlink()
        (mine / "t.j2").symlink_to(private / "t.j2")
    elif link == "include":
        (mine / "inc.j2").unlink()
        (mine / "inc.j2").symlink_to(private / "t.j2")
    elif link == "manifest":
        (mine / "manifest.yaml").unlink()
        (mine / "manifest.yaml").symlink_to(private / "manifest.yaml")
    elif link == "subfolder":
        (mine / "t.j2").write_text("{% include 'mine/sub/t.j2' %}\n")
        (mine / "sub").symlink_to(private)
    else:
        for entry in mine.iterdir():
            entry.unlink()
        mine.rmdir()
        mine.symlink_to(private)
    result = render_custom(tmp_path, templates)
    assert_refused(result, "is a symbolic link", tmp_path)
    assert "PRIVATE-77c2" not in result.stdout + result.stderr


def test_an_include_outside_the_template_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.j2").write_text("OUTSIDE-19a0\n")
    templates = custom(tmp_path / "t", t_j2="{% include '../outside.j2' %}\n")
    result = render_custom(tmp_path, templates)
    assert_refused(result, "names a file outside the template folder", tmp_path)
    assert "OUTSIDE-19a0" not in result.stdout


@pytest.mark.parametrize("template", [
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% set x = range(100000) | list %}{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}",  # no call, no output
])
def test_a_template_past_the_time_limit_fails_cleanly(tmp_path: Path, template: str) -> None:
    import time

    templates = custom(tmp_path / "t", t_j2=template)
    started = time.monotonic()
    result = render_custom(tmp_path, templates, "--time-limit", "1")
    assert time.monotonic() - started < 30
    assert_refused(result, "ran past the render's time limit (1 s; --time-limit)", tmp_path)
    assert "t.j2:1" in result.stderr


@pytest.mark.parametrize(("template", "message"), [
    ('{{ "x" * 200000000 }}', "a value of 200,000,000 items would pass the render's output budget of 64 MiB"),
    ('{% for i in range(100000) %}{{ x }}{% endfor %}'.replace("x", "'" + "x" * 1000 + "'"),
     "the output passes the render's output budget of 64 MiB"),
    ("{{ 2 ** 100000 }}", "2 ** 100000 is a number of more than 4096 bits"),
])
def test_a_template_past_the_size_budget_fails_cleanly(tmp_path: Path, template: str, message: str) -> None:
    templates = custom(tmp_path / "t", t_j2=template)
    assert_refused(render_custom(tmp_path, templates), message, tmp_path)


def test_a_custom_target_with_credentials_is_secret_however_marked(tmp_path: Path) -> None:
    templates = custom(tmp_path / "t", "credentials: true\nfiles:\n  - name: creds.txt\n    template: t.j2\n",
                       t_j2="{% for a in accounts %}{{ a.name }} {{ a.credential.password }}\n{% endfor %}")
    # An override of a built-in target whose context holds passwords, its file left unmarked.
    (templates / "drone").mkdir()
    (templates / "drone" / "manifest.yaml").write_text("files:\n  - name: plain.yml\n    template: p.j2\n")
    (templates / "drone" / "p.j2").write_text("{{ registries | to_yaml }}")
    accounts = accounts_file(tmp_path, "one", password="abc")  # three characters
    out = tmp_path / "out"
    result = run_cli("render", "--target", "mine,drone", "--template-dir", templates, "--out", out, "-c", accounts)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("mine/creds.txt", "drone/plain.yml"):
        assert "abc" in (out / name).read_text()
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert (out / "mine" / ".gitignore").read_text().splitlines()[-1] == "/creds.txt"
    preview = run_cli("render", "--target", "mine,drone", "--template-dir", templates, "-c", accounts)
    assert preview.returncode == 0 and "one ****" in preview.stdout, preview.stdout
    assert "abc" not in preview.stdout + preview.stderr
    # Without credentials the same custom target is not secret.
    (templates / "mine" / "t.j2").write_text("{% for a in accounts %}{{ a.name }}\n{% endfor %}")
    (templates / "mine" / "manifest.yaml").write_text("files:\n  - name: creds.txt\n    template: t.j2\n")
    fresh = tmp_path / "fresh"
    plain = run_cli("render", "--target", "mine", "--template-dir", templates, "--out", fresh, "-c", accounts)
    assert plain.returncode == 0, plain.stderr
    assert stat.S_IMODE((fresh / "mine" / "creds.txt").stat().st_mode) & 0o044
