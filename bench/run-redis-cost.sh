#!/usr/bin/env bash
# Where redis-server's CPU per mint goes: replays one mint's Redis commands
# (the mint script, read from src/store/redis_scripts.cpp, and the registry
# write of redis_state::add_session, mirrored below) against a fresh local
# redis-server, pipelined in batches as the gateway sends them, and reads
# that server's CPU time from /proc. Cheaper commands replace the mint's
# step by step, so each row shows what one part costs; the second table
# shows the cost per read (batch size). Writes docs/benchmarks-redis.md.
# Takes about six minutes; nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
work=$PWD/build/bench-redis
rm -rf "$work"; mkdir -p "$work"
/usr/bin/python3 - "$work" "${STEP_SECONDS:-6}" <<'PY'
import hashlib, os, random, re, socket, statistics, subprocess, sys, time

work, seconds = sys.argv[1], float(sys.argv[2])
port = 16391
source = open("src/store/redis_scripts.cpp").read()
mint_lua = re.search(r'mint_lua = R"lua\((.*?)\)lua"', source, re.S).group(1)
users = 1000        # as bench/run-mint-bench.sh's paired runs
connections = 2     # one per io thread, as the gateway with threads: 2
hz = os.sysconf("SC_CLK_TCK")

def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def reply_end(buf, i):
    """Index past the RESP reply starting at i; raises IndexError when incomplete."""
    kind, eol = buf[i:i + 1], buf.index(b"\r\n", i)
    if kind in (b"+", b"-", b":"):
        return eol + 2
    n = int(buf[i + 1:eol])
    if kind == b"$":
        end = eol + 2 + max(n, 0) + (2 if n >= 0 else 0)
        if end > len(buf): raise IndexError
        return end
    k = eol + 2
    for _ in range(max(n, 0)):
        k = reply_end(buf, k)
    return k

def read_replies(sock, expected):
    buf, got, at = b"", 0, 0
    while got < expected:
        chunk = sock.recv(1 << 20)
        if not chunk: raise RuntimeError("redis closed the connection")
        buf += chunk
        while got < expected:
            try:
                end = reply_end(buf, at)
            except (IndexError, ValueError):
                break
            if buf[at:at + 1] == b"-": raise RuntimeError(buf[at:end].decode())
            at, got = end, got + 1

def key(user, suffix):
    return f"chatkit-gateway:{{{user}}}:{suffix}"

def mint_call(sha, user, day):
    return command("EVALSHA", sha, 2, key(user, "bucket:full_at"), key(user, f"day:{day}"),
                   60, 59999940, 0, 90000), 1

def registry_write(user, n, small):
    # redis_state::add_session: MULTI, ZREMRANGEBYSCORE about one time in
    # eight, ZADD, EXPIRE, GET of the block marker, EXEC.
    # small: each user's set keeps four sessions (an add replaces one), as
    # a user minting now and then holds a few.
    sessions = key(user, "sessions")
    session = f"cksess_{user}_{n % 4}" if small else f"cksess_{n:032x}"
    now = int(time.time())
    wire = command("MULTI")
    replies = 5
    if random.randrange(8) == 0:
        wire += command("ZREMRANGEBYSCORE", sessions, "-inf", f"({now - 300}")
        replies += 1
    wire += command("ZADD", sessions, now + 600, session) + command("EXPIRE", sessions, 3900)
    wire += command("GET", key(user, "blocked")) + command("EXEC")
    return wire, replies

def get_call(user):
    return command("GET", key(user, "blocked")), 1

STEPS = [  # (what each mint sends, script text or None, its second command, the row it adds to)
    ("two GETs (the reads, replies and two commands)", None, "get", None),
    ("an empty script (`return {0, 1}`) and a GET", "return {0, 1}", "get", 0),
    ("a script calling TIME, and a GET", "local t = redis.call('TIME') return {0, 1}", "get", 1),
    ("the mint script, and a GET", mint_lua, "get", 2),
    ("the mint script and the registry write, each user's set holding four sessions", mint_lua, "small", 3),
    ("the mint script and the registry write, each user's set as the bench's load makes it", mint_lua, "registry", 4),
]

