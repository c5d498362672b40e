#!/usr/bin/python3
"""Mints one RS256 token with PyJWT for an issuer known only at run time
(a local discovery server's URL).

Usage: mint_token.py KEY_FILE KID ISSUER NOW. Prints the token: kid in the
header; iss ISSUER, aud chatkit-gateway, sub user-42, iat NOW, exp NOW + 600.
"""
import sys

import jwt

key_file, kid, issuer, now = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(key_file, "rb") as f:
    key = f.read()
claims = {"iss": issuer, "aud": "chatkit-gateway", "sub": "user-42", "iat": now, "exp": now + 600}
print(jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid}))
