/*
 * conf.h — tern's one configuration file: a YAML description of the whole cluster, loaded and
 * validated into plain C structs. Every daemon and tool reads the same file and picks its part:
 * `tern-osd --config FILE --id N` uses conf_find_osd(c, N); `tern-gateway --config FILE` uses
 * c->gateway; `ternctl` uses everything.
 *
 * SCHEMA (every key, its type, default and range; unknown keys are errors)
 *
 *   cluster:                     required mapping
 *     name: dev                  required; 1..63 chars of [a-z0-9-], starting with a letter
 *                                or a digit
 *     id: 7f3c...                required; exactly 32 hex digits (a 128-bit id; `ternctl
 *                                cluster init` generates one). Stored lowercase, and as 16 bytes.
 *     key: <64 hex>              optional cluster secret (32 bytes), used later to encrypt secrets
 *                                at rest. Absent: has_key = 0.
 *   hosts:                       required, non-empty sequence
 *     - name: host-a             required, unique; 1..63 chars of [A-Za-z0-9.-_]
 *       address: 10.0.0.1        optional; the host's IP or DNS name (no port). Used for OSDs of
 *                                this host that give `port` instead of `addr`.
 *   osds:                        required, non-empty sequence
 *     - id: 0                    required, unique, 0..65535
 *       host: host-a             required; must name a host above. Every host must hold at least
 *                                one OSD (a host without OSDs cannot hold data: it is an error).
 *       addr: 127.0.0.1:7001     host:port, where host is an IPv4 address, a [bracketed] IPv6
 *                                address or a DNS name; port 1..65535. Unique across OSDs
 *                                (compared as written, host part case-insensitively).
 *       port: 7001               alternative to addr: the host's `address` plus this port.
 *                                Exactly one of addr / port is required.
 *       data: ./data/dev/osd.0   required; the OSD's data directory (relative paths are relative
 *                                to the daemon's working directory, not to this file)
 *       admin_listen: 127.0.0.1:9101  optional host:port of the OSD's admin HTTP port
 *                                (GET /metrics, /health/live); absent: none. Must differ
 *                                from addr. No authentication: keep it on loopback or a
 *                                management network.
 *       weight: 1.0              default 1.0; 0 < weight <= 1000, a plain decimal number (no
 *                                exponent) with at most 4 fractional digits. Also stored as 16.16
 *                                fixed point (weight_fixed = round(weight * 65536)).
 *   pools:                       optional sequence. The pools `data`, `index` and `meta` always
 *                                exist, in that order, as conf->pools[0..2]; listing one here
 *                                overrides its defaults. Other names are appended in file order.
 *     - name: data               required, unique; 1..63 chars of [a-z0-9-]
 *       pg_num: 128              defaults data 128, index 32, meta 8; 1..65536
 *       size: 3                  replicas, default 3; 1..10. Must not exceed the number of
 *                                failure domains (hosts with failure_domain host, else OSDs).
 *       write_quorum: 2          default size/2+1; 1..size
 *       read_quorum: 2           default size/2+1; 1..size; read_quorum + write_quorum > size
 *       failure_domain: host     host | osd; default host
 *   gateway:                     optional mapping (all keys have defaults)
 *     listen: ["127.0.0.1:9000"] list of host:port (same syntax as osds[].addr), or one string;
 *                                default ["127.0.0.1:9000"] (loopback: set 0.0.0.0:9000 to serve
 *                                other machines). At most 16 entries, unique.
 *     threads: 2                 event-loop threads; default 2; 1..256
 *     region: us-east-1          default us-east-1; 1..63 chars of [a-z0-9-]
 *     domains: [s3.local]        suffixes for virtual-host-style requests (bucket.s3.local);
 *                                default none; DNS names, stored lowercase; at most 16
 *     tls: {cert: FILE, key: FILE}   optional; both or neither. Absent: plain HTTP.
 *     tmp_dir: /var/tmp          where large request bodies spill to disk; default /var/tmp
 *     max_object_size: 5G        default 5G; 1..5T. Sizes everywhere take a plain number of bytes
 *                                or a number with a K, M, G or T suffix (powers of 1024; "KiB",
 *                                "KB" and "k" are accepted too).
 *     osd_timeout_ms: 2000       per-request timeout towards an OSD; default 2000; 1..600000
 *     hedge_ms: 50               a read not answered after this long is also sent to the next
 *                                replica; default 50; 0 (no hedging)..60000
 *     admin_listen: 127.0.0.1:9100  optional host:port of the admin HTTP port (GET /metrics,
 *                                /health/live, /health/ready); absent: none. Not one of
 *                                listen. No authentication: loopback or a management network.
 *     access_log: stderr         off | stderr | a file path (starting with / or ./, opened
 *                                for appending); default stderr. One key=value line per
 *                                request (docs/OPERATIONS.md).
 *     credentials:               bootstrap access keys (until users live in metadata); default none
 *       - access_key: AKIA...    required, unique; 16..128 chars of [A-Z0-9]
 *         secret_key: ...        required; 16..128 printable ASCII characters, no spaces
 *   osd:                         optional mapping: settings shared by every OSD
 *     inline_max: 16K            objects up to this size live inline in the index row;
 *                                default 16K; 0 (never inline)..1M
 *     group_commit_max: 256      most writes per index commit; default 256; 1..65536
 *     recovery_interval: 60      seconds between two anti-entropy passes (the light scrub: each
 *                                OSD compares the digests of every PG it holds with the other
 *                                replicas and repairs differences); jittered by up to 10 %;
 *                                default 60; 1..86400. A pass also starts at start-up and
 *                                when a peer is seen coming back.
 *     recovery_max_bytes_per_sec: 64M  bound on the bytes one OSD's repair moves per second
 *                                (rows and blobs pulled and pushed); a size, default 64M;
 *                                64K..1T
 *     recovery_max_active: 2     placement groups one OSD repairs at once; default 2; 1..64
 *     deep_scrub_interval: 604800  seconds between deep scrubs (re-read every local blob and
 *                                verify its checksums; a bad or missing copy is pulled from a
 *                                good replica); default 7 days; 0 (never)..31622400
 *     scrub_max_bytes_per_sec: 32M  bound on the bytes a deep scrub reads per second; a size,
 *                                default 32M; 64K..1T
 *     gc_interval: 600           seconds between two garbage-collection runs of an OSD; default
 *                                600; 0 (only when asked: ternctl osd gc)..86400
 *     gc_grace: 3600             seconds a data version must have been unreferenced (and its
 *                                intent expired) before its blobs are deleted; default 3600;
 *                                0..2592000 (below an hour only for tests: it covers clock skew
 *                                and requests in flight)
 *     gc_intent_ttl: 3600        seconds a gateway's PUT / UploadPart / copy may take from its
 *                                intent row to its head row (after that the write fails with 503
 *                                and its blobs become garbage); default 3600; 1..604800
 *     gc_upload_expiry: 604800   seconds after which a multipart upload still ACTIVE (neither
 *                                completed nor aborted) is aborted by the collector, as S3
 *                                lifecycle's AbortIncompleteMultipartUpload; default 7 days;
 *                                0 (never)..31622400
 *     gc_gone_age: 86400         seconds a GONE row (the collector's record of a deleted blob)
 *                                is kept at least; it is purged later only once every holder
 *                                of its PG has it and none holds the blob; default 1 day;
 *                                0..31622400 (below an hour only for tests)
 *   logging:                     optional mapping
 *     level: info                debug | info | warn | error; default info
 *
 * Scalar typing (libyaml does not type scalars; this loader does):
 *   - numbers (ids, ports, counts, weights, milliseconds) must be plain, unquoted decimal digits:
 *     `pg_num: "128"` is rejected (a quoted scalar is a string in YAML). No sign, no 0x, no
 *     exponent. Negative, fractional (except weight) and overflowing values are errors.
 *   - sizes may be quoted or plain ("5G" and 5G are both accepted).
 *   - strings may be written in any style. An empty plain value, `~` or `null` counts as absent
 *     for a required key (error) and as "use the default" for an optional one.
 *   - anchors are ignored; aliases (*name), complex keys and more than one document are errors.
 *
 * Errors: every problem found is reported, not just the first, as one line each, sorted by
 * position:
 *   FILE:LINE:COLUMN: PATH: what is wrong; what to do
 * e.g. `cluster.yaml:12:11: osds[1].addr: "127.0.0.1:70001" has port 70001 out of range
 * 1..65535; use a port between 1 and 65535`. Line and column are 1-based and point at the
 * offending value, at the mapping that lacks a required key, at the `hosts:` key for default
 * pools that need more hosts, or at 1:1 for an empty file. A YAML syntax error stops the load
 * at that error (libyaml cannot go on); everything else is collected in one pass. Up to
 * CONF_ERROR_MAX_LINES lines are kept in conf_error_t.text; conf_error_t.count counts all.
 * Secrets (secret_key, cluster.key) are never echoed in messages.
 *
 * Limits against hostile or mistaken input: CONF_FILE_MAX bytes per file, 1,000,000 YAML nodes,
 * nesting depth 32, strings of at most 4096 bytes.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "tn_log.h"

#define CONF_ERROR_MAX_LINES 50
#define CONF_ERROR_TEXT_MAX  16384
#define CONF_FILE_MAX        (4u << 20) /* conf_load_file refuses larger files */

