#!/usr/bin/env python3
"""Garbage collection (issue 6; DESIGN.md rule 1): a real cluster of 6 tern-osd (3 hosts x 2)
and a tern-gateway on loopback, boto3, ternctl; GC runs only when kicked (`ternctl osd gc`),
with a test-short intent TTL and grace.

 1. Every layout: overwritten and deleted chunked objects, a multipart object overwritten by
    an inline one, a completed upload with an unused part attempt, CopyObject, a copy onto
    itself, UploadPartCopy, an ACL + tagging rewrite (head rows sharing blobs), an aborted
    upload, an upload left active. After TTL + grace the blob files on disk are EXACTLY the
    live objects' chunks x 3 replicas (nothing superseded left on any replica, nothing live
    missing); every live object reads back byte-exact; the active upload completes afterwards.
    The tombstones of the deleted key and of the aborted upload are purged from every replica
    (rule 5) and the key stays deleted.
 2. An OSD down during GC: a version whose index replica is down is not touched at all; a
    version whose index replicas are all up loses its blobs on the up holders and keeps the
    down one's; after the OSD returns, repair (kicked with `ternctl osd scrub`) does NOT pull the
    collected blobs back from it; the next GC run removes its copies too.
 3. Bounded disk: keys overwritten again and again leave, after GC, only the live chunks.
 4. `ternctl osd scrub ID --deep` starts a deep scrub pass on that OSD now.

Usage: test_gc.py TERN_OSD TERN_GATEWAY TERNCTL
"""
import hashlib
import random
import sys
import time

from gct import (blob_bytes, chunks, data_blobs, gc_totals, gc_until, intent_holders, kick,
                 rows_with_key_prefix, vids)
from healt import status
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
TTL, GRACE = 8, 2
MB = 1 << 20
rng = random.Random(6)


def body(n):
    return rng.randbytes(n)


class Live:
    def __init__(self, s3):
        self.s3 = s3
        self.objs = {}  # (bucket, key) -> (md5, size)

    def put(self, b, k, n):
        d = body(n)
        self.s3.put_object(Bucket=b, Key=k, Body=d)
        self.objs[(b, k)] = (hashlib.md5(d).hexdigest(), n)
        return d

    def multipart(self, b, k, parts, extra_attempt=False, complete=True, abort=False):
        s3 = self.s3
        up = s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"]
        done_parts, data = [], b""
        for i, n in enumerate(parts, 1):
            if extra_attempt and i == 1:
                s3.upload_part(Bucket=b, Key=k, UploadId=up, PartNumber=1, Body=body(n))
            d = body(n)
            e = s3.upload_part(Bucket=b, Key=k, UploadId=up, PartNumber=i, Body=d)["ETag"]
            done_parts.append({"PartNumber": i, "ETag": e})
            data += d
        if abort:
            s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=up)
        elif complete:
            s3.complete_multipart_upload(Bucket=b, Key=k, UploadId=up,
                                         MultipartUpload={"Parts": done_parts})
            self.objs[(b, k)] = (hashlib.md5(data).hexdigest(), len(data))
        return up, done_parts, data

    def delete(self, b, k):
        self.s3.delete_object(Bucket=b, Key=k)
        self.objs.pop((b, k), None)

    def live_chunks(self, extra=0):
        # a multipart object's chunks are per part: every part here is a multiple of 1 MiB
        # and at most 5 MiB, so ceil per part; single objects: ceil of the size
        return sum(self.parts_chunks.get(bk, chunks(n)) for bk, (_, n) in self.objs.items()) \
            + extra

    parts_chunks = {}

    def verify(self, what):
        bad = []
        for (b, k), (md5, n) in sorted(self.objs.items()):
            try:
                got = self.s3.get_object(Bucket=b, Key=k)["Body"].read()
                if hashlib.md5(got).hexdigest() != md5:
                    bad.append(f"{b}/{k}: wrong bytes")
            except Exception as e:  # noqa: BLE001 - reported
                bad.append(f"{b}/{k}: {e}")
        check(not bad, f"{what}: every live object ({len(self.objs)}) reads back byte-exact",
              "; ".join(bad[:5]))


def wait_collectable():
    time.sleep(TTL + GRACE + 1)


