#!/usr/bin/env python3
"""Garbage collection, the rows it leaves behind (issue 6; DESIGN.md rules 1 and 5): a real
cluster of 6 tern-osd (3 hosts x 2) and a tern-gateway on loopback, boto3, ternctl; GC runs only
when kicked, with a test-short intent TTL, grace and GONE-row age.

 1. GONE rows are purged once every holder of the chunk's PG has the row and none holds the blob,
    and they are older than gc_gone_age. An OSD holding chunks of a collected version is down
    during the collection: the up holders lose the blobs and keep their GONE rows past the age
    while it is down (it cannot answer). When it returns, repair does not pull the collected
    blobs back from it, the collector deletes its copies, and every GONE row is purged; after
    one more repair pass nothing came back.
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
    # every holder up: the GONE rows of a collected version go once older than gc_gone_age
    v = new_vids(c, lambda: s3.put_object(Bucket="gone", Key="clean", Body=rng.randbytes(13 * MB)))
    s3.put_object(Bucket="gone", Key="clean", Body=b"small")
    time.sleep(TTL + GRACE + 1)
    check(gc_until(CTL, c, lambda: not files_of(c, v), 40), "every holder up: collected")
    n = len(gone_rows(c, v))
    check(n == 3 * 4, "a GONE row per chunk on each of its 3 holders", f"{n}, want 12")
    time.sleep(GONE_AGE + 1)
    check(gc_until(CTL, c, lambda: not gone_rows(c, v), 30),
          "GONE rows older than gc_gone_age are purged from every holder (every holder has the "
          "row, none the blob)", str(len(gone_rows(c, v))))
    check(not files_of(c, v), "no blob came back")

    # a holder down during the collection
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
    victim_chunks = len(files_of(c, v, [victim]))
    c.kill_osd(victim)
    s3.put_object(Bucket="gone", Key=key, Body=b"small")      # the 29 MiB version is garbage
    time.sleep(TTL + GRACE + 1)
    check(gc_until(CTL, c, lambda: not files_of(c, v, up), 40),
          "victim down: the version's blobs are deleted on every up holder")
    kept = lambda: {r for r in gone_rows(c, v, up) if f"{r[1]:08x}.{r[2]:04x}" in victim_pgs}
    kept0 = kept()
    check(len(kept0) == 2 * victim_chunks, "the up holders of the victim's PGs hold GONE rows",
          f"{len(kept0)} for {victim_chunks} chunks")
    time.sleep(GONE_AGE + 1)
    for _ in range(3):
        kick(CTL, c, "gc")
        time.sleep(1)
    check(kept() == kept0, "past gc_gone_age the GONE rows of PGs whose holder is down stay (it "
                           "cannot answer)", f"{len(kept())} of {len(kept0)}")
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


DEADBKT_NS = db_ns(0x4445414442554B54)
BUCKET_NS = db_ns(1)


def bucket_id(c, name):
    """The id in the live bucket record of name (pool meta), from any OSD holding it."""
    for i in range(c.n_osds):
        for (flags, value) in query(c, i, "SELECT flags, value FROM rows WHERE ns=? AND key=?",
                                    (BUCKET_NS, name.encode())):
            if not flags & 1:
                return struct.unpack_from("<Q", bytes(value), 4)[0]
    return None


def id_rows(c, bid, osds=None):
    """Every index row of bucket id bid on osds: heads, uploads, parts, its intents, its
    dead-bucket row. A set of (osd, what, key hex, flags)."""
    le = struct.pack("<Q", bid)
    spaces = {db_ns(bid): "head", db_ns(bid ^ UPLOADS_XOR): "upload",
              db_ns(bid ^ PARTS_XOR): "part"}
    out = set()
    for i in range(c.n_osds) if osds is None else osds:
        for (ns, key, flags, value) in query(c, i, "SELECT ns, key, flags, value FROM rows"):
            k, v = bytes(key), bytes(value)
            if ns in spaces:
                out.add((i, spaces[ns], k.hex(), flags))
            elif ns == INTENTS_NS and v[6:14] == le:
                out.add((i, "intent", k.hex(), flags))
            elif ns == DEADBKT_NS and k == le:
                out.add((i, "deadbucket", k.hex(), flags))
    return out


def fill_bucket(s3, b):
    """Every kind of leftover, then every object deleted: returns nothing (vids come from the
    caller's new_vids)."""
    s3.put_object(Bucket=b, Key="a", Body=rng.randbytes(9 * MB))
    s3.put_object(Bucket=b, Key="a", Body=rng.randbytes(5 * MB))        # superseded version
    s3.put_object(Bucket=b, Key="b", Body=rng.randbytes(5 * MB))
    s3.put_object(Bucket=b, Key="c", Body=b"inline")
    up = s3.create_multipart_upload(Bucket=b, Key="m1")["UploadId"]      # aborted
    s3.upload_part(Bucket=b, Key="m1", UploadId=up, PartNumber=1, Body=rng.randbytes(5 * MB))
    s3.abort_multipart_upload(Bucket=b, Key="m1", UploadId=up)
    up = s3.create_multipart_upload(Bucket=b, Key="m2")["UploadId"]      # abandoned
    s3.upload_part(Bucket=b, Key="m2", UploadId=up, PartNumber=1, Body=rng.randbytes(5 * MB))
    s3.create_multipart_upload(Bucket=b, Key="m3")                       # no part at all
    up = s3.create_multipart_upload(Bucket=b, Key="m4")["UploadId"]      # completed
    parts = []
    for n, size in ((1, 5 * MB), (2, 1 * MB)):
        s3.upload_part(Bucket=b, Key="m4", UploadId=up, PartNumber=n, Body=rng.randbytes(size))
        e = s3.upload_part(Bucket=b, Key="m4", UploadId=up, PartNumber=n,
                           Body=rng.randbytes(size))["ETag"]             # and an unused attempt
        parts.append({"PartNumber": n, "ETag": e})
    s3.complete_multipart_upload(Bucket=b, Key="m4", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    for k in ("a", "b", "c", "m4"):
        s3.delete_object(Bucket=b, Key=k)


def leftovers(c, bid, v, osds=None):
    return len(files_of(c, v, osds)), len(id_rows(c, bid, osds)), len(gone_rows(c, v, osds))


def phase_bucket(c):
    s3 = c.s3(retries=3)
    s3.create_bucket(Bucket="dead1")
    bid = bucket_id(c, "dead1")
    check(bid is not None, "the bucket record names an id")
    v = new_vids(c, lambda: fill_bucket(s3, "dead1"))
    check(len(v) >= 7 and id_rows(c, bid), "the bucket left blobs and rows of its id behind",
          f"{len(v)} vids, {len(id_rows(c, bid))} rows")
    s3.delete_bucket(Bucket="dead1")
    s3.create_bucket(Bucket="dead1")                                     # same name, new id
    bid2 = bucket_id(c, "dead1")
    check(bid2 is not None and bid2 != bid, "a bucket created again under the name has a new id")
    s3.put_object(Bucket="dead1", Key="x", Body=b"new bucket")
    time.sleep(TTL + GRACE + 1)
    ok = gc_until(CTL, c, lambda: leftovers(c, bid, v) == (0, 0, 0), 90)
    check(ok, "after TTL + grace + GONE age: no blob file, no index row of the deleted bucket's "
              "id, no GONE row of its data on any OSD",
          f"files, rows, gone rows = {leftovers(c, bid, v)} {sorted(id_rows(c, bid))[:6]}")
    got = s3.get_object(Bucket="dead1", Key="x")["Body"].read()
    check(got == b"new bucket" and bucket_id(c, "dead1") == bid2 and id_rows(c, bid2),
          "the bucket created again under the name is untouched")
    kick(CTL, c, "scrub")
    time.sleep(4)
    check(leftovers(c, bid, v) == (0, 0, 0), "after a repair pass nothing of it came back",
          str(leftovers(c, bid, v)))

    # an index replica of the deleted bucket is down: nothing of it is collected until it is back
    s3.create_bucket(Bucket="dead2")
    bid = bucket_id(c, "dead2")
    v = new_vids(c, lambda: fill_bucket(s3, "dead2"))
    victim = intent_holders(c, next(iter(v)))[0]
    up = [i for i in range(c.n_osds) if i != victim]
    s3.delete_bucket(Bucket="dead2")
    c.kill_osd(victim)
    files0, intents0 = files_of(c, v, up), {r for r in id_rows(c, bid, up) if r[1] == "intent"}
    time.sleep(TTL + GRACE + 1)
    for _ in range(3):
        kick(CTL, c, "gc")
        time.sleep(1.5)
    check(files_of(c, v, up) == files0 and
          {r for r in id_rows(c, bid, up) if r[1] == "intent"} == intents0,
          "an index replica down: no blob and no intent of the deleted bucket is collected",
          f"files {len(files_of(c, v, up))} of {len(files0)}")
    c.start_osd(victim)
    kick(CTL, c, "scrub")
    time.sleep(3)
    ok = gc_until(CTL, c, lambda: leftovers(c, bid, v) == (0, 0, 0), 90)
    check(ok, "once it is back everything of the deleted bucket goes",
          f"files, rows, gone rows = {leftovers(c, bid, v)} {sorted(id_rows(c, bid))[:6]}")
    kick(CTL, c, "scrub")
    time.sleep(4)
    check(leftovers(c, bid, v) == (0, 0, 0), "and nothing comes back after a repair pass",
          str(leftovers(c, bid, v)))


def main():
    yaml = (f"osd: {{gc_interval: 0, gc_grace: {GRACE}, gc_intent_ttl: {TTL}, "
            f"gc_gone_age: {GONE_AGE}, recovery_interval: 3600}}")
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-gcp") as c:
        phase_gone(c)
        phase_bucket(c)
    return done()


if __name__ == "__main__":
    sys.exit(main())
