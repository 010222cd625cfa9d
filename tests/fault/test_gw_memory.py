#!/usr/bin/env python3
"""Gateway memory during concurrent large PUTs (tern-bench: CONC_N clients, CONC_MIB MiB each)
and during a 1 GiB single PUT and GET with aws-cli (Debian /usr/bin/aws): a real
cluster (tests/lib/ternt_cluster.py), the gateway's /proc/PID/status sampled every 50 ms
(VmRSS, VmHWM, RssAnon, RssFile, RssShmem) and its spill files under gateway.tmp_dir (open,
unlinked: found through /proc/PID/fd). Checks that anonymous memory stays bounded (growth well
under the object size: < 128 MiB) while the body streams through, and that the download is
byte-exact (length and SHA-256 of the stream against the source's; the
download is hashed as it streams, never stored, to spare disk). Prints idle and after-load RSS of the gateway and every OSD.

The concurrent phase checks the chunk-memory budget (gateway/gw_budget.h): every PUT copies
its chunks out of the body, 4 chunks of 4 MiB in flight per request, so CONC_N uploads held
CONC_N x 16 MiB (256 MiB here, measured 271 MiB) before the budget; with it, GW_CHUNK_BUDGET
(32 MiB until quorum) plus lagging replicas' copies (GW_CL_PUT_LAG_TOTAL, 32 MiB per thread)
plus h2o's buffers (<= 1 MiB per upload), measured 60-80 MiB: the growth must stay under
CONC_LIMIT_MIB.

Usage: test_gw_memory.py TERN_OSD TERN_GATEWAY [SIZE_MIB [TERN_BENCH]]   (default 1024; the
concurrent phase runs when TERN_BENCH is given)
The PUT is single-part on purpose (multipart_threshold above the size in the aws config
written here). Prints "N passed, N failed"; every process is killed by PID at the end.
"""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

from ternt import check, done
from ternt_cluster import Cluster

OSD, GW = sys.argv[1], sys.argv[2]
SIZE_MIB = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
BENCH = sys.argv[4] if len(sys.argv) > 4 else None
CONC_N, CONC_MIB, CONC_LIMIT_MIB = 16, 32, 128
AWS = "/usr/bin/aws"
MiB = 1024 * 1024
FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")


