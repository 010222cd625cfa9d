#!/usr/bin/env python3
"""Self-healing after a restart (issue 6, fault tests 1 and 7): a real cluster of 6 tern-osd
(3 hosts x 2) and a tern-gateway on loopback, driven with boto3.

 1. kill -9 one OSD; PUT (inline and multi-chunk), overwrite and DELETE while it is down; every
    acknowledged write reads back; restart it: within a bound every PG is clean (ternctl status
    --json) and the restarted OSD holds exactly the rows and blobs of the other replicas of
    each of its PGs (read from the data directories), tombstones included.
 2. Stop the whole cluster (SIGTERM) and start it again: every acknowledged write reads back,
    deleted keys stay deleted, every PG is clean.

Usage: test_heal_restart.py TERN_OSD TERN_GATEWAY TERNCTL [N]. Prints the time to clean.
"""
import signal
import sys
import time

from healt import Workload, check_replicas_equal, osd_stats, status, wait_clean
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 60
CLEAN_BOUND = 60
RATE = 32 << 20  # recovery_max_bytes_per_sec below


def main():
    # recovery_interval is long: the catch-up below comes from the restart and the peers
    # seeing the OSD come back, not from the periodic pass.
    yaml = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 32M}"
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-heal") as c:
        s3 = c.s3(retries=3)
        s3.create_bucket(Bucket="heal")
        w = Workload(s3, "heal", seed=1)
        w.mixed("before", N // 3)
        t, st = wait_clean(CTL, c, 30)
        check(t is not None, "clean before the fault", str(st and st["pgs"]))

        victim = 0
        c.kill_osd(victim)
        st = status(CTL, c)
        check(st is not None and st["osds_up"] == 5 and st["pgs"]["degraded"] > 0,
              "status: one OSD down, PGs degraded", str(st and st["pgs"]))
        w.mixed("during", N)
        check(w.verify(what="while osd.0 is down") == 0, "every acknowledged write reads back "
              "while an OSD is down")
        st = status(CTL, c)
        check(st is not None and st["health"] != "HEALTH_OK", "status is not OK with a dead OSD",
              str(st and st["health"]))

        t0 = time.time()
        c.start_osd(victim)
        t, st = wait_clean(CTL, c, CLEAN_BOUND)
        elapsed = time.time() - t0
        moved = osd_stats(CTL, c, victim).get("recovery_bytes", -1)
        # the token bucket: at most RATE bytes/s plus its 100 ms burst, over a time that
        # began before the OSD did
        check(0 < moved <= RATE * elapsed + RATE / 10, "repair traffic of the restarted OSD "
              "stays within recovery_max_bytes_per_sec", f"{moved} bytes in {elapsed:.2f} s")
        check(t is not None, f"every PG clean within {CLEAN_BOUND} s of the restart",
              str(st and st["pgs"]))
        if t is not None:
            print(f"time to clean after restarting osd.{victim} with {N} objects written while "
                  f"it was down: {t:.1f} s; it moved {moved / 2**20:.1f} MiB "
                  f"({moved / 2**20 / max(elapsed, 0.001):.1f} MiB/s, limit {RATE >> 20} MiB/s)")
        check(st is not None and st["health"] == "HEALTH_OK", "health OK again",
              str(st and st["health"]))
        check(st is not None and st["recovery"]["blobs_pulled"] + st["recovery"]["rows_pulled"] +
              st["recovery"]["rows_pushed"] > 0, "repair moved rows and blobs",
              str(st and st["recovery"]))
        pgs, held = check_replicas_equal(CTL, c, [victim], "after restart")
        check(pgs > 0 and held > 0, "the restarted OSD's PGs were compared", f"{pgs} {held}")
        check(w.verify(what="after repair") == 0, "every acknowledged write reads back after repair")
        # the restarted OSD can now stand in for a replica: stop another OSD of its host's peers
        c.kill_osd(2)
        check(w.verify(what="osd.2 down after repair") == 0,
              "reads succeed with another OSD down after the repair")
        c.start_osd(2)
        t, st = wait_clean(CTL, c, CLEAN_BOUND)
        check(t is not None, "clean again after osd.2 restarts", str(st and st["pgs"]))
        print(f"repair: {time.time() - t0:.1f} s in all")

        # 2. the whole cluster stops and starts again
        for g in ["gw"] + [f"osd.{i}" for i in range(c.n_osds)]:
            c.kill(g, signal.SIGTERM)
        c.start()
        s3 = c.s3(retries=3)
        w.s3 = s3
        check(w.verify(what="after a full restart") == 0,
              "every acknowledged write reads back after a full restart")
        t, st = wait_clean(CTL, c, CLEAN_BOUND)
        check(t is not None, "every PG clean after a full restart", str(st and st["pgs"]))
        check(sum(1 for k in w.deleted) > 0 and len(w.live) > N // 2,
              "the workload had deletes and live objects", f"{len(w.deleted)} {len(w.live)}")
    return done()


if __name__ == "__main__":
    sys.exit(main())
