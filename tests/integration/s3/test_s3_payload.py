#!/usr/bin/env python3
"""Request payloads end to end on a real cluster (6 tern-osd + tern-gateway): aws-chunked
bodies (all three STREAMING-* variants, with and without HTTP chunked transfer-encoding on top,
over HTTP/1.1, h2c and TLS), Content-MD5 and x-amz-checksum-* (headers and trailers), and every
error the payload stage answers, checking the stored bytes with GET.

Two modes:
  test_s3_payload.py TERN_OSD TERN_GATEWAY
      requests built here with tests/lib/ternt_sigv4.py (an independent SigV4 / aws-chunked
      implementation in Python), so the gateway is checked against a second implementation
      and against requests no SDK would send (tampered signatures, small chunks, wrong
      trailers). Runs on any Python with boto3 (GETs and bucket setup).
  test_s3_payload.py TERN_OSD TERN_GATEWAY --sdk
      a recent boto3 (>= 1.36, which sends checksums by default: a CRC32 header over http,
      STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer over https) doing put_object
      with default settings and with each ChecksumAlgorithm, over http and TLS; checksums are
      never turned off. Without awscrt botocore cannot compute CRC32C/CRC64NVME, so pure-Python
      implementations (checked against the standard check values first) are registered in
      botocore's checksum table: the request is still built by botocore's own aws-chunked code.
Prints "N passed, N failed"; every process is killed by PID (ternt_cluster).
"""
import hashlib
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import boto3
import botocore
import urllib3
from botocore.config import Config

from ternt import check, done
from ternt_cluster import AK, SK, Cluster
import ternt_sigv4 as sv
from ternt_sigv4 import SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER

OSD, GW = sys.argv[1], sys.argv[2]
SDK = "--sdk" in sys.argv[3:]
BUCKET = "pay"
SIGNER = sv.Signer(AK, SK)
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # self-signed test cert


def body_of(n, salt=0):
    """n deterministic pseudo-random bytes."""
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(b"%d-%d" % (salt, i)).digest()
        i += 1
    return bytes(out[:n])


class Target:
    """One gateway endpoint: raw HTTP/1.1 requests (optionally TLS, optionally chunked
    transfer-encoding) and a boto3 client for setup and GETs."""

    def __init__(self, port, tls=False):
        self.port, self.tls = port, tls
        self.host = f"127.0.0.1:{port}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"

    def conn(self):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60,
                                               context=ssl._create_unverified_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def client(self, **cfg):
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=AK,
                            aws_secret_access_key=SK, region_name="us-east-1",
                            verify=False if self.tls else None,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"total_max_attempts": 1}, connect_timeout=5,
                                          read_timeout=60, **cfg))

    def request(self, method, path, headers, body, chunked=False, piece=50000):
        """(status, headers dict lowercased, body). chunked: the body goes out with
        Transfer-Encoding: chunked in pieces of `piece` bytes (no Content-Length)."""
        c = self.conn()
        try:
            if chunked:
                def gen():
                    for i in range(0, len(body), piece):
                        yield body[i:i + piece]
                c.request(method, path, body=gen(), headers=headers, encode_chunked=True)
            else:
                c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()


def error_code(data):
    try:
        root = ET.fromstring(data)
        return root.findtext("Code"), root.findtext("Message") or ""
    except ET.ParseError:
        return None, repr(data[:200])


def streaming_put(t, key, data, mode, sizes, trailers=(), extra=None, decoded_len=None,
                  chunked=False, tamper=None, cut=0, content_encoding="aws-chunked",
                  trailer_header=None):
    """PUT /BUCKET/key with an aws-chunked body; returns (status, headers, body)."""
    path = f"/{BUCKET}/{key}"
    h = {"host": t.host, "x-amz-decoded-content-length": str(len(data) if decoded_len is None
                                                              else decoded_len)}
    if content_encoding is not None:
        h["content-encoding"] = content_encoding
    names = trailer_header if trailer_header is not None else ",".join(n for n, _ in trailers)
    if names:
        h["x-amz-trailer"] = names
    h.update(extra or {})
    signed, seed = SIGNER.sign("PUT", path, h, mode)
    body = SIGNER.chunked_body(data, sizes, mode, signed["x-amz-date"], seed, trailers,
                               bad_chunk=tamper if isinstance(tamper, int) else None,
                               bad_trailer_sig=tamper == "trailer")
    if cut:
        body = body[:-cut]
    del signed["host"]  # http.client sends Host itself (same value)
    return t.request("PUT", path, signed, body, chunked=chunked)


