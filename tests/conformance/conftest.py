"""Fixtures of tern's S3 conformance suite (pytest, Debian's boto3): ONE local cluster per
session (tests/lib/ternt_cluster.py: 6 OSDs on 3 hosts + a gateway on loopback, every process
killed by PID at the end), and the clients the tests use:

    cluster   the Cluster                     s3       an admin key's boto3 client (config key)
    bucket    a fresh bucket of the admin     anon     an unsigned boto3 client
    alice,bob two tenants (ternctl user create + key create, as tests/integration/tenants),
              each a Tenant with .s3, .ak, .sk; their buckets belong to them, so the other's
              access is decided by ACLs and policies (admin keys may touch every bucket)
    raw       signed / unsigned HTTP requests built with tests/lib/ternt_sigv4.py, for what
              Debian's boto3 1.26 cannot send (new checksums, aws-chunked, skewed clocks)

The binaries come from the environment (ctest sets them): TERN_OSD, TERN_GATEWAY, TERNCTL.
"""
import hashlib
import http.client
import itertools
import json
import os
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

import botocore
import pytest
from botocore import UNSIGNED
from botocore.config import Config

import ternt_cluster as tc
import ternt_sigv4 as sv

_seq = itertools.count()


def unique(prefix="cf"):
    """A bucket name no other test uses."""
    return f"{prefix}-{os.getpid() % 10000}-{next(_seq)}"


def err(fn):
    """(Code, HTTP status) of the ClientError fn raises; (None, 200) when it succeeds."""
    try:
        fn()
        return None, 200
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"].get("Code"),
                e.response["ResponseMetadata"].get("HTTPStatusCode"))


def xml_code(body):
    """The <Code> of an S3 error body (None when the body is not one)."""
    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


def data_of(n, salt=0):
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(b"%d-%d" % (salt, i)).digest()
        i += 1
    return bytes(out[:n])


class Raw:
    """HTTP/1.1 requests to the gateway, signed with ternt_sigv4 (or not at all)."""

    def __init__(self, port, ak=tc.AK, sk=tc.SK):
        self.port, self.host = port, f"127.0.0.1:{port}"
        self.signer = sv.Signer(ak, sk)

    def send(self, method, path, headers=None, body=b"", query=()):
        """Unsigned request: (status, headers lowercased, body)."""
        qs = urllib.parse.urlencode(list(query), quote_via=urllib.parse.quote)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path + ("?" + qs if qs else ""), body=body,
                      headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def signed(self, method, path, headers=None, body=b"", query=(), payload_hash=None,
               now=None, signer=None):
        """SigV4 in the Authorization header; payload_hash defaults to the body's SHA-256.
        path: percent-encoded already."""
        h = {"host": self.host}
        h.update(headers or {})
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        hdrs, _ = (signer or self.signer).sign(method, path, h, payload_hash, query=query,
                                               now=now)
        return self.send(method, path, hdrs, body, query)

    def streaming(self, method, path, data, mode, sizes, trailers=(), headers=None, **kw):
        """An aws-chunked upload (ternt_sigv4.chunked_body) of data."""
        h = {"host": self.host, "content-encoding": "aws-chunked",
             "x-amz-decoded-content-length": str(len(data))}
        if trailers:
            h["x-amz-trailer"] = ",".join(n for n, _ in trailers)
        h.update(headers or {})
        hdrs, seed = self.signer.sign(method, path, h, mode)
        body = self.signer.chunked_body(data, sizes, mode, hdrs["x-amz-date"], seed,
                                        trailers=trailers, **kw)
        hdrs["content-length"] = str(len(body))
        return self.send(method, path, hdrs, body)


class Tenant:
    def __init__(self, cluster, user, ak, sk):
        self.user, self.ak, self.sk = user, ak, sk
        self.s3 = cluster.s3(ak, sk, signature_version="s3v4")
        self.raw = Raw(cluster.gw_ports[0], ak, sk)


def ternctl(cluster, *args):
    p = subprocess.run([os.environ["TERNCTL"], *args, "--config", cluster.config],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def _make_tenant(cluster, user):
    ternctl(cluster, "user", "create", user)
    j = json.loads(ternctl(cluster, "key", "create", "--user", user, "--json"))
    t = Tenant(cluster, user, j["access_key"], j["secret_key"])
    end = time.monotonic() + 15  # gateways learn new keys within ~2 s (gw_keys.h)
    while time.monotonic() < end:
        if err(lambda: t.s3.list_buckets())[0] is None:
            return t
        time.sleep(0.1)
    raise RuntimeError(f"the key of {user} never started working")


@pytest.fixture(scope="session")
def cluster():
    for v in ("TERN_OSD", "TERN_GATEWAY", "TERNCTL"):
        assert os.environ.get(v), f"{v} must name the binary (ctest sets it)"
    with tc.Cluster(os.environ["TERN_OSD"], os.environ["TERN_GATEWAY"],
                    name="tern-conformance") as c:
        yield c


@pytest.fixture(scope="session")
def s3(cluster):
    # s3v4 explicitly: boto3 1.26 presigns with SigV2 otherwise (the gateway speaks SigV4 only)
    return cluster.s3(signature_version="s3v4")


@pytest.fixture(scope="session")
def anon(cluster):
    import boto3
    return boto3.client("s3", endpoint_url=cluster.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 1}))


@pytest.fixture(scope="session")
def raw(cluster):
    return Raw(cluster.gw_ports[0])


@pytest.fixture(scope="session")
def alice(cluster):
    return _make_tenant(cluster, "alice")


@pytest.fixture(scope="session")
def bob(cluster):
    return _make_tenant(cluster, "bob")


@pytest.fixture
def bucket(s3):
    name = unique()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def alice_bucket(alice):
    name = unique("al")
    alice.s3.create_bucket(Bucket=name)
    return name


def eventually(fn, secs=6.0):
    """Runs fn (which asserts) until it passes, for up to secs: bucket ACLs, policies, CORS
    rules and quotas live in the bucket record, which each gateway thread caches for up to
    GW_BUCKET_CACHE_MS (3 s; gw_bucket.h), so a change shows everywhere within that bound."""
    end = time.monotonic() + secs
    while True:
        try:
            return fn()
        except (AssertionError, botocore.exceptions.ClientError):
            if time.monotonic() > end:
                raise
            time.sleep(0.1)
