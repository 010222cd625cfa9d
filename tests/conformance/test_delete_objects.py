"""DeleteObjects (issue 5): up to 1,000 keys, Quiet mode, per-key errors, MalformedXML, a
request with a CRC32 checksum and no Content-MD5 (as current SDKs send it)."""
import ternt_sigv4 as sv
from conftest import err, xml_code


def test_delete_objects(s3, bucket):
    keys = [f"d/{i}" for i in range(30)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys] +
                                                 [{"Key": "never-was"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(keys + ["never-was"])
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_quiet(s3, bucket):
    s3.put_object(Bucket=bucket, Key="q", Body=b"")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert r.get("Deleted", []) == [] and r.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_limit(s3, bucket):
    objs = [{"Key": f"k{i}"} for i in range(1001)]
    assert err(lambda: s3.delete_objects(Bucket=bucket, Delete={"Objects": objs})) == \
        ("MalformedXML", 400)
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs[:1000], "Quiet": True})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_objects_per_key_error(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ok", Body=b"")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "ok"},
                                                             {"Key": "v", "VersionId": "bogus"}]})
    assert [d["Key"] for d in r["Deleted"]] == ["ok"]
    assert [e["Key"] for e in r["Errors"]] == ["v"] and r["Errors"][0]["Code"]


def test_malformed_xml(raw, bucket):
    for body in (b"<Delete><Object><Key>a</Key></Object>", b"not xml at all",
                 b"<Delete></Delete>", b"<Wrong><Object><Key>a</Key></Object></Wrong>"):
        st, _, b = raw.signed("POST", f"/{bucket}", {"content-md5": sv.checksum("MD5", body)},
                              body, query=[("delete", "")])
        assert (st, xml_code(b)) == (400, "MalformedXML"), body


def test_delete_objects_crc32_without_md5(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"")
    body = b"<Delete><Object><Key>c</Key></Object></Delete>"
    st, _, b = raw.signed("POST", f"/{bucket}", {"x-amz-checksum-crc32":
                                                 sv.checksum("CRC32", body),
                                                 "x-amz-sdk-checksum-algorithm": "CRC32"},
                          body, query=[("delete", "")])
    assert st == 200 and b"<Deleted><Key>c</Key>" in b.replace(b"\n", b""), b
    st, _, b = raw.signed("POST", f"/{bucket}", {"x-amz-checksum-crc32":
                                                 sv.checksum("CRC32", b"other")},
                          body, query=[("delete", "")])
    assert (st, xml_code(b)) == (400, "BadDigest")
