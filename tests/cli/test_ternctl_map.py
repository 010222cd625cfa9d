#!/usr/bin/env python3
"""CLI tests for `ternctl map object` and `ternctl map test` on the example configs.

Usage: test_ternctl_map.py TERNCTL SOURCE_DIR. Stdlib only; prints "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from ternt import check, done

TERNCTL, SRC = sys.argv[1], sys.argv[2]
LOCAL = os.path.join(SRC, "conf/examples/local.yaml")
THREE = os.path.join(SRC, "conf/examples/three-servers.yaml")
# local.yaml: host-a holds OSDs 0,1; host-b 2,3; host-c 4,5.
LOCAL_HOST = {0: "a", 1: "a", 2: "b", 3: "b", 4: "c", 5: "c"}



def run(*args):
    p = subprocess.run([TERNCTL, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def test_object():
    keys = ["images/2026/11/cat.jpg", "a key with spaces", "ümlaut/ключ", "x" * 1024, "+%25//.."]
    rc, out, err = run("map", "object", "--config", LOCAL, "--pool", "data", *keys)
    check(rc == 0, "map object exits 0", err)
    lines = out.splitlines()
    check(len(lines) == len(keys), "one line per key", out)
    pat = re.compile(r"^(.*) pg=data\.([0-9a-f]+) osds=\[(\d+),(\d+),(\d+)\]$")
    for key, line in zip(keys, lines):
        m = pat.match(line)
        check(m is not None, "line format KEY pg=<pool>.<hex> osds=[a,b,c]", line)
        if not m:
            continue
        check(m.group(1) == key, "line starts with the key", line)
        check(int(m.group(2), 16) < 128, "pg below pg_num 128", line)
        osds = [int(m.group(i)) for i in (3, 4, 5)]
        check(all(o in LOCAL_HOST for o in osds), "OSDs exist", line)
        check(len({LOCAL_HOST.get(o) for o in osds}) == 3, "replicas on three distinct hosts", line)
    rc2, out2, _ = run("map", "object", "--config", LOCAL, "--pool", "data", *keys)
    check(rc2 == 0 and out2 == out, "deterministic", out2)
    rc, out, _ = run("map", "object", "--config", LOCAL, keys[0])
    check(rc == 0 and out == lines[0] + "\n", "--pool defaults to data", out)
    rc, out, _ = run("map", "object", "--config", LOCAL, "--pool", "meta", keys[0])
    check(rc == 0 and " pg=meta." in out, "other pools", out)


def test_test_plain():
    rc, out, err = run("map", "test", "--config", LOCAL, "--pool", "data")
    check(rc == 0, "map test exits 0", err)
    check("pool data: pg_num 128, size 3" in out, "header names pool", out)
    counts = {int(m.group(1)): int(m.group(2)) for m in re.finditer(
        r"^\s+(\d+)\s+host-\w\s+[\d.]+\s+(\d+)\s", out, re.M)}
    check(sorted(counts) == [0, 1, 2, 3, 4, 5], "a row per OSD", out)
    check(sum(counts.values()) == 128 * 3, "every replica counted", str(counts))
    # 3 hosts, size 3: every host holds every PG, so the two OSDs of a host share 128.
    for a, b in ((0, 1), (2, 3), (4, 5)):
        check(counts.get(a, 0) + counts.get(b, 0) == 128, f"host of osd {a} holds every PG", out)
    check(re.search(r"stddev [\d.]+, binomial ideal [\d.]+", out) is not None, "stddev line", out)

    rc, out, err = run("map", "test", "--config", THREE, "--json")
    check(rc == 0, "json exits 0", err)
    doc = json.loads(out)
    names = [p["pool"] for p in doc["pools"]]
    check(names[:3] == ["data", "index", "meta"], "every pool tested", str(names))
    for p in doc["pools"]:
        check(sum(o["count"] for o in p["osds"]) == p["replicas"] == p["pg_num"] * p["size"],
              "json counts add up", p["pool"])
        check(abs(sum(o["ideal"] for o in p["osds"]) - p["replicas"]) < 1e-6,
              "ideals add up", p["pool"])


def test_test_changes():
    rc, out, err = run("map", "test", "--config", LOCAL, "--pool", "data", "--json",
                       "--out", "3")
    check(rc == 0, "--out exits 0", err)
    p = json.loads(out)["pools"][0]
    after = {o["id"]: o for o in p["after"]["osds"]}
    before = {o["id"]: o for o in p["osds"]}
    check(after[3]["count"] == 0 and not after[3]["in"], "out OSD holds nothing", str(after[3]))
    check(p["moved"] == before[3]["count"], "--out moves exactly the out OSD's replicas",
          f"moved {p['moved']} vs {before[3]['count']}")
    check(p["optimal"] > 0 and p["ratio"] <= 1.2, "--out ratio <= 1.2", str(p["ratio"]))

    rc, out, err = run("map", "test", "--config", THREE, "--pool", "data", "--json",
                       "--add-osd", "new-host:1", "--add-osd", "new-host:1")
    check(rc == 0, "--add-osd on a new host exits 0", err)
    p = json.loads(out)["pools"][0]
    new = [o for o in p["after"]["osds"] if o["host"] == "new-host"]
    check(len(new) == 2 and all(o["count"] > 0 for o in new), "new host takes data", str(new))
    check(p["moved"] >= p["optimal"] > 0, "moved >= optimal", str(p))
    check(p["ratio"] <= 1.2, "adding a host moves <= 1.2x optimal", str(p["ratio"]))

    rc, out, _ = run("map", "test", "--config", THREE, "--pool", "data", "--reweight", "0:2",
                     "--in", "0")
    check(rc == 0 and re.search(r"moved \d+ of \d+ PG replicas .* ratio [\d.]+", out) is not None,
          "text output reports movement", out)


def test_errors():
    rc, _, err = run("map", "object", "--config", LOCAL, "--pool", "nope", "k")
    check(rc == 2 and "no pool 'nope'" in err and "data" in err, "unknown pool lists pools", err)
    rc, _, err = run("map", "object", "--pool", "data", "k")
    check(rc == 2 and "--config" in err, "missing --config", err)
    rc, _, err = run("map", "test", "--config", LOCAL, "--out", "99")
    check(rc == 2 and "no OSD" in err, "unknown OSD id", err)
    rc, _, err = run("map", "test", "--config", LOCAL, "--add-osd", "host-a")
    check(rc == 2 and "HOST:WEIGHT" in err, "bad --add-osd", err)
    rc, _, err = run("map", "frobnicate")
    check(rc == 2 and "unknown 'map' subcommand" in err, "unknown subcommand", err)
    rc, _, err = run("map", "test", "--config", "/nonexistent/tern.yaml")
    check(rc == 2 and "/nonexistent/tern.yaml" in err, "missing file named", err)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("cluster:\n  name: x\n  idd: 1\n")
        bad = f.name
    try:
        rc, _, err = run("map", "test", "--config", bad)
        check(rc == 2 and re.search(re.escape(bad) + r":3:\d+:", err) is not None,
              "config errors carry file:line:column", err)
    finally:
        os.unlink(bad)


for t in (test_object, test_test_plain, test_test_changes, test_errors):
    t()
sys.exit(done())
