#!/usr/bin/env python3
"""Multipart uploads end to end on a real local cluster (tests/lib/ternt_cluster.py: 6 tern-osd
on 3 hosts + tern-gateway), driven with boto3 (path style) and, when present, Debian's aws-cli:
upload/complete/GET byte-exact, ranges across part boundaries, partNumber GET/HEAD, every error
code of the multipart API, ListParts / ListMultipartUploads pagination, Abort, a retried
Complete, UploadPartCopy with a range, the same part number uploaded twice, checksums
(composite and full-object) returned with x-amz-checksum-mode, versionId=null, boto3's
TransferManager, and `aws s3 cp` of a 200 MiB file both ways (40 MiB with TERN_SANITIZED=1,
as the ASan+UBSan build's ctest sets it: the same code in 5 parts instead of 25).

Usage: test_s3_multipart.py TERN_OSD TERN_GATEWAY [--sdk]. Prints "N passed, N failed". --sdk:
run under a recent boto3 (checksums and aws-chunked bodies by default) and skip aws-cli.
"""
import base64
import hashlib
import os
import subprocess
import sys
import zlib

import boto3
import botocore
from boto3.s3.transfer import TransferConfig

from ternt import check, done
from ternt_cluster import Cluster

OSD, GW = sys.argv[1], sys.argv[2]
SDK = "--sdk" in sys.argv[3:]
# the aws-cli round trip: 200 MiB (25 parts of aws-cli's 8 MiB), 40 MiB under the sanitizers
# (TERN_SANITIZED=1: the same multipart and ranged-GET code, 5 parts instead of 25)
CLI_MIB = 40 if os.environ.get("TERN_SANITIZED") == "1" else 200
MIB = 1 << 20


def code(fn):
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"]
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]


def md5(b):
    return hashlib.md5(b).digest()


def mp_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b"".join(md5(p) for p in parts)).hexdigest(), len(parts))


