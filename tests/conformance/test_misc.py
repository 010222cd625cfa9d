"""What issue 5 and DESIGN.md rule 12 ask of everything else: unsupported sub-resources and
conditional writes answer NotImplemented (501) in S3 XML, never a wrong success; quotas
(QuotaExceeded); every response carries x-amz-request-id."""
import time

import pytest

from conftest import err, ternctl, xml_code


@pytest.mark.parametrize("sub", ["lifecycle", "replication", "website", "logging",
                                 "notification", "object-lock", "encryption", "inventory"])
def test_unsupported_bucket_subresource(raw, bucket, sub):
    st, h, b = raw.signed("GET", f"/{bucket}", query=[(sub, "")])
    assert (st, xml_code(b)) == (501, "NotImplemented")
    assert h.get("x-amz-request-id")
    st, _, b = raw.signed("PUT", f"/{bucket}", body=b"<x/>", query=[(sub, "")])
    assert (st, xml_code(b)) == (501, "NotImplemented")


@pytest.mark.parametrize("sub", ["retention", "legal-hold", "torrent", "restore"])
def test_unsupported_object_subresource(raw, s3, bucket, sub):
    s3.put_object(Bucket=bucket, Key="o", Body=b"o")
    st, _, b = raw.signed("GET" if sub != "restore" else "POST", f"/{bucket}/o",
                          query=[(sub, "")])
    assert (st, xml_code(b)) == (501, "NotImplemented")


def test_put_bucket_versioning_enabled_not_implemented(s3, bucket):
    code, st = err(lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}))
    assert st == 501 and code == "NotImplemented"
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


@pytest.mark.parametrize("hdr", [("if-none-match", "*"), ("if-match", '"abc"')])
def test_conditional_put_not_implemented(raw, s3, bucket, hdr):
    """Rule 12: a conditional PutObject must not succeed unconditionally."""
    s3.put_object(Bucket=bucket, Key="cp", Body=b"first")
    st, _, b = raw.signed("PUT", f"/{bucket}/cp", {hdr[0]: hdr[1]}, b"second")
    assert (st, xml_code(b)) == (501, "NotImplemented")
    assert s3.get_object(Bucket=bucket, Key="cp")["Body"].read() == b"first"


@pytest.mark.parametrize("hdr", [("if-none-match", "*"), ("if-match", '"abc"')])
def test_conditional_copy_not_implemented(raw, s3, bucket, hdr):
    s3.put_object(Bucket=bucket, Key="src", Body=b"s")
    st, _, b = raw.signed("PUT", f"/{bucket}/dst", {hdr[0]: hdr[1],
                                                    "x-amz-copy-source": f"/{bucket}/src"})
    assert (st, xml_code(b)) == (501, "NotImplemented")


def test_quota_exceeded(cluster, s3, bucket):
    ternctl(cluster, "bucket", "quota", bucket, "--max-size", "1000", "--max-objects", "2")
    s3.put_object(Bucket=bucket, Key="a", Body=b"a" * 600)
    end = time.monotonic() + 10  # the gateway's bucket record cache: up to 3 s old
    code = None
    while time.monotonic() < end:
        code, st = err(lambda: s3.put_object(Bucket=bucket, Key="b", Body=b"b" * 600))
        if code is not None:
            break
        s3.delete_object(Bucket=bucket, Key="b")
        time.sleep(0.2)
    assert (code, st) == ("QuotaExceeded", 403)
    assert err(lambda: s3.head_object(Bucket=bucket, Key="b")) == ("404", 404)
    s3.put_object(Bucket=bucket, Key="c", Body=b"c" * 400)  # exactly 1000 bytes fit
    assert err(lambda: s3.put_object(Bucket=bucket, Key="d", Body=b""))[0] == "QuotaExceeded"
