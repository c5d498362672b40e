#!/usr/bin/python3
"""Makes keys and end-user tokens for the verifier tests with PyJWT and
cryptography, an implementation independent of the gateway's.

Usage: make_tokens.py DIR [--bench-users N]. Writes jwks_rsa.json, jwks_ec.json, ed25519.pem,
rsa.pem, rsa-1.key, rsa-2.key, providers.json (with providers/*_jwks.json) and manifest.json (now, HMAC secret, and one case per token: its
issuer and the expected outcome, "ok" or the gateway's reason name).
With --bench-users N, also bench_users.txt: N long-lived RS256 tokens, one
per line, of the users bench-0 ... bench-(N-1) (bench/lua/mint_users.lua).
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
BENCH_USERS = int(sys.argv[sys.argv.index("--bench-users") + 1]) if "--bench-users" in sys.argv else 0
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
# Private keys of rsa-1 and rsa-2 (test-only, in the build tree) for
# tokens whose issuer is known only at run time (mint_token.py, the
# discovery tests against a local server).
for name, key in [("rsa-1", rsa1), ("rsa-2", rsa2)]:
    with open(os.path.join(out, name + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

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
add("alg none", raw_token({"alg": "none"}, claims(HS_ISS), b""), "unsupported_alg")
add("alg none with a signature", raw_token({"alg": "none"}, claims(HS_ISS), b"x"), "unsupported_alg")
add("unknown alg", raw_token({"alg": "HS1"}, claims(HS_ISS), b"x"), "unsupported_alg")
rsa_public_pem = pem(rsa_pem.public_key())
confused_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims(PEM_ISS)).encode())}"
confused_mac = hmac.new(rsa_public_pem, confused_input.encode(), hashlib.sha256).digest()
add("HS256 signed with the RSA public key as secret", f"{confused_input}.{b64(confused_mac)}", "alg_not_allowed")
add("alg not in the issuer's list", sign(rsa_pem, "RS512", claims(PEM_ISS)), "alg_not_allowed")
add("crit header", sign(HS_SECRET, "HS256", claims(HS_ISS), headers={"crit": ["exp"], "exp": 1}), "forbidden_header")
for h, v in [("jku", "https://evil.example/jwks"), ("x5u", "https://evil.example/cert"),
             ("jwk", {"kty": "oct", "k": "AAAA"}), ("x5c", ["MIIB"])]:
    add(f"{h} header", sign(HS_SECRET, "HS256", claims(HS_ISS), headers={h: v}), "forbidden_header")
add("wrong issuer", sign(HS_SECRET, "HS256", claims("https://evil.test/")), "unknown_issuer")
add("no issuer", sign(HS_SECRET, "HS256", claims(None)), "unknown_issuer")
add("wrong audience", sign(HS_SECRET, "HS256", claims(HS_ISS, aud="someone-else")), "wrong_audience")
add("no audience", sign(HS_SECRET, "HS256", claims(HS_ISS, aud=None)), "wrong_audience")
add("no exp", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=None)), "missing_exp")
add("exp not a number", sign(HS_SECRET, "HS256", claims(HS_ISS, exp="tomorrow")), "invalid_date")
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

# Key selection (docs/auth.md): a kid narrows only among keys that carry one.
add("HS256 with a kid, HMAC issuer", sign(HS_SECRET, "HS256", claims(HS_ISS), kid="company-2024"), "ok")
add("RS256 with a kid, PEM issuer", sign(rsa_pem, "RS256", claims(PEM_ISS), kid="some-kid"), "ok")
add("EdDSA with a kid, PEM issuer", sign(ed, "EdDSA", claims(ED_ISS, email="someone@example.com"), kid="ed-1"), "ok")
add("HS256 with a kid, wrong secret", sign("another-secret-of-enough-length!!", "HS256", claims(HS_ISS), kid="k"), "bad_signature")

# Dates (docs/auth.md): JSON numbers from 0 to 2^53 - 1 as sent.
MAX_DATE = 2**53 - 1
add("exp at 2^53 - 1", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=MAX_DATE)), "ok")
add("exp at 2^53", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=MAX_DATE + 1)), "invalid_date")
add("exp 9.3e18 (past int64)", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=9300000000000000000)), "invalid_date")
add("exp 1e300", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=1e300)), "invalid_date")
add("exp negative", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=-1)), "invalid_date")
add("exp true", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=True)), "invalid_date")
add("nbf 1e300", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=1e300)), "invalid_date")
add("nbf 9.3e18", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=9.3e18)), "invalid_date")
add("iat 1e300", sign(HS_SECRET, "HS256", claims(HS_ISS, iat=1e300)), "invalid_date")
add("iat 9.3e18", sign(HS_SECRET, "HS256", claims(HS_ISS, iat=9300000000000000000)), "invalid_date")
add("iat a string", sign(HS_SECRET, "HS256", claims(HS_ISS, iat=str(NOW))), "invalid_date")
add("nbf negative", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=-5)), "invalid_date")
add("fractional nbf just beyond leeway", sign(HS_SECRET, "HS256", claims(HS_ISS, nbf=NOW + 60.5)), "not_yet_valid")
add("fractional exp just beyond leeway", sign(HS_SECRET, "HS256", claims(HS_ISS, exp=NOW - 60.5)), "expired")
add("aud an object", sign(HS_SECRET, "HS256", claims(HS_ISS, aud={"x": AUD})), "wrong_audience")
add("aud a list without strings", sign(HS_SECRET, "HS256", claims(HS_ISS, aud=[1, None])), "wrong_audience")

# Tokens shaped as identity providers issue them (headers, claims, JWKS
# members), for tests/unit/auth/provider_tokens_test.cpp and the provider
# table of docs/auth.md. Each provider gets its own key and JWKS file.
def self_signed_der(key, name):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    import datetime
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime(2024, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def x509_members(key, name):
    der = self_signed_der(key, name)
    return {"x5c": [base64.b64encode(der).decode()], "x5t": b64(hashlib.sha1(der).digest()),
            "x5t#S256": b64(hashlib.sha256(der).digest())}


providers = {}
prov_dir = os.path.join(out, "providers")
os.makedirs(prov_dir, exist_ok=True)


def provider(name, issuer, keys, config, tokens):
    path = os.path.join(prov_dir, name + "_jwks.json")
    with open(path, "w") as f:
        json.dump({"keys": keys}, f)
    cfg = {"issuer": issuer, "jwks_file": path}
    cfg.update(config)
    providers[name] = {"config": cfg, "tokens": [{"name": n, "token": t, "expect": e} for n, t, e in tokens]}


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# Auth0: issuer with a trailing "/", aud an array (API + userinfo), kid on every token.
auth0 = rsa_key()
a0_iss = "https://example-tenant.us.auth0.com/"
a0 = dict(iss=a0_iss, sub="auth0|6543210fedcba", aud=["https://api.example.com", a0_iss + "userinfo"],
          iat=NOW, exp=NOW + 86400, azp="xYz123ClientId", scope="openid profile email")
provider("auth0", a0_iss, [dict(jwk_of(auth0, "Nq3fGZ0a1b2c3", use="sig", alg="RS256"), **x509_members(auth0, "example-tenant.us.auth0.com"))],
         {"audiences": ["https://api.example.com"], "algorithms": ["RS256"]},
         [("access token", sign(auth0, "RS256", a0, kid="Nq3fGZ0a1b2c3", headers={"typ": "JWT"}), "ok"),
          ("another API's token", sign(auth0, "RS256", dict(a0, aud="https://other.example.com"), kid="Nq3fGZ0a1b2c3"), "wrong_audience")])

# Okta (custom authorization server "default"): aud api://default, cid, scp.
okta = rsa_key()
okta_iss = "https://dev-123456.okta.com/oauth2/default"
ok_claims = dict(ver=1, jti="AT.abc", iss=okta_iss, aud="api://default", iat=NOW, exp=NOW + 3600,
                 cid="0oa1b2c3d4EXAMPLE", uid="00u1b2c3d4EXAMPLE", scp=["openid", "email"], auth_time=NOW - 10,
                 sub="someone@example.com")
provider("okta", okta_iss, [jwk_of(okta, "okta-kid-1", use="sig", alg="RS256")],
         {"audiences": ["api://default"], "algorithms": ["RS256"]},
         [("access token", sign(okta, "RS256", ok_claims, kid="okta-kid-1"), "ok"),
          ("after its exp", sign(okta, "RS256", dict(ok_claims, exp=NOW - 3600), kid="okta-kid-1"), "expired")])

# Amazon Cognito: id tokens carry aud = app client id; access tokens carry
# client_id and no aud (audience_claim "client_id").
cognito = rsa_key()
cg_iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"
client = "1example23456789abcdefghij"
cg_keys = [jwk_of(cognito, "cognito-kid-1", use="sig", alg="RS256")]
cg_id = dict(sub="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", aud=client, email_verified=True, token_use="id",
             auth_time=NOW, iss=cg_iss, exp=NOW + 3600, iat=NOW, jti="id-jti", origin_jti="o-jti",
             email="someone@example.com", **{"cognito:username": "someone"})
cg_access = dict(sub="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", iss=cg_iss, client_id=client, origin_jti="o-jti",
                 event_id="e-1", token_use="access", scope="aws.cognito.signin.user.admin", auth_time=NOW,
                 exp=NOW + 3600, iat=NOW, jti="a-jti", username="someone")
provider("cognito_id", cg_iss, cg_keys, {"audiences": [client], "algorithms": ["RS256"]},
         [("id token", sign(cognito, "RS256", cg_id, kid="cognito-kid-1"), "ok"),
          ("access token has no aud", sign(cognito, "RS256", cg_access, kid="cognito-kid-1"), "wrong_audience")])
provider("cognito_access", cg_iss, cg_keys, {"audiences": [client], "audience_claim": "client_id", "algorithms": ["RS256"]},
         [("access token", sign(cognito, "RS256", cg_access, kid="cognito-kid-1"), "ok"),
          ("another app client", sign(cognito, "RS256", dict(cg_access, client_id="other-client"), kid="cognito-kid-1"), "wrong_audience"),
          ("client_id as an array", sign(cognito, "RS256", dict(cg_access, client_id=[client]), kid="cognito-kid-1"), "wrong_audience")])

# Microsoft Entra ID v2: kid and x5t in the header, JWKS keys with x5c, x5t
# and issuer members; user_claim oid (stable across applications).
entra = rsa_key()
tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
en_iss = f"https://login.microsoftonline.com/{tid}/v2.0"
en_x5 = x509_members(entra, "accounts.accesscontrol.windows.net")
en_kid = en_x5["x5t"]
en_key = dict(jwk_of(entra, en_kid, use="sig"), x5c=en_x5["x5c"], x5t=en_x5["x5t"],
              issuer="https://login.microsoftonline.com/{tenantid}/v2.0")
en_key.pop("alg", None)
en_claims = dict(aud="6e74172b-be56-4843-9ff4-e66a39bb12e3", iss=en_iss, iat=NOW, nbf=NOW, exp=NOW + 3600,
                 aio="AXQAi/8TAAAA", azp="6e74172b-be56-4843-9ff4-e66a39bb12e3", azpacr="0", name="Some One",
                 oid="690222be-ff1a-4d56-abd1-7e4f7d38e474", preferred_username="someone@contoso.com",
                 rh="I", scp="access_as_user", sub="HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ", tid=tid,
                 uti="fqiBqXLPj0eQa82S-IYFAA", ver="2.0")
provider("entra_id", en_iss, [en_key, {"kty": "RSA", "use": "sig", "kid": "other", "n": "AQAB", "e": "AQAB", "x5c": ["!!"]}],
         {"audiences": ["6e74172b-be56-4843-9ff4-e66a39bb12e3"], "user_claim": "oid", "algorithms": ["RS256"]},
         [("access token", sign(entra, "RS256", en_claims, kid=en_kid, headers={"typ": "JWT", "x5t": en_x5["x5t"]}), "ok"),
          ("v1 issuer", sign(entra, "RS256", dict(en_claims, iss=f"https://sts.windows.net/{tid}/"), kid=en_kid), "unknown_issuer")])

# Google Sign-In id tokens and Firebase Authentication id tokens.
google = rsa_key()
gg_claims = dict(iss="https://accounts.google.com", azp="1234-abc.apps.googleusercontent.com",
                 aud="1234-abc.apps.googleusercontent.com", sub="110169484474386276334", email="someone@gmail.com",
                 email_verified=True, at_hash="HK6E_P6Dh8Y93mRNtsDB1Q", iat=NOW, exp=NOW + 3600)
provider("google", "https://accounts.google.com", [jwk_of(google, "g-kid-1", use="sig", alg="RS256")],
         {"audiences": ["1234-abc.apps.googleusercontent.com"], "algorithms": ["RS256"]},
         [("id token", sign(google, "RS256", gg_claims, kid="g-kid-1", headers={"typ": "JWT"}), "ok"),
          ("issuer without https://", sign(google, "RS256", dict(gg_claims, iss="accounts.google.com"), kid="g-kid-1"), "unknown_issuer")])
firebase = rsa_key()
fb_iss = "https://securetoken.google.com/example-project"
fb_claims = dict(iss=fb_iss, aud="example-project", auth_time=NOW, user_id="kXxXxUid", sub="kXxXxUid", iat=NOW,
                 exp=NOW + 3600, email="someone@example.com", email_verified=False,
                 firebase={"identities": {"email": ["someone@example.com"]}, "sign_in_provider": "password"})
provider("firebase", fb_iss, [jwk_of(firebase, "fb-kid-1", use="sig", alg="RS256")],
         {"audiences": ["example-project"], "algorithms": ["RS256"]},
         [("id token", sign(firebase, "RS256", fb_claims, kid="fb-kid-1", headers={"typ": "JWT"}), "ok"),
          ("another project", sign(firebase, "RS256", dict(fb_claims, aud="other-project"), kid="fb-kid-1"), "wrong_audience")])

# Keycloak: an encryption key in the JWKS, aud "account", azp the client.
keycloak = rsa_key()
kc_enc = rsa_key()
kc_iss = "https://sso.example.com/realms/example"
kc_keys = [dict(jwk_of(keycloak, "kc-sig-kid", use="sig", alg="RS256"), **x509_members(keycloak, "example")),
           dict(jwk_of(kc_enc, "kc-enc-kid", use="enc", alg="RSA-OAEP"), **x509_members(kc_enc, "example"))]
kc_claims = dict(exp=NOW + 300, iat=NOW, auth_time=NOW, jti="kc-jti", iss=kc_iss, aud="account",
                 sub="f1e2d3c4-b5a6-4789-9abc-def012345678", typ="Bearer", azp="chatkit-web", sid="s-1",
                 acr="1", realm_access={"roles": ["default-roles-example"]}, scope="openid email profile",
                 email_verified=True, preferred_username="someone")
provider("keycloak", kc_iss, kc_keys,
         {"audiences": ["chatkit-web"], "audience_claim": "azp", "algorithms": ["RS256"]},
         [("access token", sign(keycloak, "RS256", kc_claims, kid="kc-sig-kid", headers={"typ": "JWT"}), "ok"),
          ("another client's token", sign(keycloak, "RS256", dict(kc_claims, azp="admin-cli"), kid="kc-sig-kid"), "wrong_audience")])

with open(os.path.join(out, "providers.json"), "w") as f:
    json.dump(providers, f, indent=1)

# Many distinct tokens signed by rsa-1, so that verifications are in flight
# (cache misses) when a rotation lands (the rotation test).
rotation = [sign(rsa1, "RS256", claims(RSA_ISS, sub=f"user-{i}"), kid="rsa-1") for i in range(64)]

# Long-lived HS256 tokens for end-to-end tests, one per user.
users = {name: sign(HS_SECRET, "HS256", claims(HS_ISS, sub=name, exp=NOW + 7200, plan="pro", tier={"x": 1}))
         for name in ["alice", "bob", "carol", "dave"] + [f"race-{i}" for i in range(40)]}
# A user whose id (its sub) is 3,000 bytes: its session handle is longer than most.
users["long"] = sign(HS_SECRET, "HS256", claims(HS_ISS, sub="long-" + "x" * 2995, exp=NOW + 7200))
# The longest user id a token of at most 8 KiB carries (about 6,000 bytes):
# the admin API must still name it, however its request escapes it.
def longest_sub(n):
    return sign(HS_SECRET, "HS256", claims(HS_ISS, sub="longest-" + "x" * n, exp=NOW + 7200))
longest = 5800
assert len(longest_sub(longest)) <= 8192
while len(longest_sub(longest + 1)) <= 8192:
    longest += 1
users["longest"] = longest_sub(longest)

# A long-lived RS256 token (JWKS key rsa-1) for benchmarks.
bench = sign(rsa1, "RS256", claims(RSA_ISS, sub="bench-user", exp=NOW + 7200), kid="rsa-1")

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"now": NOW, "hs_secret": HS_SECRET, "cases": cases, "users": users, "bench_rs256": bench,
               "rotation_rs256": rotation}, f, indent=1)
if BENCH_USERS:
    with open(os.path.join(out, "bench_users.txt"), "w") as f:
        for i in range(BENCH_USERS):
            f.write(sign(rsa1, "RS256", claims(RSA_ISS, sub=f"bench-{i}", exp=NOW + 7200), kid="rsa-1") + "\n")
print(f"{len(cases)} token cases written to {out}")
