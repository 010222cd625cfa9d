#!/usr/bin/env python3
"""Listings end to end on a real local cluster (6 tern-osd on 3 hosts + tern-gateway), driven
with boto3: ListObjectsV2, ListObjects (V1), ListObjectVersions and GetBucketVersioning over
a bucket of more than 2,500 keys (nested prefixes, odd names, keys sorting around the
delimiter, deleted keys), every result compared with the listing computed here from the keys
that were written.

Usage: test_s3_list.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
With TERN_SANITIZED=1 in the environment (the ASan+UBSan build's ctest sets it) the delimiter
sweep pages by 2 and 1000 only: pages of 1 and 3 run the same gateway code again over
thousands of requests (about 50 s under the sanitizers); the Release build runs all four.
"""
import concurrent.futures
import datetime
import hashlib
import http.client
import os
import sys
import urllib.parse

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ternt import check, done
from ternt_cluster import AK, SK, Cluster
from ternt_listing import model

OSD, GW = sys.argv[1], sys.argv[2]
B = "tern-list"
# page sizes of the delimiter sweep (see the module comment)
SWEEP_SIZES = (2, 1000) if os.environ.get("TERN_SANITIZED") == "1" else (1, 2, 3, 1000)

# Keys sorting around the delimiter and other odd names (S3 orders keys by UTF-8 bytes,
# which is Python's code-point order for str).
ODD = ["a", "a/", "a0", "a/b", "a-", "a/b/c", "a//b", "a.b", "a/b-", "a/b0", "sp ace",
       "sp ace/inner key", "plus+sign", "plus+/x", "pct%41", "pct%2F/y", "pct%", "d//e//f",
       "//lead", "/x", "uni/\u00e9t\u00e9/\u00fc.txt", "uni/\u65e5\u672c/\u8a9e",
       "uni/\u00e9/", "emoji/\U0001F600", "tab\tkey", "amp&lt;", "q?x=1", "hash#frag",
       "tilde~", "star*", "semi;colon", "quote\"s", "apos's", "brackets[1]", "z" * 1000,
       "zz/" + "y" * 900]


def build_keys():
    keys = list(ODD)
    for site in range(5):
        for d in ("images", "content/2024", "content/2025", "themes"):
            for i in range(100):
                keys.append(f"site{site}/{d}/file-{i:04d}.bin")
    for i in range(600):
        keys.append(f"top-{i:04d}")
    return keys


DELETED = [f"gone/{i:03d}" for i in range(60)] + [f"site0/images/file-{i:04d}.bin"
                                                 for i in range(0, 100, 10)] + ["a/b0"]


def merged(keys, prefix, delim):
    """The items (keys and common prefixes) of a complete listing in key order."""
    k, p = model(keys, prefix, delim)
    return sorted(k + p)


def page_items(r):
    return sorted([o["Key"] for o in r.get("Contents", [])] +
                  [p["Prefix"] for p in r.get("CommonPrefixes", [])])


def paginate(s3, op, page_size=None, **kw):
    """All pages of op: (keys in order, prefixes in order, number of pages, pages)."""
    pg = s3.get_paginator(op)
    cfg = {"PageSize": page_size} if page_size else {}
    keys, prefixes, pages = [], [], []
    for page in pg.paginate(Bucket=B, PaginationConfig=cfg, **kw):
        pages.append(page)
        for o in page.get("Versions" if op == "list_object_versions" else "Contents", []):
            keys.append(o["Key"])
        for p in page.get("CommonPrefixes", []):
            prefixes.append(p["Prefix"])
    return keys, prefixes, len(pages), pages


def code(fn):
    try:
        r = fn()
        return None, r["ResponseMetadata"]["HTTPStatusCode"]
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]


