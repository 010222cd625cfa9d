#!/usr/bin/env python3
"""CLI tests for `ternctl cluster init`: the written file loads with `ternctl config check`,
holds fresh random ids and keys, is never replaced without --force, and bad flags are refused
before anything is written.

Usage: test_ternctl_init.py TERNCTL. Stdlib only; prints "N passed, N failed".
"""
import os
import re
import stat
import subprocess
import sys
import tempfile

from ternt import check, done

TERNCTL = sys.argv[1]
HOSTS = ["--host", "srv1=10.0.0.11", "--host", "srv2=10.0.0.12", "--host", "srv3=10.0.0.13"]


def run(*args):
    p = subprocess.run([TERNCTL, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def field(text, key):
    m = re.search(rf"^\s*{key}: (\S+)$", text, re.M)
    return m.group(1) if m else None


def osds(cfg):
    rc, out, err = run("config", "osds", "--config", cfg)
    check(rc == 0, "config osds", err)
    return [l.split(" ", 3) for l in out.splitlines()]


def test_basic(d):
    out_path = os.path.join(d, "c.yaml")
    rc, out, err = run("cluster", "init", "--name", "prod", *HOSTS, "--disks-per-host", "2",
                       "--out", out_path)
    check(rc == 0, "init exits 0", err)
    rc2, out2, err2 = run("config", "check", "--config", out_path)
    check(rc2 == 0 and "3 hosts, 6 osds, 3 pools" in out2, "the file passes config check",
          out2 + err2)
    text = open(out_path).read()
    check(stat.S_IMODE(os.stat(out_path).st_mode) == 0o600, "mode 600")
    cid, key = field(text, "id"), field(text, "key")
    check(cid and re.fullmatch(r"[0-9a-f]{32}", cid), "cluster id: 32 hex digits", cid)
    check(key and re.fullmatch(r"[0-9a-f]{64}", key), "cluster key: 64 hex digits", key)
    ak, sk = field(text, "- access_key"), field(text, "secret_key")
    check(ak and re.fullmatch(r"TERN[A-Z0-9]{16}", ak), "access key TERN + 16", ak)
    check(sk and re.fullmatch(r"[A-Za-z0-9]{40}", sk), "secret key: 40 alphanumerics", sk)
    check(out.count(key) == 1 and f"access key: {ak}" in out and f"secret key: {sk}" in out,
          "key printed once, credentials printed", out)
    check(f"id {cid}" in out, "id printed")
    check("install -d -o tern -g tern -m 700 /var/lib/tern/osd.2 /var/lib/tern/osd.3 "
          "/var/lib/tern/tmp\n  systemctl enable --now tern-osd@2 tern-osd@3 tern-gateway" in out,
          "per-host commands for srv2", out)
    check("curl -fsS http://10.0.0.13:9000/health/ready" in out, "health check per host", out)
    check(text.startswith("# c.yaml — written by `ternctl cluster init`:\n#   ternctl cluster "
                          "init --name prod --host srv1=10.0.0.11"), "command line recorded",
          text[:200])
    o = osds(out_path)
    check([x[:3] for x in o] == [["0", "srv1", "10.0.0.11:7001"], ["1", "srv1", "10.0.0.11:7002"],
                                 ["2", "srv2", "10.0.0.12:7001"], ["3", "srv2", "10.0.0.12:7002"],
                                 ["4", "srv3", "10.0.0.13:7001"], ["5", "srv3", "10.0.0.13:7002"]],
          "OSDs numbered host by host on consecutive ports", o)
    check(re.search(r"name: data\n    pg_num: 256\n    size: 3\n    write_quorum: 2\n"
                    r"    read_quorum: 2", text) is not None, "data pool: 256 PGs, 3/2/2", text)
    # never replaced without --force; replaced (with new secrets) with it
    before = open(out_path).read()
    rc, _, err = run("cluster", "init", "--name", "prod", *HOSTS, "--disks-per-host", "2",
                     "--out", out_path)
    check(rc == 2 and "exists" in err and "--force" in err, "existing file refused", err)
    check(open(out_path).read() == before, "existing file unchanged")
    rc, _, err = run("cluster", "init", "--name", "prod", *HOSTS, "--disks-per-host", "2",
                     "--out", out_path, "--force")
    after = open(out_path).read()
    check(rc == 0 and field(after, "id") != cid and field(after, "key") != key,
          "--force replaces, with a new id and key", err)
    check(not [f for f in os.listdir(d) if ".tmp." in f], "no temp files left")


def test_osd_paths(d):
    out_path = os.path.join(d, "p.yaml")
    weird = '/srv/disk "1"\\x'
    rc, out, err = run("cluster", "init", "--name", "two", "--host", "a=a.example",
                       "--host", "b=b.example", "--osd", f"b:/srv/b1", "--osd", f"a:{weird}",
                       "--osd", "a:/srv/a2", "--replicas", "2", "--osd-port", "8000",
                       "--gateway-listen", "127.0.0.1:9100", "--pg-num", "64", "--out", out_path)
    check(rc == 0, "--osd form exits 0", err)
    o = osds(out_path)
    check([x[:3] for x in o] == [["0", "b", "b.example:8000"], ["1", "a", "a.example:8000"],
                                 ["2", "a", "a.example:8001"]], "--osd order and ports", o)
    check(len(o) == 3 and o[1][3] == weird, "a path with quotes and a backslash survives", o)
    text = open(out_path).read()
    check("pg_num: 64\n    size: 2" in text, "--pg-num and --replicas", text)
    check("curl -fsS http://127.0.0.1:9100/health/ready" in out and "a.example:9100" not in out,
          "a non-wildcard listen address is printed as is", out)


def test_refusals(d):
    out_path = os.path.join(d, "bad.yaml")
    cases = [
        (["--name", "x", *HOSTS, "--out", out_path], "--disks-per-host N or --osd"),
        (["--name", "x", "--disks-per-host", "1", "--out", out_path], "required"),
        (["--name", "x", "--host", "a", "--disks-per-host", "1", "--out", out_path], "NAME=ADDR"),
        (["--name", "x", "--host", "a=1", "--host", "a=2", "--disks-per-host", "1", "--out",
          out_path], "given twice"),
        (["--name", "x", *HOSTS, "--osd", "srv1:/d", "--osd", "srv2:/d", "--out", out_path],
         "host 'srv3' has no OSD"),
        (["--name", "x", *HOSTS, "--osd", "nohost:/d", "--out", out_path], "not given with --host"),
        (["--name", "x", *HOSTS[:4], "--disks-per-host", "2", "--out", out_path],
         "--replicas 3 needs at least 3 hosts"),
        (["--name", "x", *HOSTS, "--disks-per-host", "0", "--out", out_path], "from 1 to 64"),
        (["--name", "x", *HOSTS, "--disks-per-host", "2", "--osd-port", "65535", "--out",
          out_path], "no port"),
        (["--name", "x", *HOSTS, "--disks-per-host", "1", "--bogus", "--out", out_path],
         "unexpected argument"),
    ]
    for args, want in cases:
        rc, out, err = run("cluster", "init", *args)
        check(rc == 2 and want in err, f"refused: {want}", f"rc={rc} {err}")
    # values the flags do not check go through the config loader: located errors, no file
    rc, out, err = run("cluster", "init", "--name", "Bad_Name", *HOSTS, "--disks-per-host", "1",
                       "--out", out_path)
    check(rc == 2 and re.search(r"bad\.yaml:\d+:\d+: cluster\.name", err) is not None,
          "invalid name: FILE:LINE:COL error from the loader", err)
    rc, out, err = run("cluster", "init", "--name", 'x"\ncluster: {name: y', *HOSTS,
                       "--disks-per-host", "1", "--out", out_path)
    check(rc == 2, "a name with a quote and a newline cannot inject YAML", err)
    rc, out, err = run("cluster", "init", "--name", "x", "--host", "a=300.1.1.1", "--host",
                       "b=b", "--host", "c=c", "--disks-per-host", "1", "--out", out_path)
    check(rc == 2 and "300.1.1.1" in err, "bad address: loader error", err)
    check(not os.path.exists(out_path), "nothing written by refused runs")
    rc, out, _ = run("cluster", "init", "--help")
    check(rc == 0 and "--disks-per-host" in out, "--help")
    rc, out, _ = run("--help")
    check(rc == 0 and "cluster" in out, "ternctl --help lists cluster")


def main():
    with tempfile.TemporaryDirectory(prefix="tern-init-") as d:
        test_basic(d)
        test_osd_paths(d)
        test_refusals(d)
    return done()


if __name__ == "__main__":
    sys.exit(main())