def status(pid):
    """The FIELDS of /proc/pid/status in KiB ({} if the process is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k = line.split(":", 1)[0]
                if k in FIELDS:
                    out[k] = int(line.split()[1])
    except OSError:
        pass
    return out


def spill_bytes(pid, tmp_dir):
    """Bytes allocated on disk by the files pid holds open under tmp_dir (h2o's unlinked
    spill files)."""
    total = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith(tmp_dir):
                total += os.stat(f"/proc/{pid}/fd/{fd}").st_blocks * 512
        except OSError:
            pass
    return total


class Sampler(threading.Thread):
    """Samples the gateway every 50 ms until stopped; keeps the maximum of each field."""

    def __init__(self, pid, tmp_dir):
        super().__init__(daemon=True)
        self.pid, self.tmp_dir = pid, tmp_dir
        self.stop = threading.Event()
        self.max = {}
        self.max_spill = 0
        self.n = 0

    def run(self):
        while not self.stop.is_set():
            s = status(self.pid)
            for k, v in s.items():
                self.max[k] = max(self.max.get(k, 0), v)
            self.max_spill = max(self.max_spill, spill_bytes(self.pid, self.tmp_dir))
            self.n += 1
            time.sleep(0.05)


def make_file(path, size):
    """size bytes: a 64 MiB random block repeated, each MiB stamped with its index (so a
    misplaced piece cannot compare equal). Returns the SHA-256 of the content."""
    block = os.urandom(64 * MiB)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        off = 0
        while off < size:
            n = min(64 * MiB, size - off)
            buf = bytearray(block[:n])
            for m in range(0, n, MiB):
                buf[m:m + 8] = ((off + m) // MiB).to_bytes(8, "little")
            f.write(buf)
            h.update(buf)
            off += n
    return h.hexdigest()


def fmt(d):
    return ", ".join(f"{k} {d[k] / 1024:.1f}" for k in FIELDS if k in d) + " MiB"


def run_aws(env, endpoint, *args):
    t0 = time.monotonic()
    # store-and-forward: the gateway answers a PUT only after forwarding the whole body, so
    # the client waits silently that long (minutes on a loaded machine): a long read timeout
    p = subprocess.run([AWS, "--endpoint-url", endpoint, "--cli-read-timeout", "600", *args],
                       env=env,
                       capture_output=True, text=True, timeout=900)
    return p, time.monotonic() - t0


def concurrent_puts(c, gw, tmp_dir):
    """CONC_N concurrent CONC_MIB MiB PutObjects (tern-bench): all succeed, and the gateway's
    anonymous memory grows by less than CONC_LIMIT_MIB."""
    from ternt_cluster import AK, SK
    time.sleep(0.5)
    base = status(gw).get("RssAnon", 0)
    samp = Sampler(gw, tmp_dir)
    samp.start()
    t0 = time.monotonic()
    p = subprocess.run([BENCH, "--endpoint", c.endpoint, "--access-key", AK, "--secret-key", SK,
                        "--bucket", "memc", "--op", "put", "--size", f"{CONC_MIB}M",
                        "--concurrency", str(CONC_N), "--count", str(CONC_N), "--keys",
                        str(CONC_N), "--prefix", "c-", "--timeout", "600", "--json"],
                       capture_output=True, text=True, timeout=900)
    t = time.monotonic() - t0
    samp.stop.set()
    samp.join()
    res = {}
    try:
        res = json.loads(p.stdout)
    except ValueError:
        pass
    check(p.returncode == 0 and res.get("ops") == CONC_N and res.get("errors") == 0,
          f"{CONC_N} concurrent {CONC_MIB} MiB PUTs all succeeded ({t:.1f} s)",
          p.stdout[-2000:] + p.stderr[-2000:])
    grow = (samp.max.get("RssAnon", 0) - base) / 1024
    print(f"{CONC_N} x {CONC_MIB} MiB concurrent PUTs: {t:.1f} s; gateway max during: "
          f"{fmt(samp.max)}; spill files max {samp.max_spill / MiB:.1f} MiB; {samp.n} samples")
    check(samp.max.get("RssAnon", 0) > 0, "RssAnon was sampled (concurrent PUTs)")
    check(grow < CONC_LIMIT_MIB, f"anonymous memory growth during {CONC_N} concurrent "
          f"{CONC_MIB} MiB PUTs {grow:.1f} MiB < {CONC_LIMIT_MIB} MiB (without the chunk "
          f"budget: up to {CONC_N * 16} MiB of chunk copies)")


def main():
    size = SIZE_MIB * MiB
    with Cluster(OSD, GW, name="tern-memory") as c:
        gw = c.pid("gw")
        tmp_dir = os.path.join(c.tmp, "gwtmp")
        if BENCH is not None:
            concurrent_puts(c, gw, tmp_dir)
        env = c.aws_env()
        with open(env["AWS_CONFIG_FILE"], "w") as f:
            # one PutObject for the whole body: multipart only above 6 GB
            f.write("[default]\nregion = us-east-1\nmax_attempts = 1\ns3 =\n"
                    "  addressing_style = path\n  multipart_threshold = 6GB\n"
                    "  multipart_chunksize = 5GB\n")
        src = os.path.join(c.tmp, "src.bin")
        want = make_file(src, size)
        p, _ = run_aws(env, c.endpoint, "s3", "mb", "s3://mem")
        check(p.returncode == 0, "make bucket", p.stderr)
        time.sleep(0.5)
        idle = status(gw)
        osd_idle = {i: status(c.pid(f"osd.{i}")) for i in range(c.n_osds)}
        print(f"gateway idle: {fmt(idle)}")

        samp = Sampler(gw, tmp_dir)
        samp.start()
        p, t_put = run_aws(env, c.endpoint, "s3", "cp", "--no-progress", src, "s3://mem/big")
        samp.stop.set()
        samp.join()
        check(p.returncode == 0, f"{SIZE_MIB} MiB single PUT with aws-cli ({t_put:.1f} s)",
              p.stdout + p.stderr)
        put_max, put_spill = samp.max, samp.max_spill
        after_put = status(gw)
        print(f"PUT {SIZE_MIB} MiB: {t_put:.1f} s ({size / MiB / t_put:.1f} MiB/s); "
              f"gateway max during: {fmt(put_max)}; spill files max {put_spill / MiB:.1f} MiB;"
              f" {samp.n} samples")
        log = c.log_text("gw")
        check("op=PutObject" in log and "multipart" not in log.lower(),
              "the upload was one PutObject (no multipart)")

        os.unlink(src)  # disk: the download is hashed as it streams, never stored
        samp = Sampler(gw, tmp_dir)
        samp.start()
        t0 = time.monotonic()
        q = subprocess.Popen([AWS, "--endpoint-url", c.endpoint, "--cli-read-timeout", "600",
                              "s3", "cp", "--no-progress", "s3://mem/big", "-"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        h, got = hashlib.sha256(), 0
        while True:
            piece = q.stdout.read(4 * MiB)
            if not piece:
                break
            h.update(piece)
            got += len(piece)
        err = q.stderr.read().decode(errors="replace")
        rc = q.wait(timeout=900)
        t_get = time.monotonic() - t0
        samp.stop.set()
        samp.join()
        check(rc == 0, f"{SIZE_MIB} MiB GET with aws-cli ({t_get:.1f} s)", err)
        get_max = samp.max
        print(f"GET {SIZE_MIB} MiB: {t_get:.1f} s ({size / MiB / t_get:.1f} MiB/s); "
              f"gateway max during: {fmt(get_max)}")
        check(got == size and h.hexdigest() == want,
              f"the download is byte-exact ({got} bytes, SHA-256 equal to the upload's)")

        base = idle.get("RssAnon", 0)
        grow_put = (put_max.get("RssAnon", 0) - base) / 1024
        grow_get = (get_max.get("RssAnon", 0) - base) / 1024
        check(put_max.get("RssAnon", 0) > 0, "RssAnon was sampled")
        check(grow_put < 128, f"anonymous memory growth during the PUT {grow_put:.1f} MiB "
              f"< 128 MiB (object {SIZE_MIB} MiB)")
        check(grow_get < 128, f"anonymous memory growth during the GET {grow_get:.1f} MiB "
              f"< 128 MiB")
        time.sleep(1.0)
        after = status(gw)
        print(f"gateway after the load: {fmt(after)} (after the PUT: {fmt(after_put)})")
        check(spill_bytes(gw, tmp_dir) == 0, "no spill file is left open after the requests")
        for i in range(c.n_osds):
            s = status(c.pid(f"osd.{i}"))
            print(f"osd.{i}: idle VmRSS {osd_idle[i].get('VmRSS', 0) / 1024:.1f} MiB, after "
                  f"VmRSS {s.get('VmRSS', 0) / 1024:.1f} MiB RssAnon "
                  f"{s.get('RssAnon', 0) / 1024:.1f} MiB, peak VmHWM "
                  f"{s.get('VmHWM', 0) / 1024:.1f} MiB")
    return done()


if __name__ == "__main__":
    sys.exit(main())
