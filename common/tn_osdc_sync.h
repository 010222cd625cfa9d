/*
 * tn_osdc_sync.h — blocking OSD calls for tools (ternctl) and tests: a tn_osdc_t on a private
 * h2o event loop that each call runs until its request has completed. The request and connect
 * timeouts of the options bound every call, so a call always returns.
 *
 * Return values are those of the callbacks in tn_osdc.h (0, TN_ERR_*, -errno), including the
 * up-front refusals (-ENOENT, -ECONNREFUSED in back-off...). After any call,
 * tn_osdc_sync_last() tells the last reply header's status, epoch and HLC (e.g. the OSD's
 * epoch after TN_ERR_STALE_EPOCH).
 *
 * Ownership: every uint8_t ** out-parameter receives a malloc'd buffer that the caller frees
 * (set only on success; NULL with length 0 for an empty result). Other outputs are plain
 * structs copied out. Inputs (rows, maps, blob data) are only read during the call.
 *
 * tn_osdc_sync_create sets SIGPIPE to SIG_IGN if it is at its default (h2o writes with writev).
 *
 * Not thread-safe: one tn_osdc_sync_t per thread. It must not be used from inside callbacks of
 * its own client.
 */
#ifndef TN_OSDC_SYNC_H
#define TN_OSDC_SYNC_H

#include "tn_osdc.h"

typedef struct st_tn_osdc_sync_t tn_osdc_sync_t;

/* A client on a new event loop (opts NULL = defaults). NULL on failure. */
tn_osdc_sync_t *tn_osdc_sync_create(const tn_osdc_opts_t *opts);
void tn_osdc_sync_destroy(tn_osdc_sync_t *s);
/* The underlying client: tn_osdc_set_osd, tn_osdc_set_epoch, tn_osdc_stats work on it. */
tn_osdc_t *tn_osdc_sync_client(tn_osdc_sync_t *s);
/* Status, epoch and HLC of the last reply header received by a call (0s if none). */
void tn_osdc_sync_last(const tn_osdc_sync_t *s, uint16_t *status, uint64_t *epoch, uint64_t *hlc);

/* Generic: the payloads of every reply frame, concatenated, in *out. */
int tn_osdc_sync_call(tn_osdc_sync_t *s, int32_t osd, uint16_t op, const void *payload, size_t len,
                      uint8_t **out, size_t *outlen);

int tn_osdc_sync_ping(tn_osdc_sync_t *s, int32_t osd, tn_ping_rep_t *out);
/* The raw STATS reply body: decode with tn_proto_dec_stats_rep / tn_proto_next_stat. */
int tn_osdc_sync_stats(tn_osdc_sync_t *s, int32_t osd, uint8_t **body, size_t *len);
int tn_osdc_sync_map_get(tn_osdc_sync_t *s, int32_t osd, uint64_t epoch, uint8_t **map,
                         size_t *len);
/* out is also filled when a CAS offer answers TN_ERR_STALE_EPOCH with a body. */
int tn_osdc_sync_map_offer(tn_osdc_sync_t *s, int32_t osd, const tn_map_offer_req_t *m,
                           tn_map_offer_rep_t *out);

int tn_osdc_sync_blob_put(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref, const void *data,
                          uint64_t len);
/* The range's bytes in *data; *blob_len (may be NULL) the blob's whole length. */
int tn_osdc_sync_blob_get(tn_osdc_sync_t *s, int32_t osd, const tn_blob_get_req_t *m,
                          uint8_t **data, size_t *len, uint64_t *blob_len);
int tn_osdc_sync_blob_stat(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref,
                           tn_blob_stat_rep_t *out);
int tn_osdc_sync_blob_delete(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref);

/* out: the result (0) or, with TN_ERR_STALE_TS or (mode CREATE) -EEXIST, the stored version
 * (out->has_stored). */
int tn_osdc_sync_row_put(tn_osdc_sync_t *s, int32_t osd, uint8_t mode, const void *row,
                         size_t rowlen, tn_row_put_rep_t *out);
/* ROW_PUT mode IF_VERSION (tn_osdc_row_put_if): out as above; with TN_ERR_PRECONDITION,
 * out->has_stored says whether a row is stored (out->stored). */
int tn_osdc_sync_row_put_if(tn_osdc_sync_t *s, int32_t osd, const void *row, size_t rowlen,
                            const tn_proto_ver_t *expect, tn_row_put_rep_t *out);
int tn_osdc_sync_row_get(tn_osdc_sync_t *s, int32_t osd, const tn_row_get_req_t *m, uint8_t **row,
                         size_t *len);
/* All reply frames merged into one ROW_LIST reply body (u8 more of the last frame, u32 total
 * n, the entries): decode with tn_proto_dec_row_list_rep and the row iterators. */
int tn_osdc_sync_row_list(tn_osdc_sync_t *s, int32_t osd, const tn_row_list_req_t *m,
                          uint8_t **body, size_t *len);
int tn_osdc_sync_row_delete(tn_osdc_sync_t *s, int32_t osd, const tn_row_delete_req_t *m,
                            uint8_t *result);

/* cutoff: tn_pg_req_t's (0 = every row; comparisons across holders use
 * tn_proto_digest_cutoff, one value for all holders). */
int tn_osdc_sync_pg_digest(tn_osdc_sync_t *s, int32_t osd, uint32_t pool, uint32_t pg,
                           uint64_t cutoff, tn_pg_digest_rep_t *out);
/* The raw PG_ENUM reply body: decode with tn_proto_dec_pg_enum_rep. */
int tn_osdc_sync_pg_enum(tn_osdc_sync_t *s, int32_t osd, const tn_pg_enum_req_t *m, uint8_t **body,
                         size_t *len);
int tn_osdc_sync_pg_push(tn_osdc_sync_t *s, int32_t osd, const tn_slice_t *rows, uint32_t n,
                         uint32_t *applied, uint32_t *ignored);

#endif
