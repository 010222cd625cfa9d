"""ternt_workload — a bounded, recorded, mixed S3 workload for fault tests (issue 6).

    from ternt_workload import Workload
    w = Workload(lambda: c.s3(read_timeout=60), "bucket")   # nothing runs yet
    w.start()                      # THREADS boto3 threads: PUT (0 B..9 MiB), multipart PUT,
                                   # overwrite, DELETE, GET, HEAD, LIST
    w.set_phase("frozen")          # labels the requests that start from now on
    ...inject a fault...
    w.stop()                       # stops and joins the threads (bounded)
    w.report("freeze")             # prints counts and p50/p99/max latency per kind and phase
    w.errors                       # [(kind, key, code, http status, phase, t)]: every failed
                                   # or wrong answer (GET of the wrong bytes, LIST missing a
                                   # key; "crash" if a thread died), t = w.now() at its end
    w.latencies(kinds=None, phase=None)  # sorted seconds of the matching requests
    bad = w.verify(c.s3())         # [] if every acknowledged write reads back byte-exact
                                   # (SHA-256 of its newest acknowledged version), deleted keys
                                   # stay deleted (404), and one LIST agrees

Bounds: each thread stops after max_ops operations or max_seconds, whichever comes first,
and stop() waits at most 120 s per thread. Every request is timed on its own (a multipart
upload is 2 + parts requests: create, each part, complete); put_size_split (default 1 MiB)
puts larger single PUTs and upload parts under kind "put>1M" / "part" so that bounds can
treat bytes-heavy requests apart.

The model: thread i owns the keys "<prefix>w<i>-k<n>", so its operations on a key are
sequential and the last acknowledged one defines the key's content. A failed write (error,
timeout) may or may not have taken effect (DESIGN.md: a 503 PUT may appear later), so it
widens that key's set of acceptable states until the next acknowledged operation narrows it
again. A key with one acceptable state is "strict"; GET and LIST are checked against strict
keys during the run (read-after-write and list-after-write hold: R + W > N) and verify()
checks every key. Keys: ok[key] = set of SHA-256 hex digests, None meaning "absent".

Knobs (constructor keywords): threads=4, seed=1, max_ops=5000, max_seconds=600,
max_size=None (largest single-PUT body), multipart=True (5 MiB + tail uploads, ~4 % of
writes), pause=0.0 (seconds between one thread's operations), prefix="".
"""
import concurrent.futures
import hashlib
import os
import random
import threading
import time

import botocore

KiB, MiB = 1024, 1024 * 1024
# empty, inline (<= 16 KiB), the inline boundary, one 4 MiB chunk, chunk boundaries, 3 chunks
SIZES = [0, 1, 100, 4 * KiB, 16 * KiB, 16 * KiB + 1, 100 * KiB, 1 * MiB,
         4 * MiB, 4 * MiB + 1, 9 * MiB + 12345]
WEIGHTS = [3, 3, 4, 4, 3, 3, 4, 3, 1, 1, 1]
PART = 5 * MiB  # S3's smallest part but the last
ABSENT = None


def sha(b):
    return hashlib.sha256(b).hexdigest()


def body_of(size, rnd):
    """size bytes unlike any other body: a seeded random head, os.urandom filler."""
    head = rnd.randbytes(min(size, 64))
    return head + os.urandom(size - len(head)) if size > 64 else head


