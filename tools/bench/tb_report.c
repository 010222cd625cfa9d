/*
 * tb_report.c — tern-bench's text and JSON output (format in tb_report.h).
 */
#include "tb_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void tb_report_total(const tb_stats_t *st, tb_opstats_t *out)
{
    memset(out, 0, sizeof *out);
    tb_hist_init(&out->latency);
    for (int i = 0; i < TB_OP_COUNT; i++) {
        const tb_opstats_t *o = &st->op[i];
        out->ok += o->ok;
        out->bytes += o->bytes;
        out->errors += o->errors;
        out->verify_errors += o->verify_errors;
        for (int c = 0; c < TB_MAX_STATUS; c++)
            out->status[c] += o->status[c];
        tb_hist_merge(&out->latency, &o->latency);
    }
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double per_s(uint64_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0.0;
}

static void json_latency(FILE *f, const tb_hist_t *h)
{
    fprintf(f, "{\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
            tb_hist_mean(h) / 1000.0, ms(tb_hist_quantile(h, 0.50)), ms(tb_hist_quantile(h, 0.90)),
            ms(tb_hist_quantile(h, 0.99)), ms(h->max));
}

static void json_status(FILE *f, const tb_opstats_t *o)
{
    int first = 1;
    fputc('{', f);
    for (int c = 0; c < TB_MAX_STATUS; c++) {
        if (o->status[c] == 0)
            continue;
        fprintf(f, "%s\"%d\":%" PRIu64, first ? "" : ",", c, o->status[c]);
        first = 0;
    }
    fputc('}', f);
}

static void json_opstats(FILE *f, const tb_opstats_t *o, double secs)
{
    fprintf(f, "\"ops\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"ops_per_s\":%.2f,\"mib_per_s\":%.3f,",
            o->ok, o->errors, per_s(o->ok, secs), per_s(o->bytes, secs) / 1048576.0);
    fputs("\"latency_ms\":", f);
    json_latency(f, &o->latency);
    fputs(",\"errors_by_status\":", f);
    json_status(f, o);
    fprintf(f, ",\"verify_errors\":%" PRIu64, o->verify_errors);
}

void tb_report_json(FILE *f, const char *op_label, const tb_config_t *cfg, const tb_stats_t *st)
{
    tb_opstats_t *t = malloc(sizeof *t);
    if (t == NULL) {
        fputs("{\"error\":\"out of memory\"}\n", f);
        return;
    }
    tb_report_total(st, t);
    fprintf(f, "{\"op\":\"%s\",\"mix\":{", op_label);
    int first = 1;
    for (int i = 0; i < TB_OP_COUNT; i++) {
        if (!cfg->weights[i])
            continue;
        fprintf(f, "%s\"%s\":%u", first ? "" : ",", tb_op_name((tb_op_t)i), cfg->weights[i]);
        first = 0;
    }
    fprintf(f,
            "},\"size\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"concurrency\":%u,\"verify\":%s,"
            "\"elapsed_s\":%.3f,\"client_cpu_s\":%.3f,",
            cfg->size, cfg->keys, cfg->concurrency, cfg->verify ? "true" : "false", st->elapsed,
            st->cpu);
    json_opstats(f, t, st->elapsed);
    fputs(",\"first_error\":\"", f);
    for (const char *p = st->first_error; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputs("\",\"per_op\":{", f);
    first = 1;
    for (int i = 0; i < TB_OP_COUNT; i++) {
        if (!cfg->weights[i])
            continue;
        fprintf(f, "%s\"%s\":{", first ? "" : ",", tb_op_name((tb_op_t)i));
        json_opstats(f, &st->op[i], st->elapsed);
        fputc('}', f);
        first = 0;
    }
    fputs("}}\n", f);
    free(t);
}

static void text_line(FILE *f, const char *label, const tb_opstats_t *o, double secs)
{
    const tb_hist_t *h = &o->latency;
    fprintf(f,
            "%-6s %10" PRIu64 " ops %10.1f ops/s %9.2f MiB/s   latency ms p50 %.3f p90 %.3f "
            "p99 %.3f max %.3f   errors %" PRIu64 "\n",
            label, o->ok, per_s(o->ok, secs), per_s(o->bytes, secs) / 1048576.0,
            ms(tb_hist_quantile(h, 0.50)), ms(tb_hist_quantile(h, 0.90)),
            ms(tb_hist_quantile(h, 0.99)), ms(h->max), o->errors);
}

void tb_report_text(FILE *f, const char *op_label, const tb_config_t *cfg, const tb_stats_t *st)
{
    tb_opstats_t *t = malloc(sizeof *t);
    if (t == NULL) {
        fputs("tern-bench: out of memory\n", f);
        return;
    }
    tb_report_total(st, t);
    fprintf(f,
            "op %s, size %" PRIu64 " B, keys %" PRIu64 ", concurrency %u, %.2f s%s, "
            "tern-bench CPU %.2f s (%.0f %% of one core)\n",
            op_label, cfg->size, cfg->keys, cfg->concurrency, st->elapsed,
            cfg->verify ? ", bodies verified" : "", st->cpu,
            st->elapsed > 0 ? 100.0 * st->cpu / st->elapsed : 0.0);
    int n_ops = 0;
    for (int i = 0; i < TB_OP_COUNT; i++)
        n_ops += cfg->weights[i] != 0;
    if (n_ops > 1)
        for (int i = 0; i < TB_OP_COUNT; i++)
            if (cfg->weights[i])
                text_line(f, tb_op_name((tb_op_t)i), &st->op[i], st->elapsed);
    text_line(f, n_ops > 1 ? "total" : op_label, t, st->elapsed);
    if (t->errors) {
        fputs("errors by HTTP status:", f);
        for (int c = 0; c < TB_MAX_STATUS; c++)
            if (t->status[c])
                fprintf(f, " %s%d: %" PRIu64, c ? "" : "no-answer/", c, t->status[c]);
        if (t->verify_errors)
            fprintf(f, " (verify failures: %" PRIu64 ")", t->verify_errors);
        fputc('\n', f);
        if (st->first_error[0])
            fprintf(f, "first error: %s\n", st->first_error);
    }
    free(t);
}