def raw_get(port, path, query):
    """A SigV4-signed GET with a query string exactly as given: (status, body)."""
    url = f"http://127.0.0.1:{port}{path}?{query}"
    req = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", f"{path}?{query}", headers=dict(req.headers.items()))
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def run(c):
    s3 = c.s3(max_pool_connections=32)
    port = c.gw_ports[0]
    s3.create_bucket(Bucket=B)
    keys = build_keys()
    check(len(set(keys)) == len(keys) and len(keys) >= 2500, "at least 2,500 distinct keys",
          str(len(keys)))
    etags = {}

    def put(k):
        body = hashlib.sha256(k.encode()).digest()[: 1 + len(k) % 32]
        r = s3.put_object(Bucket=B, Key=k, Body=body)
        return k, r["ETag"], len(body)

    t0 = datetime.datetime.now(datetime.timezone.utc)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        for k, e, n in ex.map(put, keys + [d for d in DELETED if d not in keys]):
            etags[k] = (e, n)
        for _ in ex.map(lambda k: s3.delete_object(Bucket=B, Key=k), DELETED):
            pass
    live = sorted(set(keys) - set(DELETED))
    check(len(live) >= 2500, "live keys", str(len(live)))

    # ---- V2 and V1 paginators over the whole bucket ----
    for size in (None, 333):
        got, pfx, n, _ = paginate(s3, "list_objects_v2", size)
        check(got == live and not pfx, f"V2 paginator, page size {size}: every live key in order",
              f"{len(got)} vs {len(live)}; first diff "
              f"{next((i for i, (a, b) in enumerate(zip(got, live)) if a != b), None)}")
        check(n == -(-len(live) // (size or 1000)), f"V2 page count with page size {size}",
              str(n))
        got, pfx, n, _ = paginate(s3, "list_objects", size)
        check(got == live and not pfx, f"V1 paginator, page size {size}: every live key in order",
              f"{len(got)} vs {len(live)}")
    got, _, _, _ = paginate(s3, "list_objects_v2", 1000, Prefix="gone/")
    check(got == [], "deleted keys never listed")

    # ---- Contents fields ----
    r = s3.list_objects_v2(Bucket=B, Prefix="site1/themes/", MaxKeys=3)
    now = datetime.datetime.now(datetime.timezone.utc)
    for o in r["Contents"]:
        e, n = etags[o["Key"]]
        check(o["ETag"] == e and o["Size"] == n and o["StorageClass"] == "STANDARD",
              "ETag, Size, StorageClass", str(o))
        check(t0 - datetime.timedelta(seconds=5) <= o["LastModified"] <= now +
              datetime.timedelta(seconds=5), "LastModified", str(o["LastModified"]))
        check("Owner" not in o, "V2 has no Owner without fetch-owner")
    check(r["KeyCount"] == 3 and r["MaxKeys"] == 3 and r["IsTruncated"] and
          r["Prefix"] == "site1/themes/", "V2 header fields", str({k: v for k, v in r.items()
                                                                  if k != "Contents"}))
    r = s3.list_objects_v2(Bucket=B, Prefix="site1/themes/", MaxKeys=2, FetchOwner=True)
    check(all(o.get("Owner", {}).get("ID") == AK for o in r["Contents"]), "fetch-owner: Owner")
    r = s3.list_objects(Bucket=B, Prefix="site1/themes/", MaxKeys=2)
    check(all(o.get("Owner", {}).get("ID") == AK for o in r["Contents"]), "V1 lists Owner")

    # ---- delimiter: CommonPrefixes across page boundaries ----
    for prefix, delim in (("", "/"), ("site2/", "/"), ("a", "/"), ("a/", "/"), ("", "-"),
                          ("uni/", "/"), ("", "e"), ("site", "/content/")):
        want_k, want_p = model(live, prefix, delim)
        for op in ("list_objects_v2", "list_objects"):
            for size in SWEEP_SIZES:
                got, pfx, n, pages = paginate(s3, op, size, Prefix=prefix, Delimiter=delim)
                what = f"{op} prefix {prefix!r} delimiter {delim!r} page size {size}"
                check(got == want_k and pfx == want_p, what,
                      f"keys {got[:5]}.. vs {want_k[:5]}..; prefixes {pfx[:5]} vs {want_p[:5]}")
                check(all(len(p.get("Contents", [])) + len(p.get("CommonPrefixes", [])) <= size
                          for p in pages), what + ": pages within max-keys")
                if op == "list_objects_v2":
                    check(all(p["KeyCount"] == len(p.get("Contents", [])) +
                              len(p.get("CommonPrefixes", [])) for p in pages),
                          what + ": KeyCount counts keys and prefixes")
                if size == 1000 and op == "list_objects":
                    break
    check("gone/" not in paginate(s3, "list_objects_v2", None, Delimiter="/")[1],
          "a prefix of deleted keys only is no CommonPrefix")

    # ---- start-after ----
    for sa in (live[0], live[1234], "site3/", "site3/images/", "a/", "zzzz", ""):
        got, _, _, _ = paginate(s3, "list_objects_v2", 400, StartAfter=sa)
        check(got == [k for k in live if k > sa], f"start-after {sa!r}")
    r = s3.list_objects_v2(Bucket=B, StartAfter="a/", Delimiter="/", MaxKeys=5)
    want = merged([k for k in live if k > "a/" and not k.startswith("a/")], "", "/")[:5]
    check(page_items(r) == want, "start-after a common prefix skips it", f"{page_items(r)} {want}")
    r = s3.list_objects_v2(Bucket=B, StartAfter="a/b", Delimiter="/", MaxKeys=5)
    want = merged([k for k in live if k > "a/b"], "", "/")[:5]
    check(page_items(r) == want and want[0] == "a/", "start-after inside a group lists it",
          f"{page_items(r)} {want}")
    mk = s3.list_objects(Bucket=B, Delimiter="/", Marker="site1/", MaxKeys=3)
    want = merged([k for k in live if k > "site1/" and not k.startswith("site1/")], "", "/")[:3]
    check(page_items(mk) == want and want[0] == "site2/",
          "V1 marker equal to a common prefix resumes after it", f"{page_items(mk)} {want}")

    # ---- max-keys ----
    r = s3.list_objects_v2(Bucket=B, MaxKeys=0)
    check(r["KeyCount"] == 0 and "Contents" not in r and not r["IsTruncated"] and
          r["MaxKeys"] == 0, "max-keys 0", str({k: v for k, v in r.items()}))
    r = s3.list_objects_v2(Bucket=B, MaxKeys=1)
    check([o["Key"] for o in r["Contents"]] == live[:1] and r["IsTruncated"] and
          r.get("NextContinuationToken"), "max-keys 1")
    r2 = s3.list_objects_v2(Bucket=B, MaxKeys=1, ContinuationToken=r["NextContinuationToken"])
    check([o["Key"] for o in r2["Contents"]] == live[1:2] and
          r2["ContinuationToken"] == r["NextContinuationToken"], "max-keys 1, next page")
    r = s3.list_objects_v2(Bucket=B, MaxKeys=1000)
    check([o["Key"] for o in r["Contents"]] == live[:1000] and r["KeyCount"] == 1000 and
          r["IsTruncated"], "max-keys 1000")
    r = s3.list_objects_v2(Bucket=B, MaxKeys=5000)
    check(r["KeyCount"] == 1000 and r["MaxKeys"] == 1000, "max-keys above 1000 is capped",
          str(r["MaxKeys"]))
    r = s3.list_objects(Bucket=B, MaxKeys=1)
    check(r["IsTruncated"] and "NextMarker" not in r, "V1 without delimiter: no NextMarker")
    r = s3.list_objects(Bucket=B, MaxKeys=1, Delimiter="/")
    check(r["IsTruncated"] and r.get("NextMarker") == "/", "V1 with delimiter: NextMarker",
          str(r.get("NextMarker")))
    r = s3.list_objects_v2(Bucket=B, Prefix="top-02", MaxKeys=100)
    check(not r["IsTruncated"] and r["KeyCount"] == 100, "exactly max-keys left: not truncated")

    # ---- encoding-type=url as the client sees it when it decodes nothing itself ----
    r = s3.list_objects_v2(Bucket=B, Prefix="sp ace", EncodingType="url", Delimiter="/")
    check([o["Key"] for o in r.get("Contents", [])] == ["sp%20ace"] and
          [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["sp%20ace/"] and
          r.get("Prefix") == "sp%20ace" and r.get("EncodingType") == "url",
          "encoding-type=url: keys, prefixes and Prefix encoded", str(r))
    r = s3.list_objects_v2(Bucket=B, Prefix="uni/", EncodingType="url")
    got = [o["Key"] for o in r.get("Contents", [])]
    check(got == [urllib.parse.quote(k, safe="/~") for k in live if k.startswith("uni/")],
          "encoding-type=url: UTF-8 percent-encoded", str(got))
    r = s3.list_objects_v2(Bucket=B, Prefix="plus+", EncodingType="url")
    check([o["Key"] for o in r.get("Contents", [])] == ["plus%2B/x", "plus%2Bsign"],
          "encoding-type=url: '+' encoded", str(r.get("Contents")))
    st, body = raw_get(port, f"/{B}", "list-type=2&encoding-type=bad")
    check(st == 400 and "<Code>InvalidArgument</Code>" in body, "encoding-type other: 400")

    # ---- errors ----
    cd, st = code(lambda: s3.list_objects_v2(Bucket=B, ContinuationToken="bm90IGEgdG9rZW4="))
    check(cd == "InvalidArgument" and st == 400, "bad continuation token: InvalidArgument",
          f"{cd} {st}")
    cd, st = code(lambda: s3.list_objects_v2(Bucket=B, ContinuationToken="!!!"))
    check(cd == "InvalidArgument", "garbage continuation token: InvalidArgument", f"{cd}")
    for q in ("max-keys=-1", "max-keys=abc", "max-keys=", "max-keys=99999999999"):
        st, body = raw_get(port, f"/{B}", "list-type=2&" + q)
        check(st == 400 and "<Code>InvalidArgument</Code>" in body, f"V2 {q}: InvalidArgument",
              f"{st} {body[:200]}")
        st, body = raw_get(port, f"/{B}", q)
        check(st == 400 and "<Code>InvalidArgument</Code>" in body, f"V1 {q}: InvalidArgument")
    for op in (s3.list_objects_v2, s3.list_objects, s3.list_object_versions,
               s3.get_bucket_versioning):
        cd, st = code(lambda: op(Bucket="tern-no-such-bucket"))
        check(cd == "NoSuchBucket" and st == 404, f"{op.__name__}: NoSuchBucket", f"{cd} {st}")

    # ---- ListObjectVersions on an unversioned bucket, GetBucketVersioning ----
    got, _, _, pages = paginate(s3, "list_object_versions", 700)
    check(got == live, "versions paginator: every live object once", f"{len(got)}")
    vs = [v for p in pages for v in p.get("Versions", [])]
    check(all(v["VersionId"] == "null" and v["IsLatest"] and v["ETag"] == etags[v["Key"]][0]
              for v in vs), "every version is null and latest, with its ETag")
    check(not any(p.get("DeleteMarkers") for p in pages), "no delete markers")
    got, pfx, _, _ = paginate(s3, "list_object_versions", 2, Prefix="a", Delimiter="/")
    check((got, pfx) == model(live, "a", "/"), "versions with prefix and delimiter",
          f"{got} {pfx}")
    r = s3.list_object_versions(Bucket=B, KeyMarker=live[10], VersionIdMarker="null", MaxKeys=2)
    check([v["Key"] for v in r["Versions"]] == live[11:13] and r["IsTruncated"] and
          r["NextKeyMarker"] == live[12] and r["NextVersionIdMarker"] == "null",
          "key-marker / version-id-marker / NextKeyMarker", str(r.get("NextKeyMarker")))
    cd, st = code(lambda: s3.list_object_versions(Bucket=B, KeyMarker="a",
                                                  VersionIdMarker="3HL4kqtJlcpXroDTDmJ"))
    check(cd == "InvalidArgument", "unknown version-id-marker: InvalidArgument", str(cd))
    v = s3.get_bucket_versioning(Bucket=B)
    check("Status" not in v and "MFADelete" not in v, "never versioned: empty configuration",
          str(v))

    # ---- list after write / delete, on an empty bucket ----
    s3.put_object(Bucket=B, Key="a/b0", Body=b"back")
    got, _, _, _ = paginate(s3, "list_objects_v2", None, Prefix="a/b")
    check("a/b0" in got, "a re-created key is listed again")
    s3.create_bucket(Bucket="tern-list-empty")
    r = s3.list_objects_v2(Bucket="tern-list-empty")
    check(r["KeyCount"] == 0 and not r["IsTruncated"] and "Contents" not in r, "empty bucket")
    r = s3.list_objects(Bucket="tern-list-empty", Delimiter="/")
    check(not r["IsTruncated"] and "Contents" not in r, "empty bucket, V1")


def main():
    with Cluster(OSD, GW) as c:
        try:
            run(c)
        except Exception as e:  # a crash is a failure with its reason, not a silent pass
            check(False, "test ran to the end", repr(e))
            import traceback
            traceback.print_exc()
    return done()


if __name__ == "__main__":
    sys.exit(main())