def phase1(c, L):
    s3 = c.s3(retries=3)
    s3.create_bucket(Bucket="gcb")
    before = len(data_blobs(c))
    L.put("gcb", "A", 9 * MB)
    L.put("gcb", "A", 5 * MB)                                  # overwrite: 3 chunks garbage
    L.put("gcb", "B", 5 * MB)
    L.delete("gcb", "B")                                       # delete: 2 chunks garbage
    L.multipart("gcb", "C", [5 * MB, 1 * MB])
    L.put("gcb", "C", 100)                                     # multipart -> inline: 3 garbage
    L.multipart("gcb", "D", [5 * MB, 1 * MB], extra_attempt=True)  # unused attempt: 2 garbage
    L.parts_chunks[("gcb", "D")] = 3
    s3.copy_object(Bucket="gcb", Key="E", CopySource={"Bucket": "gcb", "Key": "A"})
    L.objs[("gcb", "E")] = L.objs[("gcb", "A")]
    L.put("gcb", "F", 9 * MB)
    s3.put_object_acl(Bucket="gcb", Key="F", ACL="public-read")  # shares F's blobs
    s3.put_object_tagging(Bucket="gcb", Key="F", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
    L.multipart("gcb", "G", [5 * MB, 5 * MB], complete=False, abort=True)  # 4 garbage
    h_up, h_parts, h_data = L.multipart("gcb", "H", [5 * MB], complete=False)  # active: kept
    L.put("gcb", "I", 5 * MB)
    s3.copy_object(Bucket="gcb", Key="I", CopySource={"Bucket": "gcb", "Key": "I"},
                   MetadataDirective="REPLACE", Metadata={"m": "1"})  # self copy: 2 garbage
    up = s3.create_multipart_upload(Bucket="gcb", Key="J")["UploadId"]
    e = s3.upload_part_copy(Bucket="gcb", Key="J", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": "gcb", "Key": "F"},
                            CopySourceRange=f"bytes=0-{5 * MB - 1}")["CopyPartResult"]["ETag"]
    s3.complete_multipart_upload(Bucket="gcb", Key="J", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    fdata = s3.get_object(Bucket="gcb", Key="F")["Body"].read()
    L.objs[("gcb", "J")] = (hashlib.md5(fdata[:5 * MB]).hexdigest(), 5 * MB)
    want = 3 * L.live_chunks(extra=2)  # + H's active part (2 chunks)
    have = len(data_blobs(c)) - before
    check(have > want, "before GC the superseded blobs are on disk",
          f"{have} files, {want} live")
    wait_collectable()
    ok = gc_until(CTL, c, lambda: len(data_blobs(c)) - before == want, 60)
    check(ok, "after TTL + grace: exactly the live chunks x 3 replicas are on disk",
          f"{len(data_blobs(c)) - before} files, want {want}")
    L.verify("after GC")
    # rule 5: the tombstones of B (deleted) and of G's upload (aborted) are purged from every
    # replica once every replica holds them and grace has passed; B stays deleted
    tombs = lambda: [r for r in rows_with_key_prefix(c, b"B") + rows_with_key_prefix(c, b"G\x00")
                     if r[1] & 1]
    check(gc_until(CTL, c, lambda: not tombs(), 30), "tombstones are purged on every replica",
          str(tombs()))
    try:
        s3.head_object(Bucket="gcb", Key="B")
        st = 200
    except Exception as e:  # noqa: BLE001
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="gcb").get("Contents", [])]
    check(st == 404 and "B" not in listed, "a purged delete stays deleted (HEAD 404, not listed)")
    g = gc_totals(CTL, c)
    check(g.get("versions_collected", 0) >= 7 and g.get("bytes_reclaimed", 0) >= 3 * 20 * MB and
          g.get("tombstones_purged", 0) >= 2,
          "ternctl status counts collected versions and reclaimed bytes", str(g))
    # the active upload's part survived: complete it now
    s3.complete_multipart_upload(Bucket="gcb", Key="H", UploadId=h_up,
                                 MultipartUpload={"Parts": h_parts})
    got = s3.get_object(Bucket="gcb", Key="H")["Body"].read()
    check(got == h_data, "an upload left active keeps its parts through GC and completes later")
    L.objs[("gcb", "H")] = (hashlib.md5(h_data).hexdigest(), len(h_data))


def new_vid(c, f):
    """Runs f() and returns the data vids whose blob files it created."""
    s0 = data_blobs(c)
    f()
    return vids(data_blobs(c) - s0)


def files_of(c, vset, osds=None):
    return {x for x in data_blobs(c, osds) if x[2].split(".")[0] in vset}


