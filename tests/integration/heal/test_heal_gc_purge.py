#!/usr/bin/env python3
"""Garbage collection, the rows it leaves behind (issue 6; DESIGN.md rules 1 and 5): a real
cluster of 6 tern-osd (3 hosts x 2) and a tern-gateway on loopback, boto3, ternctl; GC runs only
when kicked, with a test-short intent TTL, grace and GONE-row age.

 1. GONE rows are purged once every holder of the chunk's PG has the row and none holds the blob,
    and they are older than gc_gone_age. An OSD holding chunks of a collected version is down
    during the collection: the up holders lose the blobs and keep their GONE rows while it is
    down (it cannot answer); the GONE rows of the PGs it does not hold are purged. When it
    returns, repair does not pull the collected blobs back from it, the collector deletes its
    copies, and the remaining GONE rows are purged; after one more repair pass nothing came back.
 2. A deleted bucket leaves nothing: objects overwritten, an aborted upload, an abandoned upload
    with a part, an upload without parts, a completed upload, then every object deleted and the
    bucket deleted. After TTL + grace + GONE age, no blob file of the bucket's data and no index
    row of its id (heads, tombstones, uploads, parts, intents) nor GONE row of its data versions
    is left on any OSD. A bucket created again under the same name gets a new id and works. With
    an index replica of a deleted bucket down nothing of that bucket is collected; when it
    returns everything goes and nothing comes back.

Usage: test_heal_gc_purge.py TERN_OSD TERN_GATEWAY TERNCTL
"""
import os
import random
import sqlite3
import struct
import sys
import time

from gct import data_blobs, gc_until, intent_holders, kick, vids
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
TTL, GRACE, GONE_AGE = 6, 2, 5
MB = 1 << 20
rng = random.Random(61)


def db_ns(ns):
    """osd_index.c stores ns biased, as int64."""
    v = ns ^ (1 << 63)
    return v - (1 << 64) if v >= 1 << 63 else v


GONE_NS = db_ns(0x474F4E45424C4F42)
INTENTS_NS = db_ns(0x494E54454E545321)
UPLOADS_XOR = 0x55504C4F41445321
PARTS_XOR = 0x5041525453212121


def query(c, i, sql, args=()):
    path = os.path.join(c.tmp, f"osd.{i}", "index.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def gone_rows(c, vset, osds=None):
    """(osd, pool, pg, key hex) of every GONE row of the data vids in vset (hex)."""
    out = set()
    for i in range(c.n_osds) if osds is None else osds:
        for (pool, pg, key) in query(c, i, "SELECT pool, pg, key FROM rows WHERE ns=?",
                                     (GONE_NS,)):
            k = bytes(key)
            if k[:16].hex() in vset:
                out.add((i, pool, pg, k.hex()))
    return out


def files_of(c, vset, osds=None):
    return {x for x in data_blobs(c, osds) if x[2].split(".")[0] in vset}


def new_vids(c, f):
    s0 = data_blobs(c)
    f()
    return vids(data_blobs(c) - s0)


def phase_gone(c):
    s3 = c.s3(retries=3)
    s3.create_bucket(Bucket="gone")
    victim = v = None
    for attempt in range(6):
        v = new_vids(c, lambda: s3.put_object(Bucket="gone", Key=f"k{attempt}",
                                              Body=rng.randbytes(29 * MB)))
        idx = intent_holders(c, next(iter(v)))
        files = files_of(c, v)
        pgs = {d for (_, d, _) in files}
        cands = sorted(o for o in range(c.n_osds) if o not in idx and
                       0 < len({d for (i, d, _) in files if i == o}) < len(pgs))
        if cands:
            victim, key = cands[0], f"k{attempt}"
            break
    check(victim is not None, "found an OSD holding some (not all) chunks of a version and no "
                              "index replica of it")
    up = [i for i in range(c.n_osds) if i != victim]
    victim_pgs = {d for (i, d, _) in files_of(c, v) if i == victim}
    c.kill_osd(victim)
    s3.put_object(Bucket="gone", Key=key, Body=b"small")      # the 29 MiB version is garbage
    time.sleep(TTL + GRACE + 1)
    check(gc_until(CTL, c, lambda: not files_of(c, v, up), 40),
          "victim down: the version's blobs are deleted on every up holder")
    rows = gone_rows(c, v, up)
    check(rows, "the up holders hold GONE rows of the collected chunks", str(len(rows)))
    kept = lambda: {r for r in gone_rows(c, v, up) if f"{r[1]:08x}.{r[2]:04x}" in victim_pgs}
    other = lambda: {r for r in gone_rows(c, v, up) if f"{r[1]:08x}.{r[2]:04x}" not in victim_pgs}
    kept0 = kept()
    check(kept0 and other(), "GONE rows exist both in PGs the victim holds and in others",
          f"{len(kept0)} / {len(other())}")
    time.sleep(GONE_AGE + 1)
    check(gc_until(CTL, c, lambda: not other(), 30),
          "GONE rows older than gc_gone_age are purged where every holder has them and no blob",
          str(len(other())))
    kick(CTL, c, "gc")
    time.sleep(2)
    check(kept() == kept0, "GONE rows of the PGs whose holder is down stay (it cannot answer)",
          f"{len(kept())} of {len(kept0)}")
    c.start_osd(victim)
    kick(CTL, c, "scrub")
    time.sleep(6)
    check(not files_of(c, v, up), "repair does not pull the collected blobs back from the "
                                  "returning OSD", str(len(files_of(c, v, up))))
    ok = gc_until(CTL, c, lambda: not files_of(c, v) and not gone_rows(c, v), 60)
    check(ok, "after the return: the victim's copies are deleted, then every GONE row purged",
          f"files {len(files_of(c, v))}, gone rows {len(gone_rows(c, v))}")
    kick(CTL, c, "scrub")
    time.sleep(5)
    check(not files_of(c, v) and not gone_rows(c, v),
          "after another repair pass: no blob and no GONE row came back",
          f"files {len(files_of(c, v))}, gone rows {len(gone_rows(c, v))}")
    st = c.s3(retries=3).get_object(Bucket="gone", Key=key)["Body"].read()
    check(st == b"small", "the live version reads back")


def main():
    yaml = (f"osd: {{gc_interval: 0, gc_grace: {GRACE}, gc_intent_ttl: {TTL}, "
            f"gc_gone_age: {GONE_AGE}, recovery_interval: 3600}}")
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-gcp") as c:
        phase_gone(c)
    return done()


if __name__ == "__main__":
    sys.exit(main())
