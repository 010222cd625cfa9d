#!/usr/bin/env python3
"""Buckets and single-part objects end to end: 6 tern-osd (3 hosts x 2) and a tern-gateway on
free loopback ports from a generated config, driven with boto3 (path style).

Usage: test_s3_basic.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed"; kills every
process it started by PID, also on failure.
"""
import base64
import datetime
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import botocore
from botocore.config import Config

from ternt import check, done, free_ports

OSD, GW = sys.argv[1], sys.argv[2]
AK1, SK1 = "TERNS3TESTKEY0000001", "s3-test-secret-0123456789"
AK2, SK2 = "TERNS3TESTKEY0000002", "s3-test-secret-9876543210"


def wait_port(port, proc, secs=15):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def client(port, ak, sk):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=ak,
                        aws_secret_access_key=sk, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 1}, connect_timeout=5,
                                      read_timeout=20))


def code(fn):
    """The S3 error code fn raises (or None), and the HTTP status."""
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"]
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]


def etag(b):
    return '"' + hashlib.md5(b).hexdigest() + '"'


def main():
    tmp = tempfile.mkdtemp(prefix="tern-s3-test-")
    ports = free_ports(7)
    cfg = os.path.join(tmp, "cluster.yaml")
    with open(cfg, "w") as f:
        f.write("cluster: {name: s3test, id: 00112233445566778899aabbccddeeff}\n")
        f.write("hosts: [{name: a}, {name: b}, {name: c}]\nosds:\n")
        for i in range(6):
            f.write(f"  - {{id: {i}, host: {'abc'[i // 2]}, addr: 127.0.0.1:{ports[i]}, "
                    f"data: {tmp}/osd.{i}}}\n")
        f.write(f"gateway:\n  listen: [\"127.0.0.1:{ports[6]}\"]\n  tmp_dir: {tmp}/gwtmp\n"
                "  max_object_size: 18M\n"
                f"  credentials:\n    - {{access_key: {AK1}, secret_key: {SK1}}}\n"
                f"    - {{access_key: {AK2}, secret_key: {SK2}}}\n")
    procs = {}
    logs = []

    def start_osd(i):
        log = open(os.path.join(tmp, f"osd.{i}.log"), "ab")
        logs.append(log)
        p = subprocess.Popen([OSD, "--config", cfg, "--id", str(i)], stdout=log, stderr=log)
        procs[f"osd.{i}"] = p
        return wait_port(ports[i], p)

    try:
        for i in range(6):
            check(start_osd(i), f"osd.{i} listens")
        log = open(os.path.join(tmp, "gateway.log"), "ab")
        logs.append(log)
        procs["gw"] = subprocess.Popen([GW, "--config", cfg], stdout=log, stderr=log)
        check(wait_port(ports[6], procs["gw"]), "gateway listens")
        run(ports, procs, start_osd)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
        if os.environ.get("TERN_KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return done()


def run(ports, procs, start_osd):
    s3 = client(ports[6], AK1, SK1)
    s3b = client(ports[6], AK2, SK2)
    B = "tern-basic"

    # ---- buckets ----
    s3.create_bucket(Bucket=B)
    check(True, "create bucket")
    c, st = code(lambda: s3.create_bucket(Bucket=B))
    check(c == "BucketAlreadyOwnedByYou" and st == 409, "create again: owned by you", f"{c} {st}")
    c, st = code(lambda: s3b.create_bucket(Bucket=B))
    check(c == "BucketAlreadyExists" and st == 409, "other owner: already exists", f"{c} {st}")
    c, st = code(lambda: s3.create_bucket(Bucket="Bad_Name"))
    check(c == "InvalidBucketName", "invalid name", f"{c} {st}")
    c, st = code(lambda: s3.head_bucket(Bucket=B))
    check(st == 200, "head bucket", f"{c} {st}")
    c, st = code(lambda: s3.head_bucket(Bucket="tern-missing"))
    check(st == 404, "head missing bucket: 404", f"{c} {st}")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(B in names, "list buckets shows it", str(names))
    check(B not in [b["Name"] for b in s3b.list_buckets()["Buckets"]],
          "other owner does not see it")
    loc = s3.get_bucket_location(Bucket=B)
    check(loc.get("LocationConstraint") in (None, ""), "location us-east-1", str(loc))

    # ---- objects ----
    sizes = {"zero": 0, "one": 1, "inline-edge": 16384, "inline-plus-one": 16385,
             "two-chunks": 5 * 1024 * 1024 + 3, "five-chunks": 17 * 1024 * 1024 + 5}
    bodies = {}
    for name, n in sizes.items():
        body = os.urandom(n)
        bodies[name] = body
        r = s3.put_object(Bucket=B, Key=name, Body=body)
        check(r["ETag"] == etag(body), f"put {name}: ETag", r["ETag"])
        g = s3.get_object(Bucket=B, Key=name)
        got = g["Body"].read()
        check(got == body, f"get {name}: bytes", f"{len(got)} vs {n}")
        check(g["ETag"] == etag(body) and g["ContentLength"] == n, f"get {name}: headers")
        h = s3.head_object(Bucket=B, Key=name)
        check(h["ContentLength"] == n and h["ETag"] == etag(body), f"head {name}")

    s3.put_object(Bucket=B, Key="meta", Body=b"hello", ContentType="text/plain",
                  CacheControl="no-cache", ContentDisposition="attachment", ContentEncoding="gzip",
                  Metadata={"color": "blue", "Shape": "round"})
    h = s3.head_object(Bucket=B, Key="meta")
    check(h["ContentType"] == "text/plain" and h["CacheControl"] == "no-cache" and
          h["ContentDisposition"] == "attachment" and h["ContentEncoding"] == "gzip",
          "content headers round trip", str(h))
    check(h["Metadata"] == {"color": "blue", "shape": "round"}, "user metadata round trip",
          str(h["Metadata"]))
    check(s3.head_object(Bucket=B, Key="one")["ContentType"] == "binary/octet-stream",
          "default content type")

    for key in ["with space", "unicodé ☃", "a+b", "100%", "a//b", "../up", "dir/../x"]:
        s3.put_object(Bucket=B, Key=key, Body=key.encode())
        got = s3.get_object(Bucket=B, Key=key)["Body"].read()
        check(got == key.encode(), f"odd key {key!r}")

    big = bodies["two-chunks"]
    n = len(big)
    cb = 4 * 1024 * 1024
    for rng, want in [("bytes=0-0", big[0:1]), (f"bytes={n - 1}-", big[-1:]),
                      (f"bytes={cb - 10}-{cb + 9}", big[cb - 10:cb + 10]),
                      ("bytes=-5", big[-5:]), ("bytes=100-199", big[100:200])]:
        g = s3.get_object(Bucket=B, Key="two-chunks", Range=rng)
        got = g["Body"].read()
        check(got == want and g["ResponseMetadata"]["HTTPStatusCode"] == 206,
              f"range {rng}", f"{len(got)}")
    g = s3.get_object(Bucket=B, Key="one", Range="bytes=0-0")
    check(g["Body"].read() == bodies["one"], "inline range")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", Range="bytes=5-9"))
    check(st == 416 and c == "InvalidRange", "unsatisfiable range: 416", f"{c} {st}")

    et = etag(bodies["one"])
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfNoneMatch=et))
    check(st == 304, "If-None-Match ETag: 304", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfMatch='"0000"'))
    check(st == 412, "If-Match mismatch: 412", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfMatch=et))
    check(st == 200, "If-Match ETag: 200", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfNoneMatch='"0000"'))
    check(st == 200, "If-None-Match other ETag: 200", f"{c} {st}")
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfModifiedSince=future))
    check(st == 304, "If-Modified-Since tomorrow: 304", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfModifiedSince=past))
    check(st == 200, "If-Modified-Since 2001: 200", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfUnmodifiedSince=past))
    check(st == 412, "If-Unmodified-Since 2001: 412", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one", IfMatch=et, IfUnmodifiedSince=past))
    check(st == 200, "If-Match true wins over If-Unmodified-Since false", f"{c} {st}")
    c, st = code(lambda: s3.head_object(Bucket=B, Key="two-chunks", IfNoneMatch=etag(bodies["two-chunks"])))
    check(st == 304, "HEAD If-None-Match on a chunked object: 304", f"{c} {st}")

    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    c, st = code(lambda: s3.put_object(Bucket=B, Key="md5", Body=b"data", ContentMD5=wrong))
    check(c == "BadDigest", "wrong Content-MD5: BadDigest", f"{c} {st}")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="md5"))
    check(c == "NoSuchKey", "object with a bad digest was not stored", f"{c} {st}")
    right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    c, st = code(lambda: s3.put_object(Bucket=B, Key="md5", Body=b"data", ContentMD5=right))
    check(st == 200, "right Content-MD5", f"{c} {st}")
    c, st = code(lambda: s3.put_object(Bucket=B, Key="md5", Body=b"data", ContentMD5="!!"))
    check(c == "InvalidDigest", "malformed Content-MD5: InvalidDigest", f"{c} {st}")
    c, st = code(lambda: s3.put_object(Bucket=B, Key="huge", Body=b"x" * (18 * 1024 * 1024 + 1)))
    check(c == "EntityTooLarge" and st == 400, "over max_object_size: EntityTooLarge", f"{c} {st}")
    c, st = code(lambda: s3.put_object(Bucket=B, Key="fatmeta", Body=b"x",
                                       Metadata={"a": "v" * 1100, "b": "w" * 1000}))
    check((c, st) == ("MetadataTooLarge", 400), "user metadata over 2 KiB: MetadataTooLarge",
          f"{c} {st}")
    # S3 counts names (without x-amz-meta-) plus values: exactly 2 KiB is allowed
    c, st = code(lambda: s3.put_object(Bucket=B, Key="fatmeta", Body=b"x",
                                       Metadata={"a": "v" * 1023, "b": "w" * 1023}))
    check(st == 200, "user metadata of exactly 2 KiB accepted", f"{c} {st}")
    c, st = code(lambda: s3.put_object(Bucket=B, Key="fatmeta", Body=b"x",
                                       Metadata={"a": "v" * 1023, "bb": "w" * 1023}))
    check((c, st) == ("MetadataTooLarge", 400), "2 KiB + 1 byte: MetadataTooLarge", f"{c} {st}")
    check(len(s3.head_object(Bucket=B, Key="fatmeta")["Metadata"]["b"]) == 1023,
          "the refused PUT changed nothing")
    c, st = code(lambda: s3.put_object(Bucket="tern-missing", Key="x", Body=b"x"))
    check(c == "NoSuchBucket", "put in missing bucket: NoSuchBucket", f"{c} {st}")

    r = s3.delete_object(Bucket=B, Key="one")
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 204, "delete: 204")
    c, st = code(lambda: s3.get_object(Bucket=B, Key="one"))
    check(c == "NoSuchKey" and st == 404, "get after delete: NoSuchKey", f"{c} {st}")
    r = s3.delete_object(Bucket=B, Key="never-there")
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 204, "delete missing key: 204")
    c, st = code(lambda: s3.get_object(Bucket="tern-missing", Key="x"))
    check(c == "NoSuchBucket", "get in missing bucket: NoSuchBucket", f"{c} {st}")

    c, st = code(lambda: s3.delete_bucket(Bucket=B))
    check(c == "BucketNotEmpty" and st == 409, "delete non-empty bucket", f"{c} {st}")
    E = "tern-empty"
    s3.create_bucket(Bucket=E)
    s3.put_object(Bucket=E, Key="k", Body=b"v")
    s3.delete_object(Bucket=E, Key="k")
    c, st = code(lambda: s3.delete_bucket(Bucket=E))
    check(st == 204, "delete bucket whose objects were deleted: 204", f"{c} {st}")
    c, st = code(lambda: s3.head_bucket(Bucket=E))
    check(st == 404, "head deleted bucket: 404", f"{c} {st}")
    check(E not in [b["Name"] for b in s3.list_buckets()["Buckets"]], "deleted bucket not listed")

    # ---- one OSD down ----
    victim = procs["osd.1"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    ok_all = True
    for i in range(4):
        body = os.urandom(20000 + i)
        try:
            s3.put_object(Bucket=B, Key=f"degraded-{i}", Body=body)
            ok_all &= s3.get_object(Bucket=B, Key=f"degraded-{i}")["Body"].read() == body
        except botocore.exceptions.ClientError as e:
            ok_all = False
            print("degraded:", e, file=sys.stderr)
    check(ok_all, "put/get with one OSD killed")
    check(s3.get_object(Bucket=B, Key="two-chunks")["Body"].read() == big,
          "chunked object readable with one OSD killed")
    # bucket records need every replica: with osd.1 down, the names whose meta PG holds it
    # answer 503 and are rolled back; the others are created
    refused = created = 0
    rolled_back = True
    for i in range(12):
        name = f"tern-down-{i}"
        c, st = code(lambda: s3.create_bucket(Bucket=name))
        if st == 200:
            created += 1
        elif c == "ServiceUnavailable":
            refused += 1
            hb = code(lambda: s3.head_bucket(Bucket=name))
            rolled_back &= hb[1] == 404
    check(refused > 0 and created > 0, "create with a replica down: 503 or created",
          f"refused {refused} created {created}")
    check(rolled_back, "a refused create leaves no bucket behind")
    check(start_osd(1), "osd.1 restarted")
    g = s3.get_object(Bucket=B, Key="inline-edge")["Body"].read()
    check(g == bodies["inline-edge"], "get after restore")


if __name__ == "__main__":
    sys.exit(main())
