#!/usr/bin/env python3
"""`tools/dev up | status | down` on a generated cluster config (free loopback ports, temp dir).

Usage: test_dev_cluster.py SOURCE_DIR BUILD_DIR. Checks that `up` starts 6 OSDs and a gateway
and writes the credentials, that `up` again restarts exactly a killed OSD, that `status` tells
the truth in its output and exit code, and that `down` stops everything. Prints
"N passed, N failed"; cleans up every process it started by PID, also on failure.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from ternt import check, done, free_ports

import boto3
from botocore.config import Config

SRC, BUILD = sys.argv[1], sys.argv[2]
DEV = os.path.join(SRC, "tools/dev")


def dev(env, *args):
    p = subprocess.run([DEV, *args], env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def pids(data):
    out = {}
    run = os.path.join(data, "run")
    for f in os.listdir(run) if os.path.isdir(run) else []:
        with open(os.path.join(run, f)) as fh:
            out[f[:-4]] = int(fh.read().strip() or 0)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="tern-dev-test-")
    ports = free_ports(7)
    cfg = os.path.join(tmp, "cluster.yaml")
    with open(cfg, "w") as f:
        f.write("cluster: {name: devtest, id: 00112233445566778899aabbccddeeff}\n")
        f.write("hosts: [{name: a}, {name: b}, {name: c}]\nosds:\n")
        for i in range(6):
            f.write(f"  - {{id: {i}, host: {'abc'[i // 2]}, addr: 127.0.0.1:{ports[i]}, "
                    f"data: {tmp}/osd.{i}}}\n")
        f.write(f"gateway:\n  listen: [\"127.0.0.1:{ports[6]}\"]\n  tmp_dir: {tmp}/gwtmp\n"
                "  credentials:\n    - {access_key: TERNDEVTESTKEY000001, "
                "secret_key: dev-test-secret-0123456789}\n")
    data = os.path.join(tmp, "dev")
    env = dict(os.environ, TERN_DEV_CONFIG=cfg, TERN_DEV_DATA=data, TERN_DEV_BUILD=BUILD,
               TERN_DEV_NO_BUILD="1")
    try:
        rc, out = dev(env, "up")
        check(rc == 0, "up exits 0", out)
        check(f"http://127.0.0.1:{ports[6]}" in out and "TERNDEVTESTKEY000001" in out,
              "up prints endpoint and access key", out)
        started = pids(data)
        check(sorted(started) == ["gateway"] + [f"osd.{i}" for i in range(6)],
              "a pid file per daemon", str(started))
        with open(os.path.join(data, "credentials")) as fh:
            cred = fh.read()
        check(cred.startswith("[tern]\n") and "aws_secret_access_key = dev-test-secret-0123456789"
              in cred, "credentials file, profile tern", cred)
        with open(os.path.join(data, "env")) as fh:
            envf = fh.read()
        check(f"export AWS_ENDPOINT_URL=http://127.0.0.1:{ports[6]}" in envf, "env file", envf)
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[6]}/health/live", timeout=5) as r:
            check(r.status == 200, "gateway answers")
        rc, out = dev(env, "status")
        check(rc == 0 and out.count("running") == 7, "status: all running", out)
        st = subprocess.run([os.path.join(BUILD, "tools", "ternctl"), "status", "--json",
                             "--config", cfg], capture_output=True, text=True, timeout=30)
        osds = json.loads(st.stdout).get("osds", []) if st.returncode == 0 else []
        check(len(osds) == 6 and all(o.get("incarnation_recorded") for o in osds),
              "up recorded every OSD's data-directory identity in the map (rule 4)",
              st.stdout[-2000:] + st.stderr)
        # that map change (epoch 2) happened under the running gateway: a bucket create, which
        # must reach every replica (rule 11), has to follow it on its first attempt
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{ports[6]}",
                          aws_access_key_id="TERNDEVTESTKEY000001",
                          aws_secret_access_key="dev-test-secret-0123456789",
                          region_name="us-east-1",
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        try:
            s3.create_bucket(Bucket="after-map-change")
            created = "ok"
        except Exception as e:  # noqa: BLE001 - the message is the check's detail
            created = str(e)
        check(created == "ok", "CreateBucket right after the map changed under the gateway",
              created)

        victim = started["osd.3"]
        os.kill(victim, signal.SIGKILL)
        for _ in range(50):
            if not os.path.exists(f"/proc/{victim}") or open(f"/proc/{victim}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.1)
        rc, out = dev(env, "status")
        check(rc != 0 and re.search(r"osd\.3\s+stopped", out), "status sees the killed OSD", out)
        rc, out = dev(env, "up")
        check(rc == 0 and "started osd.3" in out, "up restarts the killed OSD", out)
        check(out.count("already running") == 6, "and leaves the others alone", out)
        check(pids(data)["osd.0"] == started["osd.0"], "same pid for a running OSD")

        rc, out = dev(env, "down")
        check(rc == 0 and out.count("stopped") == 7, "down stops all seven", out)
        rc, out = dev(env, "status")
        check(rc != 0 and out.count("stopped") == 7, "status: all stopped", out)
    finally:
        for pid in pids(data).values():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        subprocess.run(["rm", "-rf", tmp])
    return done()


sys.exit(main())
