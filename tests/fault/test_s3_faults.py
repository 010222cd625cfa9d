#!/usr/bin/env python3
"""S3 under failures: a real cluster (6 tern-osd on 3 simulated hosts, one tern-gateway, from
tests/lib/ternt_cluster.py) driven by several boto3 threads (no client retries) with a bounded
mixed workload (PUT of 0 B..9 MiB — inline, single- and multi-chunk — overwrite, DELETE, GET,
HEAD), while one scenario's fault is injected. Every acknowledged write is recorded (key ->
sha256 of the body, or "deleted") and verified at the end with GET/HEAD per key (no listings).

Usage: test_s3_faults.py TERN_OSD TERN_GATEWAY SCENARIO
  kill_osd    one OSD SIGKILLed mid-load: zero client errors, no stall; restart; all reads back
  kill_host   both OSDs of one host SIGKILLed: the same
  freeze_osd  one OSD SIGSTOPped for 12 s under load: zero errors and EVERY request < 1 s
              (or 2x the fault-free first 5 s's slowest, if that was over 0.5 s)
  no_fault    the freeze_osd load without freezing anything (a control run, not in ctest)
  two_hosts   two of three hosts down: plain GET/HEAD of data with a live replica succeed
              as degraded R = 1 reads flagged `x-tern-degraded-read: 1` (DESIGN rule 8);
              writes, LIST, conditional GET, CopyObject from such a source and reads of a
              key no live replica holds answer 503 ServiceUnavailable; nothing
              acknowledged is lost; after the restart everything reads back and writes
              work again
Prints the figures (requests, errors, max latency per kind) and "N passed, N failed". Every
process is killed by PID at the end, also on failure.
"""
import os
import random
import re
import sys
import threading
import time

import botocore

from ternt import check, done
from ternt_cluster import Cluster
# the body, hash and error helpers, the size mix and the final read-back are the shared
# workload library's. This file predates it and keeps its own Worker: its mix (no LIST, no
# multipart, the phases of run_load) is what the bounds below are tuned to, and two_hosts
# expects 503s for exactly the requests it sends.
from ternt_workload import ABSENT, KiB, MiB, SIZES, WEIGHTS, body_of, err_of, sha, verify_keys

OSD, GW, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3]
BUCKET = "faults"
THREADS = 4


