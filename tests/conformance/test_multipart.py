"""Multipart uploads (issue 5): Create, UploadPart, UploadPartCopy (with a range), Complete,
Abort, ListParts, ListMultipartUploads; ETag md5-of-part-md5s-N; EntityTooSmall, InvalidPart,
InvalidPartOrder, NoSuchUpload; composite and full-object checksums."""
import base64
import hashlib
import zlib

import pytest

import ternt_sigv4 as sv
from conftest import data_of, err

MIB = 1024 * 1024


def mpu_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts))
                        .hexdigest(), len(parts))


def upload(s3, bucket, key, parts, **create):
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done = []
    for i, p in enumerate(parts, 1):
        e = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=i, Body=p)["ETag"]
        done.append({"PartNumber": i, "ETag": e})
    return uid, done


def test_multipart_roundtrip(s3, bucket):
    parts = [data_of(5 * MIB, 1), data_of(1234, 2)]
    uid, done = upload(s3, bucket, "mp", parts, ContentType="application/x-mp",
                       Metadata={"m": "1"})
    r = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid,
                                     MultipartUpload={"Parts": done})
    assert r["ETag"] == mpu_etag(parts)
    g = s3.get_object(Bucket=bucket, Key="mp")
    assert g["Body"].read() == b"".join(parts)
    assert g["ETag"] == mpu_etag(parts) and g["ContentType"] == "application/x-mp"
    assert g["Metadata"] == {"m": "1"}
    # a range across the part boundary
    g = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MIB - 10}-{5 * MIB + 9}")
    assert g["Body"].read() == b"".join(parts)[5 * MIB - 10:5 * MIB + 10]
    # GetObject by part number
    h = s3.head_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert h["ContentLength"] == 1234 and h["PartsCount"] == 2


def test_list_parts_and_uploads(s3, bucket):
    uid, done = upload(s3, bucket, "lp", [b"a" * 100, b"b" * 200, b"c" * 300])
    r = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in r["Parts"]] == \
        [(d["PartNumber"], n, d["ETag"]) for d, n in zip(done, (100, 200, 300))]
    r = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid, MaxParts=2)
    assert r["IsTruncated"] and len(r["Parts"]) == 2
    r = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid,
                      PartNumberMarker=r["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in r["Parts"]] == [3]
    uid2 = s3.create_multipart_upload(Bucket=bucket, Key="lp2")["UploadId"]
    ups = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert sorted((u["Key"], u["UploadId"]) for u in ups) == sorted([("lp", uid), ("lp2", uid2)])


def test_abort(s3, bucket):
    uid, _ = upload(s3, bucket, "ab", [b"x" * 10])
    assert s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert err(lambda: s3.list_parts(Bucket=bucket, Key="ab", UploadId=uid)) == \
        ("NoSuchUpload", 404)


def test_no_such_upload(s3, bucket):
    assert err(lambda: s3.upload_part(Bucket=bucket, Key="x", UploadId="nonexistent",
                                      PartNumber=1, Body=b"x")) == ("NoSuchUpload", 404)
    assert err(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="x", UploadId="nonexistent",
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]})) == ("NoSuchUpload", 404)
    assert err(lambda: s3.abort_multipart_upload(Bucket=bucket, Key="x",
                                                 UploadId="nonexistent")) == ("NoSuchUpload", 404)


def test_entity_too_small(s3, bucket):
    uid, done = upload(s3, bucket, "small", [b"a" * 1000, b"b" * 1000])
    assert err(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="small", UploadId=uid, MultipartUpload={"Parts": done})) == \
        ("EntityTooSmall", 400)
    # the upload is still there: only the last part may be small
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=uid)


def test_single_small_part_is_fine(s3, bucket):
    uid, done = upload(s3, bucket, "one", [b"only"])
    s3.complete_multipart_upload(Bucket=bucket, Key="one", UploadId=uid,
                                 MultipartUpload={"Parts": done})
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == b"only"


