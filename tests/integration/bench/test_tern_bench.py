#!/usr/bin/env python3
"""tern-bench against a real local cluster (6 OSDs on 3 hosts + a gateway): put, get
--verify and mixed runs of a few seconds with --json must report ops > 0, zero errors and a
well-formed report; --count is exact; --verify catches bodies that are not the key's
pattern; bad options exit 2. No timing assertions.

Usage: test_tern_bench.py TERN_BENCH TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
"""
import json
import os
import subprocess
import sys

from ternt import check, done
from ternt_cluster import AK, SK, Cluster

BENCH, OSD, GW = sys.argv[1], sys.argv[2], sys.argv[3]


def run(c, *args, env_creds=True, timeout=90):
    """Runs tern-bench against cluster c; returns (exit status, stdout, stderr)."""
    env = dict(os.environ)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TERN_ENDPOINT", "AWS_ENDPOINT_URL"):
        env.pop(k, None)
    env["TERN_DEV_DATA"] = c.tmp  # no credentials file there: never the developer's
    argv = [BENCH, "--endpoint", c.endpoint, "--bucket", "bench-smoke"]
    if env_creds:
        env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
    else:
        argv += ["--access-key", AK, "--secret-key", SK]
    p = subprocess.run(argv + list(args), env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def report(what, c, *args, **kw):
    """Runs with --json; returns the parsed report or None (after counting a failure)."""
    rc, out, err = run(c, "--json", *args, **kw)
    try:
        r = json.loads(out)
    except ValueError:
        check(False, f"{what}: stdout is one JSON object", f"rc {rc}\n{out}\n{err}")
        return None
    check(rc == 0, f"{what}: exit 0", f"rc {rc}: {err} {out}")
    return r


def well_formed(what, r, ops):
    """The fields scripts rely on, with sane values; ops = the ops that must appear."""
    keys = ("op", "mix", "size", "keys", "concurrency", "elapsed_s", "client_cpu_s", "ops",
            "errors", "ops_per_s", "mib_per_s", "latency_ms", "errors_by_status", "verify_errors",
            "per_op")
    check(all(k in r for k in keys), f"{what}: every field present", str(r))
    check(r["ops"] > 0, f"{what}: ops > 0", str(r))
    check(r["errors"] == 0 and r["errors_by_status"] == {} and r["verify_errors"] == 0,
          f"{what}: zero errors", str(r))
    check(r["ops_per_s"] > 0 and r["elapsed_s"] > 0, f"{what}: rates", str(r))
    lat = r["latency_ms"]
    check(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"],
          f"{what}: latency quantiles ordered", str(lat))
    check(sorted(r["per_op"]) == sorted(ops), f"{what}: per_op lists {ops}", str(r["per_op"]))
    check(sum(o["ops"] for o in r["per_op"].values()) == r["ops"],
          f"{what}: per-op ops add up", str(r))
    for name in ops:
        check(r["per_op"][name]["ops"] > 0, f"{what}: some {name} ops", str(r["per_op"]))


def main():
    with Cluster(OSD, GW, name="tern-bench-smoke") as c:
        r = report("put", c, "--op", "put", "--size", "16K", "--keys", "40",
                   "--concurrency", "4", "--duration", "2")
        if r:
            well_formed("put", r, ["put"])
            check(r["size"] == 16384 and r["mib_per_s"] > 0, "put: size and MiB/s", str(r))

        r = report("get --verify", c, "--op", "get", "--verify", "--size", "16K", "--keys",
                   "40", "--concurrency", "4", "--duration", "2", env_creds=False)
        if r:
            well_formed("get --verify", r, ["get"])
            check(r["verify"] is True and r["first_error"] == "", "get: verify recorded", str(r))

        r = report("mixed", c, "--op", "mixed", "--mix", "put=1,get=4,head=1", "--verify",
                   "--size", "5000", "--keys", "30", "--concurrency", "8", "--duration", "3")
        if r:
            well_formed("mixed", r, ["put", "get", "head"])
            check(r["mix"] == {"put": 1, "get": 4, "head": 1}, "mixed: mix recorded", str(r))

        r = report("put --count", c, "--op", "put", "--size", "1", "--keys", "10",
                   "--concurrency", "3", "--count", "37")
        if r:
            check(r["ops"] == 37 and r["errors"] == 0, "--count 37: exactly 37 ops", str(r))

        # A body that is not the key's pattern (objects written at 5000 B, read as 5001 B)
        # must be counted as a verify failure, with exit status 1.
        rc, out, err = run(c, "--json", "--op", "get", "--verify", "--no-prefill", "--size",
                           "5001", "--keys", "30", "--count", "20")
        r = json.loads(out) if out.strip() else {}
        check(rc == 1 and r.get("verify_errors", 0) > 0 and r.get("ops", 1) == 0
              and "differs from the pattern" in r.get("first_error", ""),
              "--verify catches wrong bodies", f"rc {rc} {out} {err}")

        rc, out, err = run(c, "--op", "get", "--size", "5000", "--keys", "30",
                           "--count", "50", "--no-prefill")
        check(rc == 0 and "ops/s" in out and "p99" in out, "text report", out + err)

        for bad in (["--size", "4X"], ["--op", "copy"], ["--mix", "put=0"],
                    ["--concurrency", "0"], ["--endpoint", "ftp://x"]):
            rc, out, err = run(c, *bad)
            check(rc == 2 and err.startswith("tern-bench: "), f"usage error {bad}",
                  f"rc {rc} {err}")
    return done()


if __name__ == "__main__":
    sys.exit(main())