#define CONF_MAX_OSD_ID    65535
#define CONF_MAX_PG_NUM    65536
#define CONF_MAX_SIZE      10
#define CONF_MAX_LISTEN    16
#define CONF_MAX_DOMAINS   16
#define CONF_WEIGHT_FIXED1 65536u /* weight_fixed of weight 1.0 */

/* Indices of the three pools that always exist. */
#define CONF_POOL_DATA  0
#define CONF_POOL_INDEX 1
#define CONF_POOL_META  2

/* Every error found by a load, one "file:line:column: message" line each (text ends in '\n'
 * after each line and is NUL-terminated). count may exceed the lines kept in text; the last
 * line then says how many were left out. Caller-owned; the loader clears it first. */
typedef struct {
    unsigned count;                 /* errors found (0 after a successful load) */
    unsigned lines;                 /* lines kept in text */
    char text[CONF_ERROR_TEXT_MAX]; /* the messages */
} conf_error_t;

/* A parsed host:port. host never has brackets; is_ipv6 is 1 when it is an IPv6 literal. */
typedef struct {
    const char *host; /* IPv4 literal, IPv6 literal or DNS name, never empty */
    uint16_t port;    /* 1..65535 */
    int is_ipv6;      /* 1 for an IPv6 literal (write it back as [host]:port) */
} conf_addr_t;