def plain_put(t, key, data, extra=None, payload="UNSIGNED-PAYLOAD", chunked=False):
    path = f"/{BUCKET}/{key}"
    h = {"host": t.host}
    h.update(extra or {})
    signed, _ = SIGNER.sign("PUT", path, h, payload)
    del signed["host"]
    return t.request("PUT", path, signed, data, chunked=chunked)


def get_bytes(s3, key):
    try:
        return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code")


def expect_ok(t, s3, what, res, key, data):
    st, h, body = res
    if not check(st == 200, f"{what}: 200", f"{st} {body[:300]!r}"):
        return
    check(h.get("etag") == '"%s"' % hashlib.md5(data).hexdigest(), f"{what}: ETag is the MD5 of "
          "the decoded bytes", repr(h.get("etag")))
    got = get_bytes(s3, key)
    check(got == data, f"{what}: GET returns the same bytes",
          f"{len(got) if isinstance(got, bytes) else got} vs {len(data)}")


def expect_err(s3, what, res, status, code, msg_has=None, key=None):
    st, _, body = res
    c, msg = error_code(body)
    check(st == status and c == code, f"{what}: {status} {code}", f"{st} {c} {msg}")
    if msg_has is not None:
        check(msg_has in msg, f"{what}: message has {msg_has!r}", msg)
    if key is not None:
        check(get_bytes(s3, key) == "NoSuchKey", f"{what}: nothing stored", key)


# ---- (a) hand-built requests ----

def test_streaming_variants(t, s3, tag=""):
    kt = "-tls" if tag else ""
    data = body_of(200_003, 1)
    crc = sv.checksum("CRC32", data)
    for mode in (SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER):
        trailers = () if mode == SIGNED else (("x-amz-checksum-crc32", crc),)
        for chunked in (False, True):
            key = f"stream-{mode[-14:]}-{int(chunked)}{kt}"
            what = f"{mode}{' + HTTP chunked' if chunked else ''}{tag}"
            res = streaming_put(t, key, data, mode, [65536] * 3, trailers, chunked=chunked)
            expect_ok(t, s3, what, res, key, data)
    # every checksum algorithm as a trailer, signed and unsigned
    for alg in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
        for mode in (SIGNED_TRAILER, UNSIGNED_TRAILER):
            key = f"trailer-{alg}-{mode[-14:]}{kt}"
            tr = ((f"x-amz-checksum-{alg.lower()}", sv.checksum(alg, data)),)
            res = streaming_put(t, key, data, mode, [100_000], tr,
                                extra={"x-amz-sdk-checksum-algorithm": alg})
            expect_ok(t, s3, f"{alg} trailer, {mode}{tag}", res, key, data)


