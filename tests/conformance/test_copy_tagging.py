"""CopyObject (x-amz-copy-source URL-encoded, COPY / REPLACE, x-amz-copy-source-if-*, copy onto
itself with REPLACE), object tagging (Put/Get/Delete, x-amz-tagging on PUT) and
GetObjectAttributes (issue 5)."""
import datetime
import hashlib

from conftest import data_of, err


def test_copy_object_copy_directive(s3, bucket):
    body = data_of(3000, 1)
    s3.put_object(Bucket=bucket, Key="src key+ü", Body=body, ContentType="text/a",
                  Metadata={"a": "1"})
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src key+ü"})
    assert r["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    g = s3.get_object(Bucket=bucket, Key="dst")
    assert g["Body"].read() == body and g["Metadata"] == {"a": "1"} and g["ContentType"] == "text/a"


def test_copy_object_replace_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="s", Body=b"abc", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="d", CopySource=f"{bucket}/s", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/b")
    h = s3.head_object(Bucket=bucket, Key="d")
    assert h["Metadata"] == {"b": "2"} and h["ContentType"] == "text/b"


def test_copy_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"me", Metadata={"v": "1"})
    code, st = err(lambda: s3.copy_object(Bucket=bucket, Key="self",
                                          CopySource={"Bucket": bucket, "Key": "self"}))
    assert (code, st) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    g = s3.get_object(Bucket=bucket, Key="self")
    assert g["Metadata"] == {"v": "2"} and g["Body"].read() == b"me"


def test_copy_source_conditions(s3, bucket):
    et = s3.put_object(Bucket=bucket, Key="c", Body=b"c")["ETag"]
    src = {"Bucket": bucket, "Key": "c"}
    assert err(lambda: s3.copy_object(Bucket=bucket, Key="d", CopySource=src,
                                      CopySourceIfMatch='"00"')) == ("PreconditionFailed", 412)
    assert err(lambda: s3.copy_object(Bucket=bucket, Key="d", CopySource=src,
                                      CopySourceIfNoneMatch=et)) == ("PreconditionFailed", 412)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    assert err(lambda: s3.copy_object(Bucket=bucket, Key="d", CopySource=src,
                                      CopySourceIfUnmodifiedSince=past)) == \
        ("PreconditionFailed", 412)
    s3.copy_object(Bucket=bucket, Key="d", CopySource=src, CopySourceIfMatch=et,
                   CopySourceIfModifiedSince=past)
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"c"


def test_copy_missing_source(s3, bucket):
    assert err(lambda: s3.copy_object(Bucket=bucket, Key="d",
                                      CopySource={"Bucket": bucket, "Key": "none"})) == \
        ("NoSuchKey", 404)


def test_copy_large_server_side(s3, bucket):
    body = data_of(9 * 1024 * 1024, 2)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    s3.copy_object(Bucket=bucket, Key="big2", CopySource={"Bucket": bucket, "Key": "big"})
    assert s3.get_object(Bucket=bucket, Key="big2")["Body"].read() == body


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"t", Tagging="a=1&b=two%20words")
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two words")]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "x",
                                                                       "Value": "y"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "x", "Value": "y"}]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 1
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    assert err(lambda: s3.get_object_tagging(Bucket=bucket, Key="none")) == ("NoSuchKey", 404)


def test_tagging_limits(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"t")
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    assert err(lambda: s3.put_object_tagging(Bucket=bucket, Key="t",
                                             Tagging={"TagSet": many}))[1] == 400


def test_get_object_attributes(s3, bucket):
    body = data_of(4321, 3)
    et = s3.put_object(Bucket=bucket, Key="attr", Body=body, ChecksumAlgorithm="SHA256")["ETag"]
    r = s3.get_object_attributes(Bucket=bucket, Key="attr",
                                 ObjectAttributes=["ETag", "ObjectSize", "Checksum",
                                                   "StorageClass"])
    assert r["ObjectSize"] == 4321 and r["ETag"] == et.strip('"')
    assert r["StorageClass"] == "STANDARD"
    import base64
    assert r["Checksum"]["ChecksumSHA256"] == base64.b64encode(
        hashlib.sha256(body).digest()).decode()