def phase2(c, L):
    s3 = c.s3(retries=3)
    # X in bucket gc: pick a victim that holds a chunk of X but is not an index replica of gc
    victim = xv = None
    for attempt in range(5):
        v = new_vid(c, lambda: L.put("gcb", f"X{attempt}", 13 * MB))
        idx = intent_holders(c, next(iter(v)))
        cands = sorted({o for (o, _, _) in files_of(c, v)} - set(idx))
        if cands:
            victim, xv, xkey = cands[0], v, f"X{attempt}"
            break
    check(victim is not None, "found an OSD holding a chunk of X but no index replica of it")
    # Z in a bucket whose index replicas include the victim
    zv = zkey = None
    for k in range(12):
        b = f"gcw{k}"
        s3.create_bucket(Bucket=b)
        v = new_vid(c, lambda: L.put(b, "Z", 5 * MB))
        if victim in intent_holders(c, next(iter(v))):
            zv, zkey = v, (b, "Z")
            break
    check(zv is not None, "found a bucket whose index PG includes the victim")
    up = [i for i in range(c.n_osds) if i != victim]
    c.kill_osd(victim)
    L.put("gcb", xkey, 100)
    L.put(zkey[0], zkey[1], 100)
    z_before = files_of(c, zv, up)
    x_victim = files_of(c, xv, [victim])
    wait_collectable()
    gone = gc_until(CTL, c, lambda: not files_of(c, xv, up), 40)
    check(gone, "victim down: X's blobs are deleted on every up holder (its index replicas "
                "all answer)", str(len(files_of(c, xv, up))))
    check(files_of(c, zv, up) == z_before and len(z_before) > 0,
          "victim down: nothing of Z is deleted (one of its index replicas is down)",
          f"{len(files_of(c, zv, up))} of {len(z_before)}")
    check(files_of(c, xv, [victim]) == x_victim and x_victim,
          "the victim's copies of X are still on its disk", str(len(x_victim)))
    check(gc_totals(CTL, c).get("waiting", 0) >= 1, "ternctl status: GC waiting for a replica")
    c.start_osd(victim)
    # repair (light scrub) on every OSD: the up holders must not pull X back from the victim
    t0 = time.time()
    passes0 = {}
    kick(CTL, c, "scrub")
    time.sleep(6)
    back = files_of(c, xv, up)
    check(not back, "repair does not resurrect collected blobs from the returning OSD",
          f"{len(back)} files back after {time.time() - t0:.1f} s")
    del passes0
    ok = gc_until(CTL, c, lambda: not files_of(c, xv) and not files_of(c, zv), 40)
    check(ok, "once the OSD is back, the next GC runs delete X's and Z's old blobs everywhere",
          f"X {len(files_of(c, xv))}, Z {len(files_of(c, zv))}")
    L.verify("after the victim's return")


def phase3(c, L):
    before = blob_bytes(c, data_blobs(c))
    for rnd in range(4):
        for k in range(3):
            L.put("gcb", f"hot{k}", 5 * MB)
    peak = blob_bytes(c, data_blobs(c))
    wait_collectable()
    want = 3 * L.live_chunks(extra=0)
    ok = gc_until(CTL, c, lambda: len(data_blobs(c)) == want, 60)
    after = blob_bytes(c, data_blobs(c))
    check(ok, "overwriting the same keys: after GC only the live chunks remain on disk",
          f"{len(data_blobs(c))} files, want {want}")
    print(f"# bounded disk: blob bytes {before / MB:.0f} MiB before, {peak / MB:.0f} MiB after "
          f"12 overwrites of 3 keys, {after / MB:.0f} MiB after GC")
    L.verify("after the overwrites")


def deep_passes(c, osd):
    st = status(CTL, c) or {}
    return {o["id"]: o.get("scrub_deep_passes", -1) for o in st.get("osds", [])}.get(osd, -1)


def phase4(c):
    # `ternctl osd scrub ID --deep` starts a deep pass now (the configured interval is 7 days)
    d0 = deep_passes(c, 1)
    check(kick(CTL, c, "scrub", osds=[1], deep=True) == 1, "ternctl osd scrub 1 --deep accepted")
    t0 = time.time()
    while time.time() - t0 < 60 and deep_passes(c, 1) <= d0:
        time.sleep(0.5)
    check(deep_passes(c, 1) == d0 + 1, "the deep scrub ran on osd.1",
          f"{d0} -> {deep_passes(c, 1)}")


def main():
    yaml = (f"osd: {{gc_interval: 0, gc_grace: {GRACE}, gc_intent_ttl: {TTL}, "
            f"recovery_interval: 3600}}")
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-gc") as c:
        L = Live(c.s3(retries=3))
        phase1(c, L)
        phase2(c, L)
        phase3(c, L)
        phase4(c)
    return done()


if __name__ == "__main__":
    sys.exit(main())
