#!/usr/bin/env python3
"""Rebalance (issue 6, fault test 5; DESIGN rule 3).

Usage: test_heal_rebalance.py TERN_OSD TERN_GATEWAY TERNCTL MODE
  load      A bounded mixed boto3 workload (PUT of 0 B..9 MiB, multipart uploads, overwrites,
            DELETE, GET, LIST) by 3 threads that own their keys and record every acknowledged
            write with its SHA-256 runs while `ternctl osd out 3` moves osd.3's PGs to the other
            OSD of its host, and the OSDs complete the move by themselves (nobody runs
            `ternctl rebalance`: the moves disappear from the map once backfilled, DESIGN rule
            3); then a new OSD (osd.6, on host 1) is added with `ternctl osd add` and the same.
            Asserts: no read
            (GET, LIST) and no write error at any time, every PG clean after each step, the
            moved share next to the optimal one (placement's movement statistics, printed
            by ternctl) and the bytes repair pulled, and at the end every acknowledged write
            reads back and deleted keys stay deleted. The old holder (osd.3) keeps its copies
            until the move completes, then drops every row and blob file.
  fallback  Why reads must use the old set while a PG moves: with repair slowed to 64 KiB/s,
            64 one-chunk objects (256 KiB) are written, then osd.0, osd.2 and osd.4 (one per host) are
            marked out. PGs whose whole replica set changed then have blob files only on their
            old holders: a read from the new set alone would fail. Every GET (and the listing)
            succeeds anyway, and the blob files are checked to be absent from every new
            holder before and after the reads, so the reads were served by old holders.
"""
import hashlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import botocore

from healt import blob_files, status
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL, MODE = sys.argv[1:5]
KiB, MiB = 1024, 1024 * 1024
SIZES = [0, 100, 5000, 16 * KiB + 1, 300 * KiB, 4 * MiB + 1, 9 * MiB]
WEIGHTS = [3, 4, 4, 3, 3, 1, 1]
BUCKET = "rebal"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def ctl(c, *args, timeout=300):
    r = subprocess.run([CTL, *args, "--config", c.config], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout + r.stderr


class Worker(threading.Thread):
    """Owns keys w<id>-*; state[key] = set of acceptable hashes (None: absent). A failed write
    widens the key's set (a PUT answered with an error may still appear later)."""

    def __init__(self, wid, s3, pause=0.02):
        super().__init__(daemon=True)
        self.wid, self.s3, self.pause = wid, s3, pause
        self.rnd = random.Random(wid)
        self.state = {}
        self.errors = []  # (phase, kind, key, error)
        self.ops = {}
        self.phase = "load"
        self.stop = threading.Event()
        self.n = 0

    def _err(self, kind, key, e):
        self.errors.append((self.phase, kind, key, str(e)[:160]))

    def _count(self, kind):
        self.ops[kind] = self.ops.get(kind, 0) + 1

    def body(self, size):
        head = self.rnd.randbytes(min(size, 64))
        return head + os.urandom(size - len(head)) if size > 64 else head

    def put(self, key):
        data = self.body(self.rnd.choices(SIZES, WEIGHTS)[0])
        self._count("put")
        try:
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            self.state[key] = {sha(data)}
        except Exception as e:  # noqa: BLE001 — any failure is recorded and widens the state
            self.state.setdefault(key, {None}).add(sha(data))
            self._err("put", key, e)

    def mpu(self, key):
        parts = [self.body(5 * MiB), self.body(self.rnd.choice([1, 700 * KiB]))]
        whole = b"".join(parts)
        self._count("mpu")
        uid = None
        try:
            uid = self.s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            etags = []
            for i, p in enumerate(parts, 1):
                r = self.s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=i, Body=p)
                etags.append({"PartNumber": i, "ETag": r["ETag"]})
            self.s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid,
                                              MultipartUpload={"Parts": etags})
            self.state[key] = {sha(whole)}
        except Exception as e:  # noqa: BLE001
            self.state.setdefault(key, {None}).add(sha(whole))
            self._err("mpu", key, e)

    def delete(self, key):
        self._count("delete")
        try:
            self.s3.delete_object(Bucket=BUCKET, Key=key)
            self.state[key] = {None}
        except Exception as e:  # noqa: BLE001
            self.state.setdefault(key, {None}).add(None)
            self._err("delete", key, e)

    def get(self, key):
        self._count("get")
        want = self.state[key]
        try:
            got = sha(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NoSuchKey" and None in want:
                return
            self._err("get", key, e)
            return
        except Exception as e:  # noqa: BLE001
            self._err("get", key, e)
            return
        if got not in want:
            self._err("get", key, "content differs from every acknowledged write")

    def list(self):
        self._count("list")
        try:
            seen = set()
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                    Bucket=BUCKET, Prefix=f"w{self.wid}-"):
                seen.update(o["Key"] for o in page.get("Contents", []))
        except Exception as e:  # noqa: BLE001
            self._err("list", "-", e)
            return
        for key, want in self.state.items():
            if want == {None} and key in seen:
                self._err("list", key, "a deleted key is listed")
            elif None not in want and key not in seen:
                self._err("list", key, "an acknowledged key is not listed")

    def step(self):
        keys = sorted(self.state)
        r = self.rnd.random()
        if not keys or r < 0.25:
            self.n += 1
            self.put(f"w{self.wid}-{self.n:04d}")
        elif r < 0.30:
            self.n += 1
            self.mpu(f"w{self.wid}-{self.n:04d}")
        elif r < 0.42:
            self.put(self.rnd.choice(keys))
        elif r < 0.50:
            self.delete(self.rnd.choice(keys))
        elif r < 0.95:
            self.get(self.rnd.choice(keys))
        else:
            self.list()

    def run(self):
        while not self.stop.is_set():
            self.step()
            time.sleep(self.pause)

    def verify(self):
        bad = 0
        for key in sorted(self.state):
            before = len(self.errors)
            self.get(key)
            bad += len(self.errors) > before
        self.list()
        return bad


