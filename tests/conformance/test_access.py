"""Access (issue 5): canned ACLs on buckets and objects (x-amz-acl on CreateBucket and
PutObject, Put/Get Bucket/Object Acl), anonymous GET/HEAD of public objects and AccessDenied
otherwise, a bucket policy granting public s3:GetObject, CORS (Put/Get/DeleteBucketCors and the
OPTIONS preflight). And the cross-tenant cases: public objects as CopyObject sources for other
tenants' keys, public-read-write buckets taking anonymous and other tenants' writes, HeadBucket
and ListObjects on public-read buckets. alice owns the buckets; bob is another tenant."""
import json
import urllib.error
import urllib.request

import pytest

from conftest import err, eventually, unique, xml_code

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def anon_http(cluster, method, path, headers=None, data=None):
    req = urllib.request.Request(cluster.endpoint + path, method=method, data=data,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _assert(cond):
    assert cond


def grants(acl):
    return sorted((g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"])
                  for g in acl["Grants"])


def test_bucket_acl_put_get(alice, alice_bucket):
    s3 = alice.s3
    assert [p for _, p in grants(s3.get_bucket_acl(Bucket=alice_bucket))] == ["FULL_CONTROL"]
    s3.put_bucket_acl(Bucket=alice_bucket, ACL="public-read")
    assert (ALL_USERS, "READ") in grants(s3.get_bucket_acl(Bucket=alice_bucket))
    s3.put_bucket_acl(Bucket=alice_bucket, ACL="private")
    assert [p for _, p in grants(s3.get_bucket_acl(Bucket=alice_bucket))] == ["FULL_CONTROL"]


def test_create_bucket_with_acl(alice, anon):
    b = unique("acl")
    alice.s3.create_bucket(Bucket=b, ACL="public-read")
    assert (ALL_USERS, "READ") in grants(alice.s3.get_bucket_acl(Bucket=b))


def test_object_acl_and_anonymous_read(cluster, alice, anon, alice_bucket):
    s3 = alice.s3
    s3.put_object(Bucket=alice_bucket, Key="pub", Body=b"public bytes", ACL="public-read",
                  CacheControl="max-age=3600")
    s3.put_object(Bucket=alice_bucket, Key="priv", Body=b"private")
    assert (ALL_USERS, "READ") in grants(s3.get_object_acl(Bucket=alice_bucket, Key="pub"))
    assert anon.get_object(Bucket=alice_bucket, Key="pub")["Body"].read() == b"public bytes"
    assert anon.head_object(Bucket=alice_bucket, Key="pub")["ContentLength"] == 12
    st, h, body = anon_http(cluster, "GET", f"/{alice_bucket}/pub", {"Range": "bytes=7-"})
    assert (st, body) == (206, b"bytes")
    assert err(lambda: anon.get_object(Bucket=alice_bucket, Key="priv")) == ("AccessDenied", 403)
    # a missing key is AccessDenied too for anonymous callers (no probing)
    assert err(lambda: anon.get_object(Bucket=alice_bucket, Key="none")) == ("AccessDenied", 403)
    s3.put_object_acl(Bucket=alice_bucket, Key="pub", ACL="private")
    assert err(lambda: anon.get_object(Bucket=alice_bucket, Key="pub")) == ("AccessDenied", 403)
    s3.put_object_acl(Bucket=alice_bucket, Key="priv", ACL="public-read")
    assert anon.get_object(Bucket=alice_bucket, Key="priv")["Body"].read() == b"private"


def test_authenticated_read(alice, bob, anon, alice_bucket):
    alice.s3.put_object(Bucket=alice_bucket, Key="auth", Body=b"a", ACL="authenticated-read")
    assert bob.s3.get_object(Bucket=alice_bucket, Key="auth")["Body"].read() == b"a"
    assert err(lambda: anon.get_object(Bucket=alice_bucket, Key="auth")) == ("AccessDenied", 403)


def test_other_tenant_denied_on_private(alice, bob, alice_bucket):
    alice.s3.put_object(Bucket=alice_bucket, Key="k", Body=b"k")
    assert err(lambda: bob.s3.get_object(Bucket=alice_bucket, Key="k")) == ("AccessDenied", 403)
    assert err(lambda: bob.s3.list_objects_v2(Bucket=alice_bucket)) == ("AccessDenied", 403)
    assert err(lambda: bob.s3.head_bucket(Bucket=alice_bucket)) == ("403", 403)
    assert err(lambda: bob.s3.put_object(Bucket=alice_bucket, Key="x", Body=b"x")) == \
        ("AccessDenied", 403)


def test_bucket_policy_public_get(alice, bob, anon, alice_bucket):
    s3 = alice.s3
    s3.put_object(Bucket=alice_bucket, Key="img/a.jpg", Body=b"jpeg")
    s3.put_object(Bucket=alice_bucket, Key="secret/b", Body=b"secret")
    pol = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{alice_bucket}/img/*"}]}
    s3.put_bucket_policy(Bucket=alice_bucket, Policy=json.dumps(pol))
    assert json.loads(s3.get_bucket_policy(Bucket=alice_bucket)["Policy"]) == pol
    eventually(lambda: anon.get_object(Bucket=alice_bucket, Key="img/a.jpg"))
    assert anon.get_object(Bucket=alice_bucket, Key="img/a.jpg")["Body"].read() == b"jpeg"
    assert bob.s3.get_object(Bucket=alice_bucket, Key="img/a.jpg")["Body"].read() == b"jpeg"
    assert err(lambda: anon.get_object(Bucket=alice_bucket, Key="secret/b")) == \
        ("AccessDenied", 403)
    assert err(lambda: anon.list_objects_v2(Bucket=alice_bucket)) == ("AccessDenied", 403)
    s3.delete_bucket_policy(Bucket=alice_bucket)
    assert err(lambda: s3.get_bucket_policy(Bucket=alice_bucket)) == ("NoSuchBucketPolicy", 404)


def test_cors(cluster, alice, alice_bucket):
    s3 = alice.s3
    assert err(lambda: s3.get_bucket_cors(Bucket=alice_bucket)) == \
        ("NoSuchCORSConfiguration", 404)
    rules = [{"AllowedOrigins": ["https://blog.example"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]
    s3.put_bucket_cors(Bucket=alice_bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=alice_bucket)["CORSRules"]
    assert got[0]["AllowedOrigins"] == ["https://blog.example"]
    assert sorted(got[0]["AllowedMethods"]) == ["GET", "PUT"]
    def preflight():
        st, h, _ = anon_http(cluster, "OPTIONS", f"/{alice_bucket}/x", {
            "Origin": "https://blog.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"})
        assert st == 200
        return st, h
    st, h = eventually(preflight)
    assert st == 200 and h.get("access-control-allow-origin") == "https://blog.example"
    assert "PUT" in h.get("access-control-allow-methods", "")
    st, h, _ = anon_http(cluster, "OPTIONS", f"/{alice_bucket}/x", {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert st == 403
    s3.delete_bucket_cors(Bucket=alice_bucket)
    assert err(lambda: s3.get_bucket_cors(Bucket=alice_bucket)) == \
        ("NoSuchCORSConfiguration", 404)


# ---- public-read buckets: HeadBucket and listings for other tenants and anonymous ----

def test_public_read_bucket_head_and_list(alice, bob, anon, alice_bucket):
    alice.s3.put_object(Bucket=alice_bucket, Key="listed", Body=b"l")
    alice.s3.put_bucket_acl(Bucket=alice_bucket, ACL="public-read")
    for who in (bob.s3, anon):
        eventually(lambda: who.head_bucket(Bucket=alice_bucket))
        assert who.head_bucket(Bucket=alice_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert [o["Key"] for o in who.list_objects_v2(Bucket=alice_bucket)["Contents"]] == \
            ["listed"]
        assert [o["Key"] for o in who.list_objects(Bucket=alice_bucket)["Contents"]] == \
            ["listed"]
        # a public-read BUCKET does not make its objects readable (object ACLs decide)
        assert err(lambda: who.get_object(Bucket=alice_bucket, Key="listed")) == \
            ("AccessDenied", 403)
        # nor writable
        assert err(lambda: who.put_object(Bucket=alice_bucket, Key="w", Body=b"w")) == \
            ("AccessDenied", 403)
    alice.s3.put_bucket_acl(Bucket=alice_bucket, ACL="authenticated-read")
    eventually(lambda: _assert(err(lambda: anon.head_bucket(Bucket=alice_bucket)) ==
                               ("403", 403)))
    assert bob.s3.head_bucket(Bucket=alice_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_head_bucket_missing_for_anonymous(anon):
    assert err(lambda: anon.head_bucket(Bucket=unique("gone")))[1] in (403, 404)


# ---- public objects as copy sources for other tenants ----

def test_public_object_copy_source_other_tenant(alice, bob, alice_bucket):
    alice.s3.put_object(Bucket=alice_bucket, Key="pub", Body=b"shared", ACL="public-read")
    alice.s3.put_object(Bucket=alice_bucket, Key="priv", Body=b"mine")
    bb = unique("bob")
    bob.s3.create_bucket(Bucket=bb)
    bob.s3.copy_object(Bucket=bb, Key="copy", CopySource={"Bucket": alice_bucket, "Key": "pub"})
    assert bob.s3.get_object(Bucket=bb, Key="copy")["Body"].read() == b"shared"
    for key in ("priv", "missing"):  # a missing key too: no probing of others' buckets
        assert err(lambda: bob.s3.copy_object(Bucket=bb, Key="copy2", CopySource={
            "Bucket": alice_bucket, "Key": key})) == ("AccessDenied", 403), key
    # the owner still gets NoSuchKey for her own missing key
    assert err(lambda: alice.s3.copy_object(Bucket=alice_bucket, Key="c", CopySource={
        "Bucket": alice_bucket, "Key": "missing"})) == ("NoSuchKey", 404)
    # UploadPartCopy: the same (a missing key is AccessDenied too: no probing)
    uid = bob.s3.create_multipart_upload(Bucket=bb, Key="mp")["UploadId"]
    for key in ("priv", "missing"):
        assert err(lambda: bob.s3.upload_part_copy(
            Bucket=bb, Key="mp", UploadId=uid, PartNumber=1,
            CopySource={"Bucket": alice_bucket, "Key": key})) == ("AccessDenied", 403), key
    e = bob.s3.upload_part_copy(Bucket=bb, Key="mp", UploadId=uid, PartNumber=1, CopySource={
        "Bucket": alice_bucket, "Key": "pub"})["CopyPartResult"]["ETag"]
    bob.s3.complete_multipart_upload(Bucket=bb, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e}]})
    assert bob.s3.get_object(Bucket=bb, Key="mp")["Body"].read() == b"shared"


def test_policy_public_copy_source_other_tenant(alice, bob, alice_bucket):
    alice.s3.put_object(Bucket=alice_bucket, Key="pol/x", Body=b"by policy")
    alice.s3.put_bucket_policy(Bucket=alice_bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{alice_bucket}/pol/*"}]}))
    bb = unique("bob")
    bob.s3.create_bucket(Bucket=bb)
    eventually(lambda: bob.s3.head_object(Bucket=alice_bucket, Key="pol/x"))
    bob.s3.copy_object(Bucket=bb, Key="c", CopySource={"Bucket": alice_bucket, "Key": "pol/x"})
    assert bob.s3.get_object(Bucket=bb, Key="c")["Body"].read() == b"by policy"
    # a key the policy grants but that does not exist: NoSuchKey (as S3 when the read is granted)
    assert err(lambda: bob.s3.copy_object(Bucket=bb, Key="c", CopySource={
        "Bucket": alice_bucket, "Key": "pol/none"})) == ("NoSuchKey", 404)
    assert err(lambda: bob.s3.copy_object(Bucket=bb, Key="c", CopySource={
        "Bucket": alice_bucket, "Key": "other"})) == ("AccessDenied", 403)
    uid = bob.s3.create_multipart_upload(Bucket=bb, Key="mp")["UploadId"]
    e = bob.s3.upload_part_copy(Bucket=bb, Key="mp", UploadId=uid, PartNumber=1, CopySource={
        "Bucket": alice_bucket, "Key": "pol/x"})["CopyPartResult"]["ETag"]
    bob.s3.complete_multipart_upload(Bucket=bb, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e}]})
    assert bob.s3.get_object(Bucket=bb, Key="mp")["Body"].read() == b"by policy"


# ---- public-read-write buckets: writes by anonymous callers and other tenants ----

@pytest.fixture
def rw_bucket(alice):
    b = unique("rw")
    alice.s3.create_bucket(Bucket=b, ACL="public-read-write")
    return b


def test_public_read_write_anonymous_put_delete(alice, anon, rw_bucket):
    anon.put_object(Bucket=rw_bucket, Key="from-anon", Body=b"anon wrote")
    # the object belongs to the bucket owner (BucketOwnerEnforced): alice reads it, and its
    # ACL names her as owner
    assert alice.s3.get_object(Bucket=rw_bucket, Key="from-anon")["Body"].read() == b"anon wrote"
    acl = alice.s3.get_object_acl(Bucket=rw_bucket, Key="from-anon")
    assert acl["Owner"] == alice.s3.get_bucket_acl(Bucket=rw_bucket)["Owner"]
    # its default ACL is private: the anonymous writer cannot read it back
    assert err(lambda: anon.get_object(Bucket=rw_bucket, Key="from-anon")) == \
        ("AccessDenied", 403)
    # but the bucket is listable (READ) and writable (WRITE) by anyone
    assert "from-anon" in [o["Key"] for o in anon.list_objects_v2(Bucket=rw_bucket)["Contents"]]
    alice.s3.put_object(Bucket=rw_bucket, Key="alices", Body=b"a")
    anon.delete_object(Bucket=rw_bucket, Key="alices")
    assert err(lambda: alice.s3.head_object(Bucket=rw_bucket, Key="alices")) == ("404", 404)
    anon.delete_object(Bucket=rw_bucket, Key="from-anon")
    assert alice.s3.list_objects_v2(Bucket=rw_bucket)["KeyCount"] == 0
    # bucket configuration stays the owner's
    assert err(lambda: anon.put_bucket_acl(Bucket=rw_bucket, ACL="private")) == \
        ("AccessDenied", 403)
    assert err(lambda: anon.delete_bucket(Bucket=rw_bucket)) == ("AccessDenied", 403)


def test_public_read_write_other_tenant(alice, bob, rw_bucket):
    bob.s3.put_object(Bucket=rw_bucket, Key="from-bob", Body=b"bob wrote", ACL="public-read")
    assert alice.s3.get_object(Bucket=rw_bucket, Key="from-bob")["Body"].read() == b"bob wrote"
    assert bob.s3.get_object(Bucket=rw_bucket, Key="from-bob")["Body"].read() == b"bob wrote"
    r = bob.s3.delete_objects(Bucket=rw_bucket, Delete={"Objects": [{"Key": "from-bob"}]})
    assert [d["Key"] for d in r["Deleted"]] == ["from-bob"]
    # multipart by another tenant
    uid = bob.s3.create_multipart_upload(Bucket=rw_bucket, Key="mp")["UploadId"]
    e = bob.s3.upload_part(Bucket=rw_bucket, Key="mp", UploadId=uid, PartNumber=1,
                           Body=b"part")["ETag"]
    bob.s3.complete_multipart_upload(Bucket=rw_bucket, Key="mp", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    assert alice.s3.get_object(Bucket=rw_bucket, Key="mp")["Body"].read() == b"part"
    assert err(lambda: bob.s3.put_bucket_policy(Bucket=rw_bucket, Policy="{}")) == \
        ("AccessDenied", 403)
    assert err(lambda: bob.s3.delete_bucket(Bucket=rw_bucket)) == ("AccessDenied", 403)
    # a bucket that is only public-read takes no writes
    alice.s3.put_bucket_acl(Bucket=rw_bucket, ACL="public-read")
    eventually(lambda: _assert(err(lambda: bob.s3.delete_object(Bucket=rw_bucket, Key="n")) ==
                               ("AccessDenied", 403)))
    assert err(lambda: bob.s3.put_object(Bucket=rw_bucket, Key="no", Body=b"n")) == \
        ("AccessDenied", 403)


def test_public_read_write_anonymous_payloads(cluster, alice, raw, rw_bucket):
    """Anonymous uploads pass the payload stage like signed ones: ETag = MD5, Content-MD5 and
    x-amz-checksum-* verified, aws-chunked with an unsigned trailer decoded; a body claiming
    chunk signatures is refused (no key to check them with)."""
    import hashlib
    import ternt_sigv4 as sv
    data = b"anonymous payload " * 1000
    st, h, b = raw.send("PUT", f"/{rw_bucket}/p1", {"content-md5": sv.checksum("MD5", data)},
                        data)
    assert st == 200 and h["etag"] == '"%s"' % hashlib.md5(data).hexdigest(), b
    g = alice.s3.get_object(Bucket=rw_bucket, Key="p1")
    assert g["Body"].read() == data and g["ETag"] == h["etag"]
    st, _, b = raw.send("PUT", f"/{rw_bucket}/p2", {"content-md5": sv.checksum("MD5", b"x")},
                        data)
    assert (st, xml_code(b)) == (400, "BadDigest")
    st, _, b = raw.send("PUT", f"/{rw_bucket}/p3", {"x-amz-checksum-sha256":
                                                    sv.checksum("SHA256", b"x")}, data)
    assert (st, xml_code(b)) == (400, "BadDigest")
    ck = sv.checksum("CRC32", data)
    body = sv.Signer("", "").chunked_body(data, [4096], sv.UNSIGNED_TRAILER,
                                          trailers=[("x-amz-checksum-crc32", ck)])
    st, _, b = raw.send("PUT", f"/{rw_bucket}/p4", {
        "content-encoding": "aws-chunked", "x-amz-content-sha256": sv.UNSIGNED_TRAILER,
        "x-amz-decoded-content-length": str(len(data)), "x-amz-trailer": "x-amz-checksum-crc32"},
        body)
    assert st == 200, b
    h = alice.s3.head_object(Bucket=rw_bucket, Key="p4", ChecksumMode="ENABLED")
    assert h["ContentLength"] == len(data) and h["ChecksumCRC32"] == ck
    assert alice.s3.get_object(Bucket=rw_bucket, Key="p4")["Body"].read() == data
    st, _, b = raw.send("PUT", f"/{rw_bucket}/p5", {
        "content-encoding": "aws-chunked", "x-amz-content-sha256": sv.SIGNED,
        "x-amz-decoded-content-length": "1"}, b"1;chunk-signature=00\r\nx\r\n0\r\n\r\n")
    assert st in (400, 403) and xml_code(b) in ("AccessDenied", "InvalidRequest")
    assert err(lambda: alice.s3.head_object(Bucket=rw_bucket, Key="p5")) == ("404", 404)