def test_large(t, s3, tag=""):
    """Bodies over the inline limit (1 MiB) go to a worker (HTTP/1) in 4 MiB slices."""
    kt = "-tls" if tag else ""
    data = body_of(9 * 1024 * 1024 + 5, 2)
    crc = sv.checksum("CRC32", data)
    key = f"big-signed{kt}"
    res = streaming_put(t, key, data, SIGNED_TRAILER, [1 << 20] * 9,
                        (("x-amz-checksum-crc32", crc),), chunked=True)
    expect_ok(t, s3, f"9 MiB signed aws-chunked, HTTP chunked{tag}", res, key, data)
    key = f"big-unsigned{kt}"
    res = streaming_put(t, key, data, UNSIGNED_TRAILER, [3 << 20] * 3,
                        (("x-amz-checksum-crc32", crc),))
    expect_ok(t, s3, f"9 MiB unsigned aws-chunked{tag}", res, key, data)
    bad = (("x-amz-checksum-crc32", sv.checksum("CRC32", data[:-1])),)
    res = streaming_put(t, f"big-bad{kt}", data, UNSIGNED_TRAILER, [3 << 20] * 3, bad)
    expect_err(s3, f"9 MiB, wrong CRC32 trailer{tag}", res, 400, "BadDigest",
               "The CRC32 you specified did not match the calculated checksum.", f"big-bad{kt}")
    res = streaming_put(t, f"big-badsig{kt}", data, SIGNED, [1 << 20] * 9, tamper=7)
    expect_err(s3, f"9 MiB, bad 8th chunk signature{tag}", res, 403, "SignatureDoesNotMatch",
               key=f"big-badsig{kt}")
    # plain body with Content-MD5 + checksum over the worker path
    res = plain_put(t, f"big-plain{kt}", data, {"content-md5": sv.checksum("MD5", data),
                                                 "x-amz-checksum-sha256": sv.checksum("SHA256", data)},
                    payload=hashlib.sha256(data).hexdigest())
    expect_ok(t, s3, f"9 MiB signed SHA-256 + Content-MD5 + x-amz-checksum-sha256{tag}", res,
              f"big-plain{kt}", data)


def test_content_encoding(t, s3):
    data = body_of(5000, 3)
    for ce, want in (("aws-chunked", None), ("aws-chunked,gzip", "gzip"),
                     ("gzip, aws-chunked", "gzip"), ("aws-chunked, gzip, br", "gzip,br")):
        key = "ce-" + ce.replace(",", "_").replace(" ", "")
        res = streaming_put(t, key, data, UNSIGNED_TRAILER, [], content_encoding=ce)
        expect_ok(t, s3, f"Content-Encoding {ce!r}", res, key, data)
        got = s3.head_object(Bucket=BUCKET, Key=key).get("ContentEncoding")
        check(got == want, f"Content-Encoding {ce!r} stored as {want!r}", repr(got))
    res = streaming_put(t, "ce-none", data, UNSIGNED_TRAILER, [], content_encoding=None)
    expect_ok(t, s3, "aws-chunked body without Content-Encoding", res, "ce-none", data)