def local_data(c, osd):
    """(rows, blob files) in osd's data directory."""
    db = sqlite3.connect(f"file:{c.tmp}/osd.{osd}/index.db?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
    finally:
        db.close()
    blobs = 0
    for _, _, files in os.walk(f"{c.tmp}/osd.{osd}/blobs"):
        blobs += sum(1 for f in files if len(f) == 41)
    return rows, blobs


def totals(st):
    return st["recovery"]["bytes"] if st else 0


def wait_clean(c, secs):
    t0 = time.time()
    st = None
    while time.time() - t0 < secs:
        st = status(CTL, c)
        if st and st["pgs"]["clean"] == st["pgs"]["total"] and st["pgs"]["backfilling"] == 0:
            return time.time() - t0, st
        time.sleep(0.5)
    return None, st


def moves_completed(c):
    """How many 'moves complete' lines the OSDs logged (the proposer completes moves)."""
    n = 0
    for i in range(c.n_osds):
        try:
            n += c.log_text(f"osd.{i}").count("rebalance: moves complete")
        except OSError:
            pass
    return n


def wait_dropped(c, osds, secs):
    """Waits until every OSD in osds holds no row and no blob file; {osd: (rows, blobs)}."""
    t0 = time.time()
    left = {o: local_data(c, o) for o in osds}
    while any(v != (0, 0) for v in left.values()) and time.time() - t0 < secs:
        time.sleep(0.5)
        left = {o: local_data(c, o) for o in osds}
    return left


def explain_left(c, left):
    """After a failed wait_dropped: what each OSD still holds, per PG, and what its log says
    about drops and maps (for the next reader of a CI log)."""
    for osd, v in left.items():
        if v == (0, 0):
            continue
        db = sqlite3.connect(f"file:{c.tmp}/osd.{osd}/index.db?mode=ro", uri=True, timeout=10)
        try:
            pgs = db.execute("SELECT pool, pg, COUNT(*) FROM rows GROUP BY pool, pg").fetchall()
        finally:
            db.close()
        dirs = {}
        for d, _, files in os.walk(f"{c.tmp}/osd.{osd}/blobs"):
            n = sum(1 for f in files if len(f) == 41)
            if n:
                dirs[os.path.basename(d)] = n
        print(f"osd.{osd} still holds rows (pool, pg, n) {pgs}; blob files per dir {dirs}",
              file=sys.stderr)
        lines = [ln for ln in c.log_text(f"osd.{osd}").splitlines()
                 if "rebalance" in ln or "repair: map" in ln or "given away" in ln]
        print("\n".join(f"    {ln}" for ln in lines[-40:]), file=sys.stderr)


def movement(out):
    """(moved, total, optimal) of pool data from ternctl's output."""
    m = re.search(r"pool data: (\d+) of (\d+) PG replicas move \(optimal (\d+)\)", out)
    return tuple(int(x) for x in m.groups()) if m else None


def step(c, workers, what, args, probe=None):
    for w in workers:
        w.phase = what
    st0 = status(CTL, c)
    t0 = time.time()
    rc, out = ctl(c, *args)
    check(rc == 0, f"{what}: ternctl {' '.join(args)}", out)
    mv = movement(out)
    check(mv is not None, f"{what}: ternctl reports the movement", out)
    if probe:
        probe()
    # nobody runs `ternctl rebalance`: the OSDs complete the moves themselves
    t, st = wait_clean(c, 240)
    elapsed = time.time() - t0
    check(t is not None, f"{what}: the moves complete by themselves (every PG clean, none "
          "backfilling)", str(st and st["pgs"]))
    check(moves_completed(c) > 0, f"{what}: an OSD completed the moves (its log says so)", "")
    pulled = totals(st) - totals(st0)
    if mv:
        moved, total, optimal = mv
        print(f"{what}: {moved} of {total} data PG replicas moved ({100.0 * moved / total:.1f} %), "
              f"optimal {optimal} ({100.0 * optimal / total:.1f} %, ratio "
              f"{moved / optimal if optimal else 0:.2f}); repair pulled {pulled / MiB:.1f} MiB; "
              f"clean {elapsed:.1f} s after the command")
        check(moved <= optimal * 1.2 + 1, f"{what}: moved within 1.2x of the optimum",
              f"{moved} vs {optimal}")
    return st


def run_load():
    top = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 16M}"
    with Cluster(OSD, GW, top_yaml=top, name="tern-rebal") as c:
        s3 = c.s3(retries=1, read_timeout=60)
        s3.create_bucket(Bucket=BUCKET)
        workers = [Worker(i, c.s3(retries=1, read_timeout=60)) for i in range(3)]
        for w in workers:  # preload: data to move
            w.phase = "preload"
            for _ in range(12):
                w.n += 1
                w.put(f"w{w.wid}-{w.n:04d}")
        for w in workers:
            w.start()
        time.sleep(3)
        def kept():
            rows, blobs = local_data(c, 3)
            check(rows > 0 and blobs > 0, "while its PGs move, osd.3 keeps its copies",
                  f"{rows} rows, {blobs} blobs")
        step(c, workers, "osd out 3", ["osd", "out", "3"], probe=kept)
        # the old holder kept its copies until the move completed, then drops them
        st = status(CTL, c, pgs=True)
        check(st is not None and all(3 not in p["osds"] for p in st["pg_list"]),
              "after the move osd.3 holds no PG", "")
        t0 = time.time()
        left = local_data(c, 3)
        while left != (0, 0) and time.time() - t0 < 60:
            time.sleep(0.5)
            left = local_data(c, 3)
        print(f"osd.3 dropped its copies {time.time() - t0:.1f} s after the move completed")
        check(left == (0, 0), "osd.3 dropped every row and blob it gave away", str(left))
        n = c.add_osd(1)
        c.start_osd(n)
        step(c, workers, f"osd add {n}", ["osd", "add", "--id", str(n)])
        st = status(CTL, c, pgs=True)
        held = sum(1 for p in st["pg_list"] if n in p["osds"]) if st else 0
        check(held > 0, f"osd.{n} holds PGs after the move", str(held))
        time.sleep(2)
        for w in workers:
            w.stop.set()
        for w in workers:
            w.join(120)
        ops = {}
        for w in workers:
            for k, v in w.ops.items():
                ops[k] = ops.get(k, 0) + v
        errs = [e for w in workers for e in w.errors]
        print(f"workload: {ops}, errors: {len(errs)}")
        for e in errs[:10]:
            print("  error:", e)
        check(not [e for e in errs if e[1] in ("get", "list")], "no read error (GET, LIST) "
              "during the rebalances", str(errs[:5]))
        check(not errs, "no write error either", str(errs[:5]))
        bad = 0
        for w in workers:
            w.phase = "verify"
            bad += w.verify()
        keys = sum(len(w.state) for w in workers)
        live = sum(1 for w in workers for s in w.state.values() if None not in s)
        check(bad == 0 and not [e for w in workers for e in w.errors if e[0] == "verify"],
              f"every acknowledged write reads back, deleted keys stay deleted ({keys} keys, "
              f"{live} live)", str([e for w in workers for e in w.errors if e[0] == "verify"][:5]))


