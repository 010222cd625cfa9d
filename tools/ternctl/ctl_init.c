/*
 * ctl_init.c — `ternctl cluster init`: writes a new cluster's configuration file from flags.
 *
 *   ternctl cluster init --name NAME --host NAME=ADDR [--host ...]
 *                        (--disks-per-host N | --osd HOST:PATH [--osd ...])
 *                        [--replicas 3] [--gateway-listen 0.0.0.0:9000] [--osd-port 7001]
 *                        [--data-root /var/lib/tern] [--pg-num N] --out FILE [--force]
 *
 * What it makes (docs/DEPLOY.md walks through it):
 *   - a random cluster id (16 bytes) and cluster key (32 bytes), from getrandom(2);
 *   - hosts with their addresses; OSDs numbered from 0 host by host, each host's OSDs on ports
 *     osd-port, osd-port+1, ... of the host's address; data directories DATA_ROOT/osd.ID
 *     (--disks-per-host) or the given paths (--osd, e.g. disk mount points);
 *   - the pools data/index/meta with `replicas` copies on distinct hosts, write and read quorum
 *     replicas/2+1, and a data pg_num of about 100 placement groups per OSD (a power of two,
 *     at least 128), since pg_num cannot change later without moving data;
 *   - the gateway section (listen, tmp_dir under the data root) with one bootstrap access key
 *     ("TERN" + 16 of [A-Z0-9]) and secret (40 of [A-Za-z0-9], about 238 bits).
 * The text is validated with the same loader every daemon uses (conf_load_buffer, then
 * conf_build_map) before anything is written; the file is written to a temporary name, fsync'd,
 * then linked into place (refusing an existing file unless --force, which renames over it),
 * with mode 0600 because it holds secrets. The key and the secret are printed once, with the
 * per-host commands (directories, systemd units, health check) to run next.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "conf_map.h"
#include "ctl.h"
#include "tn_hex.h"

#define INIT_MAX_HOSTS 256
#define INIT_MAX_OSDS  4096
#define INIT_AK_RANDOM 16 /* access key: "TERN" + 16 random characters */
#define INIT_SK_LEN    40

typedef struct {
    const char *name;
    const char *addr;
    unsigned n_osds;
} init_host_t;

typedef struct {
    size_t host; /* index into hosts */
    const char *path;
} init_osd_t;

typedef struct {
    const char *name, *out, *listen, *data_root;
    init_host_t hosts[INIT_MAX_HOSTS];
    size_t n_hosts;
    init_osd_t osds[INIT_MAX_OSDS]; /* from --osd, in the order given */
    size_t n_osds;
    unsigned long disks_per_host, replicas, osd_port, pg_num;
    int force;
    int argc; /* the command line, recorded in the file's first lines */
    char **argv;
} init_opts_t;

typedef struct {
    char id[33];
    char key[65];
    char access_key[4 + INIT_AK_RANDOM + 1];
    char secret_key[INIT_SK_LEN + 1];
} init_secrets_t;

static void usage_init(FILE *f)
{
    fputs("usage: ternctl cluster init --name NAME --host NAME=ADDR [--host NAME=ADDR ...]\n"
          "                            (--disks-per-host N | --osd HOST:PATH [--osd ...])\n"
          "                            [--replicas 3] [--gateway-listen 0.0.0.0:9000]\n"
          "                            [--osd-port 7001] [--data-root /var/lib/tern]\n"
          "                            [--pg-num N] --out FILE [--force]\n"
          "\n"
          "Writes a validated configuration for a new cluster: a random cluster id and key, the\n"
          "hosts and their OSDs, pools with REPLICAS copies on distinct hosts, and one gateway\n"
          "access key. Prints the key and the secret once, then the commands to run on each\n"
          "host.\n"
          "\n"
          "  --name NAME            cluster name: 1..63 of [a-z0-9-]\n"
          "  --host NAME=ADDR       a server and the address the others reach it at (IP or DNS\n"
          "                         name, no port); repeat once per server, in order\n"
          "  --disks-per-host N     N OSDs per host, data in DATA_ROOT/osd.ID\n"
          "  --osd HOST:PATH        one OSD on HOST with its data directory at PATH (a disk's\n"
          "                         mount point); repeat; instead of --disks-per-host\n"
          "  --replicas N           copies of every object, on N distinct hosts (default 3)\n"
          "  --gateway-listen ADDR  where every gateway listens (default 0.0.0.0:9000)\n"
          "  --osd-port PORT        first OSD port on each host; the next OSDs of the host use\n"
          "                         the following ports (default 7001)\n"
          "  --data-root DIR        OSD data (with --disks-per-host) and gateway tmp_dir\n"
          "                         (default /var/lib/tern)\n"
          "  --pg-num N             placement groups of the data pool (default: about 100 per\n"
          "                         OSD, a power of two, at least 128)\n"
          "  --out FILE             where to write the configuration (mode 0600)\n"
          "  --force                replace FILE if it exists\n",
          f);
}

