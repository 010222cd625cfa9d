/*
 * tb_report.h — tern-bench's results as text or JSON (no I/O beyond the FILE * given).
 *
 * JSON (one object, keys stable for scripts):
 *   {"op":"mixed","mix":{"put":1,"get":8,...},"size":4096,"keys":1000,"concurrency":16,
 *    "verify":false,"elapsed_s":10.01,"client_cpu_s":1.2,"ops":12345,"errors":0,
 *    "ops_per_s":1233.3,"mib_per_s":4.8,
 *    "latency_ms":{"mean":..,"p50":..,"p90":..,"p99":..,"max":..},
 *    "errors_by_status":{"404":3},"verify_errors":0,"first_error":"get tb-00000007: HTTP 404 ..",
 *    "per_op":{"put":{"ops":..,"errors":..,"ops_per_s":..,"mib_per_s":..,"latency_ms":{..},
 *                     "errors_by_status":{..}}, ...}}
 * "errors_by_status" key "0" counts requests that got no HTTP answer (connect failure,
 * timeout, reset). per_op lists only ops with a non-zero weight. client_cpu_s is the CPU time
 * tern-bench itself used during the run (to tell a saturated client from a saturated server).
 */
#ifndef TB_REPORT_H
#define TB_REPORT_H

#include <stdio.h>

#include "tb_engine.h"

/* op_label: "put", "get", ... or "mixed". */
void tb_report_text(FILE *f, const char *op_label, const tb_config_t *cfg, const tb_stats_t *st);
void tb_report_json(FILE *f, const char *op_label, const tb_config_t *cfg, const tb_stats_t *st);

/* The sum of every op's stats into *out (histograms merged). */
void tb_report_total(const tb_stats_t *st, tb_opstats_t *out);

#endif
