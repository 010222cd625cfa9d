"""Object operations (issue 4): PutObject (ETag = MD5, Content-MD5 -> BadDigest /
InvalidDigest, stored headers and x-amz-meta-*), GetObject (Range -> 206 / InvalidRange,
If-* -> 304 / 412), HeadObject, DeleteObject (204, also for a missing key), NoSuchKey, odd
keys, MetadataTooLarge, versionId=null, listings V1/V2, S3 XML error bodies."""
import base64
import datetime
import hashlib
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import data_of, err, xml_code


def test_put_get_head_delete(s3, bucket):
    body = data_of(10000)
    r = s3.put_object(Bucket=bucket, Key="obj", Body=body)
    assert r["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    g = s3.get_object(Bucket=bucket, Key="obj")
    assert g["Body"].read() == body and g["ETag"] == r["ETag"] and g["ContentLength"] == 10000
    h = s3.head_object(Bucket=bucket, Key="obj")
    assert h["ContentLength"] == 10000 and h["ETag"] == r["ETag"]
    d = s3.delete_object(Bucket=bucket, Key="obj")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert err(lambda: s3.head_object(Bucket=bucket, Key="obj")) == ("404", 404)


def test_delete_missing_key_is_204(s3, bucket):
    d = s3.delete_object(Bucket=bucket, Key="never-was")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["Body"].read() == b"" and g["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_no_such_key(s3, bucket):
    assert err(lambda: s3.get_object(Bucket=bucket, Key="nope")) == ("NoSuchKey", 404)


def test_error_body_is_s3_xml(raw, bucket):
    st, h, body = raw.signed("GET", f"/{bucket}/nope")
    assert st == 404 and h.get("x-amz-request-id")
    root = ET.fromstring(body)
    assert root.tag == "Error" and root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Message") and root.findtext("RequestId") == h["x-amz-request-id"]
    assert root.findtext("Resource")


def test_stored_headers_and_metadata(s3, bucket):
    exp = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    s3.put_object(Bucket=bucket, Key="h", Body=b"hello", ContentType="text/x-tern",
                  CacheControl="max-age=60", ContentDisposition='attachment; filename="h.txt"',
                  ContentEncoding="identity", Expires=exp,
                  Metadata={"colour": "blue", "two-words": "a b"})
    for r in (s3.get_object(Bucket=bucket, Key="h"), s3.head_object(Bucket=bucket, Key="h")):
        assert r["ContentType"] == "text/x-tern"
        assert r["CacheControl"] == "max-age=60"
        assert r["ContentDisposition"] == 'attachment; filename="h.txt"'
        assert r["ContentEncoding"] == "identity"
        assert r["Expires"] == exp
        assert r["Metadata"] == {"colour": "blue", "two-words": "a b"}


def test_bad_digest_content_md5(s3, bucket):
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert err(lambda: s3.put_object(Bucket=bucket, Key="d", Body=b"data", ContentMD5=wrong)) \
        == ("BadDigest", 400)
    assert err(lambda: s3.head_object(Bucket=bucket, Key="d")) == ("404", 404)
    ok = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="d", Body=b"data", ContentMD5=ok)


def test_invalid_digest(raw, bucket):
    st, _, body = raw.signed("PUT", f"/{bucket}/d", {"content-md5": "not-base64!!"}, b"data")
    assert (st, xml_code(body)) == (400, "InvalidDigest")
    short = base64.b64encode(b"1234").decode()  # base64, but not 16 bytes
    st, _, body = raw.signed("PUT", f"/{bucket}/d", {"content-md5": short}, b"data")
    assert (st, xml_code(body)) == (400, "InvalidDigest")


def test_range_206(s3, bucket):
    body = data_of(1000)
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    for rng, want in (("bytes=0-9", body[:10]), ("bytes=990-", body[990:]),
                      ("bytes=-5", body[-5:]), ("bytes=500-5000", body[500:])):
        g = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206, rng
        assert g["Body"].read() == want, rng
        assert g["ContentRange"].startswith("bytes ") and g["ContentRange"].endswith("/1000")


def test_invalid_range(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    assert err(lambda: s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")) == \
        ("InvalidRange", 416)


def test_conditional_get_304(s3, bucket):
    et = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    assert err(lambda: s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=et)) == ("304", 304)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    assert err(lambda: s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)) == \
        ("304", 304)
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"00"')["Body"].read() == b"cond"


def test_conditional_get_412(s3, bucket):
    et = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    assert err(lambda: s3.get_object(Bucket=bucket, Key="c", IfMatch='"00"')) == \
        ("PreconditionFailed", 412)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    assert err(lambda: s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)) == \
        ("PreconditionFailed", 412)
    assert err(lambda: s3.head_object(Bucket=bucket, Key="c", IfMatch='"00"')) == ("412", 412)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=et)["Body"].read() == b"cond"


@pytest.mark.parametrize("key", ["with space", "plus+sign", "per%cent", "a//double/slash",
                                 "ünïcödé/日本語", "trailing/", "?question&amp=1#hash",
                                 "k" * 1024])
