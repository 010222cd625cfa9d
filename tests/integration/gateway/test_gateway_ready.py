#!/usr/bin/python3
"""/health/ready on a real local cluster (gateway/gw_health.h): 200 while a quorum of hosts
answers, 503 when it does not, 200 again after the OSDs come back; the same on two gateways.

Usage: test_gateway_ready.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
"""
import sys
import time
import urllib.error
import urllib.request

from ternt import check, done
from ternt_cluster import Cluster

OSD, GW = sys.argv[1], sys.argv[2]


def ready(c, g=0, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{c.gw_ports[g]}/health/ready", method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_ready(c, want, g=0, secs=10.0, text=""):
    """Polls until /health/ready answers `want` with `text` in the body (bounded); returns the
    last (status, body). Each loop thread caches its result for up to 1 s (GW_HEALTH_FRESH_MS),
    so a change shows within about a second."""
    end = time.time() + secs
    st = ready(c, g)
    while (st[0] != want or text not in st[1]) and time.time() < end:
        time.sleep(0.2)
        st = ready(c, g)
    return st


def main():
    with Cluster(OSD, GW, gateways=2, name="tern-ready") as c:
        for g in (0, 1):
            st, body = wait_ready(c, 200, g)
            check(st == 200 and body.startswith("ready: epoch 1, 6/6 OSDs answering on 3 hosts"),
                  f"gateway {g}: ready with every OSD up", f"{st} {body!r}")
        st, body = ready(c, 0, "HEAD")
        check(st == 200 and body == "", "HEAD: 200, no body", f"{st} {body!r}")

        s3 = c.s3()
        s3.create_bucket(Bucket="ready1")  # needs every replica (rule 11): before the kill
        c.kill_host(2)
        time.sleep(1.1)  # past the cached result (GW_HEALTH_FRESH_MS)
        st, body = ready(c)
        check(st == 200 and "4/6 OSDs answering on 2 hosts" in body,
              "one host down: still ready (quorum 2 of 3)", f"{st} {body!r}")
        s3.put_object(Bucket="ready1", Key="k", Body=b"x" * 100)
        check(s3.get_object(Bucket="ready1", Key="k")["Body"].read() == b"x" * 100,
              "and it serves: put and get with one host down")

        c.kill_host(1)
        st, body = wait_ready(c, 503)
        check(st == 503 and "pool data needs 2 hosts with an answering OSD" in body,
              "two hosts down: 503 naming the missing quorum", f"{st} {body!r}")

        c.kill_host(0)
        for g in (0, 1):
            t0 = time.time()
            st, body = wait_ready(c, 503, g, text="0/6 OSDs answering")
            check(st == 503 and "0/6 OSDs answering" in body, f"gateway {g}: all OSDs down: 503",
                  f"{st} {body!r}")
            check(time.time() - t0 < 5, f"gateway {g}: the check answers quickly when down",
                  f"{time.time() - t0:.1f}s")
        time.sleep(1.1)  # every thread's cached result is older than GW_HEALTH_FRESH_MS now
        st, body = ready(c, 0, "HEAD")
        check(st == 503 and body == "", "HEAD: 503, no body", f"{st} {body!r}")

        for h in range(3):
            c.start_host(h)
        for g in (0, 1):
            st, body = wait_ready(c, 200, g, text="6/6 OSDs answering")
            check(st == 200 and "6/6 OSDs answering" in body,
                  f"gateway {g}: ready again after the OSDs restart", f"{st} {body!r}")

        # a frozen (SIGSTOP) host does not answer PINGs: it counts as down within a round
        c.freeze_osd(0)
        c.freeze_osd(1)
        c.freeze_osd(2)
        c.freeze_osd(3)
        st, body = wait_ready(c, 503)
        check(st == 503, "two frozen hosts: 503", f"{st} {body!r}")
        for i in range(4):
            c.thaw_osd(i)
        st, body = wait_ready(c, 200)
        check(st == 200, "thawed: ready again", f"{st} {body!r}")
    return done()


if __name__ == "__main__":
    sys.exit(main())
