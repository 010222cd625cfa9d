/*
 * tern_bench.c — tern-bench, an S3 load generator: options, credentials, the optional
 * prefill, the measured run and its report. The engine is tb_engine.c (own epoll transport
 * for http://, libcurl multi for https://),
 * requests are signed by s3c_sign.c over the gateway's SigV4 code, bodies come from
 * tb_pattern.c. Usage: tern-bench --help. Exit status: 0 if every request succeeded, 1 if
 * some failed (the report says which), 2 for bad usage or a setup failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_engine.h"
#include "s3c_mp.h"
#include "tb_opts.h"
#include "tb_pattern.h"
#include "tb_report.h"
#include "s3c_sign.h"

static const char usage[] =
    "usage: tern-bench [options]\n"
    "  --endpoint URL       http(s)://host:port (default $TERN_ENDPOINT, $AWS_ENDPOINT_URL,\n"
    "                       else http://127.0.0.1:9000)\n"
    "  --access-key K --secret-key S   (default $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY, else\n"
    "                       the [tern] profile of ${TERN_DEV_DATA:-data/dev}/credentials)\n"
    "  --region R           (default us-east-1, or the credentials file's)\n"
    "  --bucket B           created if missing (default tern-bench)\n"
    "  --prefix P           key prefix (default tb-); keys are P%08u\n"
    "  --op OP              put|get|head|delete|list|mixed (default put)\n"
    "  --mix put=1,get=8    weights for --op mixed, which it implies (default\n"
    "                       put=1,get=8,head=1)\n"
    "  --size N[K|M|G]      object size (default 4K)\n"
    "  --keys N             key space (default 1000)\n"
    "  --multipart-size N   PUT objects larger than N as multipart uploads of N-byte parts\n"
    "                       (default off: the server must support multipart uploads)\n"
    "  --concurrency C      requests in flight (default 16)\n"
    "  --duration S         seconds (default 10 unless --count is given)\n"
    "  --count N            requests; with --duration, whichever comes first\n"
    "  --verify             check GET bodies against the key's pattern\n"
    "  --no-prefill         do not PUT every key before get/head/mixed runs\n"
    "  --timeout S          per request (default 60)\n"
    "  --seed N             key and op choices (default 1)\n"
    "  --insecure           https without certificate checks\n"
    "  --json               one JSON object on stdout instead of text\n";

static void on_signal(int sig)
{
    (void)sig;
    tb_engine_stop();
}

/* Reads KEY = VALUE lines of an AWS-style credentials file (first profile that has them). */
static void read_credentials(const char *path, char *ak, char *sk, char *region, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        char name[64], value[400];
        if (sscanf(line, " %63[a-z_] = %399s", name, value) != 2)
            continue;
        char *dst = strcmp(name, "aws_access_key_id") == 0       ? ak
                    : strcmp(name, "aws_secret_access_key") == 0 ? sk
                    : strcmp(name, "region") == 0                ? region
                                                                 : NULL;
        if (dst != NULL && dst[0] == '\0' && strlen(value) < cap)
            strcpy(dst, value);
    }
    fclose(f);
}