def test_errors(t, s3):
    data = body_of(30000, 4)
    crc = (("x-amz-checksum-crc32", sv.checksum("CRC32", data)),)
    for chunked in (False, True):
        sfx = " (HTTP chunked)" if chunked else ""
        k = f"e-sig{int(chunked)}"
        res = streaming_put(t, k, data, SIGNED, [10000, 10000], tamper=1, chunked=chunked)
        expect_err(s3, "bad chunk signature" + sfx, res, 403, "SignatureDoesNotMatch", key=k)
        k = f"e-final{int(chunked)}"
        res = streaming_put(t, k, data, SIGNED, [10000, 10000], tamper=3, chunked=chunked)
        expect_err(s3, "bad final-chunk signature" + sfx, res, 403, "SignatureDoesNotMatch", key=k)
        k = f"e-tsig{int(chunked)}"
        res = streaming_put(t, k, data, SIGNED_TRAILER, [10000, 10000], crc, tamper="trailer",
                            chunked=chunked)
        expect_err(s3, "bad trailer signature" + sfx, res, 403, "SignatureDoesNotMatch", key=k)
        k = f"e-cut{int(chunked)}"
        res = streaming_put(t, k, data, UNSIGNED_TRAILER, [10000], crc, cut=40, chunked=chunked)
        expect_err(s3, "truncated body" + sfx, res, 400, "IncompleteBody", key=k)
        res = streaming_put(t, k, data, SIGNED, [10000], cut=200, chunked=chunked)
        expect_err(s3, "truncated signed body" + sfx, res, 400, "IncompleteBody", key=k)
    res = streaming_put(t, "e-dl", data, SIGNED, [10000], decoded_len=len(data) + 1)
    expect_err(s3, "decoded length too large", res, 400, "IncompleteBody", key="e-dl")
    res = streaming_put(t, "e-dl", data, SIGNED, [10000], decoded_len=len(data) - 1)
    expect_err(s3, "decoded length too small", res, 400, "InvalidArgument",
               "x-amz-decoded-content-length", key="e-dl")
    res = streaming_put(t, "e-dl", data, UNSIGNED_TRAILER, [10000], decoded_len="12x")
    expect_err(s3, "decoded length not a number", res, 400, "InvalidArgument", key="e-dl")
    res = streaming_put(t, "e-dl", data, UNSIGNED_TRAILER, [10000], decoded_len=10 ** 9)
    expect_err(s3, "decoded length over the body", res, 400, "IncompleteBody", key="e-dl")
    path = f"/{BUCKET}/e-dl"
    h, seed = SIGNER.sign("PUT", path, {"host": t.host, "content-encoding": "aws-chunked"}, SIGNED)
    body = SIGNER.chunked_body(data, [10000], SIGNED, h["x-amz-date"], seed)
    del h["host"]
    expect_err(s3, "no x-amz-decoded-content-length", t.request("PUT", path, h, body), 411,
               "MissingContentLength", "x-amz-decoded-content-length", key="e-dl")
    bad = (("x-amz-checksum-crc32", sv.checksum("CRC32", data[1:])),)
    for mode in (SIGNED_TRAILER, UNSIGNED_TRAILER):
        res = streaming_put(t, "e-tck", data, mode, [10000], bad)
        expect_err(s3, f"wrong trailer checksum, {mode}", res, 400, "BadDigest",
                   "The CRC32 you specified did not match the calculated checksum.", key="e-tck")
    res = streaming_put(t, "e-small", data, SIGNED, [10000, 100, 10000])
    expect_err(s3, "small middle chunk", res, 400, "InvalidChunkSizeError", key="e-small")
    res = streaming_put(t, "e-small", data, SIGNED_TRAILER, [8191, 10000], crc)
    expect_err(s3, "8191-byte first chunk", res, 400, "InvalidChunkSizeError", key="e-small")
    res = streaming_put(t, "e-tr", data, UNSIGNED_TRAILER, [10000],
                        (("x-amz-checksum-crc32c", sv.checksum("CRC32C", data)),),
                        trailer_header="x-amz-checksum-crc32")
    expect_err(s3, "trailer other than x-amz-trailer", res, 400, "MalformedTrailerError",
               key="e-tr")
    res = streaming_put(t, "e-tr", data, UNSIGNED_TRAILER, [10000], (),
                        trailer_header="x-amz-checksum-crc32")
    expect_err(s3, "announced trailer missing", res, 400, "MalformedTrailerError", key="e-tr")
    res = streaming_put(t, "e-tr", data, UNSIGNED_TRAILER, [10000], crc, trailer_header="")
    expect_err(s3, "trailer without x-amz-trailer", res, 400, "MalformedTrailerError", key="e-tr")
    res = streaming_put(t, "e-tr", data, UNSIGNED_TRAILER, [10000],
                        (("x-amz-checksum-crc32", "!!!!"),))
    expect_err(s3, "malformed trailer checksum", res, 400, "InvalidRequest", key="e-tr")
    res = streaming_put(t, "e-md5", data, UNSIGNED_TRAILER, [10000], crc,
                        extra={"content-md5": sv.checksum("MD5", data[1:])})
    expect_err(s3, "aws-chunked Content-MD5 mismatch", res, 400, "BadDigest", "Content-MD5",
               key="e-md5")
    res = streaming_put(t, "e-md5", data, SIGNED, [10000],
                        extra={"content-md5": sv.checksum("MD5", data)})
    expect_ok(t, s3, "aws-chunked with the right Content-MD5", res, "e-md5", data)
    s3.delete_object(Bucket=BUCKET, Key="e-md5")
    # plain bodies
    res = plain_put(t, "p-md5", data, {"content-md5": sv.checksum("MD5", data[1:])})
    expect_err(s3, "Content-MD5 mismatch", res, 400, "BadDigest", key="p-md5")
    res = plain_put(t, "p-md5", data, {"content-md5": "bm90IGFuIG1kNQ=="})
    expect_err(s3, "malformed Content-MD5", res, 400, "InvalidDigest", key="p-md5")
    res = plain_put(t, "p-md5", data, {"content-md5": sv.checksum("MD5", data)}, chunked=True)
    expect_ok(t, s3, "Content-MD5 right (HTTP chunked)", res, "p-md5", data)
    for alg in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
        hn = f"x-amz-checksum-{alg.lower()}"
        res = plain_put(t, f"p-{alg}", data, {hn: sv.checksum(alg, data),
                                             "x-amz-sdk-checksum-algorithm": alg})
        expect_ok(t, s3, f"{alg} header right", res, f"p-{alg}", data)
        res = plain_put(t, f"p-bad-{alg}", data, {hn: sv.checksum(alg, data + b"x")})
        expect_err(s3, f"{alg} header wrong", res, 400, "BadDigest",
                   f"The {alg} you specified did not match the calculated checksum.",
                   key=f"p-bad-{alg}")
        res = plain_put(t, f"p-bad-{alg}", data, {hn: "AAAA"})
        expect_err(s3, f"{alg} header malformed", res, 400, "InvalidRequest", f"{hn}",
                   key=f"p-bad-{alg}")
    res = plain_put(t, "p-two", data, {"x-amz-checksum-crc32": sv.checksum("CRC32", data),
                                       "x-amz-checksum-sha1": sv.checksum("SHA1", data)})
    expect_err(s3, "two checksum headers", res, 400, "InvalidRequest", "Multiple checksum",
               key="p-two")
    res = plain_put(t, "p-sdk", data, {"x-amz-sdk-checksum-algorithm": "CRC32C"})
    expect_err(s3, "x-amz-sdk-checksum-algorithm without a checksum", res, 400, "InvalidRequest",
               "x-amz-sdk-checksum-algorithm", key="p-sdk")
    res = plain_put(t, "p-sha", data, {"x-amz-checksum-sha256": sv.checksum("SHA256", data)},
                    payload=hashlib.sha256(data[1:]).hexdigest())
    expect_err(s3, "signed payload hash wrong", res, 400, "XAmzContentSHA256Mismatch", key="p-sha")


