"""Authentication (issue 4 and 5): SigV4 header and presigned query, RequestTimeTooSkewed,
SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied for anonymous callers, expired
presigned URLs, the signed payload hash (XAmzContentSHA256Mismatch), UNSIGNED-PAYLOAD and the
three aws-chunked variants (chunk and trailer signatures verified)."""
import datetime
import hashlib
import time
import urllib.error
import urllib.request

import ternt_cluster as tc
import ternt_sigv4 as sv
from conftest import data_of, err, xml_code


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_request_time_too_skewed(raw, bucket):
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    st, _, body = raw.signed("GET", f"/{bucket}", now=then)
    assert (st, xml_code(body)) == (403, "RequestTimeTooSkewed")
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
    st, _, body = raw.signed("GET", f"/{bucket}", now=soon)
    assert (st, xml_code(body)) == (403, "RequestTimeTooSkewed")
    near = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    assert raw.signed("GET", f"/{bucket}", now=near)[0] == 200


def test_signature_does_not_match(cluster, bucket):
    bad = cluster.s3(tc.AK, tc.SK + "x")
    assert err(lambda: bad.list_objects_v2(Bucket=bucket)) == ("SignatureDoesNotMatch", 403)


def test_invalid_access_key_id(cluster):
    bad = cluster.s3("TERNNOSUCHKEY0000000", "whatever")
    assert err(lambda: bad.list_buckets()) == ("InvalidAccessKeyId", 403)


def test_anonymous_access_denied(anon, s3, bucket):
    s3.put_object(Bucket=bucket, Key="private", Body=b"p")
    assert err(lambda: anon.get_object(Bucket=bucket, Key="private")) == ("AccessDenied", 403)
    assert err(lambda: anon.list_objects_v2(Bucket=bucket)) == ("AccessDenied", 403)
    assert err(lambda: anon.put_object(Bucket=bucket, Key="x", Body=b"x")) == \
        ("AccessDenied", 403)
    assert err(lambda: anon.list_buckets()) == ("AccessDenied", 403)


def test_presigned_get_and_put(s3, bucket):
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "ps"},
                                    ExpiresIn=300)
    st, b = http("PUT", put, b"presigned body")
    assert st == 200, b
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "ps"},
                                    ExpiresIn=300)
    assert http("GET", get) == (200, b"presigned body")
    # tampering with the signed query breaks the signature
    st, body = http("GET", get.replace("X-Amz-Expires=300", "X-Amz-Expires=301"))
    assert (st, xml_code(body)) == (403, "SignatureDoesNotMatch")


def test_presigned_expired(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exp", Body=b"e")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "exp"},
                                    ExpiresIn=1)
    time.sleep(2.1)
    st, body = http("GET", url)
    assert (st, xml_code(body)) == (403, "AccessDenied")
    assert b"expired" in body.lower()


def test_payload_hash_mismatch(raw, s3, bucket):
    st, _, body = raw.signed("PUT", f"/{bucket}/sha", body=b"real body",
                             payload_hash=hashlib.sha256(b"other").hexdigest())
    assert (st, xml_code(body)) == (400, "XAmzContentSHA256Mismatch")
    assert err(lambda: s3.head_object(Bucket=bucket, Key="sha")) == ("404", 404)


def test_signed_payload_and_unsigned_payload(raw, s3, bucket):
    assert raw.signed("PUT", f"/{bucket}/signed", body=b"signed")[0] == 200
    assert raw.signed("PUT", f"/{bucket}/unsigned", body=b"unsigned",
                      payload_hash="UNSIGNED-PAYLOAD")[0] == 200
    assert s3.get_object(Bucket=bucket, Key="signed")["Body"].read() == b"signed"
    assert s3.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == b"unsigned"


def test_streaming_signed_payload(raw, s3, bucket):
    data = data_of(200000, 1)
    st, _, body = raw.streaming("PUT", f"/{bucket}/st", data, sv.SIGNED, [65536, 65536])
    assert st == 200, body
    assert s3.get_object(Bucket=bucket, Key="st")["Body"].read() == data
    st, _, body = raw.streaming("PUT", f"/{bucket}/st2", data, sv.SIGNED, [65536], bad_chunk=1)
    assert (st, xml_code(body)) == (403, "SignatureDoesNotMatch")
    assert err(lambda: s3.head_object(Bucket=bucket, Key="st2")) == ("404", 404)


def test_streaming_signed_payload_trailer(raw, s3, bucket):
    data = data_of(100000, 2)
    tr = [("x-amz-checksum-crc32c", sv.checksum("CRC32C", data))]
    st, _, body = raw.streaming("PUT", f"/{bucket}/tt", data, sv.SIGNED_TRAILER, [65536],
                                trailers=tr)
    assert st == 200, body
    h = s3.head_object(Bucket=bucket, Key="tt", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32C"] == tr[0][1]
    st, _, body = raw.streaming("PUT", f"/{bucket}/tt2", data, sv.SIGNED_TRAILER, [65536],
                                trailers=tr, bad_trailer_sig=True)
    assert (st, xml_code(body)) == (403, "SignatureDoesNotMatch")


def test_streaming_unsigned_payload_trailer(raw, s3, bucket):
    data = data_of(70000, 3)
    tr = [("x-amz-checksum-crc32", sv.checksum("CRC32", data))]
    st, _, body = raw.streaming("PUT", f"/{bucket}/ut", data, sv.UNSIGNED_TRAILER, [8192],
                                trailers=tr)
    assert st == 200, body
    assert s3.get_object(Bucket=bucket, Key="ut")["Body"].read() == data
