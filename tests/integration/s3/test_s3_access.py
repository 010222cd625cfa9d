#!/usr/bin/env python3
"""Access control on a real local cluster (6 OSDs, gateway): canned ACLs on buckets and objects
(x-amz-acl on CreateBucket / PutObject / CreateMultipartUpload, Put/Get{Bucket,Object}Acl with
headers and AccessControlPolicy bodies), anonymous GET/HEAD/Range of public objects and
AccessDenied otherwise (also for missing keys), a bucket policy granting public s3:GetObject,
CORS configuration and preflight, and the error codes (MalformedACLError, MalformedPolicy,
NoSuchBucketPolicy, NoSuchCORSConfiguration, AccessDenied, NotImplemented).

Usage: test_s3_access.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

import botocore

import ternt_cluster as tc
from ternt import check, done

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def code(fn):
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"], r
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"], None


def anon(url, method="GET", headers=None):
    """(status, headers dict lowercased, body) of an unsigned request."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def settle():
    """Bucket settings reach the other loop threads' bucket caches within 3 s (gw_bucket.h)."""
    time.sleep(3.2)


def grants_of(acl):
    out = set()
    for g in acl["Grants"]:
        gr = g["Grantee"]
        out.add((gr["Type"], gr.get("URI") or gr.get("ID"), g["Permission"]))
    return out


