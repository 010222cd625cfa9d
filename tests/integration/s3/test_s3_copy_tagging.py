#!/usr/bin/env python3
"""CopyObject, object tagging and GetObjectAttributes end to end on a real local cluster
(tests/lib/ternt_cluster.py: 6 tern-osd on 3 hosts + tern-gateway), driven with boto3 (path
style) and Debian's aws-cli (s3api copy-object / put-object-tagging / get-object-tagging).

Copies of inline, chunked (~9 MiB) and multipart objects byte-exact; metadata and tagging
directives COPY / REPLACE; copy onto itself; every x-amz-copy-source-if-* precondition; missing
source key, bucket and version; tagging round trips, limits and x-amz-tagging on PUT and
CreateMultipartUpload; GetObjectAttributes fields and part paging.

Usage: test_s3_copy_tagging.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed". Runs under
Debian's boto3 1.26 (s3_copy_tagging) and a recent one with default checksums (s3_copy_tagging_sdk).
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import zlib
from email.utils import formatdate

import botocore

from ternt import check, done
from ternt_cluster import Cluster

OSD, GW = sys.argv[1], sys.argv[2]
MIB = 1 << 20


def code(fn):
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"]
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]


def data(n, seed):
    block = b"".join(hashlib.sha256(b"%d-%d" % (seed, i)).digest() for i in range(4096))
    return bytes((block * (n // len(block) + 1))[:n])


def qetag(b):
    return '"%s"' % hashlib.md5(b).hexdigest()


def tags_of(s3, b, k):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=b, Key=k)["TagSet"]}


def get(s3, b, k):
    return s3.get_object(Bucket=b, Key=k)["Body"].read()


def main():
    with Cluster(OSD, GW, name="tern-s3-copy") as c:
        s3 = c.s3(read_timeout=120)
        s3.create_bucket(Bucket="cpt")
        s3.create_bucket(Bucket="cpt2")

        # ---- inline object: COPY directive copies content headers, metadata and tags ----
        small = data(1000, 1)
        s3.put_object(Bucket="cpt", Key="small", Body=small, ContentType="text/x-small",
                      CacheControl="max-age=5", Metadata={"color": "red"},
                      Tagging="team=blue&note=two%20words")
        check(tags_of(s3, "cpt", "small") == {"team": "blue", "note": "two words"},
              "x-amz-tagging on PutObject stored (URL-decoded)")
        check(s3.get_object(Bucket="cpt", Key="small").get("TagCount") == 2,
              "GET answers x-amz-tagging-count")
        r = s3.copy_object(Bucket="cpt2", Key="small copy", CopySource={"Bucket": "cpt",
                           "Key": "small"}, Metadata={"ignored": "yes"})
        check(r["CopyObjectResult"]["ETag"] == qetag(small), "inline copy: ETag is the MD5",
              r["CopyObjectResult"])
        check("LastModified" in r["CopyObjectResult"], "CopyObjectResult has LastModified")
        h = s3.head_object(Bucket="cpt2", Key="small copy")
        check(get(s3, "cpt2", "small copy") == small, "inline copy is byte-exact")
        check(h["ContentType"] == "text/x-small" and h.get("CacheControl") == "max-age=5" and
              h["Metadata"] == {"color": "red"},
              "COPY directive: content headers and metadata copied, request metadata ignored",
              h)
        check(tags_of(s3, "cpt2", "small copy") == {"team": "blue", "note": "two words"},
              "tagging directive COPY (default) copies the tags")
        # REPLACE takes the request's metadata: over 2 KiB is MetadataTooLarge
        ec, st = code(lambda: s3.copy_object(
            Bucket="cpt2", Key="fat copy", CopySource={"Bucket": "cpt", "Key": "small"},
            MetadataDirective="REPLACE", Metadata={"a": "v" * 1100, "b": "w" * 1000}))
        check((ec, st) == ("MetadataTooLarge", 400), "CopyObject REPLACE, metadata over 2 KiB: "
              "MetadataTooLarge", f"{ec} {st}")
        ec, st = code(lambda: s3.head_object(Bucket="cpt2", Key="fat copy"))
        check(st == 404, "nothing copied", f"{ec} {st}")
        # COPY ignores the request's metadata, however large
        ec, st = code(lambda: s3.copy_object(
            Bucket="cpt2", Key="fat copy", CopySource={"Bucket": "cpt", "Key": "small"},
            Metadata={"a": "v" * 1100, "b": "w" * 1000}))
        check(st == 200, "CopyObject COPY ignores oversized request metadata", f"{ec} {st}")

        # ---- chunked (~9 MiB) with a CRC32 checksum ----
        mid = data(9 * MIB + 321, 2)
        s3.put_object(Bucket="cpt", Key="dir/mid", Body=mid, ChecksumAlgorithm="CRC32",
                      Metadata={"k": "v"})
        src_crc = base64.b64encode(zlib.crc32(mid).to_bytes(4, "big")).decode()
        r = s3.copy_object(Bucket="cpt", Key="dir/mid-copy", CopySource="cpt/dir/mid")
        check(r["CopyObjectResult"]["ETag"] == qetag(mid), "chunked copy: ETag is the MD5")
        check(src_crc is not None and r["CopyObjectResult"].get("ChecksumCRC32") == src_crc,
              "chunked copy keeps the CRC32 checksum", (src_crc, r["CopyObjectResult"]))
        check(get(s3, "cpt", "dir/mid-copy") == mid, "chunked copy (9 MiB) is byte-exact")
        # the copy is independent of its source
        s3.delete_object(Bucket="cpt", Key="dir/mid")
        check(get(s3, "cpt", "dir/mid-copy") == mid, "the copy survives its source's delete")
        s3.put_object(Bucket="cpt", Key="dir/mid", Body=mid)

        # URL-encoded source key with a leading '/' and ?versionId=null
        s3.put_object(Bucket="cpt", Key="sp ace/ü+x", Body=b"encoded")
        r = s3.copy_object(Bucket="cpt", Key="enc", CopySource={"Bucket": "cpt",
                           "Key": "sp ace/ü+x", "VersionId": "null"})
        check(get(s3, "cpt", "enc") == b"encoded", "URL-encoded source key with versionId=null")

        # ---- multipart source: the copy is single-part (MD5 ETag), byte-exact ----
        parts = [data(5 * MIB, 10), data(5 * MIB, 11), data(2 * MIB + 7, 12)]
        whole = b"".join(parts)
        up = s3.create_multipart_upload(Bucket="cpt", Key="mp", Tagging="from=mpu",
                                        Metadata={"m": "1"})["UploadId"]
        dp = []
        for i, pb in enumerate(parts, 1):
            e = s3.upload_part(Bucket="cpt", Key="mp", UploadId=up, PartNumber=i, Body=pb)
            dp.append({"PartNumber": i, "ETag": e["ETag"]})
        s3.complete_multipart_upload(Bucket="cpt", Key="mp", UploadId=up,
                                     MultipartUpload={"Parts": dp})
        check(tags_of(s3, "cpt", "mp") == {"from": "mpu"},
              "x-amz-tagging on CreateMultipartUpload stored on Complete")
        r = s3.copy_object(Bucket="cpt2", Key="mp-copy", CopySource="cpt/mp")
        check(r["CopyObjectResult"]["ETag"] == qetag(whole),
              "multipart copy: the copy's ETag is the MD5 of the content",
              r["CopyObjectResult"]["ETag"])
        check(get(s3, "cpt2", "mp-copy") == whole, "multipart copy (12 MiB) is byte-exact")
        check(s3.head_object(Bucket="cpt2", Key="mp-copy")["Metadata"] == {"m": "1"},
              "multipart copy keeps the metadata")

        # ---- REPLACE ----
        r = s3.copy_object(Bucket="cpt", Key="rep", CopySource="cpt/small",
                           MetadataDirective="REPLACE", ContentType="text/new",
                           Metadata={"shape": "round"}, TaggingDirective="REPLACE",
                           Tagging="x=1")
        h = s3.head_object(Bucket="cpt", Key="rep")
        check(h["ContentType"] == "text/new" and h["Metadata"] == {"shape": "round"} and
              "CacheControl" not in h, "REPLACE directive: only the request's headers", h)
        check(tags_of(s3, "cpt", "rep") == {"x": "1"}, "tagging directive REPLACE")
        r = s3.copy_object(Bucket="cpt", Key="rep2", CopySource="cpt/small",
                           TaggingDirective="REPLACE")
        check(tags_of(s3, "cpt", "rep2") == {}, "tagging REPLACE without x-amz-tagging: no tags")
        check(code(lambda: s3.copy_object(Bucket="cpt", Key="bad", CopySource="cpt/small",
                                          MetadataDirective="MOVE"))[0] == "InvalidArgument",
              "unknown metadata directive: InvalidArgument")

        # ---- onto itself ----
        e = code(lambda: s3.copy_object(Bucket="cpt", Key="dir/mid", CopySource="cpt/dir/mid"))
        check(e == ("InvalidRequest", 400), "copy onto itself without REPLACE: InvalidRequest",
              e)
        s3.copy_object(Bucket="cpt", Key="dir/mid", CopySource="cpt/dir/mid",
                       MetadataDirective="REPLACE", Metadata={"new": "meta"})
        h = s3.head_object(Bucket="cpt", Key="dir/mid")
        check(h["Metadata"] == {"new": "meta"} and h["ETag"] == qetag(mid),
              "copy onto itself with REPLACE changes the metadata", h)
        check(get(s3, "cpt", "dir/mid") == mid, "copy onto itself keeps the bytes")

        # ---- copy-source preconditions ----
        et = qetag(small)
        past = formatdate(time.time() - 86400, usegmt=True)
        future = formatdate(time.time() + 86400, usegmt=True)
        src = {"Bucket": "cpt", "Key": "small"}

        def cp(**kw):
            return code(lambda: s3.copy_object(Bucket="cpt", Key="cond", CopySource=src, **kw))
        check(cp(CopySourceIfMatch=et)[0] is None, "if-match (matching): copied")
        check(cp(CopySourceIfMatch='"0000"') == ("PreconditionFailed", 412), "if-match: 412")
        check(cp(CopySourceIfNoneMatch=et) == ("PreconditionFailed", 412), "if-none-match: 412")
        check(cp(CopySourceIfNoneMatch='"0000"')[0] is None, "if-none-match (other): copied")
        check(cp(CopySourceIfModifiedSince=future) == ("PreconditionFailed", 412),
              "if-modified-since (future): 412")
        check(cp(CopySourceIfModifiedSince=past)[0] is None, "if-modified-since (past): copied")
        check(cp(CopySourceIfUnmodifiedSince=past) == ("PreconditionFailed", 412),
              "if-unmodified-since (past): 412")
        check(cp(CopySourceIfUnmodifiedSince=future)[0] is None,
              "if-unmodified-since (future): copied")
        check(cp(CopySourceIfMatch=et, CopySourceIfUnmodifiedSince=past)[0] is None,
              "if-match true + if-unmodified-since false: copied (as S3)")

        # ---- missing source ----
        check(code(lambda: s3.copy_object(Bucket="cpt", Key="x", CopySource="cpt/nope")) ==
              ("NoSuchKey", 404), "missing source key: NoSuchKey")
        check(code(lambda: s3.copy_object(Bucket="cpt", Key="x", CopySource="nobucket/k"))[0] ==
              "NoSuchBucket", "missing source bucket: NoSuchBucket")
        check(code(lambda: s3.copy_object(Bucket="nobucket", Key="x", CopySource="cpt/small"))[0]
              == "NoSuchBucket", "missing destination bucket: NoSuchBucket")
        check(code(lambda: s3.copy_object(Bucket="cpt", Key="x", CopySource={
            "Bucket": "cpt", "Key": "small", "VersionId": "3HL4kqtJlcpXroDTDmJ"}))[0] ==
              "NoSuchVersion", "a source version other than null: NoSuchVersion")

        # ---- tagging ----
        tg = [{"Key": "k%d" % i, "Value": "v%d" % i} for i in range(10)]
        check(code(lambda: s3.put_object_tagging(Bucket="cpt", Key="dir/mid-copy",
                                                 Tagging={"TagSet": tg}))[0] is None,
              "PutObjectTagging (10 tags)")
        check(tags_of(s3, "cpt", "dir/mid-copy") == {t["Key"]: t["Value"] for t in tg},
              "GetObjectTagging round trip")
        h = s3.head_object(Bucket="cpt", Key="dir/mid-copy")
        check(h["ETag"] == qetag(mid) and h["ContentLength"] == len(mid),
              "a tag update keeps the object's data and ETag")
        check(get(s3, "cpt", "dir/mid-copy") == mid, "tagged object still byte-exact")
        e = code(lambda: s3.put_object_tagging(Bucket="cpt", Key="dir/mid-copy", Tagging={
            "TagSet": tg + [{"Key": "k10", "Value": "x"}]}))
        check(e == ("InvalidTag", 400) or e[0] == "BadRequest", "11 tags: InvalidTag", e)
        check(code(lambda: s3.put_object_tagging(Bucket="cpt", Key="dir/mid-copy", Tagging={
            "TagSet": [{"Key": "k" * 129, "Value": "x"}]}))[0] == "InvalidTag",
              "a key over 128 characters: InvalidTag")
        check(code(lambda: s3.put_object_tagging(Bucket="cpt", Key="dir/mid-copy", Tagging={
            "TagSet": [{"Key": "k", "Value": "v" * 257}]}))[0] == "InvalidTag",
              "a value over 256 characters: InvalidTag")
        check(code(lambda: s3.put_object(Bucket="cpt", Key="t11", Body=b"x", Tagging="&".join(
            "a%d=b" % i for i in range(11))))[0] == "InvalidTag",
              "x-amz-tagging with 11 tags: InvalidTag")
        check(code(lambda: s3.put_object_tagging(Bucket="cpt", Key="nope", Tagging={
            "TagSet": tg}))[0] == "NoSuchKey", "PutObjectTagging on a missing key: NoSuchKey")
        check(code(lambda: s3.get_object_tagging(Bucket="cpt", Key="nope"))[0] == "NoSuchKey",
              "GetObjectTagging on a missing key: NoSuchKey")
        check(code(lambda: s3.delete_object_tagging(Bucket="cpt", Key="dir/mid-copy")) ==
              (None, 204), "DeleteObjectTagging: 204")
        check(tags_of(s3, "cpt", "dir/mid-copy") == {}, "tags gone after DeleteObjectTagging")
        check(s3.get_object(Bucket="cpt", Key="dir/mid-copy").get("TagCount") is None,
              "no x-amz-tagging-count without tags")
        s3.put_object_tagging(Bucket="cpt", Key="small", Tagging={"TagSet": [
            {"Key": "only", "Value": ""}]})
        check(tags_of(s3, "cpt", "small") == {"only": ""} and get(s3, "cpt", "small") == small,
              "tag update of an inline object keeps its bytes; empty value allowed")
        # a PUT after a tag update wins (the update is stamped right after what it read)
        s3.put_object(Bucket="cpt", Key="small", Body=b"new content")
        check(get(s3, "cpt", "small") == b"new content" and tags_of(s3, "cpt", "small") == {},
              "a PUT after a tag update replaces data and tags")

        # ---- GetObjectAttributes ----
        a = s3.get_object_attributes(Bucket="cpt", Key="dir/mid-copy", ObjectAttributes=[
            "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"])
        check(a.get("ETag") == hashlib.md5(mid).hexdigest() and a.get("ObjectSize") == len(mid)
              and a.get("StorageClass") == "STANDARD" and "ObjectParts" not in a,
              "GetObjectAttributes of a single-part object", {k: a.get(k) for k in (
                  "ETag", "ObjectSize", "StorageClass", "ObjectParts")})
        check(a.get("Checksum", {}).get("ChecksumCRC32") == src_crc,
              "GetObjectAttributes Checksum", a.get("Checksum"))
        check("LastModified" in a, "GetObjectAttributes Last-Modified header")
        a = s3.get_object_attributes(Bucket="cpt", Key="mp", ObjectAttributes=["ObjectParts"],
                                     MaxParts=2)
        op = a.get("ObjectParts", {})
        check(op.get("TotalPartsCount") == 3 and op.get("IsTruncated") is True and
              op.get("NextPartNumberMarker") == 2 and
              [(p["PartNumber"], p["Size"]) for p in op.get("Parts", [])] ==
              [(1, 5 * MIB), (2, 5 * MIB)], "ObjectParts, first page of 2", op)
        a = s3.get_object_attributes(Bucket="cpt", Key="mp", ObjectAttributes=["ObjectParts",
                                     "ETag"], MaxParts=2, PartNumberMarker=2)
        op = a.get("ObjectParts", {})
        check(op.get("IsTruncated") is False and [p["PartNumber"] for p in op.get("Parts", [])]
              == [3] and a.get("ETag", "").endswith("-3"), "ObjectParts, second page", a)
        check(code(lambda: s3.get_object_attributes(Bucket="cpt", Key="nope",
                                                    ObjectAttributes=["ETag"]))[0] == "NoSuchKey",
              "GetObjectAttributes of a missing key: NoSuchKey")

        # ---- Debian aws-cli ----
        aws = "/usr/bin/aws"
        if check(os.path.exists(aws), "Debian aws-cli installed (/usr/bin/aws)"):
            env = c.aws_env()
            base = [aws, "--endpoint-url", c.endpoint, "s3api"]
            p = subprocess.run(base + ["copy-object", "--bucket", "cpt2", "--key", "cli-copy",
                                       "--copy-source", "cpt/dir/mid"], env=env,
                               capture_output=True, text=True, timeout=120)
            check(p.returncode == 0 and hashlib.md5(mid).hexdigest() in p.stdout,
                  "aws s3api copy-object", p.stdout[-500:] + p.stderr[-500:])
            check(get(s3, "cpt2", "cli-copy") == mid, "aws-cli copy is byte-exact")
            p = subprocess.run(base + ["put-object-tagging", "--bucket", "cpt2", "--key",
                                       "cli-copy", "--tagging",
                                       "TagSet=[{Key=env,Value=test}]"], env=env,
                               capture_output=True, text=True, timeout=60)
            check(p.returncode == 0, "aws s3api put-object-tagging", p.stderr[-500:])
            p = subprocess.run(base + ["get-object-tagging", "--bucket", "cpt2", "--key",
                                       "cli-copy"], env=env, capture_output=True, text=True,
                               timeout=60)
            ok = p.returncode == 0 and json.loads(p.stdout).get("TagSet") == [
                {"Key": "env", "Value": "test"}]
            check(ok, "aws s3api get-object-tagging", p.stdout[-500:] + p.stderr[-500:])
    return done()


if __name__ == "__main__":
    sys.exit(main())
