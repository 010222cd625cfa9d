"""Bucket operations (issue 4) and their errors: Create / Delete / Head / ListBuckets /
GetBucketLocation, InvalidBucketName, BucketAlreadyOwnedByYou, BucketAlreadyExists,
BucketNotEmpty, NoSuchBucket; GetBucketVersioning and ListObjectVersions on an unversioned
bucket (issue 5)."""
import pytest

from conftest import err, unique


def test_create_head_list_delete(s3):
    b = unique()
    r = s3.create_bucket(Bucket=b)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    assert s3.head_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert b in [x["Name"] for x in s3.list_buckets()["Buckets"]]
    assert s3.delete_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert err(lambda: s3.head_bucket(Bucket=b)) == ("404", 404)


def test_deleted_bucket_gone_on_every_gateway_thread(cluster, s3):
    """A bucket deleted through a gateway is gone for the next request on ANY connection to it:
    each loop thread caches bucket records, and the delete must invalidate them all (aws-cli,
    which opens a new connection per command, saw `s3 ls` succeed right after `s3 rb`)."""
    b = unique()
    s3.create_bucket(Bucket=b)
    clients = [cluster.s3(signature_version="s3v4") for _ in range(8)]  # 8 connections
    for c in clients:  # every thread those connections landed on now caches the record
        assert c.list_objects_v2(Bucket=b)["KeyCount"] == 0
    s3.delete_bucket(Bucket=b)
    for c in clients:
        assert err(lambda: c.list_objects_v2(Bucket=b)) == ("NoSuchBucket", 404)


def test_get_bucket_location(s3, bucket):
    r = s3.get_bucket_location(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r.get("LocationConstraint") in (None, "", "us-east-1")


@pytest.mark.parametrize("name", ["ab", "UPPER-case", "under_score", "-dash-first",
                                  "a" * 64, "192.168.1.1", "dot..dot", "xn--punycode"])
def test_invalid_bucket_name(s3, name):
    code, st = err(lambda: s3.create_bucket(Bucket=name))
    if code is None or st == 200:
        pytest.fail(f"{name!r} was accepted")
    assert code == "InvalidBucketName" and st == 400, (name, code, st)


def test_bucket_already_owned_by_you(alice, alice_bucket):
    assert err(lambda: alice.s3.create_bucket(Bucket=alice_bucket)) == \
        ("BucketAlreadyOwnedByYou", 409)


def test_bucket_already_exists(alice, bob, alice_bucket):
    assert err(lambda: bob.s3.create_bucket(Bucket=alice_bucket)) == ("BucketAlreadyExists", 409)


def test_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert err(lambda: s3.delete_bucket(Bucket=bucket)) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="k")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_no_such_bucket(s3):
    b = unique("missing")
    assert err(lambda: s3.list_objects_v2(Bucket=b)) == ("NoSuchBucket", 404)
    assert err(lambda: s3.delete_bucket(Bucket=b)) == ("NoSuchBucket", 404)
    assert err(lambda: s3.put_object(Bucket=b, Key="k", Body=b"x")) == ("NoSuchBucket", 404)
    assert err(lambda: s3.get_object(Bucket=b, Key="k")) == ("NoSuchBucket", 404)


def test_list_buckets_per_tenant(alice, bob, alice_bucket):
    assert alice_bucket in [x["Name"] for x in alice.s3.list_buckets()["Buckets"]]
    assert alice_bucket not in [x["Name"] for x in bob.s3.list_buckets()["Buckets"]]


def test_get_bucket_versioning_unversioned(s3, bucket):
    r = s3.get_bucket_versioning(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Status" not in r


def test_list_object_versions_unversioned(s3, bucket):
    for k in ("a", "b/c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"v")
    r = s3.list_object_versions(Bucket=bucket)
    vs = r["Versions"]
    assert sorted(v["Key"] for v in vs) == ["a", "b/c"]
    assert all(v["VersionId"] == "null" and v["IsLatest"] for v in vs)
    # scripts empty buckets this way: delete each (key, versionId=null)
    for v in vs:
        s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
