#!/usr/bin/env python3
"""Metrics, access log and `ternctl osd ls` on a real local cluster (6 OSDs on 3 hosts, one
gateway): scrapes /metrics on the admin ports of the gateway and of every OSD, parses the
exposition strictly (promparse), sends S3 traffic and checks that the counters move by what
was sent (requests by op and status, bytes, latency histogram counts, OSD rows, blobs and
group-commit batch sizes); checks the admin port's other answers, the access-log lines'
fields and escaping, and ternctl osd ls (table, --json, unreachable cluster, bad config).

Usage: test_metrics.py TERN_OSD TERN_GATEWAY TERNCTL. Prints "N passed, N failed".
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import botocore

import promparse
import ternt_cluster as tc
from ternt import check, done


def scrape(c, **where):
    st, body = c.admin_get("/metrics", **where)
    check(st == 200, f"/metrics {where} answers 200", f"{st} {body[:200]}")
    try:
        return promparse.parse(body)
    except ValueError as e:
        check(False, f"/metrics {where} parses strictly", f"{e}\n{body[:2000]}")
        return {}


def v(fams, name, **labels):
    x = promparse.value(fams, name, **labels)
    return 0 if x is None else x


def osd_sum(scrapes, name, **labels):
    return sum(v(f, name, **labels) for f in scrapes)


def wait_ready(c, secs=20):
    end = time.time() + secs
    while time.time() < end:
        st, _ = c.admin_get("/health/ready")
        if st == 200:
            return True
        time.sleep(0.2)
    return False


def test_gateway_and_osd_metrics(c):
    check(wait_ready(c), "gateway ready (admin port /health/ready)")
    g0 = scrape(c)
    o0 = [scrape(c, osd=i) for i in range(c.n_osds)]
    for fam, t in [("tern_gateway_requests_total", "counter"),
                   ("tern_gateway_request_duration_seconds", "histogram"),
                   ("tern_gateway_received_bytes_total", "counter"),
                   ("tern_gateway_sent_bytes_total", "counter"),
                   ("tern_gateway_connections_open", "gauge"),
                   ("tern_gateway_cluster_ops_total", "counter"),
                   ("tern_gateway_hedged_requests_total", "counter"),
                   ("tern_gateway_degraded_reads_total", "counter"),
                   ("tern_gateway_replica_failed_reads_total", "counter"),
                   ("tern_gateway_osd_errors_total", "counter"),
                   ("tern_gateway_key_refreshes_total", "counter")]:
        check(g0.get(fam, {}).get("type") == t, f"gateway family {fam} is a {t}",
              str(g0.get(fam, {}).get("type")))
    for fam, t in [("tern_osd_requests_total", "counter"), ("tern_osd_disk_bytes", "gauge"),
                   ("tern_osd_pgs", "gauge"), ("tern_osd_blobs_written_total", "counter"),
                   ("tern_osd_rows_written_total", "counter"),
                   ("tern_osd_index_batch_size", "histogram"),
                   ("tern_osd_repair_passes_total", "counter"),
                   ("tern_osd_scrub_checked_total", "counter")]:
        check(o0[0].get(fam, {}).get("type") == t, f"osd family {fam} is a {t}")
    check(v(o0[0], "tern_osd_disk_bytes", kind="total") > 0, "osd disk total > 0")
    check(v(o0[0], "tern_osd_disk_bytes", kind="free") > 0, "osd disk free > 0")
    check(v(g0, "tern_gateway_key_refreshes_total", result="ok") >= 1,
          "the gateway refreshed its key table at least once")

    s3 = c.s3()
    s3.create_bucket(Bucket="mxb")
    sizes = {"small": 1000, "big": 100000, 'sp ace"q.txt': 10}
    for k, n in sizes.items():
        s3.put_object(Bucket="mxb", Key=k, Body=b"x" * n)
    got = s3.get_object(Bucket="mxb", Key="big")["Body"].read()
    check(len(got) == 100000, "GET big")
    try:
        s3.head_object(Bucket="mxb", Key="nope")
        check(False, "HEAD of a missing key fails")
    except botocore.exceptions.ClientError as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "HEAD missing is 404")
    s3.list_objects_v2(Bucket="mxb")
    time.sleep(1.5)  # disk gauges and repair stats refresh every second

    g1 = scrape(c)
    o1 = [scrape(c, osd=i) for i in range(c.n_osds)]
    d = lambda name, **l: v(g1, name, **l) - v(g0, name, **l)
    check(d("tern_gateway_requests_total", op="PutObject", status="200") == 3,
          "3 PutObject 200", str(d("tern_gateway_requests_total", op="PutObject", status="200")))
    check(d("tern_gateway_requests_total", op="GetObject", status="200") == 1, "1 GetObject 200")
    check(d("tern_gateway_requests_total", op="HeadObject", status="404") == 1,
          "1 HeadObject 404")
    check(d("tern_gateway_requests_total", op="CreateBucket", status="200") == 1,
          "1 CreateBucket 200")
    check(d("tern_gateway_requests_total", op="ListObjectsV2", status="200") == 1,
          "1 ListObjectsV2 200")
    rin = d("tern_gateway_received_bytes_total", op="PutObject")
    check(rin >= sum(sizes.values()), "PutObject bytes in counted", str(rin))
    sout = d("tern_gateway_sent_bytes_total", op="GetObject")
    check(sout == 100000, "GetObject bytes out == object size", str(sout))
    h0 = promparse.hist(g0, "tern_gateway_request_duration_seconds", op="PutObject")
    h1 = promparse.hist(g1, "tern_gateway_request_duration_seconds", op="PutObject")
    c0 = h0[0] if h0 else 0
    check(h1 is not None and h1[0] - c0 == 3, "PutObject latency histogram count +3")
    check(h1 is not None and h1[1] > 0, "PutObject latency sum > 0")
    check(v(g1, "tern_gateway_connections_total") >= 1, "connections accepted counted")
    check(v(g1, "tern_gateway_connections_open") >= 1,
          "the boto3 keep-alive connection is open", str(v(g1, "tern_gateway_connections_open")))
    ok_puts = d("tern_gateway_cluster_ops_total", kind="row_put", result="ok")
    check(ok_puts >= 3, "cluster row puts ok counted (3 object rows at least)", str(ok_puts))
    check(d("tern_gateway_cluster_ops_total", kind="blob_put", result="ok") >= 1,
          "cluster blob put counted (the 100 kB object is not inline)")
    # OSDs: 3 replicas of every row and blob
    rows = osd_sum(o1, "tern_osd_rows_written_total") - osd_sum(o0, "tern_osd_rows_written_total")
    check(rows >= 3 * 4, "OSD rows written across the cluster (>= 3 replicas x 4 rows)", str(rows))
    blobs = osd_sum(o1, "tern_osd_blobs_written_total") - osd_sum(o0, "tern_osd_blobs_written_total")
    check(blobs >= 2, "OSD blobs written (the big object's replicas)", str(blobs))
    rp = osd_sum(o1, "tern_osd_requests_total", op="row_put") - \
        osd_sum(o0, "tern_osd_requests_total", op="row_put")
    check(rp >= 3 * 4, "OSD row_put requests counted", str(rp))
    bc0 = sum((promparse.hist(f, "tern_osd_index_batch_size") or (0,))[0] for f in o0)
    bc1 = sum((promparse.hist(f, "tern_osd_index_batch_size") or (0,))[0] for f in o1)
    check(bc1 > bc0, "group-commit batch size histogram counts commits", f"{bc0} -> {bc1}")
    commits = osd_sum(o1, "tern_osd_index_commits_total")
    check(bc1 == commits, "batch histogram count == commits", f"{bc1} {commits}")

    # rows and blobs held: gauges of the last finished anti-entropy pass (every 2 s here)
    r0 = osd_sum(o0, "tern_osd_rows")
    end = time.time() + 20
    rows_now = blobs_now = 0
    while time.time() < end:
        fams = [scrape(c, osd=i) for i in range(c.n_osds)]
        rows_now, blobs_now = osd_sum(fams, "tern_osd_rows"), osd_sum(fams, "tern_osd_blobs")
        if rows_now >= r0 + 3 * 3 and blobs_now >= 2:
            break
        time.sleep(0.5)
    check(rows_now >= r0 + 3 * 3, "tern_osd_rows counts the new object rows (3 replicas)",
          f"{r0} -> {rows_now}")
    check(blobs_now >= 2, "tern_osd_blobs counts the big object's blob replicas", str(blobs_now))

    # the admin port's other answers
    st, body = c.admin_get("/health/live")
    check(st == 200 and body == "ok\n", "gateway admin /health/live")
    st, body = c.admin_get("/health/live", osd=0)
    check(st == 200 and body == "ok\n", "osd admin /health/live")
    st, _ = c.admin_get("/nope")
    check(st == 404, "gateway admin unknown path 404")
    st, _ = c.admin_get("/nope", osd=1)
    check(st == 404, "osd admin unknown path 404")
    req = urllib.request.Request(f"http://127.0.0.1:{c.osd_admin_ports[0]}/metrics",
                                 data=b"x", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        check(False, "POST /metrics refused")
    except urllib.error.HTTPError as e:
        check(e.code == 405, "POST /metrics is 405", str(e.code))
    with urllib.request.urlopen(f"http://127.0.0.1:{c.gw_admin_ports[0]}/metrics",
                                timeout=5) as r:
        ct = r.headers.get("Content-Type", "")
    check(ct.startswith("text/plain; version=0.0.4"), "content type 0.0.4", ct)
    # /metrics is not served on the S3 port (it is a bucket name there)
    try:
        with urllib.request.urlopen(f"{c.endpoint}/metrics", timeout=5) as r:
            body = r.read().decode(errors="replace")
        check("# TYPE" not in body, "S3 port does not serve metrics")
    except urllib.error.HTTPError as e:
        check(e.code in (403, 404), "S3 port /metrics is an S3 error", str(e.code))
    # an admin Host header on the S3 port does not reach the admin handler
    st = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                         "Host: tern-admin.invalid", f"{c.endpoint}/health/live"],
                        capture_output=True, text=True, timeout=10).stdout
    check(st == "200", "S3 port keeps /health/live", st)
    body = subprocess.run(["curl", "-s", "-H", "Host: tern-admin.invalid",
                           f"{c.endpoint}/metrics"], capture_output=True, text=True,
                          timeout=10).stdout
    check("# TYPE" not in body, "admin host name on the S3 port gets no metrics")


ACCESS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info pid=\d+ msg=access (.*)$")


def kv(rest):
    """key=value pairs of a log line; values may be "quoted" with \\" and \\\\ escapes."""
    out = {}
    for m in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', rest):
        val = m.group(2)
        if val.startswith('"'):
            val = re.sub(r'\\(.)', r'\1', val[1:-1])
        out[m.group(1)] = val
    return out