def curl_put(t, path, headers, body_file, http2):
    args = ["curl", "-s", "-S", "-k", "-X", "PUT", "--data-binary", f"@{body_file}", "-D", "-",
            "-o", "/dev/null"]
    args += ["--http2" if t.tls else "--http2-prior-knowledge"] if http2 else ["--http1.1"]
    for k, v in headers.items():
        if k not in ("host",):
            args += ["-H", f"{k}: {v}"]
    p = subprocess.run(args + [t.url + path], capture_output=True, timeout=120)
    return p.returncode, p.stdout


def test_http2(t, s3, tmp, tag):
    """HTTP/2 (h2c, or h2 over TLS): bodies over 1 MiB are decoded in slices on the loop."""
    kt = "-tls" if tag else ""
    if shutil.which("curl") is None:
        check(False, "curl is installed (tools/dev TEST_PKGS)")
        return
    for size in (100_000, 5 * 1024 * 1024 + 11):
        data = body_of(size, 5)
        key = f"h2-{size}{kt}"
        path = f"/{BUCKET}/{key}"
        trailers = (("x-amz-checksum-crc32c", sv.checksum("CRC32C", data)),)
        h = {"host": t.host, "content-encoding": "aws-chunked,gzip",
             "x-amz-decoded-content-length": str(len(data)), "x-amz-trailer": trailers[0][0]}
        signed, seed = SIGNER.sign("PUT", path, h, SIGNED_TRAILER)
        body = SIGNER.chunked_body(data, [1 << 20] * 6, SIGNED_TRAILER, signed["x-amz-date"],
                                   seed, trailers)
        fn = os.path.join(tmp, "h2body")
        with open(fn, "wb") as f:
            f.write(body)
        rc, out = curl_put(t, path, signed, fn, True)
        check(rc == 0 and out.startswith(b"HTTP/2 200"), f"HTTP/2 aws-chunked {size} bytes{tag}",
              f"{rc} {out[:300]!r}")
        check(get_bytes(s3, key) == data, f"HTTP/2 {size} bytes{tag}: GET returns the bytes")
        check(s3.head_object(Bucket=BUCKET, Key=key).get("ContentEncoding") == "gzip",
              f"HTTP/2 {size} bytes{tag}: Content-Encoding gzip")
        bpath = path + "-bad"
        signed, seed = SIGNER.sign("PUT", bpath, h, SIGNED_TRAILER)
        body = SIGNER.chunked_body(data, [1 << 20] * 6, SIGNED_TRAILER, signed["x-amz-date"],
                                   seed, trailers, bad_chunk=min(2, size >> 20))
        with open(fn, "wb") as f:
            f.write(body)
        rc, out = curl_put(t, bpath, signed, fn, True)
        check(rc == 0 and out.startswith(b"HTTP/2 403"), f"HTTP/2 bad chunk signature{tag}",
              f"{rc} {out[:300]!r}")
        check(get_bytes(s3, key + "-bad") == "NoSuchKey", f"HTTP/2 bad signature{tag}: not stored")


