"""Checksums (issue 5): x-amz-checksum-crc32 / crc32c / crc64nvme / sha1 / sha256 verified on
upload (BadDigest on a mismatch, per algorithm, as header and as trailer), stored, returned by
GET/HEAD with x-amz-checksum-mode: ENABLED; x-amz-sdk-checksum-algorithm. Debian's boto3 1.26
knows neither CRC64NVME nor aws-chunked trailers: those requests are built with ternt_sigv4."""
import pytest

import ternt_sigv4 as sv
from conftest import data_of, err, xml_code

ALGS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]


@pytest.mark.parametrize("alg", ALGS)
def test_checksum_header_stored_and_returned(raw, s3, bucket, alg):
    data = data_of(50000, 1)
    ck = sv.checksum(alg, data)
    st, h, b = raw.signed("PUT", f"/{bucket}/ck", {f"x-amz-checksum-{alg.lower()}": ck,
                                                   "x-amz-sdk-checksum-algorithm": alg}, data)
    assert st == 200, b
    assert h.get(f"x-amz-checksum-{alg.lower()}") == ck
    st, h, b = raw.signed("HEAD", f"/{bucket}/ck", {"x-amz-checksum-mode": "ENABLED"})
    assert st == 200 and h.get(f"x-amz-checksum-{alg.lower()}") == ck
    st, h, b = raw.signed("GET", f"/{bucket}/ck", {"x-amz-checksum-mode": "ENABLED"})
    assert st == 200 and b == data and h.get(f"x-amz-checksum-{alg.lower()}") == ck
    st, h, b = raw.signed("GET", f"/{bucket}/ck")
    assert f"x-amz-checksum-{alg.lower()}" not in h  # only when asked for


@pytest.mark.parametrize("alg", ALGS)
def test_checksum_bad_digest_header(raw, s3, bucket, alg):
    data = data_of(20000, 2)
    wrong = sv.checksum(alg, data + b"!")
    st, _, b = raw.signed("PUT", f"/{bucket}/bad-{alg}", {f"x-amz-checksum-{alg.lower()}": wrong},
                          data)
    assert (st, xml_code(b)) == (400, "BadDigest")
    assert err(lambda: s3.head_object(Bucket=bucket, Key=f"bad-{alg}")) == ("404", 404)


@pytest.mark.parametrize("alg", ALGS)
def test_checksum_bad_digest_trailer(raw, s3, bucket, alg):
    data = data_of(30000, 3)
    tr = [(f"x-amz-checksum-{alg.lower()}", sv.checksum(alg, data[:-1]))]
    st, _, b = raw.streaming("PUT", f"/{bucket}/badt-{alg}", data, sv.UNSIGNED_TRAILER, [8192],
                             trailers=tr)
    assert (st, xml_code(b)) == (400, "BadDigest")
    tr = [(f"x-amz-checksum-{alg.lower()}", sv.checksum(alg, data))]
    st, _, b = raw.streaming("PUT", f"/{bucket}/goodt-{alg}", data, sv.UNSIGNED_TRAILER, [8192],
                             trailers=tr)
    assert st == 200, b


def test_checksum_boto3_sha256(s3, bucket):
    """boto3 1.26's own ChecksumAlgorithm (it sends the header itself)."""
    data = data_of(1000, 4)
    s3.put_object(Bucket=bucket, Key="b", Body=data, ChecksumAlgorithm="SHA1")
    h = s3.head_object(Bucket=bucket, Key="b", ChecksumMode="ENABLED")
    assert h["ChecksumSHA1"] == sv.checksum("SHA1", data)


def test_malformed_checksum_value(raw, bucket):
    st, _, b = raw.signed("PUT", f"/{bucket}/m", {"x-amz-checksum-crc32": "***"}, b"x")
    assert st == 400 and xml_code(b) in ("InvalidRequest", "InvalidArgument", "InvalidDigest")
