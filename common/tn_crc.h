/*
 * tn_crc.h — the checksums S3 and tern need: CRC-32C (blob files, index rows, wire frames),
 * CRC-32 (S3 x-amz-checksum-crc32, = zlib's crc32) and CRC-64/NVME (S3 x-amz-checksum-crc64nvme),
 * plus the GF(2) combine functions that S3 full-object multipart checksums need. Pure: no I/O.
 *
 * Conventions (the same for all three):
 *   - Chainable: start with 0, pass the previous result to continue with the next piece.
 *     tn_crcX(tn_crcX(0, a, la), b, lb) == tn_crcX(0, a||b, la + lb).
 *   - The value is the standard, finished CRC (pre- and post-inversion included); no caller
 *     ever inverts anything. Check values over the 9 ASCII bytes "123456789":
 *       tn_crc32c    0xe3069283   (CRC-32C/iSCSI, reflected poly 0x82F63B78)
 *       tn_crc32     0xcbf43926   (CRC-32/ISO-HDLC = zlib, reflected poly 0xEDB88320)
 *       tn_crc64nvme 0xae8b14860a799888 (CRC-64/NVME, reflected poly 0x9A6C9329AC4BC9B5)
 *   - Any length (size_t); buf may be NULL when len is 0.
 *   - Thread-safe (tables are built once, before main(), by a constructor).
 *
 * S3 wire form (for the gateway integrator): x-amz-checksum-crc32 / -crc32c / -crc64nvme carry
 * the base64 encoding of the CRC's BIG-ENDIAN bytes (4 bytes for the 32-bit CRCs, 8 for
 * CRC64NVME). E.g. CRC32C 0xe3069283 → bytes e3 06 92 83 → "4waSgw==". tn_hex.h does base64.
 *
 * Combine: tn_crcX_combine(crc(A), crc(B), len(B)) == crc(A||B), in at most 64 GF(2)
 * multiplications (one per set bit of len(B)) and without the data, so a FULL_OBJECT checksum
 * of a multipart upload is computed from the parts' CRCs and lengths alone. (S3's COMPOSITE
 * type is different: the CRC of the concatenated big-endian part CRCs, then "-<parts>"; plain
 * tn_crcX over those bytes gives it.)
 */
#ifndef TN_CRC_H
#define TN_CRC_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli) via ISA-L's crc32_iscsi (hardware CRC32 instruction). */
uint32_t tn_crc32c(uint32_t crc, const void *buf, size_t len);
/* CRC-32 as zlib and S3 compute it, via ISA-L's crc32_gzip_refl. */
uint32_t tn_crc32(uint32_t crc, const void *buf, size_t len);
/* CRC-64/NVME (S3's CRC64NVME): PCLMULQDQ folding where the CPU has it, else slice-by-8. */
uint64_t tn_crc64nvme(uint64_t crc, const void *buf, size_t len);

/* CRC of A||B from crc1 = CRC(A), crc2 = CRC(B) and len2 = length of B in bytes. */
uint32_t tn_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint32_t tn_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint64_t tn_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

/*
 * Internal but exported, for tests and benchmarks: the two CRC-64/NVME implementations.
 * tn__crc64nvme_clmul() may only be called when tn__crc64nvme_has_clmul() returns 1.
 */
uint64_t tn__crc64nvme_table(uint64_t crc, const void *buf, size_t len);
uint64_t tn__crc64nvme_clmul(uint64_t crc, const void *buf, size_t len);
int tn__crc64nvme_has_clmul(void);

#endif