def err_of(e):
    """(code, HTTP status) of a botocore error; transport errors get status 0."""
    if isinstance(e, botocore.exceptions.ClientError):
        return (e.response.get("Error", {}).get("Code"),
                e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    return (type(e).__name__ + ": " + str(e)[:120], 0)


def verify_keys(s3, bucket, ok, threads=4):
    """GETs every key of ok (key -> set of acceptable states: SHA-256 hex or ABSENT) from
    bucket (`threads` GETs in flight on the thread-safe client s3) and compares. Returns
    ([(key, problem, ...)] in key order, number of keys with one state)."""
    def one(item):
        key, states = item
        try:
            got = sha(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except botocore.exceptions.ClientError as ex:
            if ex.response.get("Error", {}).get("Code") != "NoSuchKey":
                return (key, err_of(ex))
            got = ABSENT
        except Exception as ex:  # noqa: BLE001
            return (key, err_of(ex))
        if got not in states:
            return (key, "absent" if got is ABSENT else "wrong content",
                    "expected absent" if states == {ABSENT} else f"{len(states)} states")
        return None

    items = sorted(ok.items())
    with concurrent.futures.ThreadPoolExecutor(max(1, threads)) as ex:
        bad = [r for r in ex.map(one, items) if r is not None]
    return bad, sum(len(states) == 1 for _, states in items)


def pct(sorted_list, p):
    """The p-quantile (0..1) of a sorted list (nearest rank), 0.0 if empty."""
    if not sorted_list:
        return 0.0
    return sorted_list[min(len(sorted_list) - 1, int(len(sorted_list) * p))]


class _Thread(threading.Thread):
    def __init__(self, wl, tid):
        super().__init__(daemon=True)
        self.wl, self.tid = wl, tid
        self.s3 = wl.client()
        self.rnd = random.Random(wl.seed * 1000 + tid)
        self.ok = {}
        self.lat = []  # (seconds, kind, phase)
        self.errors = []
        self.nkeys = 0
        self.acked_puts = 0
        self.acked_deletes = 0

    # ---- one timed request ----
    def _timed(self, kind, fn):
        ph = self.wl.phase
        t0 = time.monotonic()
        try:
            res, e = fn(), None
        except Exception as ex:  # noqa: BLE001 — every failure is recorded
            res, e = None, ex
        self.lat.append((time.monotonic() - t0, kind, ph))
        return res, e, ph

    def _err(self, kind, key, e, ph):
        self.errors.append((kind, key) + err_of(e) + (ph, self.wl.now()))

    def _wrote(self, key, state, acked):
        if acked:
            self.ok[key] = {state}
        else:
            self.ok.setdefault(key, {ABSENT}).add(state)

    # ---- operations ----
    def put(self, key, size):
        data = body_of(size, self.rnd)
        kind = "put>1M" if size > self.wl.put_size_split else "put"
        _, e, ph = self._timed(kind, lambda: self.s3.put_object(
            Bucket=self.wl.bucket, Key=key, Body=data))
        self._wrote(key, sha(data), e is None)
        if e is None:
            self.acked_puts += 1
        else:
            self._err(kind, key, e, ph)

    def multipart(self, key):
        tail = self.rnd.choice([1, 100 * KiB, 2 * MiB])
        data = body_of(PART + tail, self.rnd)
        b = self.wl.bucket
        r, e, ph = self._timed("mpu-create", lambda: self.s3.create_multipart_upload(
            Bucket=b, Key=key))
        if e is not None:
            return self._err("mpu-create", key, e, ph)
        uid, parts = r["UploadId"], []
        for n, (lo, hi) in enumerate([(0, PART), (PART, len(data))], 1):
            r, e, ph = self._timed("part", lambda: self.s3.upload_part(
                Bucket=b, Key=key, UploadId=uid, PartNumber=n, Body=data[lo:hi]))
            if e is not None:
                self._err("part", key, e, ph)
                self._timed("mpu-abort", lambda: self.s3.abort_multipart_upload(
                    Bucket=b, Key=key, UploadId=uid))
                return None
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        _, e, ph = self._timed("mpu-complete", lambda: self.s3.complete_multipart_upload(
            Bucket=b, Key=key, UploadId=uid, MultipartUpload={"Parts": parts}))
        self._wrote(key, sha(data), e is None)
        if e is None:
            self.acked_puts += 1
        else:
            self._err("mpu-complete", key, e, ph)
        return None

    def delete(self, key):
        _, e, ph = self._timed("delete", lambda: self.s3.delete_object(
            Bucket=self.wl.bucket, Key=key))
        self._wrote(key, ABSENT, e is None)
        if e is None:
            self.acked_deletes += 1
        else:
            self._err("delete", key, e, ph)

    def get(self, key):
        def fn():
            try:
                return sha(self.s3.get_object(Bucket=self.wl.bucket, Key=key)["Body"].read())
            except botocore.exceptions.ClientError as ex:
                if ex.response.get("Error", {}).get("Code") == "NoSuchKey":
                    return ABSENT
                raise
        got, e, ph = self._timed("get", fn)
        if e is not None:
            self._err("get", key, e, ph)
        elif got not in self.ok[key]:
            self.errors.append(("get", key, "wrong content" if got else "absent", 200, ph,
                                self.wl.now()))

    def head(self, key):
        def fn():
            try:
                return self.s3.head_object(Bucket=self.wl.bucket, Key=key)["ContentLength"]
            except botocore.exceptions.ClientError as ex:
                if ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return -1
                raise
        got, e, ph = self._timed("head", fn)
        if e is not None:
            self._err("head", key, e, ph)
        elif len(self.ok[key]) == 1 and (got == -1) != (self.ok[key] == {ABSENT}):
            self.errors.append(("head", key, "wrong existence", 200, ph, self.wl.now()))

    def list(self):
        prefix = f"{self.wl.prefix}w{self.tid}-"

        def fn():
            keys, token = set(), None
            for _ in range(100):  # bounded: 100 pages of 1000
                kw = {"ContinuationToken": token} if token else {}
                r = self.s3.list_objects_v2(Bucket=self.wl.bucket, Prefix=prefix, **kw)
                keys.update(o["Key"] for o in r.get("Contents", []))
                if not r.get("IsTruncated"):
                    break
                token = r["NextContinuationToken"]
            return keys
        got, e, ph = self._timed("list", fn)
        if e is not None:
            return self._err("list", prefix, e, ph)
        bad = [k for k, ok in self.ok.items() if len(ok) == 1 and (k in got) == (ok == {ABSENT})]
        if bad:
            self.errors.append(("list", bad[0], f"list disagrees on {len(bad)} keys", 200, ph,
                                self.wl.now()))
        return None

    def step(self):
        wl, rnd = self.wl, self.rnd
        keys = list(self.ok)
        x = rnd.random()
        new = x < 0.35 or len(keys) < 4
        if new:
            key = f"{wl.prefix}w{self.tid}-k{self.nkeys:05d}"
            self.nkeys += 1
        else:
            key = rnd.choice(keys)
        if new or x < 0.50:  # create or overwrite
            if wl.multipart and rnd.random() < 0.04:
                self.multipart(key)
            else:
                self.put(key, rnd.choices(wl.sizes, wl.weights)[0])
        elif x < 0.62:
            self.delete(key)
        elif x < 0.68:
            self.head(key)
        elif x < 0.72:
            self.list()
        else:
            self.get(key)

    def run(self):
        wl = self.wl
        for _ in range(wl.max_ops):
            if wl._stop.is_set() or time.monotonic() > wl._deadline:
                break
            try:
                self.step()
            except Exception as ex:  # noqa: BLE001 — a bug here must show, not end silently
                self.errors.append(("crash", "", repr(ex), 0, wl.phase, wl.now()))
                break
            if wl.pause:
                time.sleep(wl.pause)


class Workload:
    """See the module comment."""

    def __init__(self, client, bucket, threads=4, seed=1, max_ops=5000, max_seconds=600,
                 max_size=None, multipart=True, pause=0.0, prefix="", put_size_split=MiB):
        self.client, self.bucket = client, bucket
        self.seed, self.max_ops, self.max_seconds = seed, max_ops, max_seconds
        self.multipart, self.pause, self.prefix = multipart, pause, prefix
        self.put_size_split = put_size_split
        sw = [(z, w) for z, w in zip(SIZES, WEIGHTS) if max_size is None or z <= max_size]
        self.sizes, self.weights = [z for z, _ in sw], [w for _, w in sw]
        self.phase = "start"
        self._stop = threading.Event()
        self._deadline = 0.0
        self.threads = [_Thread(self, i) for i in range(threads)]
        self.t0 = None

    def start(self):
        self.t0 = time.monotonic()
        self._deadline = self.t0 + self.max_seconds
        for t in self.threads:
            t.start()
        return self

    def now(self):
        """Seconds since start()."""
        return time.monotonic() - self.t0

    def set_phase(self, name):
        """Labels requests that start from now on; returns now()."""
        self.phase = name
        t = self.now()
        print(f"  t={t:6.1f}s -> {name}", flush=True)
        return t

    def stop(self):
        """Stops the threads; returns True if all of them finished within 120 s each."""
        self._stop.set()
        for t in self.threads:
            t.join(timeout=120)
        return not any(t.is_alive() for t in self.threads)

    def run_for(self, seconds):
        """Lets the workload run for `seconds` (returns early if every thread is done)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and any(t.is_alive() for t in self.threads):
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))

    # ---- results ----
    @property
    def errors(self):
        return [e for t in self.threads for e in t.errors]

    @property
    def ok(self):
        """key -> set of acceptable states (SHA-256 hex or ABSENT), over every thread."""
        return {k: v for t in self.threads for k, v in t.ok.items()}

    def acked(self):
        """(acknowledged PUTs incl. multipart completes, acknowledged DELETEs)."""
        return (sum(t.acked_puts for t in self.threads),
                sum(t.acked_deletes for t in self.threads))

    def latencies(self, kinds=None, phase=None):
        """Sorted seconds of every request whose kind is in kinds (None: all) and that
        started in phase (None: any)."""
        return sorted(d for t in self.threads for d, k, ph in t.lat
                      if (kinds is None or k in kinds) and (phase is None or ph == phase))

    def slowest(self, n=5):
        return sorted(((round(d, 3), k, ph) for t in self.threads for d, k, ph in t.lat),
                      reverse=True)[:n]

    def report(self, label):
        """Prints requests, errors, acknowledged writes, and latency per kind and per phase;
        returns {kind: (n, p50, p99, max)}."""
        lat = [x for t in self.threads for x in t.lat]
        puts, dels = self.acked()
        print(f"  {label}: {len(lat)} requests, {len(self.errors)} errors, {puts} acknowledged "
              f"writes, {dels} acknowledged deletes; latency (s):")
        out = {}
        for kind in sorted({k for _, k, _ in lat}):
            s = self.latencies([kind])
            out[kind] = (len(s), pct(s, 0.5), pct(s, 0.99), s[-1])
            print(f"    {kind:12s} n={len(s):5d} p50={pct(s, 0.5):.3f} p99={pct(s, 0.99):.3f} "
                  f"max={s[-1]:.3f}")
        for ph in dict.fromkeys(p for _, _, p in lat):
            s = self.latencies(phase=ph)
            print(f"    phase {ph:10s} n={len(s):5d} p99={pct(s, 0.99):.3f} max={s[-1]:.3f}")
        print(f"    slowest: {self.slowest()}", flush=True)
        return out

    def verify(self, s3, list_check=True):
        """GETs every key ever written and compares it with its acceptable states, then LISTs
        the workload's prefix once. Returns a list of (key, problem); prints a summary."""
        ok = self.ok
        bad, strict = verify_keys(s3, self.bucket, ok)
        if list_check:
            listed, token = set(), None
            for _ in range(1000):
                kw = {"ContinuationToken": token} if token else {}
                r = s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, **kw)
                listed.update(o["Key"] for o in r.get("Contents", []))
                if not r.get("IsTruncated"):
                    break
                token = r["NextContinuationToken"]
            for key, states in ok.items():
                if len(states) == 1 and (key in listed) == (states == {ABSENT}):
                    bad.append((key, "LIST disagrees", "listed" if key in listed else "missing"))
        live = sum(1 for s in ok.values() if ABSENT not in s)
        print(f"  verify: {len(ok)} keys ({strict} strict, {live} surely live), {len(bad)} bad",
              flush=True)
        return bad