def test_invalid_part(s3, bucket):
    uid, done = upload(s3, bucket, "ip", [b"a" * 10])
    assert err(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="ip", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"%s"' % ("0" * 32)}]})) == \
        ("InvalidPart", 400)
    assert err(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="ip", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": done[0]["ETag"]}]})) == \
        ("InvalidPart", 400)


def test_invalid_part_order(s3, bucket):
    uid, done = upload(s3, bucket, "po", [data_of(5 * MIB, 4), b"z"])
    assert err(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="po", UploadId=uid,
        MultipartUpload={"Parts": [done[1], done[0]]})) == ("InvalidPartOrder", 400)


def test_part_number_limits(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="pn", UploadId=uid, PartNumber=10000, Body=b"x")
    assert err(lambda: s3.upload_part(Bucket=bucket, Key="pn", UploadId=uid, PartNumber=10001,
                                      Body=b"x"))[1] == 400


def test_upload_part_copy_range(s3, bucket):
    src = data_of(6 * MIB, 5)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pc")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="pc", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange=f"bytes=0-{5 * MIB - 1}")["CopyPartResult"]
    p2 = s3.upload_part_copy(Bucket=bucket, Key="pc", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange="bytes=100-199")["CopyPartResult"]
    assert p1["ETag"] == '"%s"' % hashlib.md5(src[:5 * MIB]).hexdigest()
    s3.complete_multipart_upload(Bucket=bucket, Key="pc", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="pc")["Body"].read() == src[:5 * MIB] + src[100:200]


def test_superseded_part(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="sp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="sp", UploadId=uid, PartNumber=1, Body=b"old")
    e = s3.upload_part(Bucket=bucket, Key="sp", UploadId=uid, PartNumber=1, Body=b"new")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="sp", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    assert s3.get_object(Bucket=bucket, Key="sp")["Body"].read() == b"new"


def test_composite_checksum_crc32(s3, bucket):
    parts = [data_of(5 * MIB, 6), data_of(100, 7)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="cc", ChecksumAlgorithm="CRC32")[
        "UploadId"]
    done = []
    for i, p in enumerate(parts, 1):
        ck = sv.checksum("CRC32", p)
        r = s3.upload_part(Bucket=bucket, Key="cc", UploadId=uid, PartNumber=i, Body=p,
                           ChecksumCRC32=ck)
        assert r["ChecksumCRC32"] == ck
        done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": ck})
    r = s3.complete_multipart_upload(Bucket=bucket, Key="cc", UploadId=uid,
                                     MultipartUpload={"Parts": done})
    raw = b"".join(sv.raw_checksum("CRC32", p) for p in parts)
    want = base64.b64encode(zlib.crc32(raw).to_bytes(4, "big")).decode() + "-2"
    assert r["ChecksumCRC32"] == want
    h = s3.head_object(Bucket=bucket, Key="cc", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == want


@pytest.mark.parametrize("with_header", ["none", "right", "wrong"])
def test_full_object_checksum(raw, s3, bucket, with_header):
    """ChecksumType FULL_OBJECT on Complete (boto3 1.26 predates it: raw XML)."""
    parts = [data_of(5 * MIB, 8), data_of(300, 9)]
    st, _, body = raw.signed("POST", f"/{bucket}/fo", {"x-amz-checksum-algorithm": "CRC32C",
                                                       "x-amz-checksum-type": "FULL_OBJECT"},
                             query=[("uploads", "")])
    assert st == 200, body
    import xml.etree.ElementTree as ET
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    uid = ET.fromstring(body).findtext(f"{ns}UploadId")
    xml = ["<CompleteMultipartUpload>"]
    for i, p in enumerate(parts, 1):
        st, h, b = raw.signed("PUT", f"/{bucket}/fo", {"x-amz-checksum-crc32c":
                                                       sv.checksum("CRC32C", p)}, p,
                              query=[("partNumber", str(i)), ("uploadId", uid)])
        assert st == 200, b
        xml.append(f"<Part><PartNumber>{i}</PartNumber><ETag>{h['etag']}</ETag></Part>")
    xml.append("</CompleteMultipartUpload>")
    whole = sv.checksum("CRC32C", b"".join(parts))
    hdrs = {"x-amz-checksum-type": "FULL_OBJECT"}
    if with_header != "none":  # S3: the whole object's checksum (not the XML's), verified
        hdrs["x-amz-checksum-crc32c"] = whole if with_header == "right" else \
            sv.checksum("CRC32C", b"other")
    st, _, b = raw.signed("POST", f"/{bucket}/fo", hdrs, "".join(xml).encode(),
                          query=[("uploadId", uid)])
    if with_header == "wrong":
        from conftest import xml_code
        assert (st, xml_code(b)) == (400, "BadDigest")
        return
    assert st == 200, b
    h = s3.head_object(Bucket=bucket, Key="fo", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32C"] == whole


@pytest.mark.parametrize("ifh", ["if-none-match", "if-match"])
def test_conditional_complete_not_implemented(raw, s3, bucket, ifh):
    uid, done = upload(s3, bucket, "cond", [b"c"])
    xml = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
           "</CompleteMultipartUpload>" % done[0]["ETag"]).encode()
    st, _, b = raw.signed("POST", f"/{bucket}/cond", {ifh: "*"}, xml, query=[("uploadId", uid)])
    from conftest import xml_code
    assert (st, xml_code(b)) == (501, "NotImplemented")