/* Parses a decimal in [lo, hi]; 0 or -1 (message printed). */
static int parse_ulong(const char *flag, const char *s, unsigned long lo, unsigned long hi,
                       unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        ctl_err("cluster init: %s '%s' must be a number from %lu to %lu", flag, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static ssize_t find_host(const init_opts_t *o, const char *name, size_t len)
{
    for (size_t i = 0; i < o->n_hosts; i++)
        if (strlen(o->hosts[i].name) == len && memcmp(o->hosts[i].name, name, len) == 0)
            return (ssize_t)i;
    return -1;
}

/* Flags -> o. Returns CTL_EXIT_OK, or CTL_EXIT_USAGE with a message printed. --osd values are
 * resolved against the hosts after all flags are read (so their order does not matter). */
static int parse_flags(int argc, char **argv, init_opts_t *o)
{
    const char *osd_args[INIT_MAX_OSDS];
    size_t n_osd_args = 0;
    o->argc = argc;
    o->argv = argv;
    o->replicas = 3;
    o->osd_port = 7001;
    o->listen = "0.0.0.0:9000";
    o->data_root = "/var/lib/tern";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = strcmp(a, "--force") != 0;
        if (takes_value && v == NULL) {
            ctl_err("cluster init: %s needs a value; see 'ternctl cluster init --help'", a);
            return CTL_EXIT_USAGE;
        }
        int rc = 0;
        if (strcmp(a, "--force") == 0) {
            o->force = 1;
            continue;
        } else if (strcmp(a, "--name") == 0) {
            o->name = v;
        } else if (strcmp(a, "--out") == 0) {
            o->out = v;
        } else if (strcmp(a, "--gateway-listen") == 0) {
            o->listen = v;
        } else if (strcmp(a, "--data-root") == 0) {
            o->data_root = v;
        } else if (strcmp(a, "--host") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || eq[1] == '\0') {
                ctl_err("cluster init: --host '%s' must be NAME=ADDR (e.g. srv1=10.0.0.11)", v);
                return CTL_EXIT_USAGE;
            }
            if (find_host(o, v, (size_t)(eq - v)) >= 0) {
                ctl_err("cluster init: host '%.*s' given twice", (int)(eq - v), v);
                return CTL_EXIT_USAGE;
            }
            if (o->n_hosts == INIT_MAX_HOSTS) {
                ctl_err("cluster init: at most %d hosts", INIT_MAX_HOSTS);
                return CTL_EXIT_USAGE;
            }
            char *name = strndup(v, (size_t)(eq - v));
            if (name == NULL) {
                ctl_err("out of memory");
                return CTL_EXIT_FAIL;
            }
            o->hosts[o->n_hosts++] = (init_host_t){name, eq + 1, 0};
        } else if (strcmp(a, "--osd") == 0) {
            if (n_osd_args == INIT_MAX_OSDS) {
                ctl_err("cluster init: at most %d OSDs", INIT_MAX_OSDS);
                return CTL_EXIT_USAGE;
            }
            osd_args[n_osd_args++] = v;
        } else if (strcmp(a, "--disks-per-host") == 0) {
            rc = parse_ulong(a, v, 1, 64, &o->disks_per_host);
        } else if (strcmp(a, "--replicas") == 0) {
            rc = parse_ulong(a, v, 1, CONF_MAX_SIZE, &o->replicas);
        } else if (strcmp(a, "--osd-port") == 0) {
            rc = parse_ulong(a, v, 1, 65535, &o->osd_port);
        } else if (strcmp(a, "--pg-num") == 0) {
            rc = parse_ulong(a, v, 1, CONF_MAX_PG_NUM, &o->pg_num);
        } else {
            ctl_err("cluster init: unexpected argument '%s'; see 'ternctl cluster init --help'", a);
            return CTL_EXIT_USAGE;
        }
        if (rc != 0)
            return CTL_EXIT_USAGE;
        i++;
    }
    if (o->name == NULL || o->out == NULL || o->n_hosts == 0) {
        ctl_err("cluster init: --name, --host (at least one) and --out are required; see "
                "'ternctl cluster init --help'");
        return CTL_EXIT_USAGE;
    }
    if ((o->disks_per_host == 0) == (n_osd_args == 0)) {
        ctl_err("cluster init: give either --disks-per-host N or --osd HOST:PATH (not both)");
        return CTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < n_osd_args; i++) {
        const char *colon = strchr(osd_args[i], ':');
        ssize_t h = colon != NULL ? find_host(o, osd_args[i], (size_t)(colon - osd_args[i])) : -1;
        if (colon == NULL || colon[1] == '\0') {
            ctl_err("cluster init: --osd '%s' must be HOST:PATH (e.g. srv1:/srv/disk1)",
                    osd_args[i]);
            return CTL_EXIT_USAGE;
        }
        if (h < 0) {
            ctl_err("cluster init: --osd '%s' names a host not given with --host", osd_args[i]);
            return CTL_EXIT_USAGE;
        }
        o->osds[o->n_osds++] = (init_osd_t){(size_t)h, colon + 1};
    }
    if (o->disks_per_host != 0) {
        if (o->n_hosts * o->disks_per_host > INIT_MAX_OSDS) {
            ctl_err("cluster init: at most %d OSDs", INIT_MAX_OSDS);
            return CTL_EXIT_USAGE;
        }
        for (size_t h = 0; h < o->n_hosts; h++)
            for (unsigned long d = 0; d < o->disks_per_host; d++)
                o->osds[o->n_osds++] = (init_osd_t){h, NULL};
    }
    for (size_t i = 0; i < o->n_osds; i++)
        o->hosts[o->osds[i].host].n_osds++;
    for (size_t h = 0; h < o->n_hosts; h++) {
        if (o->hosts[h].n_osds == 0) {
            ctl_err("cluster init: host '%s' has no OSD; give it one with --osd %s:PATH",
                    o->hosts[h].name, o->hosts[h].name);
            return CTL_EXIT_USAGE;
        }
        if (o->osd_port + o->hosts[h].n_osds - 1 > 65535) {
            ctl_err("cluster init: --osd-port %lu leaves no port for every OSD of host '%s'",
                    o->osd_port, o->hosts[h].name);
            return CTL_EXIT_USAGE;
        }
    }
    if (o->replicas > o->n_hosts) {
        ctl_err("cluster init: --replicas %lu needs at least %lu hosts (replicas go to distinct "
                "hosts); %zu given",
                o->replicas, o->replicas, o->n_hosts);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

static int fill_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* len characters drawn uniformly from alphabet (rejection sampling: no modulo bias), + NUL. */
static int random_string(char *out, size_t len, const char *alphabet)
{
    size_t n = strlen(alphabet);
    unsigned limit = 256u - 256u % (unsigned)n;
    size_t got = 0;
    while (got < len) {
        uint8_t buf[64];
        int rc = fill_random(buf, sizeof buf);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < sizeof buf && got < len; i++)
            if (buf[i] < limit)
                out[got++] = alphabet[buf[i] % n];
    }
    out[len] = '\0';
    return 0;
}

static int make_secrets(init_secrets_t *s)
{
    uint8_t id[16], key[32];
    int rc = fill_random(id, sizeof id);
    if (rc == 0)
        rc = fill_random(key, sizeof key);
    if (rc == 0) {
        memcpy(s->access_key, "TERN", 4);
        rc = random_string(s->access_key + 4, INIT_AK_RANDOM,
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    }
    if (rc == 0)
        rc = random_string(s->secret_key, INIT_SK_LEN,
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    if (rc != 0)
        return rc;
    tn_hex_encode(s->id, id, sizeof id);
    tn_hex_encode(s->key, key, sizeof key);
    explicit_bzero(key, sizeof key);
    return 0;
}

/* A YAML double-quoted scalar: every string the user gave is written this way, so no value
 * can turn into YAML syntax. Control characters are escaped. */
static void yaml_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static unsigned long default_pg_num(size_t n_osds, unsigned long replicas)
{
    unsigned long want = (unsigned long)n_osds * 100u / replicas, pg = 128;
    while (pg < want && pg < CONF_MAX_PG_NUM)
        pg <<= 1;
    return pg;
}

/* The OSD data directory of osd i (DATA_ROOT/osd.ID or the --osd path) into buf. */
static const char *osd_dir(const init_opts_t *o, size_t i, char *buf, size_t cap)
{
    if (o->osds[i].path != NULL)
        return o->osds[i].path;
    snprintf(buf, cap, "%s/osd.%zu", o->data_root, i);
    return buf;
}

/* The configuration text; NULL on out of memory. */
static char *render(const init_opts_t *o, const init_secrets_t *s, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (f == NULL)
        return NULL;
    unsigned long pg = o->pg_num != 0 ? o->pg_num : default_pg_num(o->n_osds, o->replicas);
    unsigned long idx_pg = pg / 8 < 16 ? 16 : pg / 8;
    unsigned long quorum = o->replicas / 2 + 1;
    char dir[PATH_MAX + 32];
    const char *base = strrchr(o->out, '/');
    fprintf(f, "# %s — written by `ternctl cluster init`:\n#   ternctl",
            base != NULL ? base + 1 : o->out);
    for (int i = 0; i < o->argc; i++) { /* the command line, so the file says how it was made */
        fputc(' ', f);
        for (const unsigned char *p = (const unsigned char *)o->argv[i]; *p != '\0'; p++)
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f); /* a newline would end the comment */
    }
    fputs(
        "\n# The same file goes to /etc/tern/cluster.yaml on every server (owner tern, mode\n"
        "# 600: it holds the cluster key and the gateway secret). The schema, with every default\n"
        "# and range, is at the top of conf/conf.h; `ternctl config check --config FILE`\n"
        "# validates it.\n\n",
        f);
    fputs("# The cluster's identity: daemons refuse peers with another id. The key (32 bytes) is\n"
          "# the cluster secret that will encrypt secrets at rest.\n"
          "cluster:\n  name: ",
          f);
    yaml_str(f, o->name);
    fprintf(f, "\n  id: %s\n  key: %s\n\n", s->id, s->key);
    fputs("# The servers, and the address the other servers reach each one at.\n"
          "hosts:\n",
          f);
    for (size_t h = 0; h < o->n_hosts; h++) {
        fputs("  - name: ", f);
        yaml_str(f, o->hosts[h].name);
        fputs("\n    address: ", f);
        yaml_str(f, o->hosts[h].addr);
        fputc('\n', f);
    }
    fputs("\n# One OSD per data disk. An OSD's id is permanent (placement is computed from ids).\n"
          "# weight: relative capacity (1.0 per TB is a good convention).\n"
          "osds:\n",
          f);
    unsigned port_used[INIT_MAX_HOSTS] = {0};
    for (size_t i = 0; i < o->n_osds; i++) {
        size_t h = o->osds[i].host;
        fprintf(f, "  - id: %zu\n    host: ", i);
        yaml_str(f, o->hosts[h].name);
        fprintf(f, "\n    port: %lu\n    data: ", o->osd_port + port_used[h]++);
        yaml_str(f, osd_dir(o, i, dir, sizeof dir));
        fputs("\n    weight: 1.0\n", f);
    }
    fprintf(
        f,
        "\n# data: object bytes; index: bucket listings; meta: buckets, users, keys. Each keeps\n"
        "# %lu copies on distinct hosts; a write is acknowledged by %lu, a read asks %lu.\n"
        "# pg_num cannot change later without moving data: it is sized for growth.\n"
        "pools:\n",
        o->replicas, quorum, quorum);
    const char *pools[] = {"data", "index", "meta"};
    unsigned long pgs[] = {pg, idx_pg, 16};
    for (size_t i = 0; i < 3; i++)
        fprintf(f,
                "  - name: %s\n    pg_num: %lu\n    size: %lu\n    write_quorum: %lu\n"
                "    read_quorum: %lu\n    failure_domain: host\n",
                pools[i], pgs[i], o->replicas, quorum, quorum);
    fputs("\n# The S3 gateway (one per server; a load balancer or round-robin DNS in front).\n"
          "# For HTTPS add  tls: {cert: /etc/tern/tls/fullchain.pem, key: "
          "/etc/tern/tls/privkey.pem}\n"
          "gateway:\n  listen: [",
          f);
    yaml_str(f, o->listen);
    snprintf(dir, sizeof dir, "%s/tmp", o->data_root);
    fputs("]\n  threads: 2\n  region: us-east-1\n  tmp_dir: ", f);
    yaml_str(f, dir);
    fprintf(f,
            "\n  max_object_size: 5G\n  osd_timeout_ms: 2000\n  hedge_ms: 50\n"
            "  credentials:\n    - access_key: %s\n      secret_key: %s\n\n",
            s->access_key, s->secret_key);
    fputs("osd:\n  inline_max: 16K\n  group_commit_max: 256\n\nlogging:\n  level: info\n", f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Validates text with the daemons' own loader and map builder. */
static int validate(const init_opts_t *o, const char *text, size_t len)
{
    conf_error_t *err = malloc(sizeof(*err));
    if (err == NULL) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    conf_t *c = NULL;
    int rc = conf_load_buffer(o->out, text, len, &c, err);
    if (rc != TN_OK) {
        ctl_err("cluster init: these flags make an invalid configuration (nothing written):");
        fputs(err->count > 0 ? err->text : "out of memory\n", stderr);
        free(err);
        return CTL_EXIT_USAGE;
    }
    free(err);
    pl_map_t *m = NULL;
    char why[256];
    rc = conf_build_map(c, &m, why, sizeof why);
    conf_free(c);
    if (rc != TN_OK) {
        ctl_err("cluster init: the configuration makes no valid map (nothing written): %s",
                rc == -ENOMEM ? "out of memory" : why);
        return CTL_EXIT_USAGE;
    }
    pl_map_destroy(m);
    return CTL_EXIT_OK;
}

/* Writes text to o->out: temp file in the same directory, fsync, then link (no --force: fails
 * if out exists) or rename (--force), then fsync the directory. */
static int write_file(const init_opts_t *o, const char *text, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", o->out) >= (int)sizeof tmp) {
        ctl_err("cluster init: --out path too long");
        return CTL_EXIT_USAGE;
    }
    if (!o->force && access(o->out, F_OK) == 0) {
        ctl_err("cluster init: %s exists; not replacing it (add --force to overwrite)", o->out);
        return CTL_EXIT_USAGE;
    }
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        ctl_err("cluster init: cannot create %s: %s", tmp, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    size_t off = 0;
    int err = 0;
    while (off < len && err == 0) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno != EINTR)
            err = errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (err == 0 && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0) {
        if (o->force) {
            if (rename(tmp, o->out) != 0)
                err = errno;
        } else if (link(tmp, o->out) != 0) {
            err = errno;
        }
    }
    if (err != 0 || !o->force)
        unlink(tmp); /* after link, or on failure; after rename it is gone */
    if (err != 0) {
        if (err == EEXIST)
            ctl_err("cluster init: %s exists; not replacing it (add --force to overwrite)", o->out);
        else
            ctl_err("cluster init: cannot write %s: %s", o->out, strerror(err));
        return err == EEXIST ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o->out);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            ctl_err("cluster init: warning: fsync of %s: %s", dir, strerror(errno));
        close(dfd);
    }
    return CTL_EXIT_OK;
}

static void print_next_steps(const init_opts_t *o, const init_secrets_t *s)
{
    char dir[PATH_MAX + 32];
    printf("wrote %s: cluster %s (id %s), %zu hosts, %zu OSDs, %lu replicas\n\n", o->out, o->name,
           s->id, o->n_hosts, o->n_osds, o->replicas);
    printf("cluster key (it is in the file; this is the only time it is printed — keep a copy\n"
           "somewhere safe):\n  %s\n\n",
           s->key);
    printf("gateway credentials (also in the file, gateway.credentials):\n"
           "  access key: %s\n  secret key: %s\n\n",
           s->access_key, s->secret_key);
    printf("Next, on every host: install tern (docs/DEPLOY.md), copy %s to\n"
           "/etc/tern/cluster.yaml (owner tern, mode 600), then run:\n",
           o->out);
    for (size_t h = 0; h < o->n_hosts; h++) {
        printf("\n  # %s (%s)\n  install -d -o tern -g tern -m 700", o->hosts[h].name,
               o->hosts[h].addr);
        for (size_t i = 0; i < o->n_osds; i++)
            if (o->osds[i].host == h)
                printf(" %s", osd_dir(o, i, dir, sizeof dir));
        printf(" %s/tmp\n  systemctl enable --now", o->data_root);
        for (size_t i = 0; i < o->n_osds; i++)
            if (o->osds[i].host == h)
                printf(" tern-osd@%zu", i);
        printf(" tern-gateway\n");
    }
    /* a wildcard listen address is reached at each host's address; any other as written */
    const char *colon = strrchr(o->listen, ':');
    int wildcard = strncmp(o->listen, "0.0.0.0:", 8) == 0 || strncmp(o->listen, "[::]:", 5) == 0;
    printf("\nThen check each gateway (200 = map known and a quorum of OSDs reachable):\n");
    if (!wildcard || colon == NULL) {
        printf("  curl -fsS http://%s/health/ready\n", o->listen);
        return;
    }
    for (size_t h = 0; h < o->n_hosts; h++)
        printf("  curl -fsS http://%s%s/health/ready\n", o->hosts[h].addr, colon);
}

static int cmd_init(int argc, char **argv)
{
    init_opts_t *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    init_secrets_t s;
    char *text = NULL;
    size_t len = 0;
    int rc = parse_flags(argc, argv, o);
    if (rc == CTL_EXIT_OK) {
        int e = make_secrets(&s);
        if (e != 0) {
            ctl_err("cluster init: getrandom: %s", strerror(-e));
            rc = CTL_EXIT_FAIL;
        }
    }
    if (rc == CTL_EXIT_OK) {
        text = render(o, &s, &len);
        if (text == NULL) {
            ctl_err("out of memory");
            rc = CTL_EXIT_FAIL;
        }
    }
    if (rc == CTL_EXIT_OK)
        rc = validate(o, text, len);
    if (rc == CTL_EXIT_OK)
        rc = write_file(o, text, len);
    if (rc == CTL_EXIT_OK)
        print_next_steps(o, &s);
    if (text != NULL) {
        explicit_bzero(text, len);
        free(text);
    }
    explicit_bzero(&s, sizeof s);
    for (size_t h = 0; h < o->n_hosts; h++)
        free((char *)o->hosts[h].name);
    free(o);
    return rc;
}

int ctl_cmd_cluster(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs("usage: ternctl cluster init ...   write a new cluster's configuration\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    if (strcmp(argv[1], "init") != 0) {
        ctl_err("unknown 'cluster' subcommand '%s': use init", argv[1]);
        return CTL_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_init(stdout);
            return CTL_EXIT_OK;
        }
    return cmd_init(argc, argv);
}