class Worker(threading.Thread):
    """One client thread. It owns the keys w<id>-*, so the outcome of its acknowledged
    operations defines what each key must hold; a failed write widens the key's set of
    acceptable states (a PUT answered 503 may still appear later, DESIGN.md)."""

    def __init__(self, wid, s3, stop, phase, max_size=None, pause=0.0):
        super().__init__(daemon=True)
        self.pause = pause
        self.wid, self.s3, self.stop, self.phase = wid, s3, stop, phase
        # the sizes this worker uses (max_size: the freeze scenario keeps bodies smaller so
        # that the 1 s bound measures the gateway, not this 2-vCPU machine's CPU)
        sw = [(z, w) for z, w in zip(SIZES, WEIGHTS) if max_size is None or z <= max_size]
        self.sizes, self.weights = [z for z, _ in sw], [w for _, w in sw]
        self.rnd = random.Random(1000 + wid)
        self.ok = {}       # key -> set of acceptable sha256 (ABSENT = must not exist)
        self.lat = {}      # kind -> list of (seconds, phase)
        self.errors = []   # (kind, key, code, status, phase)
        self.counts = {}
        self.nkeys = 0
        self.slowest = (0.0, None, -1, None)  # (seconds, kind, body size, phase)

    def _timed(self, kind, fn, size=-1):
        t0 = time.monotonic()
        ph = self.phase[0]
        try:
            res = fn()
            e = None
        except Exception as ex:  # noqa: BLE001 — every failure is recorded
            res, e = None, ex
        dt = time.monotonic() - t0
        # big PUTs are timed apart: their time is mostly moving bytes on a shared 2-vCPU
        # machine, while a stall on a dead or frozen OSD shows on every request size
        lkind = "put>1M" if kind == "put" and size > (1 << 20) else kind
        self.lat.setdefault(lkind, []).append((dt, ph))
        if dt > self.slowest[0]:
            self.slowest = (dt, kind, size, ph)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return res, e, ph

    def _record_err(self, kind, key, e, ph):
        code, status = err_of(e)
        self.errors.append((kind, key, code, status, ph))

    def put(self, key, size):
        data = body_of(size, self.rnd)
        _, e, ph = self._timed("put", lambda: self.s3.put_object(Bucket=BUCKET, Key=key, Body=data),
                               size)
        if e is None:
            self.ok[key] = {sha(data)}
        else:
            self.ok.setdefault(key, {ABSENT}).add(sha(data))
            self._record_err("put", key, e, ph)

    def delete(self, key):
        _, e, ph = self._timed("delete", lambda: self.s3.delete_object(Bucket=BUCKET, Key=key))
        if e is None:
            self.ok[key] = {ABSENT}
        else:
            self.ok[key].add(ABSENT)
            self._record_err("delete", key, e, ph)

    def get(self, key):
        def fn():
            try:
                r = self.s3.get_object(Bucket=BUCKET, Key=key)
                return sha(r["Body"].read())
            except botocore.exceptions.ClientError as ex:
                if ex.response.get("Error", {}).get("Code") == "NoSuchKey":
                    return ABSENT
                raise
        got, e, ph = self._timed("get", fn)
        if e is not None:
            self._record_err("get", key, e, ph)
        elif got not in self.ok[key]:
            self.errors.append(("get", key, "wrong content", 200, ph))

    def head(self, key):
        def fn():
            try:
                return self.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
            except botocore.exceptions.ClientError as ex:
                if ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return -1
                raise
        got, e, ph = self._timed("head", fn)
        if e is not None:
            self._record_err("head", key, e, ph)
        elif (got == -1) != (self.ok[key] == {ABSENT}) and len(self.ok[key]) == 1:
            self.errors.append(("head", key, "wrong existence", 200, ph))

    def step(self):
        keys = list(self.ok)
        x = self.rnd.random()
        if not keys or x < 0.35 or len(keys) < 4:
            key = f"w{self.wid}-k{self.nkeys:05d}"
            self.nkeys += 1
            self.put(key, self.rnd.choices(self.sizes, self.weights)[0])
            return
        key = self.rnd.choice(keys)
        if x < 0.50:
            self.put(key, self.rnd.choices(self.sizes, self.weights)[0])  # overwrite (or re-create)
        elif x < 0.62:
            self.delete(key)
        elif x < 0.70:
            self.head(key)
        else:
            self.get(key)

    def run(self):
        n = 0
        while not self.stop.is_set() and n < 5000:  # bounded either way
            self.step()
            n += 1
            if self.pause:
                time.sleep(self.pause)


