#!/usr/bin/env bash
# Where redis-server's CPU per mint goes: replays one mint's Redis commands
# (the mint script, read from src/store/redis_scripts.cpp, and the registry
# write of redis_state::add_session, mirrored below) against a fresh local
# redis-server, pipelined in batches as the gateway sends them, and reads
# that server's CPU time from /proc. Cheaper commands replace the mint's
# step by step, so each row shows what one part costs; the second table
# shows the cost per read (batch size). Writes docs/benchmarks-redis.md.
# Takes about seven minutes; nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
work=$PWD/build/bench-redis
rm -rf "$work"; mkdir -p "$work"
/usr/bin/python3 - "$work" "${STEP_SECONDS:-6}" <<'PY'
import hashlib, os, random, re, socket, statistics, subprocess, sys, threading, time

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
    """Index past the RESP reply starting at i; raises IndexError when
    incomplete, RuntimeError on an error reply (nested in EXEC's too)."""
    kind, eol = buf[i:i + 1], buf.index(b"\r\n", i)
    if kind == b"-":
        raise RuntimeError(buf[i:eol].decode())
    if kind in (b"+", b":"):
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
                at = reply_end(buf, at)
            except (IndexError, ValueError):
                break
            got += 1

def key(user, suffix):
    return f"chatkit-gateway:{{{user}}}:{suffix}"

def mint_call(sha, user, day):
    # ARGV as redis_state::admit_mint sends them for the mint bench's limit
    # (a million a minute, as much burst): each user's bucket key expires
    # between two of its mints.
    return command("EVALSHA", sha, 2, key(user, "bucket:full_at"), key(user, f"day:{day}"),
                   60, 59999940, 0, 90000), 1

def session_id(n, set_size):
    # The user's set holds `set_size` sessions: each add replaces the score
    # of one of them (the n-th mint of a user takes slot n mod set_size).
    return f"cksess_{(n // users) % set_size:024x}"

def registry_write(user, n, set_size):
    # redis_state::add_session: MULTI, ZREMRANGEBYSCORE about one time in
    # eight, ZADD, EXPIRE, GET of the block marker, EXEC.
    sessions = key(user, "sessions")
    now = int(time.time())
    wire = command("MULTI")
    replies = 5
    if random.randrange(8) == 0:
        wire += command("ZREMRANGEBYSCORE", sessions, "-inf", f"({now - 300}")
        replies += 1
    wire += command("ZADD", sessions, now + 600, session_id(n, set_size)) + command("EXPIRE", sessions, 3900)
    wire += command("GET", key(user, "blocked")) + command("EXEC")
    return wire, replies

def get_call(user):
    return command("GET", key(user, "blocked")), 1

STEPS = [  # (what each mint sends, script text or None, sessions per user (0: a GET instead), the row it adds to)
    ("two GETs (the reads, replies and two commands)", None, 0, None),
    ("an empty script (`return {0, 1}`) and a GET", "return {0, 1}", 0, 0),
    ("a script calling TIME, and a GET", "local t = redis.call('TIME') return {0, 1}", 0, 1),
    ("the mint script, and a GET", mint_lua, 0, 2),
    ("the mint script and the registry write, 4 sessions a user", mint_lua, 4, 3),
    ("the same, 100 sessions a user (a sorted set Redis keeps as a list)", mint_lua, 100, 4),
    ("the same, 200 sessions a user (kept as a skip list)", mint_lua, 200, 4),
]

def fill_sets(sock, set_size):
    """Every user's registry set holds `set_size` sessions before the clock starts."""
    now = int(time.time())
    for first in range(0, users, 50):
        wire = b"".join(command("ZADD", key(f"bench-{u}", "sessions"),
                                *[x for slot in range(set_size) for x in (now + 600, f"cksess_{slot:024x}")])
                        for u in range(first, min(first + 50, users)))
        sock.sendall(wire); read_replies(sock, min(50, users - first))

def load(sock, index, sha, set_size, per_read, state):
    """One connection's loop (one io thread's): a batch of `per_read` mints
    written at once, its replies read, again, until told to stop; counts
    the mints whose replies came while the clock ran."""
    day, n = int(time.time()) // 86400, index
    while not state["stop"]:
        wire, expected = [], 0
        for _ in range(per_read):
            n += connections
            user = f"bench-{n % users}"
            w, e = get_call(user) if sha is None else mint_call(sha, user, day)
            wire.append(w); expected += e
            w, e = get_call(user) if set_size == 0 else registry_write(user, n, set_size)
            wire.append(w); expected += e
        sock.sendall(b"".join(wire))
        read_replies(sock, expected)
        if state["counting"]: state["mints"][index] += per_read

