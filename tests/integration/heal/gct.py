"""gct — what the garbage-collection tests share: counting blob files of the data pool in every
OSD data directory, triggering GC runs and scrubs with ternctl, waiting for the collector."""
import os
import subprocess
import time

from healt import status


def data_blobs(cluster, osds=None):
    """Every blob file on disk: a set of (osd, pg directory, file name); osds=None: all."""
    out = set()
    for i in range(cluster.n_osds) if osds is None else osds:
        root = os.path.join(cluster.tmp, f"osd.{i}", "blobs")
        try:
            dirs = os.listdir(root)
        except FileNotFoundError:
            continue
        for d in dirs:
            try:
                for f in os.listdir(os.path.join(root, d)):
                    out.add((i, d, f))
            except FileNotFoundError:
                pass
    return out


def blob_bytes(cluster, files):
    n = 0
    for (i, d, f) in files:
        try:
            n += os.path.getsize(os.path.join(cluster.tmp, f"osd.{i}", "blobs", d, f))
        except FileNotFoundError:
            pass
    return n


def vids(files):
    """The data vids (hex) of blob files."""
    return {f.split(".")[0] for (_, _, f) in files}


def kick(ctl, cluster, what, osds=None, deep=False):
    """ternctl osd gc|scrub ID on every (running) OSD in osds; returns how many accepted."""
    n = 0
    for i in range(cluster.n_osds) if osds is None else osds:
        if not cluster.running(f"osd.{i}"):
            continue
        argv = [ctl, "osd", what, str(i), "--config", cluster.config] + (["--deep"] if deep
                                                                          else [])
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        n += r.returncode == 0
    return n


def gc_totals(ctl, cluster):
    st = status(ctl, cluster)
    return (st or {}).get("gc", {})


def gc_until(ctl, cluster, pred, secs, kick_runs=True):
    """Kicks GC runs (every OSD) until pred() holds or secs pass; returns pred()'s last value."""
    t0 = time.time()
    v = pred()
    while not v and time.time() - t0 < secs:
        if kick_runs:
            kick(ctl, cluster, "gc")
        time.sleep(1.0)
        v = pred()
    return v


INTENTS_NS = 0x494E54454E545321
DB_NS = (INTENTS_NS ^ (1 << 63)) - (1 << 64)  # osd_index.c stores ns biased, as int64
CHUNK = 4 << 20
INLINE_MAX = 16 << 10


def chunks(size):
    """Blob chunks of an object of size bytes (0 when inline)."""
    return 0 if size <= INLINE_MAX else (size + CHUNK - 1) // CHUNK


def intent_holders(cluster, vid_hex):
    """OSDs whose index holds the intent row of data vid (the index replicas of its bucket)."""
    import sqlite3
    out = []
    for i in range(cluster.n_osds):
        path = os.path.join(cluster.tmp, f"osd.{i}", "index.db")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            n = db.execute("SELECT COUNT(*) FROM rows WHERE ns=? AND key=?",
                           (DB_NS, bytes.fromhex(vid_hex))).fetchone()[0]
        finally:
            db.close()
        if n:
            out.append(i)
    return out


def rows_with_key_prefix(cluster, prefix):
    """(osd, flags) of every index row whose key starts with prefix, on every OSD."""
    import sqlite3
    out = []
    for i in range(cluster.n_osds):
        path = os.path.join(cluster.tmp, f"osd.{i}", "index.db")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            for (key, flags) in db.execute("SELECT key, flags FROM rows"):
                if bytes(key).startswith(prefix):
                    out.append((i, flags))
        finally:
            db.close()
    return out
