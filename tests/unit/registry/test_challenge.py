"""WWW-Authenticate parsing: pure string cases, including the ones real registries send."""

from __future__ import annotations

import pytest

from halcfg.registry.challenge import MAX_CHALLENGES, MAX_PARAMS, Challenge, parse_challenges


def test_basic() -> None:
    assert parse_challenges('Basic realm="Registry Realm"') == [Challenge("basic", {"realm": "Registry Realm"})]


def test_docker_hub_bearer() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"'
    )
    (challenge,) = parse_challenges(header)
    assert challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/nginx:pull",
    }


def test_several_challenges_in_one_header() -> None:
    """requests joins repeated headers with ', ': each challenge must come out on its own."""
    header = 'Basic realm="basic-realm", Bearer realm="https://auth/token",service="reg", Negotiate'
    assert [c.scheme for c in parse_challenges(header)] == ["basic", "bearer", "negotiate"]
    assert parse_challenges(header)[1].params == {"realm": "https://auth/token", "service": "reg"}


def test_quoted_value_holds_commas_and_the_next_challenge_follows() -> None:
    header = 'Bearer realm="https://a/token",scope="repository:x:pull,push",error="insufficient_scope", Basic realm="b"'
    bearer, basic = parse_challenges(header)
    assert bearer.get("scope") == "repository:x:pull,push"
    assert bearer.get("error") == "insufficient_scope"
    assert basic == Challenge("basic", {"realm": "b"})


def test_names_are_case_insensitive_values_are_not() -> None:
    (challenge,) = parse_challenges('BEARER Realm="https://A/Token", SERVICE="Reg"')
    assert challenge.scheme == "bearer"
    assert challenge.get("realm") == "https://A/Token"
    assert challenge.get("Service") == "Reg"


def test_spaces_around_equals_and_commas() -> None:
    (challenge,) = parse_challenges('Bearer  realm = "r" ,  service= "s" ,scope ="a:b:pull"')
    assert challenge.params == {"realm": "r", "service": "s", "scope": "a:b:pull"}


def test_escaped_quotes_in_quoted_string() -> None:
    (challenge,) = parse_challenges(r'Basic realm="say \"hi\", \\ok"')
    assert challenge.get("realm") == 'say "hi", \\ok'


def test_unquoted_token_values_and_lenient_urls() -> None:
    (challenge,) = parse_challenges("Bearer realm=https://auth.example/token,service=registry.example")
    assert challenge.params == {"realm": "https://auth.example/token", "service": "registry.example"}


def test_token68_then_another_challenge() -> None:
    negotiate, basic = parse_challenges('Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXe==, Basic realm="r"')
    assert negotiate == Challenge("negotiate", {}, "YIIBhwYGKwYBBQUCoIIBezCCAXe==")
    assert basic.get("realm") == "r"


def test_scheme_without_params() -> None:
    assert parse_challenges("Basic") == [Challenge("basic", {})]
    assert parse_challenges("Basic, Bearer realm=\"r\"") == [Challenge("basic"), Challenge("bearer", {"realm": "r"})]


@pytest.mark.parametrize("header", [None, "", "   ", ",,, ,"])
def test_nothing(header: str | None) -> None:
    assert parse_challenges(header) == []


def test_garbage_is_skipped_not_raised() -> None:
    assert parse_challenges('"junk", =oops, Basic realm="r"') == [Challenge("basic", {"realm": "r"})]


def test_unterminated_quote_takes_the_rest() -> None:
    (challenge,) = parse_challenges('Bearer realm="https://a/token, service=s')
    assert challenge.get("realm") == "https://a/token, service=s"


def test_empty_quoted_value() -> None:
    (challenge,) = parse_challenges('Bearer realm="r",scope=""')
    assert challenge.params == {"realm": "r", "scope": ""}


@pytest.mark.parametrize("header", [
    " a" * 30_000, "Bearer " + "a=," * 20_000, 'Bearer realm="' + "\\" * 60_000, "Basic " + "a " * 30_000,
    'Bearer realm="' + "x" * 60_000, "x " + "a" * 60_000 + "=" * 60_000 + " y",
])
def test_hostile_headers_are_capped_not_raised(header: str) -> None:
    challenges = parse_challenges(header)
    assert len(challenges) <= MAX_CHALLENGES
    assert all(len(c.params) <= MAX_PARAMS for c in challenges)


def test_the_first_params_of_a_flood_are_kept() -> None:
    (challenge,) = parse_challenges('Bearer realm="r",service="s",' + "a=b," * 10_000)
    assert (challenge.get("realm"), challenge.get("service")) == ("r", "s")
