/*
 * osd_metrics.c — this file implements the OSD's Prometheus metrics (the admin port's /metrics,
 * tn_admin.h): rendered on the loop thread from the server's counters (loop-owned), the stores'
 * atomic statistics and the repair/scrub statistics (osd_rec_stats: any thread), so a scrape
 * touches no disk and takes no lock the data path waits on. Names: docs/OPERATIONS.md.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include "osd_srv_internal.h"
#include "tn_admin.h"

static const char *op_name(unsigned op)
{
    switch (op) {
    case TN_OP_PING: return "ping";
    case TN_OP_STATS: return "stats";
    case TN_OP_MAP_GET: return "map_get";
    case TN_OP_MAP_OFFER: return "map_offer";
    case TN_OP_BLOB_PUT_BEGIN: return "blob_put_begin";
    case TN_OP_BLOB_PUT_DATA: return "blob_put_data";
    case TN_OP_BLOB_PUT_END: return "blob_put_end";
    case TN_OP_BLOB_GET: return "blob_get";
    case TN_OP_BLOB_STAT: return "blob_stat";
    case TN_OP_BLOB_DELETE: return "blob_delete";
    case TN_OP_ROW_PUT: return "row_put";
    case TN_OP_ROW_GET: return "row_get";
    case TN_OP_ROW_LIST: return "row_list";
    case TN_OP_ROW_DELETE: return "row_delete";
    case TN_OP_PG_DIGEST: return "pg_digest";
    case TN_OP_PG_ENUM: return "pg_enum";
    case TN_OP_PG_PUSH: return "pg_push";
    default: return NULL; /* ops added later are shown by number */
    }
}

/* One family with one unlabelled sample. */
static void one(tn_mbuf_t *b, const char *name, tn_mtype_t t, const char *help, uint64_t v)
{
    tn_metrics_family(b, name, t, help);
    tn_metrics_u64(b, name, NULL, 0, v);
}