def test_odd_keys(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key[:5])["Contents"]]
    assert key in keys
    s3.delete_object(Bucket=bucket, Key=key)


def test_key_too_long(s3, bucket):
    assert err(lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x"))[0] == \
        "KeyTooLongError"


def test_metadata_too_large(s3, bucket):
    """S3: user metadata over 2 KB -> 400 MetadataTooLarge."""
    code, st = err(lambda: s3.put_object(Bucket=bucket, Key="m", Body=b"x",
                                         Metadata={"big": "v" * 2100}))
    assert (code, st) == ("MetadataTooLarge", 400)


def test_version_id_null(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"ver")
    assert s3.get_object(Bucket=bucket, Key="v", VersionId="null")["Body"].read() == b"ver"
    assert s3.head_object(Bucket=bucket, Key="v", VersionId="null")["ContentLength"] == 3
    s3.delete_object(Bucket=bucket, Key="v", VersionId="null")
    assert err(lambda: s3.head_object(Bucket=bucket, Key="v")) == ("404", 404)


def _fill(s3, bucket, keys):
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")


def test_list_objects_v2(s3, bucket):
    keys = [f"p/{i:03d}" for i in range(25)] + ["p/sub/x", "p/sub/y", "q/z", "top"]
    _fill(s3, bucket, keys)
    r = s3.list_objects_v2(Bucket=bucket, Prefix="p/", Delimiter="/", MaxKeys=10)
    assert r["KeyCount"] == 10 and r["IsTruncated"]
    got = [o["Key"] for o in r["Contents"]]
    prefixes = []
    while r["IsTruncated"]:
        r = s3.list_objects_v2(Bucket=bucket, Prefix="p/", Delimiter="/", MaxKeys=10,
                               ContinuationToken=r["NextContinuationToken"])
        got += [o["Key"] for o in r.get("Contents", [])]
        prefixes += [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    assert got == [f"p/{i:03d}" for i in range(25)] and prefixes == ["p/sub/"]
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="p/sub/x")
    assert [o["Key"] for o in r["Contents"]] == ["p/sub/y", "q/z", "top"]
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["p/", "q/"]
    assert [o["Key"] for o in r["Contents"]] == ["top"]


def test_list_objects_v1(s3, bucket):
    keys = [f"k{i:02d}" for i in range(12)]
    _fill(s3, bucket, keys)
    r = s3.list_objects(Bucket=bucket, MaxKeys=5)
    got = [o["Key"] for o in r["Contents"]]
    while r["IsTruncated"]:
        r = s3.list_objects(Bucket=bucket, MaxKeys=5, Marker=got[-1])
        got += [o["Key"] for o in r["Contents"]]
    assert got == keys


def test_list_encoding_type_url(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a b+c", Body=b"")
    st, _, body = raw.signed("GET", f"/{bucket}", query=[("list-type", "2"),
                                                         ("encoding-type", "url")])
    assert st == 200
    ns = {"s": "http://s3.amazonaws.com/doc/2006-03-01/"}
    root = ET.fromstring(body)
    key = root.find("s:Contents/s:Key", ns).text
    assert root.findtext("s:EncodingType", namespaces=ns) == "url"
    assert urllib.parse.unquote_plus(key) == "a b+c" and key != "a b+c"


def test_large_put_digests_checked_before_it_is_visible(raw, s3, bucket):
    """A large plain PUT over HTTP/1 is written while its digests are still being computed
    (gw_payload.h, early dispatch): a bad Content-MD5, x-amz-checksum-* or signed payload hash
    must still answer its error and leave the previous version in place."""
    old = data_of(5000, 7)
    s3.put_object(Bucket=bucket, Key="big", Body=old)
    data = data_of(9 * 1024 * 1024 + 5, 8)  # three 4 MiB chunks, the last one short
    wrong_md5 = base64.b64encode(hashlib.md5(data + b"!").digest()).decode()
    st, _, b = raw.signed("PUT", f"/{bucket}/big", {"content-md5": wrong_md5}, data)
    assert (st, xml_code(b)) == (400, "BadDigest")
    wrong_sha = base64.b64encode(hashlib.sha256(data[:-1]).digest()).decode()
    st, _, b = raw.signed("PUT", f"/{bucket}/big", {"x-amz-checksum-sha256": wrong_sha}, data)
    assert (st, xml_code(b)) == (400, "BadDigest")
    st, _, b = raw.signed("PUT", f"/{bucket}/big", body=data,
                          payload_hash=hashlib.sha256(data[1:]).hexdigest())
    assert (st, xml_code(b)) == (400, "XAmzContentSHA256Mismatch")
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == old
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    st, h, b = raw.signed("PUT", f"/{bucket}/big",
                          {"content-md5": md5, "x-amz-checksum-sha256": sha}, data)
    assert st == 200, b
    assert h.get("etag") == '"%s"' % hashlib.md5(data).hexdigest()
    assert h.get("x-amz-checksum-sha256") == sha
    g = s3.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert g["Body"].read() == data and g["ChecksumSHA256"] == sha
