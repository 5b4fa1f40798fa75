from __future__ import annotations

from recado.whatsapp.signature import SignatureCheck, sign, verify, verify_token_matches

SECRET = "app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_good_signature() -> None:
    header = sign(SECRET, BODY)
    assert header.startswith("sha256=") and len(header) == 71
    assert verify(SECRET, BODY, header) is SignatureCheck.ok
    # Same digest in upper case hex is still the same digest.
    assert verify(SECRET, BODY, "sha256=" + header[7:].upper()) is SignatureCheck.ok


def test_tampered_missing_and_malformed() -> None:
    header = sign(SECRET, BODY)
    assert verify(SECRET, BODY + b" ", header) is SignatureCheck.mismatch
    assert verify("other", BODY, header) is SignatureCheck.mismatch
    assert verify(SECRET, BODY, None) is SignatureCheck.missing
    assert verify(SECRET, BODY, "") is SignatureCheck.missing
    assert verify(SECRET, BODY, header[7:]) is SignatureCheck.malformed
    assert verify(SECRET, BODY, "sha1=" + header[7:]) is SignatureCheck.malformed
    assert verify(SECRET, BODY, "sha256=xyz") is SignatureCheck.malformed


def test_verify_token() -> None:
    assert verify_token_matches("tok", "tok")
    assert not verify_token_matches("tok", "tok2")
    assert not verify_token_matches("tok", None)
    assert not verify_token_matches("", "")