typedef struct {
    const char *name; /* 1..63 chars of [a-z0-9-] */
    char id_hex[33];  /* 32 lowercase hex digits */
    uint8_t id[16];   /* the same, as bytes */
    int has_key;      /* 1 if `key` was given */
    uint8_t key[32];  /* the cluster secret key (zeros if has_key == 0) */
} conf_cluster_t;

typedef struct {
    const char *name;    /* unique */
    const char *address; /* NULL if not given */
    size_t n_osds;       /* OSDs placed on this host (>= 1 in a loaded conf) */
    unsigned line;       /* where the entry starts in the file (for messages) */
} conf_host_t;

typedef struct {
    int id;                /* 0..65535, unique */
    const char *host;      /* == hosts[host_index].name */
    size_t host_index;     /* index into conf_t.hosts */
    conf_addr_t addr;      /* where the OSD listens, unique */
    const char *data;      /* data directory */
    double weight;         /* 0 < weight <= 1000 */
    uint32_t weight_fixed; /* round(weight * 65536): what placement uses */
    unsigned line;         /* where the entry starts in the file */
    int has_admin;         /* admin_listen given */
    conf_addr_t admin;     /* the admin HTTP port (/metrics, /health/live) */
} conf_osd_t;

typedef enum { CONF_FD_HOST = 0, CONF_FD_OSD = 1 } conf_failure_domain_t;

typedef struct {
    const char *name; /* unique; "data", "index", "meta" at indices 0, 1, 2 */
    uint32_t pg_num;  /* 1..65536 */
    int size;         /* replicas, 1..10, <= number of failure domains */
    int write_quorum; /* 1..size */
    int read_quorum;  /* 1..size, read_quorum + write_quorum > size */
    conf_failure_domain_t failure_domain;
} conf_pool_t;

