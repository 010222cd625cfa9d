/*
 * s3_checksum.h — PURE S3 "additional checksums" (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)
 * plus MD5 (ETags, Content-MD5), behind one incremental API, and the multipart forms
 * (COMPOSITE and FULL_OBJECT).
 *
 * Wire form: S3 sends and returns checksums as base64 of the digest's big-endian bytes
 * (CRC32 of "123456789" is 0xcbf43926, bytes cb f4 39 26, x-amz-checksum-crc32: "y/Q5Jg==").
 * Raw sizes: CRC32/CRC32C 4, CRC64NVME 8, SHA1 20,
 * SHA256 32, MD5 16 bytes.
 *
 * Multipart (CompleteMultipartUpload):
 *   - COMPOSITE: the checksum (same algorithm) of the concatenated raw part checksums, in
 *     part order, shown as "<base64>-<number of parts>" (s3_checksum_text with parts > 0).
 *     Any algorithm.
 *   - FULL_OBJECT: CRCs only. The CRC of the whole object, computed from the parts' CRCs
 *     and lengths with s3_checksum_combine() (tn_crc*_combine underneath).
 *
 * Ownership: s3_checksum_init() allocates an OpenSSL digest context for SHA1/SHA256/MD5 (the
 * CRCs allocate nothing); s3_checksum_free() releases it and is safe on a zeroed struct and
 * after a failed init. The EVP_MD objects are fetched once per process (EVP_MD_fetch,
 * pthread_once) and never freed. Not thread-safe per object; different objects are
 * independent.
 */
#ifndef S3_CHECKSUM_H
#define S3_CHECKSUM_H

#include "tern.h"

typedef enum {
    S3_CKSUM_NONE = 0,
    S3_CKSUM_CRC32,
    S3_CKSUM_CRC32C,
    S3_CKSUM_CRC64NVME,
    S3_CKSUM_SHA1,
    S3_CKSUM_SHA256,
    S3_CKSUM_MD5, /* not an S3 "additional checksum": ETag / Content-MD5 only */
    S3_CKSUM__COUNT
} s3_cksum_alg_t;

#define S3_CKSUM_MAX_RAW 32 /* SHA256 */
/* base64 of 32 bytes (44) + "-10000" + NUL, rounded up */
#define S3_CKSUM_MAX_TEXT 56

typedef struct {
    s3_cksum_alg_t alg;
    uint64_t crc; /* running CRC (CRC algorithms) */
    uint64_t len; /* bytes hashed so far */
    void *md;     /* EVP_MD_CTX * (SHA1/SHA256/MD5), owned */
    int failed;   /* an OpenSSL call failed: final() reports it */
} s3_checksum_t;

/* Raw digest size of alg (0 for NONE / out of range). */
size_t s3_checksum_size(s3_cksum_alg_t alg);
/* "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "MD5"; "" for NONE. */
const char *s3_checksum_name(s3_cksum_alg_t alg);
/* "x-amz-checksum-crc32" ... "x-amz-checksum-sha256"; NULL for NONE and MD5. */
const char *s3_checksum_header(s3_cksum_alg_t alg);
/* XML element of CompleteMultipartUpload parts: "ChecksumCRC32" ...; NULL for NONE/MD5. */
const char *s3_checksum_xml_name(s3_cksum_alg_t alg);

/* Algorithm from its S3 name as used in x-amz-sdk-checksum-algorithm,
 * x-amz-checksum-algorithm and XML (CRC32, CRC32C, CRC64NVME, SHA1, SHA256; ASCII
 * case-insensitive, as SDKs differ). MD5 is not an S3 checksum name: S3_CKSUM_NONE. */
s3_cksum_alg_t s3_checksum_parse_name(const char *s, size_t len);
/* Algorithm from a header name "x-amz-checksum-<alg>" (case-insensitive); S3_CKSUM_NONE for
 * anything else, including x-amz-checksum-algorithm / -type / -mode. */
s3_cksum_alg_t s3_checksum_parse_header(const char *name, size_t len);

/* Starts a checksum. TN_OK, -EINVAL (alg NONE / out of range) or -ENOMEM. */
int s3_checksum_init(s3_checksum_t *c, s3_cksum_alg_t alg);
void s3_checksum_update(s3_checksum_t *c, const void *p, size_t n);
/* Writes the raw big-endian digest to raw[S3_CKSUM_MAX_RAW]; returns its size, or 0 if an
 * OpenSSL call failed. The object is then reset (ready for new data, same algorithm). */
size_t s3_checksum_final(s3_checksum_t *c, uint8_t raw[S3_CKSUM_MAX_RAW]);
/* Discards the data hashed so far (keeps the algorithm and the context). */
void s3_checksum_reset(s3_checksum_t *c);
void s3_checksum_free(s3_checksum_t *c);

/* One-shot: raw digest of buf; returns its size (0 on failure). */
size_t s3_checksum_oneshot(s3_cksum_alg_t alg, const void *buf, size_t len,
                           uint8_t raw[S3_CKSUM_MAX_RAW]);

/* Base64 text of a raw digest into out[S3_CKSUM_MAX_TEXT], "-<parts>" appended when
 * parts > 0 (composite form). Returns the text length. raw_len must be <= 32. */
size_t s3_checksum_text(const uint8_t *raw, size_t raw_len, unsigned parts,
                        char out[S3_CKSUM_MAX_TEXT]);
/* Decodes a base64 checksum value (as sent in headers, trailers and XML) for alg: strict
 * base64 of exactly s3_checksum_size(alg) bytes. TN_OK or TN_ERR_CORRUPT. */
int s3_checksum_decode(s3_cksum_alg_t alg, const char *text, size_t len,
                       uint8_t raw[S3_CKSUM_MAX_RAW]);
/* An object's checksum as a client may state it (CompleteMultipartUpload's x-amz-checksum-*
 * header): s3_checksum_decode's form, optionally followed by "-<parts>" (the composite form
 * s3_checksum_text writes; parts 1..10000, no leading zero). *parts = 0 without the suffix.
 * TN_OK or TN_ERR_CORRUPT. */
int s3_checksum_decode_object(s3_cksum_alg_t alg, const char *text, size_t len,
                              uint8_t raw[S3_CKSUM_MAX_RAW], unsigned *parts);

/* FULL_OBJECT multipart CRC: out = CRC(A||B) from raw1 = CRC(A), raw2 = CRC(B) (raw
 * big-endian forms) and len2 = length of B. CRC algorithms only: TN_OK or -EINVAL. */
int s3_checksum_combine(s3_cksum_alg_t alg, const uint8_t *raw1, const uint8_t *raw2, uint64_t len2,
                        uint8_t out[8]);

/*
 * Several digests over the same bytes, fed once: MD5 (for the ETag), one S3 checksum and
 * SHA256 (for a signed payload's x-amz-content-sha256), any subset. Data is processed in
 * 64 KiB slices, each slice through every digest while it is still in cache.
 */
typedef struct {
    s3_checksum_t md5;    /* alg NONE if not wanted */
    s3_checksum_t extra;  /* the x-amz-checksum-* algorithm, or NONE */
    s3_checksum_t sha256; /* alg NONE if not wanted */
} s3_multihash_t;

/* TN_OK or -ENOMEM (everything released on failure). extra may be S3_CKSUM_NONE. */
int s3_multihash_init(s3_multihash_t *m, int want_md5, s3_cksum_alg_t extra, int want_sha256);
void s3_multihash_update(s3_multihash_t *m, const void *p, size_t n);
void s3_multihash_free(s3_multihash_t *m);

#endif