def test_client_gone(t, s3, tmp):
    """Clients that leave right after sending a large aws-chunked body. HTTP/2 (decoded in loop
    slices): the stream is reset and the request disposed mid-way (access log status 0), which
    cancels the pass. HTTP/1 (decoded on a worker): h2o 2.2.5 stops reading while a request is
    handled, so it notices the close only when answering; the request completes. Either way the
    gateway keeps serving (under ASan in the debug build: no use of a freed body)."""
    import socket
    data = body_of(6 * 1024 * 1024 + 3, 7)
    for i in range(4):
        path = f"/{BUCKET}/gone-{i}"
        h = {"host": t.host, "content-encoding": "aws-chunked",
             "x-amz-decoded-content-length": str(len(data))}
        signed, seed = SIGNER.sign("PUT", path, h, SIGNED)
        body = SIGNER.chunked_body(data, [1 << 20] * 6, SIGNED, signed["x-amz-date"], seed)
        head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed.items())
        head += f"content-length: {len(body)}\r\n\r\n"
        sock = socket.create_connection(("127.0.0.1", t.port), timeout=30)
        if t.tls:
            sock = ssl._create_unverified_context().wrap_socket(sock)
        sock.sendall(head.encode() + body)
        sock.close()  # gone before the answer
    if shutil.which("curl") is not None:
        fn = os.path.join(tmp, "gonebody")
        for i in range(3):
            path = f"/{BUCKET}/gone-h2-{i}"
            signed, seed = SIGNER.sign("PUT", path, h, SIGNED)
            with open(fn, "wb") as f:
                f.write(SIGNER.chunked_body(data, [1 << 20] * 6, SIGNED, signed["x-amz-date"],
                                            seed))
            args = ["curl", "-s", "-k", "--max-time", "0.%d" % (2 + i), "-X", "PUT",
                    "--data-binary", f"@{fn}", "-o", "/dev/null",
                    "--http2" if t.tls else "--http2-prior-knowledge"]
            args += sum((["-H", f"{k}: {v}"] for k, v in signed.items() if k != "host"), [])
            subprocess.run(args + [t.url + path], capture_output=True, timeout=60)
    small = body_of(1000, 8)
    res = streaming_put(t, "after-gone", small, UNSIGNED_TRAILER, [])
    expect_ok(t, s3, "PUT after clients left mid-body", res, "after-gone", small)


def make_cert(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "openssl made a self-signed certificate", p.stderr.decode()[-300:])
    return cert, key


def run_raw(tmp):
    with Cluster(OSD, GW, name="tern-payload") as c:
        t = Target(c.gw_ports[0])
        s3 = t.client()
        s3.create_bucket(Bucket=BUCKET)
        test_streaming_variants(t, s3)
        test_large(t, s3)
        test_content_encoding(t, s3)
        test_errors(t, s3)
        test_http2(t, s3, tmp, "")
        test_client_gone(t, s3, tmp)
    cert, key = make_cert(tmp)
    with Cluster(OSD, GW, name="tern-payload-tls",
                 gateway_yaml=f"  tls: {{cert: {cert}, key: {key}}}") as c:
        t = Target(c.gw_ports[0], tls=True)
        s3 = t.client()
        s3.create_bucket(Bucket=BUCKET)
        test_streaming_variants(t, s3, " (TLS)")
        test_large(t, s3, " (TLS)")
        test_http2(t, s3, tmp, " (TLS)")
        test_client_gone(t, s3, tmp)


