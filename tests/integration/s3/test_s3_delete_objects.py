#!/usr/bin/env python3
"""DeleteObjects on a real local cluster (6 OSDs, gateway) with boto3: 1,000 keys at once,
Quiet mode, per-key errors, missing keys, integrity headers (Content-MD5 / x-amz-checksum-*,
BadDigest, InvalidRequest without either), MalformedXML, and that deleted keys stay deleted.

Usage: test_s3_delete_objects.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
"""
import base64
import hashlib
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

import botocore

import ternt_cluster as tc
from ternt import check, done


def code(fn):
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"], r
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"], None


def with_body_hook(s3, fn):
    """Registers fn(request) to run just before signing a DeleteObjects request, calls nothing
    else; returns an unregister function."""
    def hook(request, **kw):
        fn(request)
    s3.meta.events.register("before-sign.s3.DeleteObjects", hook)
    return lambda: s3.meta.events.unregister("before-sign.s3.DeleteObjects", hook)


def set_body(request, body, md5=True, crc32=None):
    request.data = body
    for h in ("Content-MD5", "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"):
        if h in request.headers:
            del request.headers[h]
    request.headers["Content-Length"] = str(len(body))
    if md5:
        request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    if crc32 is not None:
        request.headers["x-amz-checksum-crc32"] = crc32


def main():
    with tc.Cluster(sys.argv[1], sys.argv[2], name="tern-delobj") as c:
        s3 = c.s3()
        B = "tern-delete-objects"
        s3.create_bucket(Bucket=B)
        keys = [f"k/{i:04d}" for i in range(1000)]
        with ThreadPoolExecutor(16) as ex:
            list(ex.map(lambda k: s3.put_object(Bucket=B, Key=k, Body=k.encode()), keys))
        s3.put_object(Bucket=B, Key="big", Body=b"x" * (5 * 1024 * 1024 + 1))

        # 1,000 keys, verbose: every one reported deleted, in order
        r = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": k} for k in keys]})
        deleted = [d["Key"] for d in r.get("Deleted", [])]
        check(deleted == keys and not r.get("Errors"), "1,000 keys deleted, in request order",
              f"{len(deleted)} deleted, errors {r.get('Errors', [])[:3]}")
        gone = 0
        for k in keys[::97]:
            cd, st, _ = code(lambda: s3.head_object(Bucket=B, Key=k))
            gone += st == 404
        check(gone == len(keys[::97]), "deleted keys are gone", gone)

        # quiet: no <Deleted>, errors still listed; missing keys are a success
        r = s3.delete_objects(Bucket=B, Delete={"Quiet": True, "Objects": [
            {"Key": "big"}, {"Key": "never-existed"}, {"Key": "x" * 1025},
            {"Key": "v", "VersionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"},
            {"Key": "v2", "VersionId": "null"}]})
        errs = {e["Key"][:8]: e["Code"] for e in r.get("Errors", [])}
        check(not r.get("Deleted"), "quiet mode lists no Deleted", r.get("Deleted"))
        check(errs == {"x" * 8: "KeyTooLongError", "v": "InvalidArgument"},
              "per-key errors: key too long, bad version id", errs)
        cd, st, _ = code(lambda: s3.head_object(Bucket=B, Key="big"))
        check(st == 404, "multi-chunk object deleted in quiet mode", st)
        r = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "n", "VersionId": "null"}]})
        check(r.get("Deleted") == [{"Key": "n", "VersionId": "null"}], "VersionId null echoed",
              r.get("Deleted"))

        # conditional delete by ETag: NotImplemented for that key (rule 12), never a wrong success
        s3.put_object(Bucket=B, Key="cond", Body=b"c")
        cond = b'<Delete><Object><Key>cond</Key><ETag>"abc"</ETag></Object></Delete>'
        un = with_body_hook(s3, lambda req: set_body(req, cond))
        r = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "x"}]})
        un()
        check([e["Code"] for e in r.get("Errors", [])] == ["NotImplemented"],
              "ETag-conditional delete: NotImplemented", r)
        check(s3.get_object(Bucket=B, Key="cond")["Body"].read() == b"c",
              "object kept after refused conditional delete")

        # integrity headers
        good = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b"<Object><Key>cond</Key></Object></Delete>")
        un = with_body_hook(s3, lambda req: set_body(req, good, md5=False))
        cd, st, _ = code(lambda: s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "x"}]}))
        un()
        check(cd == "InvalidRequest" and st == 400, "no Content-MD5 and no checksum: InvalidRequest",
              f"{cd} {st}")

        def bad_md5(req):
            set_body(req, good, md5=False)
            req.headers["Content-MD5"] = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        un = with_body_hook(s3, bad_md5)
        cd, st, _ = code(lambda: s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "x"}]}))
        un()
        check(cd == "BadDigest" and st == 400, "wrong Content-MD5: BadDigest", f"{cd} {st}")

        crc = base64.b64encode(zlib.crc32(good).to_bytes(4, "big")).decode()
        un = with_body_hook(s3, lambda req: set_body(req, good, md5=False, crc32=crc))
        cd, st, r = code(lambda: s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "x"}]}))
        un()
        check(cd is None and r.get("Deleted") == [{"Key": "cond"}],
              "x-amz-checksum-crc32 without Content-MD5 is accepted (as new SDKs send it)",
              f"{cd} {r}")
        cd, st, _ = code(lambda: s3.head_object(Bucket=B, Key="cond"))
        check(st == 404, "and the key named in that body was deleted", st)

        bad_crc = base64.b64encode((zlib.crc32(good) ^ 1).to_bytes(4, "big")).decode()
        un = with_body_hook(s3, lambda req: set_body(req, good, md5=False, crc32=bad_crc))
        cd, st, _ = code(lambda: s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "x"}]}))
        un()
        check(cd == "BadDigest", "wrong x-amz-checksum-crc32: BadDigest", f"{cd} {st}")

        for name, body in [("not XML", b"hello"), ("no objects", b"<Delete></Delete>"),
                           ("wrong root", b"<Remove><Object><Key>a</Key></Object></Remove>"),
                           ("1001 objects", b"<Delete>" +
                            b"<Object><Key>a</Key></Object>" * 1001 + b"</Delete>")]:
            un = with_body_hook(s3, lambda req, body=body: set_body(req, body))
            cd, st, _ = code(lambda: s3.delete_objects(Bucket=B,
                                                       Delete={"Objects": [{"Key": "x"}]}))
            un()
            check(cd == "MalformedXML" and st == 400, f"{name}: MalformedXML", f"{cd} {st}")

        cd, st, _ = code(lambda: s3.delete_objects(Bucket="tern-no-such-bucket",
                                                   Delete={"Objects": [{"Key": "x"}]}))
        check(cd == "NoSuchBucket" and st == 404, "NoSuchBucket", f"{cd} {st}")
    return done()


if __name__ == "__main__":
    sys.exit(main())