typedef struct {
    const char *access_key; /* 16..128 of [A-Z0-9], unique */
    const char *secret_key; /* 16..128 printable ASCII, no spaces */
} conf_credential_t;

typedef struct {
    conf_addr_t *listen; /* n_listen >= 1 entries */
    size_t n_listen;
    int threads;          /* 1..256 */
    const char *region;   /* default "us-east-1" */
    const char **domains; /* virtual-host suffixes, lowercase; may be empty */
    size_t n_domains;
    const char *tls_cert; /* both NULL (no TLS) or both set */
    const char *tls_key;
    const char *tmp_dir;      /* default "/var/tmp" */
    uint64_t max_object_size; /* bytes, default 5 GiB */
    uint32_t osd_timeout_ms;  /* default 2000 */
    uint32_t hedge_ms;        /* default 50; 0 = no hedged reads */
    conf_credential_t *credentials;
    size_t n_credentials;
    int has_admin;          /* admin_listen given */
    conf_addr_t admin;      /* the admin HTTP port (/metrics, /health/live, /health/ready) */
    const char *access_log; /* NULL (off), "stderr" or a file path */
} conf_gateway_t;

/* Settings shared by every OSD (the `osd:` section). */
typedef struct {
    uint64_t inline_max;                 /* bytes, default 16 KiB */
    uint32_t group_commit_max;           /* default 256 */
    uint32_t recovery_interval;          /* seconds between anti-entropy passes, default 60 */
    uint64_t recovery_max_bytes_per_sec; /* repair traffic bound, default 64 MiB */
    uint32_t recovery_max_active;        /* PGs repaired at once, default 2 */
    uint32_t deep_scrub_interval;        /* seconds between deep scrubs, 0 = never; 7 days */
    uint64_t scrub_max_bytes_per_sec;    /* deep-scrub read bound, default 32 MiB */
    uint32_t gc_interval;                /* seconds between garbage-collection runs; 600 */
    uint32_t gc_grace;                   /* seconds garbage waits before deletion; 3600 */
    uint32_t gc_intent_ttl;              /* seconds a write may take to reference its blobs; 3600 */
    uint32_t gc_upload_expiry;           /* seconds before an ACTIVE upload is aborted; 7 days */
    uint32_t gc_gone_age;                /* seconds a GONE row is kept at least; 1 day */
} conf_osd_common_t;

struct conf_arena;

/* A loaded configuration. Immutable after loading; every pointer in it is owned by the conf_t
 * and lives until conf_free(). */
typedef struct {
    const char *source; /* the name used in error messages (path or name_for_errors) */
    conf_cluster_t cluster;
    conf_host_t *hosts; /* file order */
    size_t n_hosts;
    conf_osd_t *osds; /* file order */
    size_t n_osds;
    conf_pool_t *pools; /* data, index, meta, then extra pools in file order */
    size_t n_pools;
    conf_gateway_t gateway;
    conf_osd_common_t osd;
    tn_log_level_t log_level;
    struct conf_arena *arena; /* private: owns all the memory above */
} conf_t;

/*
 * Loads and validates a configuration from a buffer (need not be NUL-terminated). Pure: no I/O.
 * name_for_errors prefixes every message (e.g. the file name). On success returns TN_OK, sets
 * *out (free with conf_free) and err->count == 0. On failure *out is NULL and returns
 * TN_ERR_CONFIG (err holds every error found) or -ENOMEM. err may be NULL.
 */
int conf_load_buffer(const char *name_for_errors, const char *buf, size_t len, conf_t **out,
                     conf_error_t *err);

/* Reads path (at most CONF_FILE_MAX bytes) and calls conf_load_buffer with path as the name.
 * Read failures return -errno with a message in err. */
int conf_load_file(const char *path, conf_t **out, conf_error_t *err);

/* Frees everything a load returned. NULL is fine. */
void conf_free(conf_t *c);

/* Lookups; NULL if absent. Linear scans: call once, keep the pointer. */
const conf_osd_t *conf_find_osd(const conf_t *c, int id);
const conf_host_t *conf_find_host(const conf_t *c, const char *name);
const conf_pool_t *conf_find_pool(const conf_t *c, const char *name);

#endif