# ---- (b) a recent boto3 with its default checksums ----

class _PyCrc:
    """botocore checksum class over ternt_sigv4's pure-Python CRCs (no awscrt here)."""
    fn, size = None, 0

    def __init__(self):
        self._crc = 0

    def update(self, chunk):
        self._crc = type(self).fn(chunk, self._crc)

    def digest(self):
        return self._crc.to_bytes(self.size, "big")


def register_py_crcs():
    import botocore.httpchecksum as hc
    check(sv.crc32c(b"123456789") == 0xE3069283, "pure-Python CRC32C check value")
    check(sv.crc64nvme(b"123456789") == 0xAE8B14860A799888, "pure-Python CRC64NVME check value")
    if hc.HAS_CRT:
        return
    for name, fn, size in (("crc32c", sv.crc32c, 4), ("crc64nvme", sv.crc64nvme, 8)):
        cls = type(f"Py{name}", (_PyCrc, hc.BaseChecksum), {"fn": staticmethod(fn), "size": size})
        hc._CHECKSUM_CLS[name] = cls
        if name not in hc._SUPPORTED_CHECKSUM_ALGORITHMS:
            hc._SUPPORTED_CHECKSUM_ALGORITHMS.append(name)


def run_sdk(tmp):
    print(f"boto3 {boto3.__version__} botocore {botocore.__version__} on Python {sys.version.split()[0]}")
    ver = tuple(int(x) for x in boto3.__version__.split(".")[:2])
    if not check(ver >= (1, 36), "boto3 >= 1.36 (sends checksums by default)", boto3.__version__):
        return
    register_py_crcs()
    cert, key = make_cert(tmp)
    with Cluster(OSD, GW, name="tern-payload-sdk",
                 gateway_yaml=f"  tls: {{cert: {cert}, key: {key}}}", gateways=1) as c:
        t = Target(c.gw_ports[0], tls=True)
        sdk_puts(t, "https")
    with Cluster(OSD, GW, name="tern-payload-sdk2") as c:
        sdk_puts(Target(c.gw_ports[0]), "http")


def sdk_puts(t, scheme):
    s3 = t.client()  # defaults: request_checksum_calculation=when_supported
    s3.create_bucket(Bucket=BUCKET)
    seen = {}

    def capture(request, **_):
        seen.clear()
        seen.update({k.lower(): v for k, v in request.headers.items()})

    s3.meta.events.register("before-send.s3.PutObject", capture)
    for size in (0, 1000, 300_000, 3 * 1024 * 1024 + 7):
        data = body_of(size, 6)
        for alg in (None, "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
            key = f"sdk-{scheme}-{size}-{alg}"
            kw = {} if alg is None else {"ChecksumAlgorithm": alg}
            what = f"{scheme} put_object {size} bytes, {alg or 'default'}"
            try:
                r = s3.put_object(Bucket=BUCKET, Key=key, Body=data, **kw)
            except botocore.exceptions.ClientError as e:
                check(False, what, repr(e.response.get("Error")))
                continue
            sha = seen.get("x-amz-content-sha256", b"")
            sha = sha.decode() if isinstance(sha, bytes) else sha
            want_alg = (alg or "CRC32").lower()
            hdr = f"x-amz-checksum-{want_alg}"
            if scheme == "https":
                trailer = seen.get("x-amz-trailer", b"")
                trailer = trailer.decode() if isinstance(trailer, bytes) else trailer
                check(sha == UNSIGNED_TRAILER and trailer == hdr,
                      f"{what}: sent aws-chunked with a {hdr} trailer", f"{sha} {trailer}")
            else:
                check(hdr in seen, f"{what}: sent {hdr} as a header", repr(sorted(seen)))
            check(r["ETag"] == '"%s"' % hashlib.md5(data).hexdigest(), f"{what}: ETag", r["ETag"])
            check(get_bytes(s3, key) == data, f"{what}: GET is byte-exact")


def main():
    tmp = tempfile.mkdtemp(prefix="tern-payload-")
    try:
        if SDK:
            run_sdk(tmp)
        else:
            run_raw(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
