"""The verifier against the vector captured from a real Drone server (DESIGN.md), and one-byte
changes of it; Date and Digest checks on their own."""

from __future__ import annotations

import base64
import hashlib
from email.utils import parsedate_to_datetime

import pytest

from halcfg.serve.drone.signature import Rejection, check_date, check_digest, verify, verify_signature

SECRET = b"convert"
HEADERS = {
    "accept": "application/vnd.drone.convert.v1+json",
    "accept-encoding": "identity",
    "content-type": "application/json",
    "date": "Thu, 11 Jun 2020 20:40:47 GMT",
    "digest": "SHA-256=wq5hrte/hz30J1J6RdmJAo25TA3RdylL1Kvu1lDDY4I=",
}
SIGNATURE = "p84Ldmkz8PdoYIqoxoQbDpQ5M+ylTSQX0qE8agun3GI="
LISTED = "accept accept-encoding content-type date digest"
CAPTURED_AT = parsedate_to_datetime(HEADERS["date"]).timestamp()


def signature_header(signature: str = SIGNATURE, listed: str = LISTED, algorithm: str = "hmac-sha256") -> str:
    return f'keyId="hmac-key",algorithm="{algorithm}",signature="{signature}",headers="{listed}"'


def check(headers: dict[str, str], secret: bytes = SECRET) -> None:
    verify_signature(secret, "POST", "/", headers.get)


def test_captured_vector_verifies() -> None:
    check({**HEADERS, "signature": signature_header()})
    check({**HEADERS, "authorization": "Signature " + signature_header()})


def _one_byte_changes(text: str) -> list[str]:
    changed = []
    for i, c in enumerate(text):
        for replacement in {chr(ord(c) ^ 1), "A" if c != "A" else "B"}:
            if replacement != '"':  # a quote would end the parameter instead of changing its value
                changed.append(text[:i] + replacement + text[i + 1 :])
    return changed


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_any_one_byte_change_of_a_signed_header_fails(name: str) -> None:
    for value in _one_byte_changes(HEADERS[name]):
        with pytest.raises(Rejection) as caught:
            check({**HEADERS, name: value, "signature": signature_header()})
        assert caught.value.status == 401


def test_any_one_byte_change_of_the_signature_or_secret_fails() -> None:
    for signature in _one_byte_changes(SIGNATURE):
        with pytest.raises(Rejection):
            check({**HEADERS, "signature": signature_header(signature)})
    for i in range(len(SECRET)):
        with pytest.raises(Rejection):
            check({**HEADERS, "signature": signature_header()}, SECRET[:i] + bytes([SECRET[i] ^ 1]) + SECRET[i + 1 :])


@pytest.mark.parametrize(
    ("header", "status", "says"),
    [
        ({}, 400, "missing Signature"),
        ({"signature": signature_header(algorithm="hmac-sha1")}, 400, "algorithm"),
        ({"signature": signature_header(algorithm="rsa-sha256")}, 400, "algorithm"),
        ({"signature": signature_header(listed="accept content-type digest")}, 400, "date"),
        ({"signature": signature_header(listed="accept date")}, 400, "digest"),
        ({"signature": signature_header() + ',extra="1"'}, 400, "unexpected"),
        ({"signature": 'algorithm="hmac-sha256",signature="x",headers="date digest"'}, 400, "keyId"),
        ({"signature": signature_header(listed="date digest x-missing")}, 400, "x-missing"),
    ],
)
def test_malformed_signatures(header: dict[str, str], status: int, says: str) -> None:
    with pytest.raises(Rejection, match=says) as caught:
        check({**HEADERS, **header})
    assert caught.value.status == status


def test_request_target_is_signed_when_listed() -> None:
    import hmac

    listed = "(request-target) date digest"
    text = f"(request-target): post /drone?x=1\ndate: {HEADERS['date']}\ndigest: {HEADERS['digest']}"
    mac = base64.b64encode(hmac.new(SECRET, text.encode(), hashlib.sha256).digest()).decode()
    headers = {**HEADERS, "signature": signature_header(mac, listed)}
    verify_signature(SECRET, "POST", "/drone?x=1", headers.get)
    with pytest.raises(Rejection):
        verify_signature(SECRET, "POST", "/drone?x=2", headers.get)


def test_date_window() -> None:
    check_date(HEADERS["date"], CAPTURED_AT + 300)
    check_date(HEADERS["date"], CAPTURED_AT - 300)
    for now in (CAPTURED_AT + 301, CAPTURED_AT - 301):
        with pytest.raises(Rejection) as caught:
            check_date(HEADERS["date"], now)
        assert caught.value.status == 401
    with pytest.raises(Rejection, match="HTTP date"):
        check_date("yesterday", CAPTURED_AT)


def test_digest_must_be_the_body_s() -> None:
    body = b'{"repo":{}}'
    good = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    check_digest(good, body)
    check_digest("sha-256=" + good[8:], body)
    with pytest.raises(Rejection) as caught:
        check_digest(good, body + b" ")
    assert caught.value.status == 401
    with pytest.raises(Rejection, match="SHA-256"):
        check_digest("MD5=abc", body)


def test_verify_runs_all_three() -> None:
    headers = {**HEADERS, "signature": signature_header()}
    with pytest.raises(Rejection, match="Date"):
        verify(SECRET, "POST", "/", headers.get, b"", CAPTURED_AT + 3600)
    with pytest.raises(Rejection, match="Digest"):
        verify(SECRET, "POST", "/", headers.get, b"not the body", CAPTURED_AT)