def measure(script, second, per_read):
    data = os.path.join(work, "data"); os.makedirs(data, exist_ok=True)
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", data], stdout=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
                break
            except OSError:
                time.sleep(0.1)
        if server.poll() is not None: raise RuntimeError(f"redis-server did not start (port {port} taken?)")
        for s in socks: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sha = None
        if script is not None:
            sha = hashlib.sha1(script.encode()).hexdigest()
            socks[0].sendall(command("SCRIPT", "LOAD", script)); read_replies(socks[0], 1)
        day, n, mints, started, cpu0 = int(time.time()) // 86400, 0, 0, None, 0
        t0 = time.time()
        while True:
            now = time.time()
            if started is None and now - t0 >= 1.0:  # a second of warm-up
                started, cpu0, mints = now, cpu_of(server.pid), 0
            if started is not None and now - started >= seconds: break
            for s in socks:
                wire, expected = [], 0
                for _ in range(per_read):  # each mint: its script, and later its second command
                    n += 1
                    user = f"bench-{n % users}"
                    if script is None: w, e = get_call(user)
                    else: w, e = mint_call(sha, user, day)
                    wire.append(w); expected += e
                    w, e = get_call(user) if second == "get" else registry_write(user, n, second == "small")
                    wire.append(w); expected += e
                s.sendall(b"".join(wire))
                read_replies(s, expected)
                mints += per_read
        return (cpu_of(server.pid) - cpu0) / mints * 1e6
    finally:
        server.terminate(); server.wait()

def cpu_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / hz

version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2].removeprefix("v=")
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
steps = []
for name, script, second, base in STEPS:
    runs = [measure(script, second, 8) for _ in range(3)]
    us = statistics.median(runs)
    steps.append((name, us, base, runs)); print(f"{us:6.1f} µs  {name}", flush=True)
batches = []
for per_read in (4, 8, 16, 32):
    runs = [measure(mint_lua, "registry", per_read) for _ in range(3)]
    us, floor = statistics.median(runs), statistics.median(measure(None, "get", per_read) for _ in range(3))
    batches.append((per_read, us, floor, runs)); print(f"{per_read} mints a read: {us:.1f} µs (two GETs {floor:.1f})", flush=True)

out = ["# Where redis-server's CPU per mint goes", "",
       f"Measured on {cpu} by `bench/run-redis-cost.sh`: redis-server {version} on this machine, fresh for",
       f"each figure, {connections} connections (one per io thread), {users:,} users minting in turn; each mint sends",
       "the mint script (src/store/redis_scripts.cpp, as it is) and the registry write (the transaction of",
       f"redis_state::add_session), pipelined as the gateway does. redis-server's CPU time ({seconds:.0f} s after a",
       "second of warm-up) per mint, median of three runs.", "",
       "## Step by step, 8 mints a read (about what `bench/run-mint-bench.sh` shows)", "",
       "| each mint sends | µs per mint (the three runs) | added to the row above |", "|---|---|---|"]
def spread(runs):
    return ", ".join(f"{r:.1f}" for r in runs)
for name, us, base, runs in steps:
    out.append(f"| {name} | **{us:.1f}** ({spread(runs)}) | {'' if base is None else f'{us - steps[base][1]:+.1f}'} |")
out += ["", "The last two rows send the same commands. In the last, the bench's 1,000 users hold ~100-200",
        "sessions each after seconds of minting in turn, and a sorted set of up to 128 members is a list",
        "that each add scans; a user held to the default rate limit (10 a minute) holds at most about",
        "a hundred live sessions, and most hold a few.", "",
        "## Per read", "", "| mints a read | µs per mint, the mint's commands (the three runs) | µs per mint, two GETs |", "|---|---|---|"]
out += [f"| {k} | **{us:.1f}** ({spread(runs)}) | {floor:.1f} |" for k, us, floor, runs in batches]
per_read_us = statistics.median((batches[i][2] - batches[j][2]) / (1 / batches[i][0] - 1 / batches[j][0])
                                for i in range(len(batches)) for j in range(i + 1, len(batches)))
out += ["", f"Each read costs redis-server about **{per_read_us:.0f} µs** (wake-up, read, reply; from the two-GETs column).",
        "The gateway writes to each connection at most once a millisecond, so at ~11,000 mints/s a read",
        "carries 6-9 mints: more per read means a longer wait before each write, which the mints/s of a",
        "closed-loop load (wrk's 64 connections) lose again. docs/benchmarks.md gives the whole",
        "machine's cost per mint with and without Redis.", "",
        "This VM's speed drifts from minute to minute: the same commands measured minutes apart (the",
        "last row of the first table, the row of 8 of the second) may differ by a few µs.", "",
        "Command: `bash bench/run-redis-cost.sh` (STEP_SECONDS overrides the 6 s per figure).", ""]
open("docs/benchmarks-redis.md", "w").write("\n".join(out))
print("\n".join(out))
PY
