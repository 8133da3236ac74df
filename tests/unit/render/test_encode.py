"""The byte rules the targets share: Go's JSON escaping and a YAML that reads back the same under
YAML 1.1 (clouddriver's SnakeYAML, Go's yaml.v2) and 1.2."""

from __future__ import annotations

import io

import pytest
from ruamel.yaml import YAML

from halcfg.redact import MASK, redact
from halcfg.registry.hosts import registry_host
from halcfg.render.encode import b64encode, docker_auth, go_json, to_yaml

TRICKY = ["yes", "No", "on", "OFF", "y", "null", "~", "012345", "0x1F", "1e5", "1_000", "12:30", ".inf", "-",
          "a: b", "a #b", "#x", "@x", "`x", "!tag", "&anchor", "*alias", "%x", "'q'", '"q"', "[x]", "{x}", "", " x",
          "x ", "tab\there", "new\nline", "<&>", "robot$spinnaker", "é", "\u2028", "2026-11-27", "=", "<<", "?x"]


def test_go_json_escapes_like_encoding_json() -> None:
    # Expected bytes as Go's json.Marshal writes them (HTML-safe escapes, short escapes for \b \f \n \r \t).
    assert go_json({"a": "<&>\u2028\u2029\b\f\n\r\t\x01\x7f\"\\/é"}) == (
        '{"a":"\\u003c\\u0026\\u003e\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\x7f\\"\\\\/é"}')
    assert go_json({"k": {"x": 1}}, indent="\t") == '{\n\t"k": {\n\t\t"x": 1\n\t}\n}'


def test_docker_auth_is_padded_standard_base64() -> None:
    assert docker_auth("u", "p") == "dTpw"
    assert docker_auth("u", "p>") == b64encode("u:p>") == "dTpwPg=="


@pytest.mark.parametrize("version", [(1, 1), (1, 2)])
def test_yaml_reads_back_as_the_same_strings(version: tuple[int, int]) -> None:
    data = {"plain": {s or "empty": s for s in TRICKY}, "list": TRICKY, "nested": [{"a": [1, True, None]}, [], {}]}
    loader = YAML(typ="safe", pure=True)
    loader.version = version
    assert loader.load(io.StringIO(to_yaml(data))) == data


def test_registry_host_per_consumer() -> None:
    assert [registry_host("index.docker.io", c) for c in ("docker", "drone", "kubelet", "clouddriver")] == [
        "https://index.docker.io/v1/", "docker.io", "docker.io", "https://index.docker.io"]
    assert registry_host("http://10.0.0.1:5000/", "clouddriver") == "http://10.0.0.1:5000"
    assert registry_host("Quay.io", "docker") == "quay.io"
    assert registry_host("reg:5000", "clouddriver", plain_http=True) == "http://reg:5000"
    with pytest.raises(ValueError, match="unknown consumer"):
        registry_host("quay.io", "podman")


def test_redact_masks_base64_at_every_alignment() -> None:
    secret = "s3cr3t-value"
    for prefix in ("", "a", "ab", '{"auths":{"x":{"auth":"'):
        text = b64encode(prefix + secret + '"}}')
        assert MASK in redact(text, [secret]) and b64encode(secret)[:8] not in redact(text, [secret])
    assert redact("fine", ["ab"]) == "fine"


def test_every_character_reads_back_under_strict_yaml_readers() -> None:
    # YAML 1.1 and 1.2 §5.1 printable set; everything else, and 1.1's line breaks #x85 #x2028
    # #x2029 and the BOM, must arrive escaped (PyYAML's reader refuses them raw, like SnakeYAML's).
    import yaml as pyyaml

    sample = [chr(c) for c in (*range(0x00, 0x250), *range(0xD7F0, 0xD800), *range(0xE000, 0xE010),
                                0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1FFFE, 0x10FFFF)]
    text = "".join(sample)
    data = {"all": text, "each": sample, text: "key"}
    rendered = to_yaml(data)
    raw = {c for c in rendered if not ("\x20" <= c <= "\x7e" or c == "\n")}
    assert all("\xa0" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000" for c in raw), raw
    assert not raw & {"\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\x7f"}
    assert pyyaml.safe_load(rendered) == data
    for version in ((1, 1), (1, 2)):
        loader = YAML(typ="safe", pure=True)
        loader.version = version
        assert loader.load(io.StringIO(rendered)) == data


def test_one_line_keeps_a_name_inside_its_comment() -> None:
    from halcfg.render.encode import one_line

    name = "a\nb\r\u2028\x85\\n\x00.yaml"
    assert one_line(name) == "a\\nb\\r\\u2028\\u0085\\\\n\\u0000.yaml"
    assert "\n" not in one_line(name) and one_line("plain.yaml") == "plain.yaml"
