#!/usr/bin/env python3
"""CLI tests for `ternctl status` without a cluster: usage errors, and a clear message with
exit status 1 when no OSD of the config answers (a generated config whose OSD ports were
free a moment ago).

Usage: test_ternctl_status.py TERNCTL. Stdlib only; prints "N passed, N failed".
"""
import os
import subprocess
import sys
import tempfile
import time

from ternt import check, done, free_ports

TERNCTL = sys.argv[1]


def run(*args):
    t = time.time()
    p = subprocess.run([TERNCTL, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr, time.time() - t


def main():
    rc, out, _, _ = run("status", "--help")
    check(rc == 0 and "--json" in out and "--pgs" in out, "status --help", out)
    rc, _, err, _ = run("status")
    check(rc == 2 and "usage" in err, "status without --config is a usage error", err)
    rc, _, err, _ = run("status", "--config", "/nonexistent/tern.yaml")
    check(rc == 2, "a missing config is exit 2", err)
    rc, _, err, _ = run("status", "--config", "x.yaml", "--timeout-ms", "0")
    check(rc == 2 and "--timeout-ms" in err, "bad --timeout-ms", err)
    ports = free_ports(3)
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write("cluster: {name: gone, id: 00112233445566778899aabbccddeeff}\n"
                    "hosts: [{name: a}, {name: b}, {name: c}]\nosds:\n")
            for i, p in enumerate(ports):
                f.write(f"  - {{id: {i}, host: {'abc'[i]}, addr: 127.0.0.1:{p}, data: {d}/o{i}}}\n")
        for extra in ([], ["--json"]):
            rc, out, err, secs = run("status", "--config", cfg, *extra)
            check(rc == 1, f"unreachable cluster {extra}: exit 1", f"{rc} {out} {err}")
            check("cannot reach any OSD of cluster 'gone'" in err and "is the cluster running"
                  in err, "the message says what is wrong", err)
            check(out == "", "nothing on stdout", out)
            check(secs < 30, "and it does not hang", f"{secs:.1f} s")
    return done()


if __name__ == "__main__":
    sys.exit(main())
