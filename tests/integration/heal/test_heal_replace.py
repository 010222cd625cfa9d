#!/usr/bin/env python3
"""A replaced disk (DESIGN rule 4, "an empty disk does not vote") and an out OSD left stopped.

Usage: test_heal_replace.py TERN_OSD TERN_GATEWAY TERNCTL MODE
  replace     The bucket's index PG is [V, L, H] (placement order; small objects live inline in
              its rows). `ternctl rebalance` records every disk's incarnation. Set A is written
              with all OSDs up; L is stopped and set B written (new keys, and overwrites of some
              A keys): B reaches V and H only. V is stopped and its data directory wiped (the
              disk is replaced): B now lives on H alone. V restarts with the same id and a new,
              empty directory: it refuses service (its log and `ternctl status` name `ternctl
              osd replace`) and health is not OK. L restarts; its repair is rate-limited, so it
              still lacks B for a while (until the gateway's read repair or its throttled page
              gives it each key). `ternctl osd replace V` admits V: status shows V
              filling its PGs. While L lags, every key is read at R=2 (repeatedly): an empty V
              that voted would make a read of {V, L} answer NoSuchKey for new keys and the old
              content for overwritten ones; with rule 4 reads use {L, H} and never do. Then the
              moves complete by themselves (no `ternctl rebalance`), V votes again (no PG moves,
              none filling), V holds exactly the rows and blobs of its PGs' other replicas, and
              every object reads back byte for byte.
  outstopped  `ternctl status` after `osd out 5`, the move completing and osd.5 stopped: an out
              OSD that no PG lists is shown down/out and health is HEALTH_OK (it was
              HEALTH_WARN forever); an in OSD that is stopped still makes it HEALTH_WARN.
"""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import botocore