def run_load(c, seconds_plan, threads=THREADS, max_size=None, pause=0.0):
    """Runs THREADS workers while seconds_plan [(t, action, phase_name)] fires actions at
    offsets (seconds from the start); the last entry ends the load. Returns the workers."""
    stop = threading.Event()
    phase = ["before"]
    workers = [Worker(i, c.s3(read_timeout=60), stop, phase, max_size, pause)
               for i in range(threads)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    for at, action, name in seconds_plan:
        delay = t0 + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if action is not None:
            action()
        phase[0] = name
        print(f"  t={time.monotonic() - t0:5.1f}s -> {name}", flush=True)
    stop.set()
    for w in workers:
        w.join(timeout=120)
        check(not w.is_alive(), f"worker {w.wid} finished within 120 s after stop")
    return workers


def summarize(workers, label):
    kinds = {}
    for w in workers:
        for k, lst in w.lat.items():
            kinds.setdefault(k, []).extend(lst)
    total = sum(len(v) for v in kinds.values())
    print(f"  {label}: {total} requests, "
          f"{sum(len(w.errors) for w in workers)} errors; max latency per kind (s):")
    for k in sorted(kinds):
        lst = sorted(d for d, _ in kinds[k])
        p99 = lst[min(len(lst) - 1, int(len(lst) * 0.99))]
        print(f"    {k:6s} n={len(lst):5d} p50={lst[len(lst) // 2]:.3f} p99={p99:.3f} "
              f"max={lst[-1]:.3f}")
    by_phase = {}
    for lst in kinds.values():
        for d, ph in lst:
            by_phase[ph] = max(by_phase.get(ph, 0.0), d)
    print("    max latency per phase: " +
          ", ".join(f"{ph} {d:.3f}" for ph, d in by_phase.items()))
    print(f"    slowest request (s, kind, body size, phase): {max(w.slowest for w in workers)}")
    return kinds


def verify_all(c, workers, label):
    """GET every key of every worker and compare with its acceptable states. Returns the
    number of keys checked."""
    ok = {k: v for w in workers for k, v in w.ok.items()}  # keys are per worker: w<id>-*
    bad, strict = verify_keys(c.s3(read_timeout=60), BUCKET, ok)
    n = len(ok)
    print(f"  verify {label}: {n} keys ({strict} with exactly one acknowledged state), "
          f"{len(bad)} bad", flush=True)
    check(n > 0 and not bad, f"{label}: every acknowledged write reads back "
          f"({n} keys)", str(bad[:5]))
    return n


def make_bucket(c):
    s3 = c.s3()
    s3.create_bucket(Bucket=BUCKET)


def wait_writable(c, secs=15.0):
    """Bounded wait until a PUT succeeds (connect back-off towards restarted OSDs is at most
    2 s per gateway thread); returns the seconds it took or None."""
    s3 = c.s3()
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < secs:
        try:
            s3.put_object(Bucket=BUCKET, Key=f"probe-{i}", Body=b"x")
            return time.monotonic() - t0
        except Exception:  # noqa: BLE001
            i += 1
            time.sleep(0.1)
    return None


def errors_in(workers):
    return [e for w in workers for e in w.errors]


def scenario_kill(c, victims, label, kill, start):
    make_bucket(c)
    workers = run_load(c, [(2.5, kill, "down"), (8.0, start, "restarted"), (11.0, None, "end")])
    kinds = summarize(workers, label)
    errs = errors_in(workers)
    check(not errs, f"{label}: zero client errors under load ({len(errs)})", str(errs[:5]))
    mx = max(d for k, lst in kinds.items() if k != "put>1M" for d, _ in lst)
    check(mx < 2.0, f"{label}: no request stalled (max latency {mx:.3f} s < 2 s, PUTs over "
          "1 MiB apart)")
    mxb = max((d for d, _ in kinds.get("put>1M", [])), default=0.0)
    check(mxb < 5.0, f"{label}: PUTs over 1 MiB (up to 9 MiB) under 5 s ({mxb:.3f} s)")
    n_down = sum(1 for lst in kinds.values() for _, ph in lst if ph == "down")
    check(n_down > 20, f"{label}: the load ran while {victims} was down ({n_down} requests)")
    verify_all(c, workers, label + " after restart")


def scenario_freeze(c, victim=1):
    """victim None: the same load without a fault (a control run, not registered in ctest:
    it tells how slow this machine is without any fault)."""
    make_bucket(c)
    freeze = (lambda: c.freeze_osd(victim)) if victim is not None else None
    thaw = (lambda: c.thaw_osd(victim)) if victim is not None else None
    workers = run_load(c, [(5.0, freeze, "frozen"),
                           (17.0, thaw, "thawed"),
                           (19.5, None, "end")],
                       threads=3, max_size=4 * MiB + 1, pause=0.02)
    kinds = summarize(workers, "freeze_osd")
    errs = errors_in(workers)
    check(not errs, f"freeze_osd: zero client errors ({len(errs)})", str(errs[:5]))
    # 1 s, unless this shared machine was already slower than 0.5 s in the fault-free first
    # 5 s of the same run: then 2x that (the rule and its reasons: bound() in
    # test_cluster_faults.py; a load average of 40 from other jobs made fault-free 4 MiB
    # PUTs take 1-2 s). On a quiet machine a request that waited for the frozen OSD (2 s
    # timeout) fails it.
    ctl = max((d for lst in kinds.values() for d, ph in lst if ph == "before"), default=0.0)
    lim = max(1.0, 2.0 * ctl)
    slow = [(k, round(d, 3), ph) for k, lst in kinds.items() for d, ph in lst if d >= lim]
    mx = max(d for lst in kinds.values() for d, _ in lst)
    check(not slow, f"freeze_osd: every request under {lim:.2f} s (max {mx:.3f} s; "
          f"fault-free max {ctl:.3f} s)", str(slow[:10]))
    n_frozen = sum(1 for lst in kinds.values() for _, ph in lst if ph == "frozen")
    check(n_frozen > 50, f"freeze_osd: the load ran while osd.{victim} was frozen "
          f"({n_frozen} requests)")
    verify_all(c, workers, "freeze_osd after SIGCONT")


def scenario_two_hosts(c):
    make_bucket(c)
    workers = run_load(c, [(4.0, None, "end")])
    summarize(workers, "two_hosts, all up")
    errs = errors_in(workers)
    check(not errs, f"two_hosts: zero errors while all hosts are up ({len(errs)})", str(errs[:5]))
    # the third replica of the last writes is written in the background: let it land, so that
    # host a's replicas hold every acknowledged state before the other two hosts go
    time.sleep(1.5)
    c.kill_host(1)
    c.kill_host(2)
    s3 = c.s3()
    existing = [(w, k) for w in workers for k, ok in w.ok.items() if ok != {ABSENT}]
    gone = [(w, k) for w in workers for k, ok in w.ok.items() if ok == {ABSENT}]
    check(len(existing) >= 10, f"two_hosts: {len(existing)} live keys written before")

    def degraded_metric():
        st, body = c.admin_get("/metrics")
        m = re.search(r"^tern_gateway_degraded_reads_total (\d+)$", body, re.M)
        check(st == 200 and m is not None, "two_hosts: gateway exports degraded_reads_total")
        return int(m.group(1)) if m else 0

    metric0 = degraded_metric()
    rnd = random.Random(7)
    sample = rnd.sample(existing, min(40, len(existing)))
    lat = []

    def expect_503(kind, fn, key):
        t0 = time.monotonic()
        try:
            fn()
            res = ("no error", 200)
        except Exception as ex:  # noqa: BLE001
            res = err_of(ex)
        lat.append(time.monotonic() - t0)
        want = ("503", 503) if kind == "head" else ("ServiceUnavailable", 503)
        return check(res == want, f"two_hosts: {kind} {key} answers 503 {want[0]}", str(res))

    def degraded(kind, fn, key):
        """fn's response (or the ClientError it raised) and whether it carried the degraded
        flag."""
        t0 = time.monotonic()
        try:
            res = fn()
            hdrs = res["ResponseMetadata"]["HTTPHeaders"]
        except botocore.exceptions.ClientError as ex:
            res, hdrs = ex, ex.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        lat.append(time.monotonic() - t0)
        return res, hdrs.get("x-tern-degraded-read") == "1"

    n_new = n_degraded = n_ranged = 0
    for i, (w, key) in enumerate(sample):
        # plain reads: every PG has one live replica, R = 2 cannot be met; the gateway answers
        # from the live one and says so (rule 8: degraded reads only for plain GET/HEAD)
        res, flag = degraded("get", lambda: s3.get_object(Bucket=BUCKET, Key=key), key)
        got = sha(res["Body"].read()) if isinstance(res, dict) else err_of(res)
        got = ABSENT if got == ("NoSuchKey", 404) else got
        check(got in w.ok[key] and flag,
              f"two_hosts: degraded get {key} returns an acknowledged body, flagged",
              f"{got} flag={flag}")
        res, flag = degraded("head", lambda: s3.head_object(Bucket=BUCKET, Key=key), key)
        check(isinstance(res, dict) and flag, f"two_hosts: degraded head {key} succeeds, flagged",
              str(res if not isinstance(res, dict) else flag))
        n_degraded += 2
        if isinstance(res, dict) and res["ContentLength"] >= 5:
            res, flag = degraded("get", lambda: s3.get_object(Bucket=BUCKET, Key=key,
                                                              Range="bytes=1-4"), key)
            check(isinstance(res, dict) and flag and
                  res["ResponseMetadata"]["HTTPStatusCode"] == 206 and len(res["Body"].read()) == 4,
                  f"two_hosts: degraded ranged get {key} succeeds, flagged", str(res))
            n_ranged += 1
        if i % 8 == 0:
            # never degraded: conditional requests, copy sources (rule 8)
            etag = res["ETag"] if isinstance(res, dict) else '"x"'
            expect_503("get", lambda: s3.get_object(Bucket=BUCKET, Key=key, IfMatch=etag), key)
            expect_503("get", lambda: s3.get_object(Bucket=BUCKET, Key=key,
                                                    IfNoneMatch='"0123"'), key)
            expect_503("head", lambda: s3.head_object(
                Bucket=BUCKET, Key=key, IfModifiedSince="Mon, 01 Jan 2001 00:00:00 GMT"), key)
            expect_503("copy", lambda: s3.copy_object(
                Bucket=BUCKET, Key=f"copy-{i}", CopySource={"Bucket": BUCKET, "Key": key}), key)
        # writes: W = 2 cannot be met. A 503 PUT may still appear later: widen the key's set.
        data = body_of(rnd.choice([10, 20 * KiB, 5 * MiB]), rnd)
        expect_503("put", lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=data), key)
        w.ok[key].add(sha(data))
        if i % 4 == 0:
            expect_503("delete", lambda: s3.delete_object(Bucket=BUCKET, Key=key), key)
            w.ok[key].add(ABSENT)
        nk = f"new-{i}"
        expect_503("put", lambda: s3.put_object(Bucket=BUCKET, Key=nk, Body=data), nk)
        w.ok[nk] = {ABSENT, sha(data)}
        n_new += 1
    check(n_ranged >= 5, f"two_hosts: {n_ranged} degraded ranged gets")
    moved = degraded_metric() - metric0
    check(moved >= n_degraded + n_ranged,
          f"two_hosts: the degraded-read metric counted them ({moved} >= {n_degraded + n_ranged})")
    # a deleted key: its tombstone on the live replica answers NoSuchKey, flagged
    for w, key in gone[:10]:
        res, flag = degraded("get", lambda: s3.get_object(Bucket=BUCKET, Key=key), key)
        check(not isinstance(res, dict) and err_of(res) == ("NoSuchKey", 404) and flag,
              f"two_hosts: degraded get of deleted {key} answers NoSuchKey, flagged",
              str(err_of(res) if not isinstance(res, dict) else "200"))
    # a key no replica holds: one replica's "absent" is no evidence -> 503, not 404
    for j in range(3):
        expect_503("get", lambda: s3.get_object(Bucket=BUCKET, Key=f"never-{j}"), f"never-{j}")
    # listings are never degraded
    expect_503("list", lambda: s3.list_objects_v2(Bucket=BUCKET), "(list v2)")
    expect_503("list", lambda: s3.list_objects(Bucket=BUCKET), "(list v1)")
    mx = max(lat)
    print(f"  two hosts down: {len(lat)} requests ({n_degraded} degraded reads), max latency "
          f"{mx:.3f} s")
    check(mx < 2.0, f"two_hosts: answers come fast (max {mx:.3f} s < 2 s)")
    c.start_host(1)
    c.start_host(2)
    took = wait_writable(c)
    check(took is not None, f"two_hosts: writes work again after the restart ({took} s)")
    # every gateway thread's connect back-off towards the restarted OSDs (<= 2 s) has expired
    time.sleep(2.2)
    verify_all(c, workers, "two_hosts after restart")
    # and a fresh write/read round trip on every worker's keys
    workers2 = run_load(c, [(2.0, None, "end")])
    errs = errors_in(workers2)
    check(not errs, f"two_hosts: zero errors after the restart ({len(errs)})", str(errs[:5]))
    verify_all(c, workers2, "two_hosts, new writes after restart")