def test_access_log(c):
    lines = [kv(m.group(1)) for m in map(ACCESS.match, c.log_text("gw").splitlines()) if m]
    check(len(lines) >= 8, "access log lines written", str(len(lines)))
    puts = [l for l in lines if l.get("op") == "PutObject"]
    check(len(puts) == 3, "one access line per PutObject", str(len(puts)))
    q = [l for l in puts if l.get("key") == 'sp ace"q.txt']
    check(len(q) == 1, "a key with a space and a quote is quoted and escaped",
          str([l.get("key") for l in puts]))
    if q:
        l = q[0]
        for f in ("id", "ak", "op", "bucket", "key", "status", "in", "out", "ms", "remote", "ua"):
            check(f in l, f"access log field {f}")
        check(l.get("ak") == tc.AK, "ak is the access key id")
        check(l.get("bucket") == "mxb", "bucket")
        check(l.get("status") == "200", "status")
        check(l.get("in", "").isdigit() and int(l["in"]) >= 10, "bytes in", l.get("in"))
        check(re.fullmatch(r"127\.0\.0\.1:\d+", l.get("remote", "")) is not None, "remote addr",
              l.get("remote"))
        check("Boto" in l.get("ua", "") or "botocore" in l.get("ua", ""), "user agent",
              l.get("ua"))
        check(re.fullmatch(r"[0-9a-f]{16}", l.get("id", "")) is not None, "request id")
        check(re.fullmatch(r"\d+\.\d", l.get("ms", "")) is not None, "duration ms")
    heads = [l for l in lines if l.get("op") == "HeadObject"]
    check(any(l.get("status") == "404" for l in heads), "the 404 HEAD is logged")
    gets = [l for l in lines if l.get("op") == "GetObject" and l.get("key") == "big"]
    check(len(gets) == 1 and gets[0].get("out") == "100000", "GET bytes out logged",
          str(gets))