def measure(script, set_size, per_read):
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
        if set_size: fill_sets(socks[0], set_size)
        # One thread per connection, as the gateway's io threads write to
        # theirs independently: redis-server may find both ready at once.
        state = {"stop": False, "counting": False, "mints": [0] * connections}
        threads = [threading.Thread(target=load, args=(s, i, sha, set_size, per_read, state))
                   for i, s in enumerate(socks)]
        for t in threads: t.start()
        time.sleep(1.0)  # warm-up
        cpu0 = cpu_of(server.pid); state["counting"] = True
        time.sleep(seconds)
        state["counting"] = False; cpu1 = cpu_of(server.pid)
        state["stop"] = True
        for t in threads: t.join()
        return (cpu1 - cpu0) / sum(state["mints"]) * 1e6
    finally:
        server.terminate(); server.wait()

def cpu_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / hz

version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2].removeprefix("v=")
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
steps = []
for name, script, set_size, base in STEPS:
    runs = [measure(script, set_size, 8) for _ in range(3)]
    us = statistics.median(runs)
    steps.append((name, us, base, runs)); print(f"{us:6.1f} µs  {name}", flush=True)
batches = []
for per_read in (4, 8, 16, 32):
    runs = [measure(mint_lua, 4, per_read) for _ in range(3)]
    us, floor = statistics.median(runs), statistics.median(measure(None, 0, per_read) for _ in range(3))
    batches.append((per_read, us, floor, runs)); print(f"{per_read} mints a read: {us:.1f} µs (two GETs {floor:.1f})", flush=True)

out = ["# Where redis-server's CPU per mint goes", "",
       f"Measured on {cpu} by `bench/run-redis-cost.sh`: redis-server {version} on this machine, fresh for",
       f"each figure, {connections} connections written to by one thread each (as the gateway's io threads),",
       f"{users:,} users minting in turn. Each mint sends the mint script (src/store/redis_scripts.cpp, as it is)",
       "and the registry write (the transaction of redis_state::add_session) in the same batch; the gateway",
       "sends them in two batches, the upstream call between. redis-server's CPU time",
       f"({seconds:.0f} s after a second of warm-up) per mint, median of three runs.", "",
       "## Step by step, 8 mints a read", "",
       "| each mint sends | µs per mint (the three runs) | added to the row it builds on |", "|---|---|---|"]
def spread(runs):
    return ", ".join(f"{r:.1f}" for r in runs)
for name, us, base, runs in steps:
    out.append(f"| {name} | **{us:.1f}** ({spread(runs)}) | {'' if base is None else f'{us - steps[base][1]:+.1f}'} |")
out += ["", "The last two rows build on the row of 4 sessions a user. Each user's set is filled before the",
        "clock starts, and each add replaces the score of one of its sessions, so the set keeps its size",
        "(the gateway adds a new session each time; its sets grow until their sessions end).",
        "`bench/run-mint-bench.sh`'s 1,000 users reach 100 to 200 live sessions each within its 20 s runs",
        "(~10,000 mints/s); Redis keeps a sorted set of up to 128 members as a list, a larger one as a",
        "skip list and a hash table.", "",
        "## Per read (4 sessions a user)", "",
        "| mints a read | µs per mint, the mint's commands (the three runs) | µs per mint, two GETs |", "|---|---|---|"]
out += [f"| {k} | **{us:.1f}** ({spread(runs)}) | {floor:.1f} |" for k, us, floor, runs in batches]
per_read_us = statistics.median((batches[i][2] - batches[j][2]) / (1 / batches[i][0] - 1 / batches[j][0])
                                for i in range(len(batches)) for j in range(i + 1, len(batches)))
out += ["", f"Each batch costs redis-server about **{per_read_us:.0f} µs** (its share of a wake-up, the read and the reply; from the two-GETs column).",
        "The gateway writes to each connection at most once a millisecond, so a read carries the mints",
        "that connection's io thread asked for in that millisecond: more per read means a longer wait",
        "before each write, which a closed-loop load (wrk's 64 connections) pays in mints/s.",
        "docs/benchmarks.md gives the whole machine's cost per mint with and without Redis.", "",
        "This VM's speed drifts from minute to minute: the same commands measured minutes apart (the",
        "row of 4 sessions a user in the first table, the row of 8 in the second) may differ by a few µs.", "",
        "Command: `bash bench/run-redis-cost.sh` (STEP_SECONDS overrides the 6 s per figure).", ""]
open("docs/benchmarks-redis.md", "w").write("\n".join(out))
print("\n".join(out))
PY
