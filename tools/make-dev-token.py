#!/usr/bin/python3
"""Prints a dev end-user token for config/dev.json's HMAC issuer.

Signed with PyJWT (an implementation independent of the gateway) using the
secret in CHATKIT_GATEWAY_DEV_HS256_SECRET. For local development only.
"""
import argparse
import os
import sys
import time

import jwt

ISSUER = "https://dev.chatkit-gateway.local/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sub", default="dev-user", help="the end user's id (default dev-user)")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    args = parser.parse_args()
    secret = os.environ.get("CHATKIT_GATEWAY_DEV_HS256_SECRET")
    if not secret:
        print("CHATKIT_GATEWAY_DEV_HS256_SECRET is not set (source .dev/env first)", file=sys.stderr)
        return 2
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "chatkit-gateway", "sub": args.sub, "iat": now, "exp": now + args.ttl}
    print(jwt.encode(claims, secret, algorithm="HS256"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
