#!/usr/bin/python3
"""Makes keys and end-user tokens for the verifier tests with PyJWT and
cryptography, an implementation independent of the gateway's.

Usage: make_tokens.py DIR. Writes jwks_rsa.json, jwks_ec.json, ed25519.pem,
rsa.pem and manifest.json (now, HMAC secret, and one case per token: its
issuer and the expected outcome, "ok" or the gateway's reason name).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, utils

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
NOW = int(time.time())
HS_SECRET = "hs-secret-for-tests-0123456789abcdef"
AUD = "chatkit-gateway"
RSA_ISS, EC_ISS, ED_ISS, HS_ISS, PEM_ISS = (
    "https://rsa.test/", "https://ec.test/", "https://ed.test/", "https://hs.test/", "https://rsapem.test/")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(private_key, kid, **extra):
    if isinstance(private_key, rsa.RSAPrivateKey):
        key = json.loads(jwt.algorithms.get_default_algorithms()["RS256"].to_jwk(private_key.public_key()))
    else:
        # Built here, not by PyJWT 2.6's to_jwk: that drops a coordinate's
        # leading zero bytes, and RFC 7518 section 6.2.1.2 wants the full
        # field size (which the gateway checks): one key in ~128 came out wrong.
        numbers = private_key.public_key().public_numbers()
        size = (private_key.curve.key_size + 7) // 8
        key = {"kty": "EC", "crv": {256: "P-256", 384: "P-384", 521: "P-521"}[private_key.curve.key_size],
               "x": b64(numbers.x.to_bytes(size, "big")), "y": b64(numbers.y.to_bytes(size, "big"))}
    key["kid"] = kid
    key.update(extra)
    return key


def pem(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=3072)
rsa_pinned = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec256 = ec.generate_private_key(ec.SECP256R1())
ec384 = ec.generate_private_key(ec.SECP384R1())
ed = ed25519.Ed25519PrivateKey.generate()
rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048)

with open(os.path.join(out, "jwks_rsa.json"), "w") as f:
    json.dump({"keys": [jwk_of(rsa1, "rsa-1", use="sig"), jwk_of(rsa2, "rsa-2"),
                        jwk_of(rsa_pinned, "rsa-pinned", alg="RS256"),
                        {"kty": "EC", "crv": "P-256", "use": "enc", "kid": "enc-key",
                         "x": jwk_of(ec256, "x")["x"], "y": jwk_of(ec256, "x")["y"]}]}, f)
with open(os.path.join(out, "jwks_ec.json"), "w") as f:
    json.dump({"keys": [jwk_of(ec256, "ec-256"), jwk_of(ec384, "ec-384")]}, f)
with open(os.path.join(out, "ed25519.pem"), "wb") as f:
    f.write(pem(ed.public_key()))
with open(os.path.join(out, "rsa.pem"), "wb") as f:
    f.write(pem(rsa_pem.public_key()))

cases = []


def claims(iss, **over):
    c = {"iss": iss, "aud": AUD, "sub": "user-42", "iat": NOW, "exp": NOW + 600}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def add(name, token, expect):
    cases.append({"name": name, "token": token, "expect": expect})


def sign(key, alg, payload, kid=None, headers=None):
    h = dict(headers or {})
    if kid:
        h["kid"] = kid
    return jwt.encode(payload, key, algorithm=alg, headers=h or None)


def raw_token(header: dict, payload: dict, signature: bytes) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"


# Every algorithm, signed by PyJWT.
for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
    add(f"{alg} with kid", sign(rsa1, alg, claims(RSA_ISS), kid="rsa-1"), "ok")
add("RS256 3072-bit key", sign(rsa2, "RS256", claims(RSA_ISS), kid="rsa-2"), "ok")
add("RS256 without kid tries every RSA key", sign(rsa2, "RS256", claims(RSA_ISS)), "ok")
add("ES256", sign(ec256, "ES256", claims(EC_ISS), kid="ec-256"), "ok")
add("ES384", sign(ec384, "ES384", claims(EC_ISS), kid="ec-384"), "ok")
add("EdDSA from a PEM key, email as user claim",
    sign(ed, "EdDSA", claims(ED_ISS, email="someone@example.com")), "ok")
for alg in ["HS256", "HS384", "HS512"]:
    add(alg, sign(HS_SECRET, alg, claims(HS_ISS)), "ok")
add("RS256 from a PEM key", sign(rsa_pem, "RS256", claims(PEM_ISS)), "ok")
add("aud as a list", sign(rsa1, "RS256", claims(RSA_ISS, aud=["x", AUD]), kid="rsa-1"), "ok")
add("second configured audience", sign(rsa1, "RS256", claims(RSA_ISS, aud="other-app"), kid="rsa-1"), "ok")
add("exp within leeway", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=NOW - 30)), "ok")
add("fractional exp", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=NOW + 60.5)), "ok")
add("nbf within leeway", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=NOW + 30)), "ok")

# One case per rejection rule.
add("alg none", raw_token({"alg": "none"}, claims(HS_ISS), b""), "malformed")
add("alg none with a signature", raw_token({"alg": "none"}, claims(HS_ISS), b"x"), "malformed")
add("unknown alg", raw_token({"alg": "HS1"}, claims(HS_ISS), b"x"), "malformed")
rsa_public_pem = pem(rsa_pem.public_key())
confused_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims(PEM_ISS)).encode())}"
confused_mac = hmac.new(rsa_public_pem, confused_input.encode(), hashlib.sha256).digest()
add("HS256 signed with the RSA public key as secret", f"{confused_input}.{b64(confused_mac)}", "alg_not_allowed")
add("alg not in the issuer's list", sign(rsa_pem, "RS512", claims(PEM_ISS)), "alg_not_allowed")
add("crit header", sign(HS_SECRET, "HS256", claims(HS_ISS), headers={"crit": ["exp"], "exp": 1}), "malformed")
for h, v in [("jku", "https://evil.example/jwks"), ("x5u", "https://evil.example/cert"),
             ("jwk", {"kty": "oct", "k": "AAAA"}), ("x5c", ["MIIB"])]:
    add(f"{h} header", sign(HS_SECRET, "HS256", claims(HS_ISS), headers={h: v}), "malformed")
add("wrong issuer", sign(HS_SECRET, "HS256", claims("https://evil.test/")), "unknown_issuer")
add("no issuer", sign(HS_SECRET, "HS256", claims(None)), "unknown_issuer")
add("wrong audience", sign(HS_SECRET, "HS256", claims(HS_ISS, aud="someone-else")), "wrong_audience")
add("no audience", sign(HS_SECRET, "HS256", claims(HS_ISS, aud=None)), "wrong_audience")
add("no exp", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=None)), "missing_exp")
add("exp not a number", sign(HS_SECRET, "HS256", claims(HS_ISS, exp="tomorrow")), "missing_exp")
add("expired beyond leeway", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=NOW - 61)), "expired")
add("nbf in the future", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=NOW + 120)), "not_yet_valid")
add("iat in the future", sign(HS_SECRET, "HS256", claims(HS_ISS, iat=NOW + 120)), "issued_in_future")
add("token over 8 KiB", sign(HS_SECRET, "HS256", claims(HS_ISS, pad="x" * 8200)), "malformed")
add("missing user claim", sign(HS_SECRET, "HS256", claims(HS_ISS, sub=None)), "missing_user_claim")
add("empty user claim", sign(HS_SECRET, "HS256", claims(HS_ISS, sub="")), "missing_user_claim")
add("numeric user claim", sign(HS_SECRET, "HS256", claims(HS_ISS, sub=42)), "missing_user_claim")
add("PEM issuer wants email, token has none", sign(ed, "EdDSA", claims(ED_ISS)), "missing_user_claim")
add("unknown kid", sign(rsa1, "RS256", claims(RSA_ISS), kid="rsa-9"), "unknown_kid")
add("kid of an encryption key", sign(rsa1, "RS256", claims(RSA_ISS), kid="enc-key"), "unknown_kid")
add("PS256 against a key pinned to RS256", sign(rsa_pinned, "PS256", claims(RSA_ISS), kid="rsa-pinned"), "unknown_kid")
add("signed by a key not in the JWKS", sign(rsa_other, "RS256", claims(RSA_ISS), kid="rsa-1"), "bad_signature")
add("ES256 signed by another key", sign(ec.generate_private_key(ec.SECP256R1()), "ES256", claims(EC_ISS), kid="ec-256"), "bad_signature")
good = sign(HS_SECRET, "HS256", claims(HS_ISS))
h, p, s = good.split(".")
add("payload swapped after signing", f"{h}.{b64(json.dumps(claims(HS_ISS, sub='admin')).encode())}.{s}", "bad_signature")
add("HMAC truncated", f"{h}.{p}.{s[:20]}", "bad_signature")
add("wrong HMAC secret", sign("another-secret-of-enough-length!!", "HS256", claims(HS_ISS)), "bad_signature")
es = sign(ec256, "ES256", claims(EC_ISS), kid="ec-256")
eh, ep, esig = es.split(".")
raw = base64.urlsafe_b64decode(esig + "==")
der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
add("ES256 with a DER signature", f"{eh}.{ep}.{b64(der)}", "bad_signature")
add("two segments", f"{h}.{p}", "malformed")
add("four segments", f"{h}.{p}.{s}.{s}", "malformed")
add("bad base64 in header", f"{h}!.{p}.{s}", "malformed")
add("header not JSON", f"{b64(b'not json')}.{p}.{s}", "malformed")
add("payload a JSON array", f"{h}.{b64(b'[1,2]')}.{s}", "malformed")
add("empty signature", f"{h}.{p}.", "malformed")

# Long-lived HS256 tokens for end-to-end tests, one per user.
users = {name: sign(HS_SECRET, "HS256", claims(HS_ISS, sub=name, exp=NOW + 7200, plan="pro", tier={"x": 1}))
         for name in ["alice", "bob", "carol", "dave"]}

# A long-lived RS256 token (JWKS key rsa-1) for benchmarks.
bench = sign(rsa1, "RS256", claims(RSA_ISS, sub="bench-user", exp=NOW + 7200), kid="rsa-1")

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"now": NOW, "hs_secret": HS_SECRET, "cases": cases, "users": users, "bench_rs256": bench}, f, indent=1)
print(f"{len(cases)} token cases written to {out}")