def orphaned_blobs(c, st):
    """{(pool, pg, file)} of blob files held by an old holder of a moving PG and by none of
    its current OSDs."""
    out = set()
    for p in st["pg_list"]:
        if not p["backfilling"]:
            continue
        cur, old = p["osds"][:p["current"]], p["osds"][p["current"]:]
        have_cur = set()
        for o in cur:
            have_cur.update(blob_files(c, o, p["pool"], p["pg"]))
        for o in old:
            for f in blob_files(c, o, p["pool"], p["pg"]):
                if f not in have_cur:
                    out.add((p["pool"], p["pg"], f))
    return out


def run_fallback():
    top = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 64K}"
    with Cluster(OSD, GW, top_yaml=top, name="tern-rebal-fb") as c:
        s3 = c.s3(retries=1, read_timeout=60)
        s3.create_bucket(Bucket=BUCKET)
        objs = {}
        for i in range(64):
            data = os.urandom(256 * KiB + i)
            key = f"fb-{i:03d}"
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            objs[key] = sha(data)
        for osd in (0, 2, 4):
            rc, out = ctl(c, "osd", "out", str(osd))
            check(rc == 0, f"osd out {osd}", out)
        st = status(CTL, c, pgs=True)
        check(st is not None and st["pgs"]["backfilling"] > 0, "PGs are backfilling",
              str(st and st["pgs"]))
        before = orphaned_blobs(c, st) if st else set()
        whole = [p for p in (st or {}).get("pg_list", []) if p["backfilling"]
                 and len(p["osds"]) - p["current"] == 3]
        print(f"fallback: {st and st['pgs']['backfilling']} PGs backfilling, {len(whole)} with a "
              f"wholly new set; {len(before)} blob files on old holders only")
        check(len(before) > 0, "some blobs are on no OSD of their PG's new set (a read from the "
              "new set alone would fail)", str(len(before)))
        bad = 0
        for key, want in objs.items():
            try:
                got = sha(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            except Exception as e:  # noqa: BLE001
                got = str(e)
            bad += got != want
        listed = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update(o["Key"] for o in page.get("Contents", []))
        st2 = status(CTL, c, pgs=True)
        after = orphaned_blobs(c, st2) if st2 else set()
        served = before & after
        print(f"fallback: {len(objs) - bad} of {len(objs)} GETs correct; {len(served)} blob files "
              "were on old holders only before and after the reads")
        check(bad == 0, "every GET reads back while PGs move (old holders serve)", str(bad))
        check(listed == set(objs), "the listing is complete while PGs move",
              str(len(listed)))
        check(len(served) > 0, "those reads needed old holders (blobs absent from the new sets "
              "throughout)", str(len(served)))
        # repair at full speed: the moves complete by themselves, the out OSDs drop everything
        c._yaml = c._yaml[:4] + ("osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 64M}",)
        c._write_config(0)
        for i in range(c.n_osds):
            c.kill_osd(i, signal.SIGTERM)
            c.start_osd(i)
        t, st3 = wait_clean(c, 240)
        check(t is not None, "after the restart the moves complete by themselves (no ternctl "
              "rebalance)", str(st3 and st3["pgs"]))
        left = wait_dropped(c, (0, 2, 4), 90)
        if not check(all(v == (0, 0) for v in left.values()), "the out OSDs end up holding "
                     "nothing", str(left)):
            explain_left(c, left)
        for key, want in objs.items():
            got = sha(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            bad += got != want
        check(bad == 0, "every object reads back after the moves completed", str(bad))


if __name__ == "__main__":
    {"load": run_load, "fallback": run_fallback}[MODE]()
    sys.exit(done())