def ctl(ternctl, *args):
    p = subprocess.run([ternctl, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_osd_ls(c, ternctl):
    rc, out, err = ctl(ternctl, "osd", "ls", "--config", c.config)
    check(rc == 0, "ternctl osd ls exits 0", err)
    lines = out.strip("\n").split("\n")
    check(len(lines) == 1 + c.n_osds, "a header and one line per OSD", out)
    hdr = lines[0].split()
    check(hdr[:4] == ["ID", "HOST", "ADDR", "STATUS"], "header columns", lines[0])
    # aligned: every line as wide as the header (each column padded to its width), and the
    # left-aligned columns (ID HOST ADDR STATUS IN ... INCARNATION) start where their header does
    check(len(set(len(ln) for ln in lines)) == 1, "all lines equally wide", out)
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    for ln in lines[1:]:
        cols = [m.start() for m in re.finditer(r"\S+", ln)]
        check(cols[:5] == starts[:5] and cols[6] == starts[6], "left-aligned columns start "
              "under their header", f"{lines[0]!r}\n{ln!r}")
    for i, ln in enumerate(lines[1:]):
        f = ln.split()
        check(f[0] == str(i) and f[1] == tc.HOSTS[i // c.per_host], f"osd {i} id and host", ln)
        check("up" in f and "in" in f, f"osd {i} up and in", ln)
        check(re.search(r"\d+(\.\d)? ?[KMGT]i?B", ln) is not None, f"osd {i} human sizes", ln)
    rc, out, err = ctl(ternctl, "osd", "ls", "--json", "--config", c.config)
    check(rc == 0, "osd ls --json exits 0", err)
    try:
        j = json.loads(out)
    except ValueError:
        j = None
    check(isinstance(j, list) and len(j) == c.n_osds, "--json is a list of OSDs", out[:300])
    if j:
        o = j[0]
        for k in ("id", "host", "addr", "up", "in", "weight", "incarnation", "disk_used",
                  "disk_free", "pgs"):
            check(k in o, f"--json field {k}", str(o))
        check(o.get("up") is True and o.get("in") is True, "--json up/in booleans")
        check(isinstance(o.get("disk_free"), int) and o["disk_free"] > 0, "--json disk_free")
        check(isinstance(o.get("pgs"), int) and o["pgs"] > 0, "--json pgs held", str(o.get("pgs")))
    # one OSD down: shown as down, the command still succeeds
    c.kill_osd(5)
    rc, out, err = ctl(ternctl, "osd", "ls", "--config", c.config)
    ln5 = [l for l in out.split("\n") if l.startswith("5 ")]
    check(rc == 0 and ln5 and " down " in ln5[0] + " ", "a killed OSD is down", out + err)
    c.start_osd(5)
    # wrong config, unreachable cluster
    bad = os.path.join(c.tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("cluster: {name: x}\n")
    rc, out, err = ctl(ternctl, "osd", "ls", "--config", bad)
    check(rc == 2 and "bad.yaml:" in err, "bad config: exit 2 with file:line", err)
    rc, out, err = ctl(ternctl, "osd", "ls", "--config", os.path.join(c.tmp, "missing.yaml"))
    check(rc == 2 and "missing.yaml" in err, "missing config: exit 2", err)


def test_osd_stop_with_admin_connection(c):
    """SIGTERM while a scrape connection is open (and silent): the OSD waits for it at most the
    admin request timeout (5 s) + 1 s, then exits cleanly ("stopped" logged, status 0)."""
    s = socket.create_connection(("127.0.0.1", c.osd_admin_ports[4]), timeout=5)
    st, _ = c.admin_get("/metrics", osd=4)
    check(st == 200, "osd.4 scraped before the stop")
    t0 = time.monotonic()
    p = c.procs["osd.4"]
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t0
    s.close()
    check(rc == 0, "osd.4 exits 0 after SIGTERM with an idle admin connection", str(rc))
    check(took < 12, "and within the admin request timeout + the drain", f"{took:.1f} s")
    check("msg=stopped" in c.log_text("osd.4").replace('"', ""), "osd.4 logged stopped")
    c.start_osd(4)
    st, _ = c.admin_get("/health/live", osd=4)
    check(st == 200, "osd.4 admin port back after restart")


def main():
    osd_bin, gw_bin, ternctl = sys.argv[1:4]
    with tc.Cluster(osd_bin, gw_bin, name="tern-metrics",
                    top_yaml="osd: {recovery_interval: 2}") as c:
        test_gateway_and_osd_metrics(c)
        test_access_log(c)
        test_osd_ls(c, ternctl)
        test_osd_stop_with_admin_connection(c)
        with open(c.config) as f:
            cfg_text = f.read()
    # the cluster is gone: the same config now reaches nothing
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(cfg_text)
        f.flush()
        rc, out, err = ctl(ternctl, "osd", "ls", "--config", f.name, "--timeout-ms", "300")
        check(rc == 1 and "cannot reach any OSD" in err,
              "unreachable cluster: exit 1, clear message", err)
    return done()


if __name__ == "__main__":
    sys.exit(main())