def data(n, seed):
    """n pseudo-random bytes (fast: repeated blocks of a seeded hash chain)."""
    block = b"".join(hashlib.sha256(b"%d-%d" % (seed, i)).digest() for i in range(4096))
    out = (block * (n // len(block) + 1))[:n]
    return bytes(out)


def upload(s3, bucket, key, parts, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done_parts = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i, Body=p)
        done_parts.append({"PartNumber": i, "ETag": r["ETag"]})
    return up, done_parts


def main():
    # Default OSD timeouts and aws-cli's default 10 parallel parts: a replica that is slow to
    # acknowledge a fully sent write gets osdc's ack timeout (10 s), not the 2 s request timeout.
    with Cluster(OSD, GW, name="tern-s3-mp") as c:
        s3 = c.s3(read_timeout=120)
        s3.create_bucket(Bucket="mpt")

        # ---- a ~40 MiB upload in 5..8 MiB parts, byte-exact ----
        sizes = [5 * MIB, 8 * MIB, 7 * MIB + 123, 6 * MIB, 5 * MIB + 1, 8 * MIB, 1234567]
        parts = [data(n, i) for i, n in enumerate(sizes)]
        whole = b"".join(parts)
        up, dp = upload(s3, "mpt", "big/obj", parts, ContentType="application/x-test",
                        Metadata={"color": "blue"})
        etags_ok = all(d["ETag"] == '"%s"' % hashlib.md5(p).hexdigest() for d, p in zip(dp, parts))
        check(etags_ok, "UploadPart ETag is the part's MD5")
        r = s3.complete_multipart_upload(Bucket="mpt", Key="big/obj", UploadId=up,
                                         MultipartUpload={"Parts": dp})
        check(r["ETag"] == mp_etag(parts), "Complete ETag = md5(part md5s)-N", r.get("ETag"))
        g = s3.get_object(Bucket="mpt", Key="big/obj")
        body = g["Body"].read()
        check(body == whole, "multipart object reads back byte-exact",
              f"{len(body)} vs {len(whole)}")
        check(g["ETag"] == mp_etag(parts), "GET ETag has -N")
        check(g["ContentType"] == "application/x-test" and g["Metadata"] == {"color": "blue"},
              "content type and metadata from CreateMultipartUpload", str(g["Metadata"]))
        h = s3.head_object(Bucket="mpt", Key="big/obj")
        check(h["ContentLength"] == len(whole), "HEAD size")

        # ranges across part boundaries
        b1 = sizes[0]
        for (a, z) in [(b1 - 10, b1 + 10), (b1 - 1, b1), (0, len(whole) - 1),
                       (b1 + sizes[1] - 5, b1 + sizes[1] + sizes[2] + 5),
                       (len(whole) - 100, len(whole) - 1), (3, 4 * MIB + 7)]:
            rr = s3.get_object(Bucket="mpt", Key="big/obj", Range=f"bytes={a}-{z}")
            got = rr["Body"].read()
            check(got == whole[a:z + 1], f"range {a}-{z} across parts",
                  f"{len(got)} bytes")
        rr = s3.get_object(Bucket="mpt", Key="big/obj", Range="bytes=-1000")
        check(rr["Body"].read() == whole[-1000:], "suffix range on a multipart object")

        # partNumber
        off = 0
        for n in (1, 3, 7):
            start = sum(sizes[:n - 1])
            rr = s3.get_object(Bucket="mpt", Key="big/obj", PartNumber=n)
            got = rr["Body"].read()
            check(got == parts[n - 1], f"GET partNumber={n} is that part")
            check(rr.get("PartsCount") == 7, f"partNumber={n}: x-amz-mp-parts-count",
                  str(rr.get("PartsCount")))
            check(rr["ContentRange"] == f"bytes {start}-{start + sizes[n - 1] - 1}/{len(whole)}",
                  f"partNumber={n}: Content-Range", rr.get("ContentRange"))
        off = off  # noqa
        hp = s3.head_object(Bucket="mpt", Key="big/obj", PartNumber=2)
        check(hp["ContentLength"] == sizes[1] and hp.get("PartsCount") == 7,
              "HEAD partNumber=2 size and parts count")
        check(code(lambda: s3.get_object(Bucket="mpt", Key="big/obj", PartNumber=8)) ==
              ("InvalidPartNumber", 416), "partNumber beyond the parts: InvalidPartNumber")
        check(code(lambda: s3.get_object(Bucket="mpt", Key="big/obj", PartNumber=0))[1] == 400,
              "partNumber=0 on GET: 400")

        # ---- errors ----
        small = [data(1 * MIB, 100), data(1 * MIB, 101)]
        up, dp = upload(s3, "mpt", "small", small)
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="small", UploadId=up, MultipartUpload={"Parts": dp})) ==
            ("EntityTooSmall", 400), "EntityTooSmall for a small part that is not the last")
        bad = [{"PartNumber": 1, "ETag": dp[0]["ETag"]},
               {"PartNumber": 2, "ETag": '"%s"' % ("0" * 32)}]
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="small", UploadId=up, MultipartUpload={"Parts": bad})) ==
            ("InvalidPart", 400), "InvalidPart for a wrong ETag")
        missing = [{"PartNumber": 1, "ETag": dp[0]["ETag"]}, {"PartNumber": 5, "ETag": dp[1]["ETag"]}]
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="small", UploadId=up, MultipartUpload={"Parts": missing})) ==
            ("InvalidPart", 400), "InvalidPart for a part never uploaded")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="small", UploadId=up,
            MultipartUpload={"Parts": list(reversed(dp))})) == ("InvalidPartOrder", 400),
            "InvalidPartOrder")
        check(code(lambda: s3.upload_part(Bucket="mpt", Key="small", UploadId=up, PartNumber=0,
                                          Body=b"x")) == ("InvalidArgument", 400),
              "part number 0: InvalidArgument")
        check(code(lambda: s3.upload_part(Bucket="mpt", Key="small", UploadId=up,
                                          PartNumber=10001, Body=b"x")) ==
              ("InvalidArgument", 400), "part number 10001: InvalidArgument")
        check(code(lambda: s3.upload_part(Bucket="mpt", Key="small", UploadId="0" * 32,
                                          PartNumber=1, Body=b"x")) == ("NoSuchUpload", 404),
              "UploadPart to an unknown upload: NoSuchUpload")
        check(code(lambda: s3.upload_part(Bucket="mpt", Key="other", UploadId=up,
                                          PartNumber=1, Body=b"x")) == ("NoSuchUpload", 404),
              "UploadPart with the upload id of another key: NoSuchUpload")
        check(code(lambda: s3.list_parts(Bucket="mpt", Key="small", UploadId="zz")) ==
              ("NoSuchUpload", 404), "malformed upload id: NoSuchUpload")
        import urllib.request
        # MalformedXML through a raw signed request (boto3 validates its own XML)
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        creds = botocore.credentials.Credentials(
            s3._request_signer._credentials.access_key, s3._request_signer._credentials.secret_key)

        def raw(method, path, body=b"", headers=None):
            url = c.endpoint + path
            req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
            req.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
            SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
            p = req.prepare()
            ur = urllib.request.Request(url, data=body if body else None, method=method,
                                        headers=dict(p.headers))
            try:
                with urllib.request.urlopen(ur, timeout=30) as resp:
                    return resp.status, resp.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        st, b = raw("POST", f"/mpt/small?uploadId={up}", b"<CompleteMultipartUpload><Part>")
        check(st == 400 and b"<Code>MalformedXML</Code>" in b, "MalformedXML", b[:200])
        st, b = raw("POST", f"/mpt/small?uploadId={up}", b"<CompleteMultipartUpload/>")
        check(st == 400 and b"<Code>MalformedXML</Code>" in b, "Complete without parts: MalformedXML")
        st, b = raw("POST", f"/mpt/small?uploadId={up}",
                    b"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber>"
                    b"<ETag>x</ETag></Part></CompleteMultipartUpload>")
        check(st == 400 and b"<Code>InvalidArgument</Code>" in b,
              "Complete naming part 10001: InvalidArgument", b[:200])
        st, b = raw("POST", f"/mpt/small?uploadId={up}",
                    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                    dp[0]["ETag"].encode() + b"</ETag></Part></CompleteMultipartUpload>",
                    headers={"If-None-Match": "*"})
        check(st == 501, "conditional Complete: 501 (rule 12)", str(st))
        # a one-part upload of a small part is fine (the last part may be small)
        r = s3.complete_multipart_upload(Bucket="mpt", Key="small", UploadId=up,
                                         MultipartUpload={"Parts": dp[:1]})
        check(r["ETag"] == mp_etag(small[:1]), "Complete with the first small part only")
        check(s3.get_object(Bucket="mpt", Key="small")["Body"].read() == small[0],
              "one-part object reads back")

        # ---- retried Complete ----
        r2 = s3.complete_multipart_upload(Bucket="mpt", Key="small", UploadId=up,
                                          MultipartUpload={"Parts": dp[:1]})
        check(r2["ETag"] == r["ETag"], "a retried Complete returns the same result")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="small", UploadId=up, MultipartUpload={"Parts": dp})) ==
            ("NoSuchUpload", 404), "a Complete naming other parts after completion: NoSuchUpload")
        check(code(lambda: s3.abort_multipart_upload(Bucket="mpt", Key="small", UploadId=up)) ==
              ("NoSuchUpload", 404), "Abort of a completed upload: NoSuchUpload")
        check(code(lambda: s3.upload_part(Bucket="mpt", Key="small", UploadId=up, PartNumber=3,
                                          Body=b"x")) == ("NoSuchUpload", 404),
              "UploadPart after completion: NoSuchUpload")
        check(s3.get_object(Bucket="mpt", Key="small")["Body"].read() == small[0],
              "object intact after a retried Complete and an Abort")

        # ---- user metadata over 2 KiB ----
        ec = code(lambda: s3.create_multipart_upload(
            Bucket="mpt", Key="fatmeta", Metadata={"a": "v" * 1100, "b": "w" * 1000}))
        check(ec == ("MetadataTooLarge", 400), "CreateMultipartUpload, metadata over 2 KiB: "
              "MetadataTooLarge", str(ec))
        ec = code(lambda: s3.list_multipart_uploads(Bucket="mpt", Prefix="fatmeta"))
        check(ec[1] == 200 and not s3.list_multipart_uploads(Bucket="mpt", Prefix="fatmeta").get(
              "Uploads"), "no upload created", str(ec))

        # ---- Abort ----
        up = s3.create_multipart_upload(Bucket="mpt", Key="aborted")["UploadId"]
        s3.upload_part(Bucket="mpt", Key="aborted", UploadId=up, PartNumber=1, Body=b"a" * 100)
        s3.upload_part(Bucket="mpt", Key="aborted", UploadId=up, PartNumber=2, Body=b"b" * 100)
        check(code(lambda: s3.abort_multipart_upload(Bucket="mpt", Key="aborted", UploadId=up)) ==
              (None, 204), "Abort: 204")
        check(code(lambda: s3.list_parts(Bucket="mpt", Key="aborted", UploadId=up)) ==
              ("NoSuchUpload", 404), "ListParts after Abort: NoSuchUpload")
        check(code(lambda: s3.abort_multipart_upload(Bucket="mpt", Key="aborted", UploadId=up)) ==
              ("NoSuchUpload", 404), "second Abort: NoSuchUpload")
        check(code(lambda: s3.head_object(Bucket="mpt", Key="aborted"))[1] == 404,
              "an aborted upload leaves no object")

        # ---- same part number twice: the last wins ----
        up = s3.create_multipart_upload(Bucket="mpt", Key="twice")["UploadId"]
        a = s3.upload_part(Bucket="mpt", Key="twice", UploadId=up, PartNumber=1, Body=b"first")
        b_ = s3.upload_part(Bucket="mpt", Key="twice", UploadId=up, PartNumber=1, Body=b"second!")
        lp = s3.list_parts(Bucket="mpt", Key="twice", UploadId=up)
        check(len(lp["Parts"]) == 1 and lp["Parts"][0]["ETag"] == b_["ETag"] and
              lp["Parts"][0]["Size"] == 7, "ListParts shows the last upload of a part number")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="twice", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": a["ETag"]}]})) ==
            ("InvalidPart", 400), "the superseded part's ETag: InvalidPart")
        s3.complete_multipart_upload(Bucket="mpt", Key="twice", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": b_["ETag"]}]})
        check(s3.get_object(Bucket="mpt", Key="twice")["Body"].read() == b"second!",
              "the last upload of the part number wins")

        # ---- ListParts pagination ----
        up = s3.create_multipart_upload(Bucket="mpt", Key="many")["UploadId"]
        for n in range(1, 12):
            s3.upload_part(Bucket="mpt", Key="many", UploadId=up, PartNumber=n * 3,
                           Body=b"%d" % n)
        seen, marker, pages = [], 0, 0
        while pages < 20:
            lp = s3.list_parts(Bucket="mpt", Key="many", UploadId=up, MaxParts=4,
                               PartNumberMarker=marker)
            pages += 1
            seen += [p["PartNumber"] for p in lp["Parts"]]
            if not lp["IsTruncated"]:
                break
            check(lp["NextPartNumberMarker"] == lp["Parts"][-1]["PartNumber"],
                  "NextPartNumberMarker is the last part listed")
            marker = lp["NextPartNumberMarker"]
        check(seen == [n * 3 for n in range(1, 12)] and pages == 3,
              "ListParts pages of 4 cover every part once", f"{seen} in {pages} pages")

        # ---- ListMultipartUploads pagination, prefix, delimiter ----
        ups = {}
        for k in ["lu/a", "lu/b", "lu/b", "lu/c/1", "lu/c/2", "lu/d"]:
            ups.setdefault(k, []).append(
                s3.create_multipart_upload(Bucket="mpt", Key=k)["UploadId"])
        allk, km, uim, pages = [], "", "", 0
        while pages < 20:
            kw = {"Bucket": "mpt", "Prefix": "lu/", "MaxUploads": 2}
            if km:
                kw["KeyMarker"] = km
                kw["UploadIdMarker"] = uim
            lr = s3.list_multipart_uploads(**kw)
            pages += 1
            allk += [(u["Key"], u["UploadId"]) for u in lr.get("Uploads", [])]
            if not lr["IsTruncated"]:
                break
            km, uim = lr["NextKeyMarker"], lr["NextUploadIdMarker"]
        want = sorted((k, u) for k, us in ups.items() for u in us)
        check(allk == want, "ListMultipartUploads pages cover every upload in key order",
              f"{allk} vs {want}")
        lr = s3.list_multipart_uploads(Bucket="mpt", Prefix="lu/", Delimiter="/")
        check(sorted(u["Key"] for u in lr.get("Uploads", [])) == ["lu/a", "lu/b", "lu/b", "lu/d"]
              and [p["Prefix"] for p in lr.get("CommonPrefixes", [])] == ["lu/c/"],
              "ListMultipartUploads with a delimiter groups lu/c/", str(lr.get("CommonPrefixes")))
        lr = s3.list_multipart_uploads(Bucket="mpt", Prefix="lu/c/", EncodingType="url")
        check(lr.get("EncodingType") == "url" and
              sorted(u["Key"] for u in lr.get("Uploads", [])) == ["lu/c/1", "lu/c/2"],
              "encoding-type=url", str(lr.get("Uploads")))
        sp = s3.create_multipart_upload(Bucket="mpt", Key="lu/sp ace+%")["UploadId"]
        st, b = raw("GET", "/mpt?uploads&prefix=lu%2Fsp&encoding-type=url")
        check(st == 200 and b"<Key>lu/sp%20ace%2B%25</Key>" in b, "keys percent-encoded", b[:600])
        s3.abort_multipart_upload(Bucket="mpt", Key="lu/sp ace+%", UploadId=sp)
        lr = s3.list_multipart_uploads(Bucket="mpt", Prefix="lu/c/")
        check(len(lr.get("Uploads", [])) == 2, "prefix lu/c/ lists two uploads")
        check("big/obj" not in [u["Key"] for u in
                                s3.list_multipart_uploads(Bucket="mpt").get("Uploads", [])],
              "completed uploads are not listed")

        # ---- UploadPartCopy with a range ----
        up = s3.create_multipart_upload(Bucket="mpt", Key="copied")["UploadId"]
        rng = (b1 - 3 * MIB, b1 + 3 * MIB - 1)  # 6 MiB across a part boundary of big/obj
        cp = s3.upload_part_copy(Bucket="mpt", Key="copied", UploadId=up, PartNumber=1,
                                 CopySource={"Bucket": "mpt", "Key": "big/obj"},
                                 CopySourceRange=f"bytes={rng[0]}-{rng[1]}")
        want1 = whole[rng[0]:rng[1] + 1]
        check(cp["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(want1).hexdigest(),
              "UploadPartCopy ETag is the MD5 of the copied range")
        cp2 = s3.upload_part_copy(Bucket="mpt", Key="copied", UploadId=up, PartNumber=2,
                                  CopySource="mpt/small")
        check(code(lambda: s3.upload_part_copy(
            Bucket="mpt", Key="copied", UploadId=up, PartNumber=3,
            CopySource={"Bucket": "mpt", "Key": "small"}, CopySourceIfMatch='"nope"')) ==
            ("PreconditionFailed", 412), "x-amz-copy-source-if-match mismatch: 412")
        check(code(lambda: s3.upload_part_copy(
            Bucket="mpt", Key="copied", UploadId=up, PartNumber=3,
            CopySource={"Bucket": "mpt", "Key": "nothing"})) == ("NoSuchKey", 404),
            "UploadPartCopy from a missing key: NoSuchKey")
        check(code(lambda: s3.upload_part_copy(
            Bucket="mpt", Key="copied", UploadId=up, PartNumber=3,
            CopySource={"Bucket": "mpt", "Key": "small"},
            CopySourceRange="bytes=0-99999999")) == ("InvalidRange", 416),
            "copy range beyond the source: InvalidRange")
        s3.complete_multipart_upload(Bucket="mpt", Key="copied", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": cp["CopyPartResult"]["ETag"]},
                      {"PartNumber": 2, "ETag": cp2["CopyPartResult"]["ETag"]}]})
        check(s3.get_object(Bucket="mpt", Key="copied")["Body"].read() == want1 + small[0],
              "UploadPartCopy parts (multipart and chunked sources) read back byte-exact")
        s3.put_object(Bucket="mpt", Key="tiny", Body=b"0123456789" * 10)  # inline in its row
        up = s3.create_multipart_upload(Bucket="mpt", Key="copied2")["UploadId"]
        cp3 = s3.upload_part_copy(Bucket="mpt", Key="copied2", UploadId=up, PartNumber=1,
                                  CopySource={"Bucket": "mpt", "Key": "tiny"},
                                  CopySourceRange="bytes=10-29")
        s3.complete_multipart_upload(Bucket="mpt", Key="copied2", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": cp3["CopyPartResult"]["ETag"]}]})
        check(s3.get_object(Bucket="mpt", Key="copied2")["Body"].read() == b"0123456789" * 2,
              "UploadPartCopy from an inline source with a range")

        # ---- checksums ----
        p1, p2 = data(5 * MIB, 7), data(1000, 8)

        def crc32b64(b):
            return base64.b64encode(zlib.crc32(b).to_bytes(4, "big")).decode()
        up = s3.create_multipart_upload(Bucket="mpt", Key="ck", ChecksumAlgorithm="CRC32")["UploadId"]
        r1 = s3.upload_part(Bucket="mpt", Key="ck", UploadId=up, PartNumber=1, Body=p1,
                            ChecksumAlgorithm="CRC32")
        r2 = s3.upload_part(Bucket="mpt", Key="ck", UploadId=up, PartNumber=2, Body=p2,
                            ChecksumAlgorithm="CRC32")
        check(r1.get("ChecksumCRC32") == crc32b64(p1), "UploadPart returns the part's CRC32",
              str(r1.get("ChecksumCRC32")))
        lp = s3.list_parts(Bucket="mpt", Key="ck", UploadId=up)
        check(lp["Parts"][1].get("ChecksumCRC32") == crc32b64(p2), "ListParts shows checksums")
        rc = s3.complete_multipart_upload(Bucket="mpt", Key="ck", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r1["ETag"], "ChecksumCRC32": r1["ChecksumCRC32"]},
                      {"PartNumber": 2, "ETag": r2["ETag"], "ChecksumCRC32": r2["ChecksumCRC32"]}]})
        comp = base64.b64encode(zlib.crc32(base64.b64decode(r1["ChecksumCRC32"]) +
                                           base64.b64decode(r2["ChecksumCRC32"])).to_bytes(
                                               4, "big")).decode() + "-2"
        check(rc.get("ChecksumCRC32") == comp, "composite CRC32 of the parts", str(rc))
        h = s3.head_object(Bucket="mpt", Key="ck", ChecksumMode="ENABLED")
        check(h.get("ChecksumCRC32") == comp, "HEAD returns the composite checksum",
              str(h.get("ChecksumCRC32")))
        check(h["ResponseMetadata"]["HTTPHeaders"].get("x-amz-checksum-type") == "COMPOSITE",
              "x-amz-checksum-type COMPOSITE")
        h = s3.head_object(Bucket="mpt", Key="ck")
        check("ChecksumCRC32" not in h, "no checksum without x-amz-checksum-mode")
        # boto3 1.26 has no ChecksumType parameter: a raw signed request
        st, b = raw("POST", "/mpt/ckf?uploads", headers={"x-amz-checksum-algorithm": "CRC32",
                                                         "x-amz-checksum-type": "FULL_OBJECT"})
        check(st == 200 and b"<UploadId>" in b, "CreateMultipartUpload FULL_OBJECT", b[:300])
        up = b.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
        r1 = s3.upload_part(Bucket="mpt", Key="ckf", UploadId=up, PartNumber=1, Body=p1,
                            ChecksumAlgorithm="CRC32")
        r2 = s3.upload_part(Bucket="mpt", Key="ckf", UploadId=up, PartNumber=2, Body=p2,
                            ChecksumAlgorithm="CRC32")
        s3.complete_multipart_upload(Bucket="mpt", Key="ckf", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r1["ETag"]},
                      {"PartNumber": 2, "ETag": r2["ETag"]}]})
        g = s3.get_object(Bucket="mpt", Key="ckf", ChecksumMode="ENABLED")
        check(g.get("ChecksumCRC32") == crc32b64(p1 + p2) and g["Body"].read() == p1 + p2,
              "FULL_OBJECT CRC32 = CRC32 of the whole object", str(g.get("ChecksumCRC32")))

        # ---- x-amz-checksum-<alg> on Complete: the expected checksum of the whole object ----
        def two_parts(key, ctype, alg="CRC32"):
            hdrs = {"x-amz-checksum-algorithm": alg} if alg else {}
            if ctype:
                hdrs["x-amz-checksum-type"] = ctype
            st, b = raw("POST", f"/mpt/{key}?uploads", headers=hdrs)
            u = b.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
            kw = {"ChecksumAlgorithm": alg} if alg else {}
            rs = [s3.upload_part(Bucket="mpt", Key=key, UploadId=u, PartNumber=i + 1, Body=p,
                                 **kw) for i, p in enumerate((p1, p2))]
            parts = [{"PartNumber": i + 1, "ETag": x["ETag"]} for i, x in enumerate(rs)]
            if ctype == "COMPOSITE":
                for p, x in zip(parts, rs):
                    p["ChecksumCRC32"] = x["ChecksumCRC32"]
            return u, {"Parts": parts}

        u, mp = two_parts("ckh", "FULL_OBJECT")
        bad = crc32b64(p1 + p2 + b"x")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="ckh", UploadId=u, MultipartUpload=mp, ChecksumCRC32=bad)) ==
            ("BadDigest", 400), "Complete FULL_OBJECT with a wrong object CRC32: BadDigest")
        check(code(lambda: s3.head_object(Bucket="mpt", Key="ckh"))[1] == 404,
              "nothing completed after BadDigest")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="ckh", UploadId=u, MultipartUpload=mp, ChecksumCRC32C="AAAAAA==")) ==
            ("InvalidRequest", 400), "Complete with another algorithm than the upload's: "
            "InvalidRequest")
        rc = s3.complete_multipart_upload(Bucket="mpt", Key="ckh", UploadId=u, MultipartUpload=mp,
                                          ChecksumCRC32=crc32b64(p1 + p2))
        check(rc.get("ChecksumCRC32") == crc32b64(p1 + p2) and
              s3.get_object(Bucket="mpt", Key="ckh")["Body"].read() == p1 + p2,
              "Complete FULL_OBJECT with the object's CRC32 (not the XML body's) succeeds",
              str(rc.get("ChecksumCRC32")))
        u, mp = two_parts("ckc", "COMPOSITE")
        want = base64.b64encode(zlib.crc32(zlib.crc32(p1).to_bytes(4, "big") +
                                           zlib.crc32(p2).to_bytes(4, "big")).to_bytes(
                                               4, "big")).decode()
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="ckc", UploadId=u, MultipartUpload=mp,
            ChecksumCRC32=crc32b64(p1 + p2))) == ("BadDigest", 400),
            "Complete COMPOSITE with the full-object CRC32: BadDigest (composite expected)")
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="ckc", UploadId=u, MultipartUpload=mp,
            ChecksumCRC32=want + "-3")) == ("BadDigest", 400),
            "Complete COMPOSITE with a wrong part count suffix: BadDigest")
        rc = s3.complete_multipart_upload(Bucket="mpt", Key="ckc", UploadId=u, MultipartUpload=mp,
                                          ChecksumCRC32=want + "-2")
        check(rc.get("ChecksumCRC32") == want + "-2", "Complete COMPOSITE with the composite "
              "checksum (\"-2\" form) succeeds", str(rc.get("ChecksumCRC32")))
        u, mp = two_parts("ckc2", "COMPOSITE")
        rc = s3.complete_multipart_upload(Bucket="mpt", Key="ckc2", UploadId=u, MultipartUpload=mp,
                                          ChecksumCRC32=want)
        check(rc.get("ChecksumCRC32") == want + "-2", "composite checksum without the suffix "
              "accepted", str(rc.get("ChecksumCRC32")))
        u, mp = two_parts("ckn", None, alg=None)
        check(code(lambda: s3.complete_multipart_upload(
            Bucket="mpt", Key="ckn", UploadId=u, MultipartUpload=mp,
            ChecksumCRC32=crc32b64(p1 + p2))) == ("InvalidRequest", 400),
            "Complete with a checksum for an upload without one: InvalidRequest (not ignored)")

        # ---- single PUT: the checksum verified by the payload stage is stored and returned ----
        body = data(100 * 1024, 11)
        s3.put_object(Bucket="mpt", Key="ck1", Body=body, ChecksumAlgorithm="SHA256")
        g = s3.get_object(Bucket="mpt", Key="ck1", ChecksumMode="ENABLED")
        check(g.get("ChecksumSHA256") == base64.b64encode(hashlib.sha256(body).digest()).decode()
              and g["Body"].read() == body, "PutObject's SHA256 returned by GET",
              str(g.get("ChecksumSHA256")))
        check(g["ResponseMetadata"]["HTTPHeaders"].get("x-amz-checksum-type") == "FULL_OBJECT",
              "single PUT: x-amz-checksum-type FULL_OBJECT")
        g = s3.get_object(Bucket="mpt", Key="ck1", ChecksumMode="ENABLED", Range="bytes=0-9")
        check("ChecksumSHA256" not in g, "no whole-object checksum on a range")

        # ---- versionId=null ----
        check(s3.get_object(Bucket="mpt", Key="small", VersionId="null")["Body"].read() ==
              small[0], "GET versionId=null is the current object")
        check(code(lambda: s3.get_object(Bucket="mpt", Key="small",
                                         VersionId="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")) ==
              ("NoSuchVersion", 404), "another version id: NoSuchVersion")
        check(code(lambda: s3.head_object(Bucket="mpt", Key="small", VersionId="x y"))[1] == 400,
              "malformed version id on HEAD: 400")
        s3.put_object(Bucket="mpt", Key="delnull", Body=b"x")
        s3.delete_object(Bucket="mpt", Key="delnull", VersionId="null")
        check(code(lambda: s3.head_object(Bucket="mpt", Key="delnull"))[1] == 404,
              "DELETE versionId=null deletes the object")

        # ---- boto3 TransferManager ----
        src = os.path.join(c.tmp, "tm.bin")
        blob = data(23 * MIB + 17, 42)
        with open(src, "wb") as f:
            f.write(blob)
        cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
                             max_concurrency=4)
        s3.upload_file(src, "mpt", "tm/obj", Config=cfg)
        h = s3.head_object(Bucket="mpt", Key="tm/obj")
        check(h["ETag"].endswith('-5"'), "upload_file made a 5-part upload", h["ETag"])
        lst = s3.list_objects_v2(Bucket="mpt", Prefix="tm/obj")["Contents"]
        check([o["ETag"] for o in lst] == [h["ETag"]],
              "listings show the multipart ETag (hex-N), as HEAD does", str(lst))
        dst = os.path.join(c.tmp, "tm.out")
        s3.download_file("mpt", "tm/obj", dst, Config=cfg)
        with open(dst, "rb") as f:
            check(f.read() == blob, "TransferManager round trip byte-exact")

        # ---- aws-cli: 200 MiB (CLI_MIB) both ways ----
        aws = "/usr/bin/aws"
        if not SDK and check(os.path.exists(aws), "Debian aws-cli installed (/usr/bin/aws)"):
            env = c.aws_env()

            big = os.path.join(c.tmp, "cli.bin")
            with open(big, "wb") as f:
                chunk = data(8 * MIB, 9)
                for i in range(CLI_MIB // 8):
                    f.write(chunk[i:] + chunk[:i])
            out = os.path.join(c.tmp, "cli.out")
            p = subprocess.run([aws, "--endpoint-url", c.endpoint, "s3", "cp", big,
                                "s3://mpt/cli/200m"], env=env, capture_output=True, timeout=600)
            check(p.returncode == 0, f"aws s3 cp upload ({CLI_MIB} MiB, multipart)",
                  p.stderr[-500:])
            h = s3.head_object(Bucket="mpt", Key="cli/200m")
            check(h["ContentLength"] == CLI_MIB * MIB and h["ETag"].endswith(f'-{CLI_MIB // 8}"'),
                  f"the aws-cli upload is a {CLI_MIB} MiB multipart object of {CLI_MIB // 8} "
                  "8 MiB parts", h["ETag"])
            p = subprocess.run([aws, "--endpoint-url", c.endpoint, "s3", "cp",
                                "s3://mpt/cli/200m", out], env=env, capture_output=True,
                               timeout=600)
            check(p.returncode == 0, "aws s3 cp download", p.stderr[-500:])
            check(subprocess.run(["cmp", big, out]).returncode == 0,
                  "aws s3 cp round trip is byte-exact (cmp)")
    return done()


if __name__ == "__main__":
    sys.exit(main())
