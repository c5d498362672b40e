#!/usr/bin/env python3
"""Scrapes /metrics of the real binary and has Prometheus' own parser and
linter judge it (`promtool check metrics`), after traffic that touches the
counters: a few refused requests on the public listener and a mint whose
upstream cannot be reached.

Usage: check_metrics.py GATEWAY_BINARY [PROMTOOL]
Exit status 0 when promtool accepts the exposition and the series the
operations guide promises are present; 1 otherwise, saying why.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HS_SECRET = "metrics-check-hs256-secret-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(directory):
    # Plain HTTP on both listeners; an upstream port nothing listens on.
    config = {
        "server": {"listen": "127.0.0.1:0", "threads": 1, "drain_seconds": 0, "shutdown_grace_seconds": 2},
        "admin": {"listen": "127.0.0.1:0"},
        "upstream": {"base_url": "https://127.0.0.1:%d/v1" % free_port(), "connect_timeout_ms": 500,
                     "request_timeout_ms": 500, "max_retries": 0},
        "auth": {"issuers": [{"issuer": "https://hs.test/", "hmac_secret_env": "HS", "algorithms": ["HS256"]}]},
        "sessions": {"workflows": {"default": {"id": "wf_metrics"}}},
    }
    path = os.path.join(directory, "config.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def start(binary, config):
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-metrics-check-0123456789", "HS": HS_SECRET,
           "CHATKIT_GATEWAY_HANDLE_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
    proc = subprocess.Popen([binary, "--config", config], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        entry = json.loads(line)
        if entry.get("msg") == "listening":
            return proc, entry["public"], entry["admin"]
    proc.kill()
    sys.exit("gateway did not start: " + proc.stderr.read().decode(errors="replace"))


def request(url, method="GET", headers=None, body=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def hs256_token():
    import jwt  # python3-jwt: an implementation independent of the gateway's
    now = int(time.time())
    return jwt.encode({"iss": "https://hs.test/", "aud": "chatkit-gateway", "sub": "metrics-user",
                       "iat": now, "exp": now + 300}, HS_SECRET, algorithm="HS256")


def main():
    binary = sys.argv[1]
    promtool = sys.argv[2] if len(sys.argv) > 2 else "promtool"
    with tempfile.TemporaryDirectory() as tmp:
        proc, public, admin = start(binary, write_config(tmp))
        try:
            sessions = "http://%s/v1/chatkit/sessions" % public
            request(sessions, "POST", body=b"{}")  # 401 missing_token
            request(sessions, "POST", {"Authorization": "Bearer x.y.z"}, b"{}")  # 401 malformed
            status, _ = request(sessions, "POST", {"Authorization": "Bearer " + hs256_token(),
                                                    "Content-Type": "application/json"}, b"{}")
            if status != 503:
                sys.exit("a mint with an unreachable upstream answered %d, not 503" % status)
            status, text = request("http://%s/metrics" % admin)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    if status != 200:
        sys.exit("/metrics answered %d" % status)

    checked = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    report = (checked.stdout + checked.stderr).decode(errors="replace").strip()
    if checked.returncode != 0:
        print(text)
        sys.exit("promtool check metrics refused the exposition:\n" + report)

    problems = []
    expect = [
        r'^chatkit_gateway_build_info\{version="[^"]+"\} 1$',
        r"^process_cpu_seconds_total [0-9.e+-]+$",
        r"^process_resident_memory_bytes [1-9][0-9.e+]*$",
        r"^process_open_fds [1-9][0-9.e+]*$",
        r"^process_start_time_seconds [1-9][0-9.e+]*$",
        r'^chatkit_gateway_auth_failures_total\{reason="missing_token"\} 1$',
        r'^chatkit_gateway_auth_failures_total\{reason="unknown_kid"\} 0$',
        r'^chatkit_gateway_upstream_errors_total\{kind="upstream_unavailable",operation="create_session"\} 1$',
        r'^chatkit_gateway_upstream_errors_total\{kind="malformed_reply",operation="get"\} 0$',
        r'^chatkit_gateway_upstream_connections\{state="busy"\} 0$',
        r'^chatkit_gateway_upstream_connections\{state="idle"\} 0$',
        r"^chatkit_gateway_rate_limit_rejections_total 0$",
    ]
    for pattern in expect:
        if not re.search(pattern, text, re.MULTILINE):
            problems.append("no line matches " + pattern)
    for line in text.splitlines():
        name = re.match(r"^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if name and not name.group(1).startswith(("chatkit_gateway_", "process_")):
            problems.append("series outside the service's prefix: " + line)
    if problems:
        print(text)
        sys.exit("\n".join(problems))
    print("promtool accepted %d lines%s" % (len(text.splitlines()), (": " + report) if report else ""))


if __name__ == "__main__":
    main()