def main():
    with tc.Cluster(sys.argv[1], sys.argv[2], name="tern-access") as c:
        s3 = c.s3()
        ep = c.endpoint
        B = "tern-access"
        s3.create_bucket(Bucket=B)
        data = os.urandom(300 * 1024) + b"tail"  # chunked (not inline) on the default config
        small = b"hello public world"

        # ---- objects: x-amz-acl on PutObject, anonymous reads ----
        s3.put_object(Bucket=B, Key="pub/img.png", Body=data, ACL="public-read",
                      ContentType="image/png", CacheControl="max-age=2592000")
        s3.put_object(Bucket=B, Key="pub/small.txt", Body=small, ACL="public-read")
        s3.put_object(Bucket=B, Key="priv.bin", Body=small)
        st, h, body = anon(f"{ep}/{B}/pub/img.png")
        check(st == 200 and body == data, "anonymous GET of a public-read object: same bytes", st)
        check(h.get("content-type") == "image/png", "Content-Type returned", h.get("content-type"))
        check(h.get("cache-control") == "max-age=2592000", "Cache-Control returned",
              h.get("cache-control"))
        st, h, body = anon(f"{ep}/{B}/pub/img.png", headers={"Range": "bytes=100-1123"})
        check(st == 206 and body == data[100:1124], "anonymous ranged GET: 206, same bytes", st)
        check(h.get("content-range") == f"bytes 100-1123/{len(data)}", "Content-Range",
              h.get("content-range"))
        st, h, body = anon(f"{ep}/{B}/pub/small.txt")
        check(st == 200 and body == small, "anonymous GET of an inline public-read object", st)
        st, h, body = anon(f"{ep}/{B}/pub/img.png", method="HEAD")
        check(st == 200 and h.get("content-length") == str(len(data)) and body == b"",
              "anonymous HEAD of a public-read object", (st, h.get("content-length")))
        st, h, body = anon(f"{ep}/{B}/priv.bin")
        check(st == 403 and b"<Code>AccessDenied</Code>" in body,
              "anonymous GET of a private object: 403 AccessDenied", (st, body[:200]))
        st, _, body = anon(f"{ep}/{B}/no-such-key")
        check(st == 403 and b"AccessDenied" in body,
              "anonymous GET of a missing key: 403, not 404 (no probing)", st)
        st, _, _ = anon(f"{ep}/{B}/priv.bin", method="HEAD")
        check(st == 403, "anonymous HEAD of a private object: 403", st)
        st, _, _ = anon(f"{ep}/no-such-bucket-x/k")
        check(st == 404, "anonymous GET in a missing bucket: 404 NoSuchBucket", st)
        # anonymous writes and other operations stay closed
        st, _, body = anon(f"{ep}/{B}/pub/x", method="PUT")
        check(st == 403 and b"AccessDenied" in body, "anonymous PUT: AccessDenied", st)
        st, _, _ = anon(f"{ep}/{B}/pub/small.txt", method="DELETE")
        check(st == 403, "anonymous DELETE: AccessDenied", st)
        st, _, _ = anon(f"{ep}/{B}/pub/small.txt?acl")
        check(st == 403, "anonymous GetObjectAcl: AccessDenied", st)
        check(s3.get_object(Bucket=B, Key="pub/small.txt")["Body"].read() == small,
              "the public object still exists")

        # ---- each canned ACL on objects: GetObjectAcl and anonymous access ----
        expect_obj = {
            "private": (set(), 403),
            "public-read": ({("Group", ALL_USERS, "READ")}, 200),
            "authenticated-read": ({("Group", AUTH_USERS, "READ")}, 403),
            "bucket-owner-read": (set(), 403),
            "bucket-owner-full-control": (set(), 403),
        }
        for acl, (extra, anon_status) in expect_obj.items():
            k = f"canned/{acl}"
            s3.put_object(Bucket=B, Key=k, Body=small, ACL=acl)
            g = grants_of(s3.get_object_acl(Bucket=B, Key=k))
            check(g == {("CanonicalUser", tc.AK, "FULL_CONTROL")} | extra,
                  f"object ACL {acl}: GetObjectAcl grants", g)
            st, _, _ = anon(f"{ep}/{B}/{k}")
            check(st == anon_status, f"object ACL {acl}: anonymous GET {anon_status}", st)
        e, st, _ = code(lambda: s3.put_object(Bucket=B, Key="x", Body=b"", ACL="public-read-write"))
        check(e is None, "public-read-write accepted on PutObject", e)
        e, st, _ = code(lambda: s3.put_object(Bucket=B, Key="x", Body=b"",
                                              ACL="aws-exec-read"))
        check(e == "NotImplemented" and st == 501, "aws-exec-read: NotImplemented", (e, st))
        # raw invalid x-amz-acl value
        def bad_acl(request, **kw):
            request.headers["x-amz-acl"] = "everyone"
        s3.meta.events.register("before-sign.s3.PutObject", bad_acl)
        e, st, _ = code(lambda: s3.put_object(Bucket=B, Key="x", Body=b""))
        s3.meta.events.unregister("before-sign.s3.PutObject", bad_acl)
        check(e == "InvalidArgument" and st == 400, "unknown canned ACL: InvalidArgument", (e, st))

        # ---- PutObjectAcl: canned header and bodies; data kept ----
        s3.put_object_acl(Bucket=B, Key="priv.bin", ACL="public-read")
        st, _, body = anon(f"{ep}/{B}/priv.bin")
        check(st == 200 and body == small, "PutObjectAcl public-read opens the object", st)
        s3.put_object_acl(Bucket=B, Key="pub/img.png", ACL="private")
        st, _, _ = anon(f"{ep}/{B}/pub/img.png")
        check(st == 403, "PutObjectAcl private closes a chunked object", st)
        got = s3.get_object(Bucket=B, Key="pub/img.png")
        check(got["Body"].read() == data and got["ContentType"] == "image/png",
              "PutObjectAcl kept the data and metadata", got.get("ContentType"))
        owner = {"ID": tc.AK}
        s3.put_object_acl(Bucket=B, Key="pub/img.png", AccessControlPolicy={
            "Owner": owner,
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": tc.AK}, "Permission": "FULL_CONTROL"},
                       {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]})
        g = grants_of(s3.get_object_acl(Bucket=B, Key="pub/img.png"))
        check(("Group", ALL_USERS, "READ") in g, "AccessControlPolicy body -> public-read", g)
        st, _, body = anon(f"{ep}/{B}/pub/img.png")
        check(st == 200 and body == data, "anonymous GET after the body ACL", st)
        e, st, _ = code(lambda: s3.put_object_acl(Bucket=B, Key="pub/img.png", AccessControlPolicy={
            "Owner": owner,
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": tc.AK}, "Permission": "FULL_CONTROL"},
                       {"Grantee": {"Type": "CanonicalUser", "ID": "someone-else"},
                        "Permission": "READ"}]}))
        check(e == "NotImplemented" and st == 501, "a grant to another user: NotImplemented",
              (e, st))
        check(("Group", ALL_USERS, "READ") in grants_of(s3.get_object_acl(Bucket=B, Key="pub/img.png")),
              "the refused ACL changed nothing")
        e, st, _ = code(lambda: s3.put_object_acl(Bucket=B, Key="pub/img.png",
                                                  GrantRead=f'uri="{ALL_USERS}"'))
        check(e is None, "x-amz-grant-read AllUsers accepted", e)
        e, st, _ = code(lambda: s3.put_object_acl(Bucket=B, Key="pub/img.png",
                                                  GrantRead='emailAddress="a@b.c"'))
        check(e == "NotImplemented", "x-amz-grant-read to an email: NotImplemented", e)
        def bad_body(request, **kw):
            request.data = b"<AccessControlPolicy><Nope/></AccessControlPolicy>"
            request.headers["Content-Length"] = str(len(request.data))
            for hd in ("Content-MD5", "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"):
                if hd in request.headers:
                    del request.headers[hd]
        s3.meta.events.register("before-sign.s3.PutObjectAcl", bad_body)
        e, st, _ = code(lambda: s3.put_object_acl(Bucket=B, Key="pub/img.png", AccessControlPolicy={
            "Owner": owner, "Grants": []}))
        s3.meta.events.unregister("before-sign.s3.PutObjectAcl", bad_body)
        check(e == "MalformedACLError" and st == 400, "malformed ACL body: MalformedACLError",
              (e, st))
        e, st, _ = code(lambda: s3.get_object_acl(Bucket=B, Key="no-such-key"))
        check(e == "NoSuchKey", "GetObjectAcl of a missing key: NoSuchKey", e)
        # a new PUT resets the ACL (S3 semantics)
        s3.put_object(Bucket=B, Key="priv.bin", Body=small)
        st, _, _ = anon(f"{ep}/{B}/priv.bin")
        check(st == 403, "overwriting PUT without x-amz-acl: private again", st)

        # ---- multipart: x-amz-acl on Create, stored on Complete ----
        mp = s3.create_multipart_upload(Bucket=B, Key="mp/video.mp4", ACL="public-read",
                                        ContentType="video/mp4")
        p1 = os.urandom(5 * 1024 * 1024)
        p2 = os.urandom(1024 * 1024)
        e1 = s3.upload_part(Bucket=B, Key="mp/video.mp4", UploadId=mp["UploadId"], PartNumber=1,
                            Body=p1)["ETag"]
        e2 = s3.upload_part(Bucket=B, Key="mp/video.mp4", UploadId=mp["UploadId"], PartNumber=2,
                            Body=p2)["ETag"]
        s3.complete_multipart_upload(Bucket=B, Key="mp/video.mp4", UploadId=mp["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                                {"PartNumber": 2, "ETag": e2}]})
        st, h, body = anon(f"{ep}/{B}/mp/video.mp4", headers={"Range": "bytes=5242000-5243999"})
        whole = p1 + p2
        check(st == 206 and body == whole[5242000:5244000],
              "anonymous ranged GET across parts of a public-read multipart object", st)
        s3.put_object_acl(Bucket=B, Key="mp/video.mp4", ACL="private")
        st, _, _ = anon(f"{ep}/{B}/mp/video.mp4")
        check(st == 403, "PutObjectAcl private on a multipart object", st)
        check(s3.get_object(Bucket=B, Key="mp/video.mp4")["Body"].read() == whole,
              "multipart object intact after PutObjectAcl")

        # ---- bucket ACLs ----
        g = grants_of(s3.get_bucket_acl(Bucket=B))
        check(g == {("CanonicalUser", tc.AK, "FULL_CONTROL")}, "new bucket: private", g)
        expect_bucket = {
            "public-read": {("Group", ALL_USERS, "READ")},
            "public-read-write": {("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")},
            "authenticated-read": {("Group", AUTH_USERS, "READ")},
            "private": set(),
        }
        for acl, extra in expect_bucket.items():
            s3.put_bucket_acl(Bucket=B, ACL=acl)
            g = grants_of(s3.get_bucket_acl(Bucket=B))
            check(g == {("CanonicalUser", tc.AK, "FULL_CONTROL")} | extra,
                  f"bucket ACL {acl}: round trip", g)
        for acl, extra in expect_bucket.items():
            nb = f"tern-access-{acl}"
            s3.create_bucket(Bucket=nb, ACL=acl)
            g = grants_of(s3.get_bucket_acl(Bucket=nb))
            check(g == {("CanonicalUser", tc.AK, "FULL_CONTROL")} | extra,
                  f"CreateBucket x-amz-acl {acl}", g)
            s3.delete_bucket(Bucket=nb)
        e, st, _ = code(lambda: s3.create_bucket(Bucket="tern-access-bor", ACL="bucket-owner-read"))
        check(e == "InvalidArgument", "bucket-owner-read on a bucket: InvalidArgument", e)
        s3.put_bucket_acl(Bucket=B, AccessControlPolicy={
            "Owner": owner,
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": tc.AK}, "Permission": "FULL_CONTROL"},
                       {"Grantee": {"Type": "Group", "URI": AUTH_USERS}, "Permission": "READ"}]})
        check(("Group", AUTH_USERS, "READ") in grants_of(s3.get_bucket_acl(Bucket=B)),
              "PutBucketAcl body -> authenticated-read")
        e, _, _ = code(lambda: s3.put_bucket_acl(Bucket=B, AccessControlPolicy={
            "Owner": owner,
            "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}))
        check(e == "NotImplemented", "grants without owner FULL_CONTROL: NotImplemented", e)
        s3.put_bucket_acl(Bucket=B, ACL="public-read")
        settle()
        # a public-read bucket does not open private objects
        st, _, _ = anon(f"{ep}/{B}/priv.bin")
        check(st == 403, "public-read bucket, private object: 403", st)
        s3.put_bucket_acl(Bucket=B, ACL="private")

        # ---- bucket policy ----
        e, st, _ = code(lambda: s3.get_bucket_policy(Bucket=B))
        check(e == "NoSuchBucketPolicy" and st == 404, "no policy: NoSuchBucketPolicy", (e, st))
        pol = {"Version": "2012-10-17", "Statement": [{
            "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{B}/site/*"}]}
        s3.put_object(Bucket=B, Key="site/index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
        s3.put_object(Bucket=B, Key="other/index.html", Body=b"no")
        st, _, _ = anon(f"{ep}/{B}/site/index.html")
        check(st == 403, "before the policy: 403", st)
        s3.put_bucket_policy(Bucket=B, Policy=json.dumps(pol))
        settle()
        got = json.loads(s3.get_bucket_policy(Bucket=B)["Policy"])
        check(got == pol, "GetBucketPolicy returns the stored document", got)
        st, h, body = anon(f"{ep}/{B}/site/index.html")
        check(st == 200 and body == b"<h1>hi</h1>", "policy grants public GetObject", st)
        st, _, _ = anon(f"{ep}/{B}/other/index.html")
        check(st == 403, "outside the policy's resource: 403", st)
        st, _, _ = anon(f"{ep}/{B}/site/missing.html")
        check(st == 404, "policy-granted prefix, missing key: 404 NoSuchKey", st)
        pol2 = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:GetObject"],
             "Resource": [f"arn:aws:s3:::{B}/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": f"arn:aws:s3:::{B}/pub/*"}]}
        s3.put_bucket_policy(Bucket=B, Policy=json.dumps(pol2))
        settle()
        st, _, _ = anon(f"{ep}/{B}/other/index.html")
        check(st == 200, "Allow {AWS: *} on BUCKET/*", st)
        st, _, _ = anon(f"{ep}/{B}/pub/small.txt")
        check(st == 403, "an explicit Deny beats a public-read object ACL", st)
        check(s3.get_object(Bucket=B, Key="pub/small.txt")["Body"].read() == small,
              "the owner still reads under the Deny")
        for bad, want in [
            ("{not json", "MalformedPolicy"),
            (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                        "Action": "s3:GetObject"}]}), "MalformedPolicy"),
            (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                        "Resource": "arn:aws:s3:::another-bucket/*"}]}),
             "MalformedPolicy"),
            (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                        "Resource": f"arn:aws:s3:::{B}/*",
                                        "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}),
             "NotImplemented"),
            (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                                        "Resource": f"arn:aws:s3:::{B}/*"}]}), "NotImplemented"),
        ]:
            e, st, _ = code(lambda: s3.put_bucket_policy(Bucket=B, Policy=bad))
            check(e == want, f"PutBucketPolicy {bad[:60]!r}: {want}", (e, st))
        check(json.loads(s3.get_bucket_policy(Bucket=B)["Policy"]) == pol2,
              "refused policies changed nothing")
        e, st, _ = code(lambda: s3.delete_bucket_policy(Bucket=B))
        check(e is None and st == 204, "DeleteBucketPolicy: 204", (e, st))
        e, _, _ = code(lambda: s3.get_bucket_policy(Bucket=B))
        check(e == "NoSuchBucketPolicy", "deleted policy: NoSuchBucketPolicy", e)
        settle()
        st, _, _ = anon(f"{ep}/{B}/other/index.html")
        check(st == 403, "policy deleted: 403 again (after the cache window)", st)

        # ---- CORS ----
        e, st, _ = code(lambda: s3.get_bucket_cors(Bucket=B))
        check(e == "NoSuchCORSConfiguration" and st == 404, "no CORS: NoSuchCORSConfiguration",
              (e, st))
        st, _, body = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS",
                           headers={"Origin": "https://app.example.com",
                                    "Access-Control-Request-Method": "GET"})
        check(st == 403 and b"CORSResponse" in body, "preflight without CORS: 403 CORSResponse",
              (st, body[:200]))
        cors = {"CORSRules": [
            {"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT", "HEAD"],
             "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag"],
             "MaxAgeSeconds": 600},
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}
        s3.put_bucket_cors(Bucket=B, CORSConfiguration=cors)
        settle()
        got = s3.get_bucket_cors(Bucket=B)["CORSRules"]
        check(len(got) == 2 and got[0]["AllowedOrigins"] == ["https://*.example.com"] and
              got[0]["MaxAgeSeconds"] == 600 and got[1]["AllowedMethods"] == ["GET"],
              "GetBucketCors round trip", got)
        st, h, body = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS",
                           headers={"Origin": "https://app.example.com",
                                    "Access-Control-Request-Method": "PUT",
                                    "Access-Control-Request-Headers": "X-Amz-Date, content-type"})
        check(st == 200, "preflight allowed: 200", (st, body[:200]))
        check(h.get("access-control-allow-origin") == "https://app.example.com",
              "Access-Control-Allow-Origin", h.get("access-control-allow-origin"))
        check(h.get("access-control-allow-methods") == "GET, PUT, HEAD",
              "Access-Control-Allow-Methods", h.get("access-control-allow-methods"))
        check(h.get("access-control-allow-headers") == "x-amz-date, content-type",
              "Access-Control-Allow-Headers", h.get("access-control-allow-headers"))
        check(h.get("access-control-max-age") == "600", "Access-Control-Max-Age",
              h.get("access-control-max-age"))
        check(h.get("access-control-expose-headers") == "ETag", "Access-Control-Expose-Headers",
              h.get("access-control-expose-headers"))
        st, _, body = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS",
                           headers={"Origin": "https://app.example.com",
                                    "Access-Control-Request-Method": "PUT",
                                    "Access-Control-Request-Headers": "authorization"})
        check(st == 403 and b"CORSResponse" in body, "preflight with a header not allowed: 403",
              st)
        st, _, _ = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS",
                        headers={"Origin": "https://evil.org",
                                 "Access-Control-Request-Method": "DELETE"})
        check(st == 403, "preflight with a method not allowed: 403", st)
        st, h, _ = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS",
                        headers={"Origin": "https://evil.org",
                                 "Access-Control-Request-Method": "GET"})
        check(st == 200 and h.get("access-control-allow-origin") == "*",
              "preflight matching the * rule: Allow-Origin *", (st, h.get("access-control-allow-origin")))
        st, _, _ = anon(f"{ep}/{B}/pub/small.txt", method="OPTIONS")
        check(st == 400, "OPTIONS without Origin: 400", st)
        # CORS headers on actual responses
        st, h, body = anon(f"{ep}/{B}/priv.bin", headers={"Origin": "https://www.example.com"})
        check(st == 403, "private object stays private under CORS", st)
        s3.put_object_acl(Bucket=B, Key="priv.bin", ACL="public-read")
        st, h, body = anon(f"{ep}/{B}/priv.bin", headers={"Origin": "https://www.example.com"})
        check(st == 200 and h.get("access-control-allow-origin") == "https://www.example.com" and
              h.get("vary") == "Origin" and h.get("access-control-expose-headers") == "ETag",
              "GET with a matching Origin: CORS headers + Vary", h)
        st, h, _ = anon(f"{ep}/{B}/priv.bin")
        check(st == 200 and "access-control-allow-origin" not in h,
              "GET without Origin: no CORS headers", h.get("access-control-allow-origin"))
        r = s3.put_object(Bucket=B, Key="cors-put", Body=b"x")
        hh = r["ResponseMetadata"]["HTTPHeaders"]
        check("access-control-allow-origin" not in hh, "signed PUT without Origin: no CORS headers")
        e, st, _ = code(lambda: s3.put_bucket_cors(Bucket=B, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]}))
        check(e == "InvalidRequest", "CORS method PATCH: InvalidRequest", e)
        e, st, _ = code(lambda: s3.delete_bucket_cors(Bucket=B))
        check(e is None and st == 204, "DeleteBucketCors: 204", (e, st))
        e, _, _ = code(lambda: s3.get_bucket_cors(Bucket=B))
        check(e == "NoSuchCORSConfiguration", "deleted CORS: NoSuchCORSConfiguration", e)

        # settings survive in the record: a fresh gateway (no cache) sees them
        s3.put_bucket_acl(Bucket=B, ACL="authenticated-read")
        s3.put_bucket_policy(Bucket=B, Policy=json.dumps(pol))
        c.kill("gw")
        c.start_gateway(0)
        s3 = c.s3()
        check(("Group", AUTH_USERS, "READ") in grants_of(s3.get_bucket_acl(Bucket=B)),
              "bucket ACL persisted across a gateway restart")
        st, _, _ = anon(f"{ep}/{B}/site/index.html")
        check(st == 200, "policy persisted across a gateway restart", st)
        # a bucket with settings can still be deleted; a new one of that name starts clean
        nb = "tern-access-del"
        s3.create_bucket(Bucket=nb, ACL="public-read")
        s3.put_bucket_policy(Bucket=nb, Policy=json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{nb}/*"}]}))
        s3.put_bucket_cors(Bucket=nb, CORSConfiguration=cors)
        e, st, _ = code(lambda: s3.delete_bucket(Bucket=nb))
        check(e is None and st == 204, "DeleteBucket of a bucket with ACL, policy and CORS", e)
        s3.create_bucket(Bucket=nb)
        check(grants_of(s3.get_bucket_acl(Bucket=nb)) == {("CanonicalUser", tc.AK, "FULL_CONTROL")},
              "re-created bucket: private")
        e, _, _ = code(lambda: s3.get_bucket_policy(Bucket=nb))
        check(e == "NoSuchBucketPolicy", "re-created bucket: no policy", e)
        # anonymous listings: private bucket 403, public-read bucket or a ListBucket policy 200
        s3.put_object(Bucket=nb, Key="a/1", Body=b"1")
        st, _, body = anon(f"{ep}/{nb}?list-type=2")
        check(st == 403 and b"AccessDenied" in body and b"<ListBucketResult" not in body,
              "anonymous ListObjectsV2 of a private bucket: 403", st)
        s3.put_bucket_acl(Bucket=nb, ACL="public-read")
        settle()
        st, _, body = anon(f"{ep}/{nb}?list-type=2")
        check(st == 200 and b"<Key>a/1</Key>" in body, "anonymous ListObjectsV2 of a public-read bucket",
              (st, body[:200]))
        st, _, body = anon(f"{ep}/{nb}")
        check(st == 200 and b"<Key>a/1</Key>" in body, "anonymous ListObjects V1 of a public-read bucket",
              st)
        s3.put_bucket_acl(Bucket=nb, ACL="private")
        s3.put_bucket_policy(Bucket=nb, Policy=json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
                            "Resource": f"arn:aws:s3:::{nb}"}]}))
        settle()
        st, _, body = anon(f"{ep}/{nb}?list-type=2&prefix=a/")
        check(st == 200 and b"<Key>a/1</Key>" in body, "policy granting s3:ListBucket", st)
        st, _, _ = anon(f"{ep}/{nb}/a/1")
        check(st == 403, "ListBucket does not grant GetObject", st)
    return done()


if __name__ == "__main__":
    sys.exit(main())
