#!/usr/bin/python3
"""Checks that the Dockerfile's runtime stage installs every shared library
the gateway binary needs (Docker itself cannot run here): each library `ldd`
resolves is mapped to its Debian package with `dpkg -S`, and that package
must be named in the runtime stage's `apt-get install`, be a dependency of
one named there, or be part of debian:bookworm-slim itself.

Usage: check_runtime_libraries.py BINARY DOCKERFILE
"""
import os
import re
import subprocess
import sys

# Essential packages of debian:bookworm-slim that provide shared libraries.
SLIM_BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5", "libbz2-1.0",
             "libcrypt1", "libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libgmp10",
             "libtinfo6", "libudev1", "libsystemd0", "libcap2", "libgcrypt20", "libgpg-error0", "liblz4-1"}


def runtime_packages(dockerfile):
    """Package names after `apt-get install` in the last FROM stage."""
    text = open(dockerfile).read()
    last_stage = text[text.rfind("\nFROM "):]
    command = re.search(r"apt-get install([^&]*)", last_stage.replace("\\\n", " "))
    if not command:
        sys.exit("no apt-get install in the runtime stage")
    return {w for w in command.group(1).split() if not w.startswith("-")}


def needed_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and m.group(2) != "not":
            libs[m.group(1)] = m.group(2)
        elif "not found" in line:
            sys.exit(f"ldd cannot resolve: {line.strip()}")
    return libs


def package_of(path):
    """The package owning `path`, trying the /lib <-> /usr/lib aliases of a
    merged-/usr system and the symlink's target."""
    real = os.path.realpath(path)
    candidates = []
    for p in (path, real):
        candidates += [p, p.replace("/usr/lib/", "/lib/", 1), p.replace("/lib/", "/usr/lib/", 1)]
    for candidate in candidates:
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0]
    return None


def dependency_closure(packages):
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p], capture_output=True, text=True)
        for dep in re.split(r"[,|]", r.stdout):
            name = dep.strip().split(" ")[0].split(":")[0]
            if name:
                todo.append(name)
    return seen


def main(binary, dockerfile):
    listed = runtime_packages(dockerfile)
    covered = dependency_closure(listed) | SLIM_BASE
    problems = []
    for soname, path in sorted(needed_libraries(binary).items()):
        pkg = package_of(path)
        if pkg is None:
            problems.append(f"{soname} ({path}) belongs to no Debian package")
        elif pkg.split(":")[0] not in covered:
            problems.append(f"{soname} comes from {pkg}, which the runtime stage does not install")
        else:
            print(f"ok  {soname:32} {pkg}")
    for p in problems:
        print(p)
    print(f"runtime stage installs: {' '.join(sorted(listed))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
