#!/usr/bin/env python3
"""Deep scrub (issue 6, fault test 4): random bytes of 10 blob files are corrupted and 5 more
blob files are deleted in one OSD's data directory, and the inline data of two index rows is
damaged in another OSD's SQLite file (rule 7: a row failing its CRC is an error, never
"absent"); reads return the right data throughout
(the gateway falls back to another replica on a checksum error or a missing blob); the deep
scrub (deep_scrub_interval: 10 s here) finds and repairs every one, its counters say so, the
repaired files are byte for byte what they were, and every PG is clean again.

Usage: test_heal_scrub.py TERN_OSD TERN_GATEWAY TERNCTL.
"""
import os
import random
import sqlite3
import sys
import time

from healt import Workload, check_replicas_equal, osd_stats, status, wait_clean
from ternt import check, done
from ternt_cluster import Cluster

OSD, GW, CTL = sys.argv[1:4]
N_CORRUPT, N_DELETE = 10, 5
BOUND = 90


def blob_paths(c, osd):
    root = os.path.join(c.tmp, f"osd.{osd}", "blobs")
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files]
    return sorted(out)


def damage_rows(c, n, exclude):
    """Flips a bit in the inline data of n rows of one PG of the first OSD (not exclude) that
    holds inline rows; returns (osd, pool, pg, [(ns, key, original inl)])."""
    for osd in range(c.n_osds):
        if osd == exclude:
            continue
        path = os.path.join(c.tmp, f"osd.{osd}", "index.db")
        db = sqlite3.connect(path, timeout=30)
        rows = db.execute("SELECT pool, pg, ns, key, inl FROM rows WHERE length(inl) > 0 "
                          "ORDER BY pool, pg, ns, key").fetchall()
        if len(rows) >= n:
            pool, pg = rows[0][0], rows[0][1]
            same = [r for r in rows if r[0] == pool and r[1] == pg][:n]
            for r in same:
                inl = bytearray(r[4])
                inl[len(inl) // 2] ^= 0x10
                db.execute("UPDATE rows SET inl=? WHERE pool=? AND pg=? AND ns=? AND key=?",
                           (bytes(inl), pool, pg, r[2], r[3]))
            db.commit()
            db.close()
            return osd, pool, pg, [(r[2], r[3], r[4]) for r in same]
        db.close()
    return None, None, None, []


def main():
    yaml = "osd: {recovery_interval: 3600, deep_scrub_interval: 10, scrub_max_bytes_per_sec: 256M}"
    with Cluster(OSD, GW, top_yaml=yaml, name="tern-heal-scrub") as c:
        s3 = c.s3(retries=3)
        s3.create_bucket(Bucket="scrub")
        w = Workload(s3, "scrub", seed=3)
        w.mixed("data", 120)
        t, st = wait_clean(CTL, c, 30)
        check(t is not None, "clean before the damage", str(st and st["pgs"]))
        victim = 4
        st0 = status(CTL, c)  # every OSD's counters before any damage
        before_all = {o["id"]: o for o in (st0 or {}).get("osds", [])}
        before = before_all.get(victim, {})
        paths = blob_paths(c, victim)
        check(len(paths) >= N_CORRUPT + N_DELETE, "enough blob files on the victim",
              str(len(paths)))
        rng = random.Random(4)
        chosen = rng.sample(paths, N_CORRUPT + N_DELETE)
        original = {}
        for p in chosen:
            with open(p, "rb") as f:
                original[p] = f.read()
        for p in chosen[:N_CORRUPT]:
            data = bytearray(original[p])
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
            with open(p, "r+b") as f:
                f.write(bytes(data))
        for p in chosen[N_CORRUPT:]:
            os.unlink(p)
        row_osd, pool, pg, damaged = damage_rows(c, 2, victim)
        check(len(damaged) == 2, "two index rows damaged", str(row_osd))
        row_before = before_all.get(row_osd, {})
        check(w.verify(what="right after the damage") == 0,
              "every object reads back right after the damage")

        t0 = time.time()
        found = repaired = 0
        while time.time() - t0 < BOUND:
            o = osd_stats(CTL, c, victim)
            found = o.get("scrub_errors_found", 0) - before.get("scrub_errors_found", 0)
            repaired = o.get("scrub_errors_repaired", 0) - before.get("scrub_errors_repaired", 0)
            if found >= N_CORRUPT + N_DELETE and repaired == found:
                break
            check(w.verify(what="during the scrub") == 0, "reads stay right during the scrub")
            time.sleep(1)
        print(f"deep scrub found {found} and repaired {repaired} errors in {time.time() - t0:.1f} s")
        check(found == N_CORRUPT + N_DELETE, "the deep scrub found every damaged or missing blob",
              f"found {found}")
        check(repaired == found, "and repaired every one", f"repaired {repaired} of {found}")
        restored = sum(1 for p in chosen if os.path.exists(p) and open(p, "rb").read() == original[p])
        check(restored == len(chosen), "the repaired blob files are byte for byte the originals",
              f"{restored} of {len(chosen)}")
        # the damaged rows: one finding for their PG, repaired from the replicas
        want = 1
        t0 = time.time()
        rfound = rrep = 0
        while row_osd is not None and time.time() - t0 < BOUND:
            o = osd_stats(CTL, c, row_osd)
            rfound = o.get("scrub_errors_found", 0) - row_before.get("scrub_errors_found", 0)
            rrep = o.get("scrub_errors_repaired", 0) - row_before.get("scrub_errors_repaired", 0)
            if rfound >= want and rrep == rfound:
                break
            time.sleep(1)
        check(rfound == want and rrep == rfound, "the deep scrub found and repaired the damaged "
              "rows' PG", f"osd.{row_osd}: found {rfound} repaired {rrep}, want {want}")
        if row_osd is not None:
            db = sqlite3.connect(os.path.join(c.tmp, f"osd.{row_osd}", "index.db"), timeout=30)
            now = [db.execute("SELECT inl FROM rows WHERE pool=? AND pg=? AND ns=? AND key=?",
                              (pool, pg, ns, key)).fetchone() for ns, key, _ in damaged]
            db.close()
            check([r[0] if r else None for r in now] == [inl for _, _, inl in damaged],
                  "the damaged rows hold their original bytes again")
        t, st = wait_clean(CTL, c, 30)
        check(t is not None and st["health"] == "HEALTH_OK", "clean and healthy after the scrub",
              str(st and (st["pgs"], st["health"], st["scrub"])))
        check_replicas_equal(CTL, c, [victim], "after the scrub")
        check(w.verify(what="after the scrub") == 0, "every object reads back after the scrub")
        st = status(CTL, c)
        check(st is not None and st["scrub"]["errors_found"] >= N_CORRUPT + N_DELETE and
              st["scrub"]["blobs_checked"] > 0 and st["scrub"]["deep_passes"] > 0,
              "ternctl status shows the scrub's findings", str(st and st["scrub"]))
    return done()


if __name__ == "__main__":
    sys.exit(main())