static int valid_chars(const char *s, const char *extra)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c) != NULL))
            return 0;
    }
    return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_secs(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v > 0) || v > 1e7)
        return -1;
    *out = v;
    return 0;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        fprintf(stderr, "tern-bench: " __VA_ARGS__);                                               \
        fputc('\n', stderr);                                                                       \
        return 2;                                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    enum {
        O_ENDPOINT = 256,
        O_AK,
        O_SK,
        O_REGION,
        O_BUCKET,
        O_PREFIX,
        O_OP,
        O_MIX,
        O_SIZE,
        O_KEYS,
        O_CONC,
        O_DURATION,
        O_COUNT,
        O_VERIFY,
        O_NOPREFILL,
        O_TIMEOUT,
        O_SEED,
        O_INSECURE,
        O_JSON,
        O_HELP,
        O_MPSIZE,
    };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"access-key", required_argument, NULL, O_AK},
        {"secret-key", required_argument, NULL, O_SK},
        {"region", required_argument, NULL, O_REGION},
        {"bucket", required_argument, NULL, O_BUCKET},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"op", required_argument, NULL, O_OP},
        {"mix", required_argument, NULL, O_MIX},
        {"size", required_argument, NULL, O_SIZE},
        {"keys", required_argument, NULL, O_KEYS},
        {"concurrency", required_argument, NULL, O_CONC},
        {"duration", required_argument, NULL, O_DURATION},
        {"count", required_argument, NULL, O_COUNT},
        {"verify", no_argument, NULL, O_VERIFY},
        {"no-prefill", no_argument, NULL, O_NOPREFILL},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"seed", required_argument, NULL, O_SEED},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},
        {"multipart-size", required_argument, NULL, O_MPSIZE},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL, *bucket = "tern-bench", *prefix = "tb-", *op = "put";
    const char *mix = "put=1,get=8,head=1";
    int mix_given = 0, op_given = 0;
    char ak[256] = "", sk[256] = "", region[64] = "";
    int json = 0, prefill = 1;
    uint64_t v;
    tb_config_t cfg = {.size = 4096, .keys = 1000, .concurrency = 16, .timeout = 60, .seed = 1};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_ENDPOINT: endpoint = optarg; break;
        case O_AK: snprintf(ak, sizeof ak, "%s", optarg); break;
        case O_SK: snprintf(sk, sizeof sk, "%s", optarg); break;
        case O_REGION: snprintf(region, sizeof region, "%s", optarg); break;
        case O_BUCKET: bucket = optarg; break;
        case O_PREFIX: prefix = optarg; break;
        case O_OP: op = optarg, op_given = 1; break;
        case O_MIX: mix = optarg, mix_given = 1; break;
        case O_SIZE:
            if (tb_parse_size(optarg, &cfg.size) != 0)
                BAD("bad --size %s (examples: 4096, 4K, 1M, 32MiB)", optarg);
            break;
        case O_KEYS:
            if (parse_u64(optarg, &cfg.keys) != 0 || cfg.keys == 0 || cfg.keys > 100000000)
                BAD("bad --keys %s (1..100000000)", optarg);
            break;
        case O_CONC:
            if (parse_u64(optarg, &v) != 0 || v == 0 || v > 4096)
                BAD("bad --concurrency %s (1..4096)", optarg);
            cfg.concurrency = (unsigned)v;
            break;
        case O_DURATION:
            if (parse_secs(optarg, &cfg.duration) != 0)
                BAD("bad --duration %s (seconds > 0)", optarg);
            break;
        case O_COUNT:
            if (parse_u64(optarg, &cfg.count) != 0 || cfg.count == 0)
                BAD("bad --count %s", optarg);
            break;
        case O_MPSIZE:
            if (tb_parse_size(optarg, &cfg.multipart_size) != 0 || cfg.multipart_size == 0)
                BAD("bad --multipart-size %s (examples: 5M, 8MiB)", optarg);
            break;
        case O_VERIFY: cfg.verify = 1; break;
        case O_NOPREFILL: prefill = 0; break;
        case O_TIMEOUT:
            if (parse_secs(optarg, &cfg.timeout) != 0)
                BAD("bad --timeout %s", optarg);
            break;
        case O_SEED:
            if (parse_u64(optarg, &cfg.seed) != 0)
                BAD("bad --seed %s", optarg);
            break;
        case O_INSECURE: cfg.insecure = 1; break;
        case O_JSON: json = 1; break;
        case O_HELP: fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc)
        BAD("unexpected argument %s", argv[optind]);
    if (cfg.multipart_size && cfg.size > cfg.multipart_size &&
        s3c_mp_parts(cfg.size, cfg.multipart_size) == 0)
        BAD("--size / --multipart-size needs more than %d parts", S3C_MP_MAX_PARTS);
    if (cfg.duration == 0 && cfg.count == 0)
        cfg.duration = 10;

    /* what to run: --mix alone means --op mixed */
    if (mix_given && !op_given)
        op = "mixed";
    if (mix_given && strcmp(op, "mixed") != 0)
        BAD("--mix needs --op mixed");
    const char *label = op;
    if (strcmp(op, "mixed") == 0) {
        if (tb_parse_mix(mix, cfg.weights) != 0)
            BAD("bad --mix %s (example: put=1,get=8,head=1)", mix);
    } else {
        int o = tb_op_parse(op);
        if (o < 0)
            BAD("bad --op %s (put|get|head|delete|list|mixed)", op);
        cfg.weights[o] = 1;
    }

    /* where and who */
    if (endpoint == NULL)
        endpoint = getenv("TERN_ENDPOINT");
    if (endpoint == NULL)
        endpoint = getenv("AWS_ENDPOINT_URL");
    if (endpoint == NULL)
        endpoint = "http://127.0.0.1:9000";
    char base[512], host[256];
    const char *rest = strncmp(endpoint, "http://", 7) == 0    ? endpoint + 7
                       : strncmp(endpoint, "https://", 8) == 0 ? endpoint + 8
                                                               : NULL;
    if (rest == NULL || *rest == '\0' || strlen(endpoint) >= sizeof base)
        BAD("bad --endpoint %s (http://host:port or https://host:port)", endpoint);
    size_t hl = strcspn(rest, "/");
    if (hl == 0 || hl >= sizeof host || strspn(rest + hl, "/") != strlen(rest + hl))
        BAD("bad --endpoint %s (no path allowed)", endpoint);
    memcpy(host, rest, hl);
    host[hl] = '\0';
    snprintf(base, sizeof base, "%.*s", (int)(rest - endpoint + hl), endpoint);
    if (ak[0] == '\0' && getenv("AWS_ACCESS_KEY_ID") != NULL)
        snprintf(ak, sizeof ak, "%s", getenv("AWS_ACCESS_KEY_ID"));
    if (sk[0] == '\0' && getenv("AWS_SECRET_ACCESS_KEY") != NULL)
        snprintf(sk, sizeof sk, "%s", getenv("AWS_SECRET_ACCESS_KEY"));
    if (ak[0] == '\0' || sk[0] == '\0') {
        char path[600];
        const char *dir = getenv("TERN_DEV_DATA");
        snprintf(path, sizeof path, "%s/credentials", dir ? dir : "data/dev");
        char fak[256] = "", fsk[256] = "", freg[64] = "";
        read_credentials(path, fak, fsk, freg, sizeof freg);
        if (ak[0] == '\0')
            snprintf(ak, sizeof ak, "%s", fak);
        if (sk[0] == '\0')
            snprintf(sk, sizeof sk, "%s", fsk);
        if (region[0] == '\0')
            snprintf(region, sizeof region, "%s", freg);
    }
    if (ak[0] == '\0' || sk[0] == '\0')
        BAD("no credentials: give --access-key/--secret-key, set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run ./tools/dev up (data/dev/credentials)");
    if (region[0] == '\0')
        snprintf(region, sizeof region, "%s",
                 getenv("AWS_DEFAULT_REGION") ? getenv("AWS_DEFAULT_REGION") : "us-east-1");
    size_t bl = strlen(bucket);
    if (bl < 3 || bl > 63 || !valid_chars(bucket, "-."))
        BAD("bad --bucket %s (3-63 of a-z 0-9 - .)", bucket);
    if (strlen(prefix) > 200 || !valid_chars(prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~/"))
        BAD("bad --prefix %s (up to 200 of A-Z a-z 0-9 - _ . ~ /)", prefix);

    s3c_signer_t signer;
    if (s3c_signer_init(&signer, ak, sk, region) != 0)
        BAD("access key, secret key or region too long");
    tb_pattern_t pattern;
    if (tb_pattern_init(&pattern) != 0)
        BAD("out of memory");
    cfg.base_url = base;
    cfg.host = host;
    cfg.bucket = bucket;
    cfg.prefix = prefix;
    cfg.signer = &signer;
    cfg.pattern = &pattern;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = 2;
    tb_stats_t *st = malloc(sizeof *st);
    if (st == NULL || tb_engine_global_init() != 0) {
        fprintf(stderr, "tern-bench: cannot initialise libcurl\n");
        free(st);
        tb_pattern_free(&pattern);
        return 2;
    }
    if (tb_engine_create_bucket(&cfg) != 0)
        goto out;
    if (prefill && (cfg.weights[TB_GET] || cfg.weights[TB_HEAD])) {
        tb_config_t pre = cfg;
        memset(pre.weights, 0, sizeof pre.weights);
        pre.weights[TB_PUT] = 1;
        pre.sequential = 1;
        pre.duration = 0;
        pre.count = cfg.keys;
        if (tb_engine_run(&pre, st) != 0)
            goto out;
        if (st->op[TB_PUT].errors) {
            fprintf(stderr, "tern-bench: prefill failed:\n");
            tb_report_text(stderr, "put", &pre, st);
            rc = 1;
            goto out;
        }
        if (!json)
            fprintf(stderr, "prefill: %" PRIu64 " objects of %" PRIu64 " B in %.2f s\n",
                    st->op[TB_PUT].ok, cfg.size, st->elapsed);
    }
    if (tb_engine_run(&cfg, st) != 0)
        goto out;
    if (json)
        tb_report_json(stdout, label, &cfg, st);
    else
        tb_report_text(stdout, label, &cfg, st);
    rc = 0;
    for (int i = 0; i < TB_OP_COUNT; i++)
        if (st->op[i].errors)
            rc = 1;
out:
    free(st);
    tb_engine_global_cleanup();
    tb_pattern_free(&pattern);
    return rc;
}
