#!/usr/bin/env python3
"""Fault test 6 (issue 6): kill -9 the gateway mid-PUT and mid-multipart. A real cluster of 6
tern-osd (3 hosts x 2) and a tern-gateway on loopback, boto3; the OSDs' garbage collector runs
on its own (osd.gc_interval 1 s) with a test-short intent TTL and grace.

 1. A large single PUT (40 chunks of 4 MiB) is killed (SIGKILL of the gateway) once some of its
    chunks are on disk; the gateway is restarted: GET is 404 and LIST does not show the key.
 2. A multipart upload: part 1 completes, part 2 (16 chunks) is killed half-way; after the
    restart the upload is not an object (GET 404, not listed); the client aborts it, as SDKs do.
    A third upload is left ACTIVE (its client gone for good): after osd.gc_upload_expiry the
    collector aborts it.
 3. After the intent TTL + grace, the blob files on disk are exactly those that were there
    before the faults (the live objects'): every leftover was collected, on every replica,
    without a single request to the collector. Every acknowledged object reads back
    byte-exact throughout.

Usage: test_gc_faults.py TERN_OSD TERN_GATEWAY TERNCTL
"""
import hashlib
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "heal"))
from gct import data_blobs, gc_totals  # noqa: E402
from ternt import check, done  # noqa: E402
from ternt_cluster import Cluster  # noqa: E402

OSD, GW, CTL = sys.argv[1:4]
TTL, GRACE, UPLOAD_EXPIRY = 6, 2, 20
MB = 1 << 20
rng = random.Random(66)


def verify(s3, live, what):
    bad = []
    for k, md5 in sorted(live.items()):
        try:
            got = s3.get_object(Bucket="ft6", Key=k)["Body"].read()
            if hashlib.md5(got).hexdigest() != md5:
                bad.append(k)
        except Exception as e:  # noqa: BLE001 - reported
            bad.append(f"{k}: {e}")
    check(not bad, f"{what}: every acknowledged object ({len(live)}) reads back byte-exact",
          "; ".join(bad[:5]))


def invisible(s3, key, what):
    try:
        s3.head_object(Bucket="ft6", Key=key)
        status = 200
    except Exception as e:  # noqa: BLE001 - the status is what matters
        status = getattr(e, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="ft6").get("Contents", [])]
    check(status == 404 and key not in listed, f"{what}: {key} is not visible (HEAD 404, not "
          f"listed)", f"HEAD {status}, listed {key in listed}")


def kill_when_writing(c, run, min_new, what):
    """Runs run() in a thread; once min_new blob files appeared, SIGKILLs the gateway.
    Returns (the exception run() raised or None, new files at the kill)."""
    base = data_blobs(c)
    out = {}

    def body():
        try:
            run()
            out["err"] = None
        except Exception as e:  # noqa: BLE001 - the outcome is checked
            out["err"] = e
    t = threading.Thread(target=body)
    t.start()
    t0, n = time.time(), 0
    while time.time() - t0 < 60 and t.is_alive():
        n = len(data_blobs(c) - base)
        if n >= min_new:
            break
        time.sleep(0.02)
    c.kill("gw")
    t.join(60)
    check(out.get("err") is not None, f"{what}: the request failed (the gateway died mid-write)",
          f"{n} new blob files at the kill")
    return n


def main():
    yaml = (f"osd: {{gc_interval: 1, gc_grace: {GRACE}, gc_intent_ttl: {TTL}, "
            f"gc_upload_expiry: {UPLOAD_EXPIRY}}}")
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-ft6") as c:
        s3 = c.s3(retries=3)
        s3.create_bucket(Bucket="ft6")
        live = {}
        for i, n in enumerate([100, 20000, 5 * MB, 9 * MB]):
            d = rng.randbytes(n)
            s3.put_object(Bucket="ft6", Key=f"live{i}", Body=d)
            live[f"live{i}"] = hashlib.md5(d).hexdigest()
        time.sleep(TTL + GRACE + 3)  # the live objects' intents are past grace too
        base = data_blobs(c)
        check(len(base) == 3 * (2 + 3 + 1), "baseline: the live objects' chunks x 3", len(base))

        # 1. mid-PUT
        big = rng.randbytes(160 * MB)
        one = c.s3(retries=1, read_timeout=120)
        n = kill_when_writing(c, lambda: one.put_object(Bucket="ft6", Key="big", Body=big), 9,
                              "mid-PUT")
        check(n > 0, "mid-PUT: chunks of the killed PUT reached the disks", n)
        c.start_gateway(0)
        s3 = c.s3(retries=3)
        invisible(s3, "big", "after the mid-PUT kill")
        verify(s3, live, "after the mid-PUT kill")

        # 2. mid-multipart
        up = s3.create_multipart_upload(Bucket="ft6", Key="mp")["UploadId"]
        s3.upload_part(Bucket="ft6", Key="mp", UploadId=up, PartNumber=1,
                       Body=rng.randbytes(5 * MB))
        part2 = rng.randbytes(64 * MB)
        one = c.s3(retries=1, read_timeout=120)
        n = kill_when_writing(c, lambda: one.upload_part(Bucket="ft6", Key="mp", UploadId=up,
                                                         PartNumber=2, Body=part2), 6,
                              "mid-UploadPart")
        c.start_gateway(0)
        s3 = c.s3(retries=3)
        invisible(s3, "mp", "after the mid-multipart kill")
        s3.abort_multipart_upload(Bucket="ft6", Key="mp", UploadId=up)
        invisible(s3, "mp", "after the abort")
        # an upload whose client went away for good: aborted by the collector after
        # osd.gc_upload_expiry
        up2 = s3.create_multipart_upload(Bucket="ft6", Key="mp2")["UploadId"]
        s3.upload_part(Bucket="ft6", Key="mp2", UploadId=up2, PartNumber=1,
                       Body=rng.randbytes(5 * MB))
        check(len(data_blobs(c)) > len(base), "leftovers are on disk before the collector runs",
              len(data_blobs(c)) - len(base))

        # 3. the collector, on its own
        t0 = time.time()
        while time.time() - t0 < UPLOAD_EXPIRY + GRACE + 60 and data_blobs(c) != base:
            time.sleep(1)
        left = data_blobs(c) - base
        check(not left and data_blobs(c) == base, "every leftover was collected on every "
              "replica, and nothing else", f"{len(left)} left, {len(base - data_blobs(c))} lost")
        print(f"# leftovers collected {time.time() - t0:.1f} s after the abort (TTL {TTL} s, "
              f"grace {GRACE} s, abandoned uploads aborted after {UPLOAD_EXPIRY} s)")
        ups = [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="ft6").get("Uploads", [])]
        check(up2 not in ups, "the abandoned upload was aborted by the collector", str(ups))
        verify(s3, live, "after the collection")
        invisible(s3, "big", "after the collection")
        g = gc_totals(CTL, c)
        check(g.get("versions_collected", 0) >= 4 and g.get("uploads_aborted", 0) >= 1 and
              g.get("errors", 1) == 0,
              "ternctl status: versions collected, no GC errors", str(g))
    return done()


if __name__ == "__main__":
    sys.exit(main())
