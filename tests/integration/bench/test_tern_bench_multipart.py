#!/usr/bin/env python3
"""tern-bench --multipart-size against a minimal in-process S3 stand-in (the gateway has no
multipart uploads yet): CreateMultipartUpload, UploadPart x N, CompleteMultipartUpload with
the parts' ETags, then GET --verify of the assembled objects. The stand-in checks the
sequence (upload id round trip with characters that need escaping, part numbers, part sizes,
ETags in the complete body) and that every request carries a SigV4 Authorization header; it
does not verify signatures (the signer is tested in test_tb_sign and against the real
gateway in test_tern_bench.py).

Usage: test_tern_bench_multipart.py TERN_BENCH. Prints "N passed, N failed".
"""
import hashlib
import http.server
import json
import re
import subprocess
import sys
import threading
import urllib.parse

from ternt import check, done

BENCH = sys.argv[1]
UPLOAD_ID = "up/1+2=3&4"  # sent XML-escaped, must come back percent-encoded


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.objects = {}
        self.uploads = {}
        self.n_uploads = 0
        self.parts = []  # sizes of every part received
        self.problems = []


S = State()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def parse(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 Credential="):
            with S.lock:
                S.problems.append(f"unsigned {self.command} {self.path}")
        return u.path, q, body

    def do_PUT(self):
        path, q, body = self.parse()
        if path.count("/") == 1:
            return self.answer(200)
        if "partNumber" in q:
            uid = q.get("uploadId", [""])[0]
            with S.lock:
                up = S.uploads.get(uid)
                if up is None:
                    S.problems.append(f"unknown upload id {uid!r}")
                    return self.answer(404)
                up[int(q["partNumber"][0])] = body
                S.parts.append(len(body))
            etag = '"%s"' % hashlib.md5(body).hexdigest()
            return self.answer(200, headers=[("ETag", etag)])
        with S.lock:
            S.objects[path] = body
        self.answer(200, headers=[("ETag", '"%s"' % hashlib.md5(body).hexdigest())])

    def do_POST(self):
        path, q, body = self.parse()
        if "uploads" in q and path.startswith("/no-mp/"):
            return self.answer(501, b"<Error><Code>NotImplemented</Code></Error>")
        if "uploads" in q:
            with S.lock:
                S.n_uploads += 1
                uid = f"{UPLOAD_ID}-{S.n_uploads}"
                S.uploads[uid] = {}
            esc = uid.replace("&", "&amp;")
            x = f"<InitiateMultipartUploadResult><UploadId>{esc}</UploadId></InitiateMultipartUploadResult>"
            return self.answer(200, x.encode())
        uid = q.get("uploadId", [""])[0]
        with S.lock:
            up = S.uploads.pop(uid, None)
            if up is None:
                S.problems.append(f"complete: unknown upload id {uid!r}")
                return self.answer(404)
            listed = re.findall(rb"<Part><PartNumber>(\d+)</PartNumber><ETag>([^<]*)</ETag></Part>",
                                body)
            nums = [int(n) for n, _ in listed]
            if nums != sorted(up) or nums != list(range(1, len(nums) + 1)):
                S.problems.append(f"complete lists parts {nums}, received {sorted(up)}")
            for n, etag in listed:
                want = '"%s"' % hashlib.md5(up.get(int(n), b"")).hexdigest()
                if etag.decode() != want:
                    S.problems.append(f"part {n}: ETag {etag!r}, want {want}")
            S.objects[path] = b"".join(up[n] for n in sorted(up))
        self.answer(200, b"<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag>"
                         b"</CompleteMultipartUploadResult>")

    def do_GET(self):
        path, q, body = self.parse()
        with S.lock:
            obj = S.objects.get(path)
        if obj is None:
            return self.answer(404, b"<Error><Code>NoSuchKey</Code></Error>")
        self.answer(200, obj)

    do_HEAD = do_GET


def run(port, *args):
    argv = [BENCH, "--endpoint", f"http://127.0.0.1:{port}", "--access-key", "AKFAKE",
            "--secret-key", "fake", "--bucket", "mp-test", "--json"] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except ValueError:
        return p.returncode, {}, p.stdout + p.stderr


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        size = 3 * 65536 + 1234  # 4 parts: 3 full, one of 1234 bytes
        rc, r, err = run(port, "--op", "put", "--size", str(size), "--multipart-size", "64K",
                         "--keys", "5", "--concurrency", "3", "--count", "10")
        check(rc == 0 and r.get("ops") == 10 and r.get("errors") == 0,
              "10 multipart PUTs succeed", f"rc {rc} {r} {err}")
        check(r.get("mib_per_s", 0) > 0, "bytes counted for multipart PUTs", str(r))
        with S.lock:
            check(S.n_uploads == 10 and not S.uploads, "10 uploads created and completed",
                  f"{S.n_uploads} {list(S.uploads)}")
            check(len(S.parts) == 40 and S.parts.count(65536) == 30 and S.parts.count(1234) == 10,
                  "4 parts each, the last one short", str(sorted(set(S.parts))))
            check(not S.problems, "no protocol problems", "\n".join(S.problems[:5]))
            check(all(len(v) == size for v in S.objects.values()) and len(S.objects) == 5,
                  "objects assembled at full size", str({k: len(v) for k, v in S.objects.items()}))

        # The assembled bodies are the keys' patterns (the prefill writes them by multipart too).
        rc, r, err = run(port, "--op", "get", "--verify", "--size", str(size),
                         "--multipart-size", "64K", "--keys", "5", "--count", "20")
        check(rc == 0 and r.get("ops") == 20 and r.get("verify_errors") == 0,
              "GET --verify of multipart objects", f"rc {rc} {r} {err}")

        # Objects at or below the part size stay single PUTs.
        before = S.n_uploads
        rc, r, err = run(port, "--op", "put", "--size", "64K", "--multipart-size", "64K",
                         "--keys", "5", "--count", "5")
        check(rc == 0 and r.get("ops") == 5 and S.n_uploads == before,
              "size == part size: plain PUT", f"rc {rc} {r} {err}")

        # A server without multipart uploads (bucket "no-mp" answers 501): errors by status,
        # exit 1, nothing stored.
        rc, r, err = run(port, "--op", "put", "--size", "100K", "--multipart-size", "64K",
                         "--bucket", "no-mp", "--keys", "2", "--count", "4")
        check(rc == 1 and r.get("ops") == 0 and r.get("errors_by_status") == {"501": 4},
              "501 on CreateMultipartUpload counted", f"rc {rc} {r} {err}")
    finally:
        srv.shutdown()
    return done()


if __name__ == "__main__":
    sys.exit(main())
