"""healt — what the self-healing fault tests share: a recorded workload (every acknowledged
write with its content hash, every acknowledged delete), its verification, `ternctl status
--json`, waiting for every PG to be clean, and a direct look into OSD data directories (blob
files and index rows per PG) to prove that replicas hold exactly the same rows and blobs."""
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import time

import botocore

from ternt import check

INLINE_SIZES = [0, 1, 100, 5000, 16000]
CHUNKED_SIZES = [20000, 5_000_000, 9_000_000]  # above inline_max: 1, 2 and 3 chunks of 4 MiB


class Workload:
    """Objects in one bucket, with what the cluster acknowledged."""

    def __init__(self, s3, bucket, seed):
        self.s3, self.bucket = s3, bucket
        self.rng = random.Random(seed)
        self.live = {}  # key -> md5 of the last acknowledged PUT
        self.deleted = set()  # keys whose last acknowledged operation was a DELETE

    def body(self, size):
        return self.rng.randbytes(size)

    def put(self, key, size):
        data = self.body(size)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        self.live[key] = hashlib.md5(data).hexdigest()
        self.deleted.discard(key)

    def delete(self, key):
        self.s3.delete_object(Bucket=self.bucket, Key=key)
        self.live.pop(key, None)
        self.deleted.add(key)

    def mixed(self, prefix, n):
        """n PUTs (inline and chunked sizes), then overwrites and deletes of some of them and
        of earlier keys."""
        keys = []
        for i in range(n):
            if i % 3:
                size = INLINE_SIZES[i % len(INLINE_SIZES)]
            else:
                size = CHUNKED_SIZES[(i // 3) % len(CHUNKED_SIZES)]
            key = f"{prefix}/obj-{i:04d}"
            self.put(key, size)
            keys.append(key)
        older = sorted(self.live)
        for key in self.rng.sample(older, min(len(older), max(1, n // 6))):
            self.put(key, self.rng.choice(INLINE_SIZES + CHUNKED_SIZES[:2]))
        for key in self.rng.sample(sorted(self.live), min(len(self.live), max(1, n // 8))):
            self.delete(key)
        return keys

    def verify(self, s3=None, what=""):
        """Reads every acknowledged object back (content hash) and HEADs every deleted key
        (404). Returns the number of failures (each reported)."""
        s3 = s3 or self.s3
        bad = 0
        for key, md5 in sorted(self.live.items()):
            try:
                got = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                ok = hashlib.md5(got).hexdigest() == md5
            except botocore.exceptions.ClientError as e:
                ok, got = False, e.response["Error"]
            if not ok:
                bad += 1
                check(False, f"{what}: {key} reads back as written", str(got)[:200])
        for key in sorted(self.deleted):
            try:
                s3.head_object(Bucket=self.bucket, Key=key)
                status = 200
            except botocore.exceptions.ClientError as e:
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            if status != 404:
                bad += 1
                check(False, f"{what}: deleted {key} stays deleted", f"HEAD -> {status}")
        return bad


def status(ctl, cluster, pgs=False):
    """ternctl status --json (parsed), or None if it failed."""
    argv = [ctl, "status", "--config", cluster.config, "--json"] + (["--pgs"] if pgs else [])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def wait_clean(ctl, cluster, secs):
    """Polls ternctl status until every PG is clean; returns (seconds taken or None, last)."""
    t0 = time.time()
    last = None
    while time.time() - t0 < secs:
        last = status(ctl, cluster)
        if last is not None and last["pgs"]["clean"] == last["pgs"]["total"]:
            return time.time() - t0, last
        time.sleep(0.5)
    return None, last


def osd_stats(ctl, cluster, osd):
    st = status(ctl, cluster)
    for o in (st or {}).get("osds", []):
        if o["id"] == osd:
            return o
    return {}


def blob_files(cluster, osd, pool, pg):
    d = os.path.join(cluster.tmp, f"osd.{osd}", "blobs", f"{pool:08x}.{pg:04x}")
    try:
        return sorted(os.listdir(d))
    except FileNotFoundError:
        return []


def index_rows(cluster, osd, pool, pg):
    """Every row of (pool, pg) in osd's index: (ns, key, hlc, origin, vid, flags, crc)."""
    path = os.path.join(cluster.tmp, f"osd.{osd}", "index.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT ns, key, hlc, origin, vid, flags, crc FROM rows "
                          "WHERE pool=? AND pg=? ORDER BY ns, key", (pool, pg)).fetchall()
    finally:
        db.close()


def check_replicas_equal(ctl, cluster, osds, what):
    """For every PG that one of osds holds: its blob files and index rows equal those of every
    other replica. Returns (PGs compared, rows and blobs held by osds in them)."""
    st = status(ctl, cluster, pgs=True)
    if not check(st is not None, f"{what}: ternctl status --pgs answers"):
        return 0, 0
    compared = held = 0
    bad = []
    for p in st["pg_list"]:
        for osd in osds:
            if osd not in p["osds"]:
                continue
            mine_b = blob_files(cluster, osd, p["pool"], p["pg"])
            mine_r = index_rows(cluster, osd, p["pool"], p["pg"])
            held += len(mine_b) + len(mine_r)
            for other in p["osds"]:
                if other == osd:
                    continue
                if blob_files(cluster, other, p["pool"], p["pg"]) != mine_b:
                    bad.append(f"{p['pool_name']}.{p['pg']} blobs osd.{osd} vs osd.{other}")
                if index_rows(cluster, other, p["pool"], p["pg"]) != mine_r:
                    bad.append(f"{p['pool_name']}.{p['pg']} rows osd.{osd} vs osd.{other}")
            compared += 1
    check(not bad, f"{what}: the OSDs hold exactly the rows and blobs of the other replicas "
                   f"({compared} PGs)", "; ".join(bad[:10]))
    return compared, held