def main():
    t0 = time.monotonic()
    with Cluster(OSD, GW, name="tern-fault-" + SCENARIO.replace("_", "-"),
                 gateway_yaml="  max_object_size: 64M",
                 top_yaml="logging: {level: debug}" if os.environ.get("TERN_FAULT_DEBUG") else ""
                 ) as c:
        print(f"scenario {SCENARIO}: cluster up in {time.monotonic() - t0:.1f} s ({c.tmp})")
        try:
            if SCENARIO == "kill_osd":
                scenario_kill(c, "osd.2", "kill_osd", lambda: c.kill_osd(2),
                              lambda: c.start_osd(2))
            elif SCENARIO == "kill_host":
                scenario_kill(c, "host b", "kill_host", lambda: c.kill_host(1),
                              lambda: c.start_host(1))
            elif SCENARIO == "freeze_osd":
                scenario_freeze(c)
            elif SCENARIO == "no_fault":
                scenario_freeze(c, None)
            elif SCENARIO == "two_hosts":
                scenario_two_hosts(c)
            else:
                check(False, f"unknown scenario {SCENARIO}")
        finally:
            for name in list(c.procs):
                if name.startswith("gw") and not c.running(name):
                    check(False, f"{name} is still running", c.log_text(name)[-2000:])
    print(f"scenario {SCENARIO}: {time.monotonic() - t0:.1f} s")
    return done()


if __name__ == "__main__":
    sys.exit(main())
