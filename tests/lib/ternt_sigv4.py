"""ternt_sigv4 — a small, independent AWS SigV4 signer for tests (hmac/hashlib only): header
authentication, aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] with chunk
and trailer signatures, STREAMING-UNSIGNED-PAYLOAD-TRAILER) and the S3 checksums (CRC32,
CRC32C, CRC64NVME, SHA1, SHA256, MD5) as base64, so tests can build requests no SDK would send
(tampered signatures, small chunks, wrong trailers) and check the gateway against a second
implementation of the protocol rather than against itself.

    s = Signer(ak, sk, region="us-east-1")
    hdrs, seed = s.sign("PUT", "/bkt/key", {"host": "127.0.0.1:9000", ...}, payload_hash)
    body = s.chunked_body(data, [65536, 65536, ...], mode, hdrs["x-amz-date"], seed,
                          trailers=[("x-amz-checksum-crc32", b64)])
"""
import base64
import datetime
import hashlib
import hmac
import urllib.parse
import zlib

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


# ---- checksums (S3 wire form: base64 of the big-endian digest) ----

def _crc_table(poly, bits):
    mask = (1 << bits) - 1
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        tab.append(c & mask)
    return tab


_CRC32C_TAB = _crc_table(0x82F63B78, 32)
_CRC64NVME_TAB = _crc_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli); chain by passing the previous result."""
    c = crc ^ 0xFFFFFFFF
    tab = _CRC32C_TAB
    for b in data:
        c = tab[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc64nvme(data, crc=0):
    """CRC-64/NVME (S3's CRC64NVME); chain by passing the previous result."""
    m = 0xFFFFFFFFFFFFFFFF
    c = crc ^ m
    tab = _CRC64NVME_TAB
    for b in data:
        c = tab[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ m


def raw_checksum(alg, data):
    """Raw big-endian digest bytes for alg (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5)."""
    alg = alg.upper()
    if alg == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if alg == "CRC32C":
        return crc32c(data).to_bytes(4, "big")
    if alg == "CRC64NVME":
        return crc64nvme(data).to_bytes(8, "big")
    if alg in ("SHA1", "SHA256", "MD5"):
        return hashlib.new(alg.lower(), data).digest()
    raise ValueError(alg)


def checksum(alg, data):
    """base64 text of the digest, as x-amz-checksum-* and Content-MD5 carry it."""
    return base64.b64encode(raw_checksum(alg, data)).decode()


# ---- SigV4 ----

def _hmac(key, msg):
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def _uri_encode(s):
    return urllib.parse.quote(s, safe="-_.~")


class Signer:
    def __init__(self, ak, sk, region="us-east-1", service="s3"):
        self.ak, self.sk, self.region, self.service = ak, sk, region, service

    def key(self, date8):
        k = _hmac(("AWS4" + self.sk).encode(), date8)
        k = _hmac(k, self.region)
        k = _hmac(k, self.service)
        return _hmac(k, "aws4_request")

    def scope(self, date8):
        return f"{date8}/{self.region}/{self.service}/aws4_request"

    def sign(self, method, path, headers, payload_hash, query=(), now=None):
        """Returns (headers with x-amz-date, x-amz-content-sha256 and Authorization added,
        every given header signed; the signature as bytes, the seed of chunk signatures).
        path: the request path as it will be sent (already percent-encoded)."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        h = {k.lower(): str(v) for k, v in headers.items()}
        h["x-amz-date"] = amz_date
        h["x-amz-content-sha256"] = payload_hash
        names = sorted(h)
        canon_headers = "".join(f"{n}:{' '.join(h[n].split())}\n" for n in names)
        signed = ";".join(names)
        q = sorted((_uri_encode(k), _uri_encode(v)) for k, v in query)
        canon_query = "&".join(f"{k}={v}" for k, v in q)
        creq = "\n".join([method, path, canon_query, canon_headers, signed, payload_hash])
        date8 = amz_date[:8]
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, self.scope(date8),
                         hashlib.sha256(creq.encode()).hexdigest()])
        sig = _hmac(self.key(date8), sts)
        h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.ak}/{self.scope(date8)}, "
                              f"SignedHeaders={signed}, Signature={sig.hex()}")
        return h, sig

    def chunk_signature(self, amz_date, prev, data):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, self.scope(amz_date[:8]),
                         prev.hex(), EMPTY_SHA256, hashlib.sha256(data).hexdigest()])
        return _hmac(self.key(amz_date[:8]), sts)

    def trailer_signature(self, amz_date, prev, trailers):
        canon = "".join(f"{n.lower()}:{v.strip()}\n" for n, v in sorted(trailers))
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, self.scope(amz_date[:8]),
                         prev.hex(), hashlib.sha256(canon.encode()).hexdigest()])
        return _hmac(self.key(amz_date[:8]), sts)

    def chunked_body(self, data, sizes, mode, amz_date=None, seed=None, trailers=(),
                     bad_chunk=None, bad_trailer_sig=False):
        """aws-chunked encoding of data cut into chunks of the given sizes (the rest, if any,
        as one more chunk), then the final chunk and the trailers. bad_chunk: index of a
        chunk whose signature is corrupted; bad_trailer_sig corrupts the trailer signature."""
        signed = mode in (SIGNED, SIGNED_TRAILER)
        chunks, off = [], 0
        for n in sizes:
            chunks.append(data[off:off + n])
            off += n
        if off < len(data):
            chunks.append(data[off:])
        chunks = [c for c in chunks if c] + [b""]
        out, prev = [], seed
        for i, c in enumerate(chunks):
            if signed:
                sig = self.chunk_signature(amz_date, prev, c)
                prev = sig
                if i == bad_chunk:
                    sig = bytes([sig[0] ^ 1]) + sig[1:]
                out.append(b"%x;chunk-signature=%s\r\n" % (len(c), sig.hex().encode()))
            else:
                out.append(b"%x\r\n" % len(c))
            if c:
                out.append(c + b"\r\n")
        if mode == SIGNED:
            out.append(b"\r\n")
        else:
            for n, v in trailers:
                out.append(f"{n}:{v}\r\n".encode())
            if mode == SIGNED_TRAILER:
                ts = self.trailer_signature(amz_date, prev, trailers)
                if bad_trailer_sig:
                    ts = bytes([ts[0] ^ 1]) + ts[1:]
                out.append(b"x-amz-trailer-signature:%s\r\n" % ts.hex().encode())
            out.append(b"\r\n")
        return b"".join(out)
