#!/usr/bin/env python3
"""A moving PG completes while it is written (DESIGN rule 3; PG_DIGEST cut-off).

Usage: test_heal_hotpg.py TERN_OSD TERN_GATEWAY TERNCTL

All of a bucket's index rows live in one index PG. WRITERS threads PUT small objects into ONE
bucket at ~60/s together without pause; `ternctl osd out` of a holder of that PG makes it move. The
holders are asked for their digests one after another, so without a common cut-off (every
holder's digest as of the same HLC, 2 s ago) a write lands between two answers, the digests
never agree and the move never completes while the writes go on. Asserts: the hot PG moved off
the out OSD and every move left the map within BOUND seconds WHILE the writer still wrote (its
rate over the wait stays above MIN_RATE), no write failed, and every acknowledged key is
listed and a sample reads back. Processes are stopped by PID (Cluster).
"""
import sqlite3
import subprocess
import sys
import threading
import time

from healt import status
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
BUCKET = "hot"
RATE = 20.0  # PUTs per second each writer aims at
WRITERS = 3
MIN_RATE = 15.0  # what it must still achieve while the move completes (a loaded 2-core machine)
BOUND = 90.0  # seconds for the move to complete under load


class Writer(threading.Thread):
    def __init__(self, s3, wid):
        super().__init__(daemon=True)
        self.s3, self.wid = s3, wid
        self.stop = threading.Event()
        self.acked = []
        self.errors = []

    def run(self):
        n = 0
        t0 = time.time()
        while not self.stop.is_set():
            key = f"k{self.wid}-{n:06d}"
            try:
                self.s3.put_object(Bucket=BUCKET, Key=key, Body=f"v{n}".encode() * 10)
                self.acked.append(key)
            except Exception as e:  # noqa: BLE001 - recorded and asserted on
                self.errors.append((key, str(e)[:160]))
            n += 1
            ahead = t0 + n / RATE - time.time()
            if ahead > 0:
                time.sleep(ahead)


def hot_pg(c):
    """(pool, pg) holding the most rows, and the OSDs that hold rows of it."""
    counts = {}
    for i in range(c.n_osds):
        db = sqlite3.connect(f"file:{c.tmp}/osd.{i}/index.db?mode=ro", uri=True, timeout=10)
        try:
            for pool, pg, n in db.execute("SELECT pool, pg, COUNT(*) FROM rows GROUP BY pool, pg"):
                counts.setdefault((pool, pg), {})[i] = n
        finally:
            db.close()
    best = max(counts, key=lambda k: max(counts[k].values()))
    return best, sorted(counts[best])


def main():
    top = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 16M}"
    with Cluster(OSD, GW, top_yaml=top, name="tern-hotpg") as c:
        s3 = c.s3(retries=1, read_timeout=60)
        s3.create_bucket(Bucket=BUCKET)
        ws = [Writer(c.s3(retries=1, read_timeout=60), i) for i in range(WRITERS)]
        for w in ws:
            w.start()
        time.sleep(4)
        (pool, pg), holders = hot_pg(c)
        check(len(holders) >= 2, f"the bucket's index PG {pool}.{pg} found on its holders",
              str(holders))
        out = holders[0]
        r = subprocess.run([CTL, "osd", "out", str(out), "--config", c.config],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"ternctl osd out {out} (a holder of hot PG {pool}.{pg})",
              r.stdout + r.stderr)
        st = status(CTL, c, pgs=True)
        moving = [p for p in (st or {}).get("pg_list", [])
                  if p["pool"] == pool and p["pg"] == pg and p["backfilling"]]
        check(len(moving) == 1, "the hot PG moves", str(moving))
        n0, t0 = sum(len(w.acked) for w in ws), time.time()
        took = None
        while time.time() - t0 < BOUND:
            st = status(CTL, c, pgs=True)
            if st and st["pgs"]["backfilling"] == 0:
                took = time.time() - t0
                break
            time.sleep(1)
        n1, t1 = sum(len(w.acked) for w in ws), time.time()
        alive = all(w.is_alive() for w in ws)
        for w in ws:
            w.stop.set()
        for w in ws:
            w.join(60)
        acked = [k for w in ws for k in w.acked]
        errors = [e for w in ws for e in w.errors]
        rate = (n1 - n0) / (t1 - t0)
        print(f"hot PG {pool}.{pg} (holders {holders}, osd.{out} out): moves "
              f"{'complete after %.1f s' % took if took is not None else 'NOT complete'} "
              f"under {rate:.1f} PUT/s; {len(acked)} PUTs acknowledged")
        check(took is not None, f"every move (the hot PG's too) completed within {BOUND:.0f} s "
              "while the bucket was written", str(st and st["pgs"]))
        check(alive and rate >= MIN_RATE, f"the writer kept writing during the move "
              f"({rate:.1f} PUT/s >= {MIN_RATE})", "")
        hot = [p for p in st["pg_list"] if p["pool"] == pool and p["pg"] == pg]
        check(len(hot) == 1 and out not in hot[0]["osds"], f"the hot PG left osd.{out}",
              str(hot))
        check(not errors, "no write failed", str(errors[:5]))
        listed = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update(o["Key"] for o in page.get("Contents", []))
        missing = [k for k in acked if k not in listed]
        check(not missing, f"every acknowledged key is listed ({len(acked)})", str(missing[:5]))
        bad = []
        for k in acked[::max(1, len(acked) // 100)]:
            n = int(k.split("-")[1])
            if s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() != f"v{n}".encode() * 10:
                bad.append(k)
        check(not bad, "a sample of the acknowledged keys reads back", str(bad[:5]))
    sys.exit(done())


main()
