#!/usr/bin/env python3
"""Self-healing after a whole host was down (issue 6, fault test 2): both OSDs of one simulated
host are killed with SIGKILL while a mixed workload (PUT inline and multi-chunk, overwrite,
DELETE) runs through boto3; every acknowledged write reads back meanwhile; after both restart,
every PG is clean within a bound and both OSDs hold exactly the rows and blobs of the other
replicas of their PGs. A frozen peer during the catch-up (SIGSTOP on another host's OSD) only
delays it.

Usage: test_heal_host.py TERN_OSD TERN_GATEWAY TERNCTL [N].
"""
import sys
import time

from healt import Workload, check_replicas_equal, status, wait_clean
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 60
CLEAN_BOUND = 60


def main():
    with Cluster(OSD, GW, top_yaml="osd: {recovery_interval: 3600}", name="tern-heal-host") as c:
        s3 = c.s3(retries=3)
        s3.create_bucket(Bucket="host")
        w = Workload(s3, "host", seed=2)
        w.mixed("before", N // 3)
        host = 1
        c.kill_host(host)
        st = status(CTL, c)
        check(st is not None and st["osds_up"] == 4, "status: two OSDs down",
              str(st and st["osds_up"]))
        check(st is not None and st["pgs"]["unavailable"] == 0 and st["pgs"]["degraded"] > 0,
              "one host down: PGs degraded, none unavailable", str(st and st["pgs"]))
        w.mixed("during", N)
        check(w.verify(what="host b down") == 0, "every acknowledged write reads back while a "
              "host is down")
        t0 = time.time()
        c.start_host(host)
        t, st = wait_clean(CTL, c, CLEAN_BOUND)
        check(t is not None, f"every PG clean within {CLEAN_BOUND} s after the host returns",
              str(st and st["pgs"]))
        if t is not None:
            print(f"time to clean after host {host} returned ({N} objects written while it was "
                  f"down): {t:.1f} s")
        pgs, held = check_replicas_equal(CTL, c, c.host_osds(host), "after the host returned")
        check(pgs > 0 and held > 0, "the host's PGs were compared", f"{pgs} {held}")
        check(w.verify(what="after repair") == 0, "every acknowledged write reads back")

        # a second round: the host goes down again, and while it returns an OSD of another
        # host is frozen for a few seconds
        c.kill_host(host)
        w.mixed("again", N // 2)
        c.start_host(host)
        c.freeze_osd(4)
        time.sleep(4)
        c.thaw_osd(4)
        t, st = wait_clean(CTL, c, CLEAN_BOUND)
        check(t is not None, "clean again after a host outage with a frozen peer",
              str(st and st["pgs"]))
        check_replicas_equal(CTL, c, c.host_osds(host), "after the second outage")
        check(w.verify(what="after the second outage") == 0, "every acknowledged write reads "
              "back after the second outage")
        print(f"host test: {time.time() - t0:.1f} s")
    return done()


if __name__ == "__main__":
    sys.exit(main())