void osd_metrics_render(void *data, tn_mbuf_t *b)
{
    osd_srv_t *srv = data;
    const osd_srv_counters_t *c = &srv->c;
    osd_bs_stats_t bs;
    osd_idx_stats_t ix;
    osd_bs_stats(srv->bs, &bs);
    osd_idx_stats(srv->idx, &ix);
    char id[16];
    snprintf(id, sizeof id, "%u", (unsigned)srv->opts.osd_id);

    tn_metrics_family(b, "tern_osd_info", TN_MT_GAUGE, "Always 1; the labels identify the OSD.");
    char inc[24];
    snprintf(inc, sizeof inc, "%016llx", (unsigned long long)srv->opts.incarnation);
    const tn_label_t info[] = {{"osd", id}, {"incarnation", inc}};
    tn_metrics_u64(b, "tern_osd_info", info, 2, 1);

    tn_metrics_family(b, "tern_osd_requests_total", TN_MT_COUNTER,
                      "Protocol requests received, by operation.");
    for (unsigned op = 0; op < OSD_NOPS; op++) {
        const char *n = op_name(op);
        char hex[8];
        if (n == NULL && c->by_op[op] == 0)
            continue;
        if (n == NULL) {
            snprintf(hex, sizeof hex, "0x%02x", op);
            n = hex;
        }
        const tn_label_t l[] = {{"op", n}};
        tn_metrics_u64(b, "tern_osd_requests_total", l, 1, c->by_op[op]);
    }
    one(b, "tern_osd_request_errors_total", TN_MT_COUNTER,
        "Requests answered with an error status.", c->errors);
    one(b, "tern_osd_requests_in_flight", TN_MT_GAUGE, "Requests not yet answered.", srv->inflight);
    one(b, "tern_osd_received_bytes_total", TN_MT_COUNTER, "Protocol bytes received.", c->bytes_in);
    one(b, "tern_osd_sent_bytes_total", TN_MT_COUNTER, "Protocol bytes sent.", c->bytes_out);
    one(b, "tern_osd_connections_open", TN_MT_GAUGE, "Open protocol connections.", c->conns_open);
    one(b, "tern_osd_connections_total", TN_MT_COUNTER, "Protocol connections accepted.",
        c->conns_total);
    one(b, "tern_osd_row_gets_on_loop_total", TN_MT_COUNTER,
        "ROW_GETs answered on the event loop from memory (osd_nowait.h).", c->row_get_loop);
    one(b, "tern_osd_row_gets_loop_retried_total", TN_MT_COUNTER,
        "ROW_GETs that would have waited on the loop, read again by a worker.",
        c->row_get_loop_retried);
    one(b, "tern_osd_stale_epoch_total", TN_MT_COUNTER,
        "Requests refused because the sender's map epoch was older.", c->stale_epoch);
    one(b, "tern_osd_map_epoch", TN_MT_GAUGE, "Epoch of the cluster map this OSD holds.",
        osd_ms_epoch(srv->ms));

    one(b, "tern_osd_blobs_written_total", TN_MT_COUNTER, "Blobs stored (put completed).", bs.puts);
    one(b, "tern_osd_blob_reads_total", TN_MT_COUNTER, "Blob reads.", bs.gets);
    one(b, "tern_osd_blob_write_errors_total", TN_MT_COUNTER, "Blob writes that failed.",
        bs.put_errors);
    one(b, "tern_osd_rows_written_total", TN_MT_COUNTER,
        "Index rows stored (put, merge, create, conditional put that changed a row).", ix.applied);
    one(b, "tern_osd_rows_purged_total", TN_MT_COUNTER, "Index rows purged.", ix.purged);
    tn_metrics_family(b, "tern_osd_checksum_errors_total", TN_MT_COUNTER,
                      "Reads that failed their checksum, by store.");
    const tn_label_t sb[] = {{"store", "blob"}}, si[] = {{"store", "index"}};
    tn_metrics_u64(b, "tern_osd_checksum_errors_total", sb, 1, bs.checksum_errors);
    tn_metrics_u64(b, "tern_osd_checksum_errors_total", si, 1, ix.checksum_errors);
    one(b, "tern_osd_index_healthy", TN_MT_GAUGE,
        "1 while the index may vote (no corruption or write failure seen).",
        (uint64_t)(ix.healthy && !ix.write_failed && !bs.fsync_failed));
    one(b, "tern_osd_index_commits_total", TN_MT_COUNTER, "Index transactions committed.",
        ix.batches);
    tn_metrics_family(b, "tern_osd_index_batch_size", TN_MT_HISTOGRAM,
                      "Requests per index transaction (group commit).");
    tn_hist_snap_t hs;
    osd_idx_batch_hist(srv->idx, &hs);
    tn_metrics_hist(b, "tern_osd_index_batch_size", NULL, 0, &hs);

    if (srv->rec == NULL)
        return;
    osd_rec_stats_t r;
    osd_rec_stats(srv->rec, &r);
    tn_metrics_family(b, "tern_osd_disk_bytes", TN_MT_GAUGE,
                      "The data directory's file system: total, used and free (available to "
                      "the OSD) bytes, refreshed every second.");
    const tn_label_t dt[] = {{"kind", "total"}}, du[] = {{"kind", "used"}},
                     df[] = {{"kind", "free"}};
    tn_metrics_u64(b, "tern_osd_disk_bytes", dt, 1, r.disk_total);
    tn_metrics_u64(b, "tern_osd_disk_bytes", du, 1,
                   r.disk_total > r.disk_avail ? r.disk_total - r.disk_avail : 0);
    tn_metrics_u64(b, "tern_osd_disk_bytes", df, 1, r.disk_avail);
    tn_metrics_family(b, "tern_osd_pgs", TN_MT_GAUGE,
                      "Placement groups this OSD holds, by state, as of the last finished "
                      "anti-entropy pass.");
    const tn_label_t pc[] = {{"state", "clean"}}, pd[] = {{"state", "degraded"}},
                     pi[] = {{"state", "inconsistent"}};
    tn_metrics_u64(b, "tern_osd_pgs", pc, 1, r.pgs_clean);
    tn_metrics_u64(b, "tern_osd_pgs", pd, 1, r.pgs_degraded);
    tn_metrics_u64(b, "tern_osd_pgs", pi, 1, r.pgs_inconsistent);
    one(b, "tern_osd_rows", TN_MT_GAUGE,
        "Index rows (tombstones included) in the placement groups this OSD holds, as of the "
        "last finished anti-entropy pass.",
        r.rows);
    one(b, "tern_osd_blobs", TN_MT_GAUGE,
        "Blobs in the placement groups this OSD holds, as of the last finished anti-entropy "
        "pass.",
        r.blobs);
    one(b, "tern_osd_repair_passes_total", TN_MT_COUNTER, "Anti-entropy passes finished.",
        r.passes);
    one(b, "tern_osd_repair_running", TN_MT_GAUGE, "1 while an anti-entropy pass runs.", r.running);
    one(b, "tern_osd_repair_pgs_checked_total", TN_MT_COUNTER,
        "Placement groups compared with their replicas.", r.pgs_checked);
    tn_metrics_family(b, "tern_osd_repair_items_total", TN_MT_COUNTER,
                      "Rows and blobs moved by repair.");
    const tn_label_t rp[] = {{"kind", "rows_pulled"}}, rq[] = {{"kind", "rows_pushed"}},
                     bp[] = {{"kind", "blobs_pulled"}};
    tn_metrics_u64(b, "tern_osd_repair_items_total", rp, 1, r.rows_pulled);
    tn_metrics_u64(b, "tern_osd_repair_items_total", rq, 1, r.rows_pushed);
    tn_metrics_u64(b, "tern_osd_repair_items_total", bp, 1, r.blobs_pulled);
    one(b, "tern_osd_repair_bytes_total", TN_MT_COUNTER, "Bytes moved by repair.", r.bytes);
    one(b, "tern_osd_repair_errors_total", TN_MT_COUNTER, "Repair steps that failed.", r.errors);
    one(b, "tern_osd_peers_up", TN_MT_GAUGE, "Peers that answered the last probe.", r.peers_up);
    one(b, "tern_osd_scrub_passes_total", TN_MT_COUNTER, "Deep scrubs finished.", r.deep_passes);
    tn_metrics_family(b, "tern_osd_scrub_checked_total", TN_MT_COUNTER,
                      "Items verified by deep scrub.");
    const tn_label_t cb[] = {{"kind", "blobs"}}, cr[] = {{"kind", "rows"}};
    tn_metrics_u64(b, "tern_osd_scrub_checked_total", cb, 1, r.scrub_blobs);
    tn_metrics_u64(b, "tern_osd_scrub_checked_total", cr, 1, r.scrub_rows);
    one(b, "tern_osd_scrub_bytes_total", TN_MT_COUNTER, "Bytes read by deep scrub.", r.scrub_bytes);
    one(b, "tern_osd_scrub_errors_found_total", TN_MT_COUNTER,
        "Bad or missing copies found by deep scrub.", r.scrub_errors);
    one(b, "tern_osd_scrub_errors_repaired_total", TN_MT_COUNTER,
        "Bad or missing copies repaired by deep scrub.", r.scrub_repaired);
}