from healt import check_replicas_equal, status
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL, MODE = sys.argv[1:5]
BUCKET = "repl"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def ctl(c, *args, timeout=120):
    r = subprocess.run([CTL, *args, "--config", c.config], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def wait_for(pred, secs, step=0.5):
    t0 = time.time()
    while time.time() - t0 < secs:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def osd_view(st, osd):
    for o in (st or {}).get("osds", []):
        if o["id"] == osd:
            return o
    return {}


def index_pg(c, st):
    """(pool id, pg, osds) of the index PG that holds the bucket's rows."""
    pool = next(p["pool"] for p in st["pg_list"] if p["pool_name"] == "index")
    counts = {}
    for o in range(c.n_osds):
        db = sqlite3.connect(f"file:{c.tmp}/osd.{o}/index.db?mode=ro", uri=True, timeout=10)
        try:
            for pg, n in db.execute("SELECT pg, COUNT(*) FROM rows WHERE pool=? GROUP BY pg",
                                    (pool,)):
                counts[pg] = max(counts.get(pg, 0), n)
        finally:
            db.close()
    pg = max(counts, key=counts.get)
    osds = next(p["osds"] for p in st["pg_list"] if p["pool"] == pool and p["pg"] == pg)
    return pool, pg, osds


def run_replace():
    # repair slow enough that a restarted OSD lags for a while (a page of rows, ~2.3 MB here,
    # waits for its tokens before it is merged: ~35 s), fast enough that the replaced disk
    # fills in about a minute. Objects of 15 KB are inline (in the index PG's rows).
    top = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 64K}"
    with Cluster(OSD, GW, top_yaml=top, name="tern-replace") as c:
        s3 = c.s3(retries=1, read_timeout=30)
        s3.create_bucket(Bucket=BUCKET)
        rc, out = ctl(c, "rebalance")
        check(rc == 0 and "identity of 6 OSD(s)" in out,
              "ternctl rebalance records every disk's incarnation", out)
        want = {}
        for i in range(90):
            data = os.urandom(15000 + i)
            s3.put_object(Bucket=BUCKET, Key=f"a-{i:03d}", Body=data)
            want[f"a-{i:03d}"] = sha(data)
        st = status(CTL, c, pgs=True)
        pool, pg, osds = index_pg(c, st)
        V, L, H = osds[0], osds[1], osds[2]
        print(f"index PG {pool}.{pg} on {osds}: replacing osd.{V}, osd.{L} lags")

        c.kill_osd(L)
        for i in range(60):
            data = os.urandom(15100 + i)
            s3.put_object(Bucket=BUCKET, Key=f"b-{i:03d}", Body=data)
            want[f"b-{i:03d}"] = sha(data)
        for i in range(0, 60, 3):  # overwrites L never saw
            data = os.urandom(14900 + i)
            s3.put_object(Bucket=BUCKET, Key=f"a-{i:03d}", Body=data)
            want[f"a-{i:03d}"] = sha(data)
        c.kill_osd(V)
        shutil.rmtree(f"{c.tmp}/osd.{V}")  # the disk is replaced: a new, empty directory
        c.start_osd(V)

        # refused until admitted
        def refused():
            st = status(CTL, c)
            return st if osd_view(st, V).get("not_admitted") else None
        st = wait_for(refused, 20)
        check(st is not None, f"status: osd.{V} is not admitted (new data directory)",
              str(osd_view(status(CTL, c), V)))
        check(st is not None and st["health"] != "HEALTH_OK", "health is not OK meanwhile",
              str(st and st["health"]))
        log = c.log_text(f"osd.{V}")
        check(f"ternctl osd replace {V}" in log, "the OSD's log tells the operator what to run",
              log[-600:])
        r = subprocess.run([CTL, "status", "--config", c.config], capture_output=True, text=True,
                           timeout=120)
        check(f"ternctl osd replace {V}" in r.stdout, "ternctl status names the command",
              r.stdout)
        rows_v = sqlite3.connect(f"file:{c.tmp}/osd.{V}/index.db?mode=ro", uri=True).execute(
            "SELECT COUNT(*) FROM rows").fetchone()[0]
        check(rows_v == 0, "the refusing OSD took no rows", str(rows_v))

        # the refusing OSD is a failed replica to the gateway: with L down too, a GET is served
        # by H alone (a degraded read)
        try:
            r = s3.get_object(Bucket=BUCKET, Key="b-000")
            got = sha(r["Body"].read())
            degraded = r["ResponseMetadata"]["HTTPHeaders"].get("x-tern-degraded-read")
        except botocore.exceptions.ClientError as e:
            got, degraded = e.response["Error"]["Code"], None
        check(got == want["b-000"] and degraded == "1",
              "a GET while the new disk refuses and L is down: a degraded read from H",
              f"{got} {degraded}")
        c.start_osd(L)  # it lags: its repair is rate-limited
        rc, out = ctl(c, "osd", "replace", str(V))
        check(rc == 0 and "backfill onto it" in out, f"ternctl osd replace {V}", out)
        st = status(CTL, c, pgs=True)
        v = osd_view(st, V)
        check(not v.get("not_admitted") and v.get("filling_pgs", 0) > 0,
              f"status shows osd.{V} admitted and filling its PGs", str(v))
        check(st is not None and st["pgs"]["backfilling"] > 0 and st["health"] == "HEALTH_WARN",
              "its PGs are backfilling (HEALTH_WARN)", str(st and st["pgs"]))
        r = subprocess.run([CTL, "status", "--config", c.config], capture_output=True, text=True,
                           timeout=120)
        check("not voting there" in r.stdout, "ternctl status shows it filling", r.stdout)

        # the gateway backs off from an OSD that refused connections (up to 2 s): until it
        # retries L, a listing has only H (V does not vote) and honestly fails with 503, and
        # a GET is a degraded read from H, which would not test rule 4. Wait until a listing
        # (R=2 from {L, H}) succeeds; L's rate-limited repair takes ~35 s per page meanwhile.
        def listable():
            try:
                s3.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
                return True
            except botocore.exceptions.ClientError:
                return False
        check(wait_for(listable, 30, step=0.2), "the gateway reaches L again (a listing works)")

        # reads at R=2 while V is empty and L lags: never NoSuchKey, never stale. The keys L
        # lacks (new ones, overwrites) first, while it surely lags.
        def new_keys(o):
            db = sqlite3.connect(f"file:{c.tmp}/osd.{o}/index.db?mode=ro", uri=True, timeout=10)
            try:
                return db.execute("SELECT COUNT(*) FROM rows WHERE pool=? AND pg=? AND "
                                  "CAST(key AS TEXT) LIKE 'b-%'", (pool, pg)).fetchone()[0]
            finally:
                db.close()
        lag_before = new_keys(L)
        risky = [k for k in want if k.startswith("b-") or int(k[2:]) % 3 == 0]
        order = risky + [k for k in sorted(want) if k not in risky]
        bad, reads = [], 0
        for rnd in range(2):
            for key in order:
                h = want[key]
                reads += 1
                try:
                    got = sha(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
                    if got != h:
                        bad.append((rnd, key, "stale content"))
                except botocore.exceptions.ClientError as e:
                    bad.append((rnd, key, e.response["Error"]["Code"]))
            listed = set()
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
                listed.update(o["Key"] for o in page.get("Contents", []))
            if listed != set(want):
                bad.append((rnd, "LIST", f"{len(set(want) - listed)} keys missing"))
            if rnd == 0:
                lag_after = new_keys(L)
        check(new_keys(H) == 60, f"osd.{H} holds the 60 new keys", str(new_keys(H)))
        print(f"{reads} reads while osd.{V} filled; osd.{L} held {lag_before} of 60 new keys "
              f"before them, {lag_after} after the first round; {len(bad)} bad: {bad[:5]}")
        # (the gateway's read repair fills L with each key it reads from {L, H}: so L lacks a
        # key exactly until its first read, which is what matters)
        check(lag_before < 60, f"osd.{L} lagged when the reads began (so they tested rule 4)",
              f"{lag_before} {lag_after}")
        check(not bad, "no read answered NoSuchKey or stale content because of the empty disk",
              str(bad[:10]))

        data = os.urandom(12345)
        put_ok = None
        for _ in range(20):  # until the gateway sees L back (its client backs off from a dead OSD)
            try:
                s3.put_object(Bucket=BUCKET, Key="c-000", Body=data)
                put_ok = True
                break
            except botocore.exceptions.ClientError as e:
                put_ok = e.response["Error"]["Code"]
                time.sleep(0.5)
        want["c-000"] = sha(data)  # the same bytes every attempt
        check(put_ok is True, "a PUT while the new disk fills succeeds", put_ok)

        # backfill completes by itself; V votes again
        def settled():
            st = status(CTL, c, pgs=True)
            if st and st["pgs"]["backfilling"] == 0 and st["pgs"]["clean"] == st["pgs"]["total"]:
                return st
            return None
        t0 = time.time()
        st = wait_for(settled, 240, 1.0)
        check(st is not None, "the replaced disk's PGs backfill and their moves complete by "
              "themselves", str(status(CTL, c)))
        print(f"osd.{V} backfilled, moves complete {time.time() - t0:.1f} s after the reads")
        v = osd_view(st, V)
        check(v.get("filling_pgs") == 0 and v.get("pgs", 0) > 0 and st["health"] == "HEALTH_OK",
              f"osd.{V} votes again (holds PGs, fills none), HEALTH_OK", str(v))
        check_replicas_equal(CTL, c, [V], f"osd.{V} after backfill")
        bad = 0
        for key, h in sorted(want.items()):
            bad += sha(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()) != h
        check(bad == 0, "every object reads back byte for byte", str(bad))


def run_outstopped():
    top = "osd: {recovery_interval: 3600, recovery_max_bytes_per_sec: 64M}"
    with Cluster(OSD, GW, top_yaml=top, name="tern-outstop") as c:
        s3 = c.s3(retries=1)
        s3.create_bucket(Bucket=BUCKET)
        for i in range(20):
            s3.put_object(Bucket=BUCKET, Key=f"k-{i:03d}", Body=os.urandom(1000 + i))
        c.kill_osd(4)
        st = status(CTL, c)
        check(st is not None and st["health"] == "HEALTH_WARN",
              "an in OSD that is stopped: HEALTH_WARN", str(st and st["health"]))
        c.start_osd(4)
        rc, out = ctl(c, "osd", "out", "5")
        check(rc == 0, "osd out 5", out)

        def moved():
            st = status(CTL, c, pgs=True)
            if st and st["pgs"]["backfilling"] == 0 and st["pgs"]["clean"] == st["pgs"]["total"]:
                return st
            return None
        st = wait_for(moved, 120)
        check(st is not None and all(5 not in p["osds"] for p in st["pg_list"]),
              "the move completed by itself: no PG lists osd.5", "")
        c.kill_osd(5)
        st = status(CTL, c)
        v = osd_view(st, 5)
        print(f"status with osd.5 out and stopped: {st and st['health']}, {v}")
        check(v.get("up") is False and v.get("in") is False and v.get("pgs") == 0,
              "osd.5 shown down and out, listed by no PG", str(v))
        check(st is not None and st["health"] == "HEALTH_OK",
              "an out, stopped OSD that holds nothing is not a health problem: HEALTH_OK",
              str(st and st["health"]))
        r = subprocess.run([CTL, "status", "--config", c.config], capture_output=True, text=True,
                           timeout=120)
        check("down/out" in r.stdout and "HEALTH_OK" in r.stdout,
              "the text status shows osd.5 down/out and HEALTH_OK", r.stdout)
        c.kill_osd(3)
        st = status(CTL, c)
        check(st is not None and st["health"] == "HEALTH_WARN",
              "an in OSD stopped as well: HEALTH_WARN again", str(st and st["health"]))


if __name__ == "__main__":
    {"replace": run_replace, "outstopped": run_outstopped}[MODE]()
    sys.exit(done())
