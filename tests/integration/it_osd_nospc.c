/*
 * it_osd_nospc.c — disk-full test of tern-osd: the data directory lives on a 24 MiB tmpfs
 * mounted in a private mount namespace (the test re-executes itself under `unshare --mount`,
 * adding `--user --map-root-user` when not root). Blob puts fill the disk until they fail with
 * NOSPC; nothing half-written is visible, PING clears WRITABLE, existing blobs and rows still
 * read, and after BLOB_DELETE frees space writes succeed again.
 * Usage: it_osd_nospc PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"
#include "tn_wire.h"

#define MIB (1u << 20)

static tc_cluster_t cl;

static uint32_t ping_state(tc_conn_t *c)
{
    uint8_t b[8];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_ping_req_t p = {tc_now_ms()};
    tn_proto_enc_ping_req(&w, &p);
    tc_reply_t r;
    tn_ping_rep_t rep = {0};
    if (tc_call(c, TN_OP_PING, b, sizeof(b), &r) == 0)
        tn_proto_dec_ping_rep(r.body, r.len, &rep);
    tc_reply_free(&r);
    return rep.state;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_full(void)
{
    tc_conn_t c;
    is_int(tc_connect(&c, cl.port[0]), 0, "connect");
    tc_sync_epoch(&c);
    uint8_t row[256], res;
    size_t n = tc_make_row(row, sizeof(row), 1, 1, 1, "before", tn_hlc_make(1700000000000ull, 0), 1,
                           1, 0, "v", NULL, 0);
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, row, n, &res, NULL), 0, "row before the disk fills");
    uint8_t *data = malloc(MIB);
    int stored = 0, st = 0, i;
    for (i = 0; i < 40; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)i, 0);
        tc_fill(data, MIB, (uint32_t)i);
        st = tc_blob_put(&c, &ref, data, MIB, 256 * 1024, 0);
        if (st != 0)
            break;
        stored++;
    }
    fprintf(stderr, "# %d blobs of 1 MiB stored before the disk was full\n", stored);
    ok(stored > 5 && stored <= 24, "the disk filled up");
    is_int(st, TN_FRAME_ST_NOSPC, "the failing put answers NOSPC");
    tn_blobref_t failed;
    tc_ref(&failed, 1, 1, (uint8_t)i, 0);
    int exists = 1;
    uint64_t len = 0;
    is_int(tc_blob_stat(&c, &failed, &exists, &len), 0, "stat the failed blob");
    is_int(exists, 0, "nothing half-visible");
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s/tmp", cl.data[0]);
    is_int(count_files(tmp), 0, "no temp file left behind");
    ok(!(ping_state(&c) & TN_PROTO_STATE_WRITABLE), "PING: not WRITABLE while full");
    /* Reads keep working. */
    tn_blobref_t first;
    tc_ref(&first, 1, 1, 0, 0);
    uint8_t *got = NULL;
    size_t gl = 0;
    tc_fill(data, MIB, 0);
    is_int(tc_blob_get(&c, &first, 0, 0, &got, &gl, NULL, NULL), 0, "read an old blob");
    ok(got && gl == MIB && memcmp(got, data, MIB) == 0, "intact");
    free(got);
    tn_row_t r;
    uint8_t *hold = NULL;
    is_int(tc_row_get(&c, 1, 1, 1, "before", &r, &hold), 0, "read an old row");
    free(hold);
    /* Free space, then writes succeed again. */
    for (int k = 0; k < 4; k++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)k, 0);
        is_int(tc_blob_delete(&c, &ref), 0, "delete a blob");
    }
    tc_fill(data, MIB, 1234);
    is_int(tc_blob_put(&c, &failed, data, MIB, 256 * 1024, 0), 0, "put succeeds after deletes");
    ok(ping_state(&c) & TN_PROTO_STATE_WRITABLE, "WRITABLE again");
    n = tc_make_row(row, sizeof(row), 1, 1, 1, "after", tn_hlc_make(1700000000001ull, 0), 1, 1, 0,
                    "v", NULL, 0);
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, row, n, &res, NULL), 0, "row write after deletes");
    free(data);
    tc_close(&c);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (getenv("TC_IN_NS") == NULL) {
        setenv("TC_IN_NS", "1", 1);
        char *args[8];
        int k = 0;
        args[k++] = "unshare";
        args[k++] = "--mount";
        if (geteuid() != 0) {
            args[k++] = "--user";
            args[k++] = "--map-root-user";
        }
        args[k++] = argv[0];
        args[k++] = argv[1];
        args[k] = NULL;
        execvp("unshare", args);
        fprintf(stderr, "it_osd_nospc: cannot run unshare (util-linux) to get a private mount "
                        "namespace; install util-linux or allow user namespaces\n");
        return 1;
    }
    char base[] = "/tmp/tern-nospc.XXXXXX";
    if (mkdtemp(base) == NULL || mount("tmpfs", base, "tmpfs", 0, "size=24m") != 0) {
        perror("it_osd_nospc: mount -t tmpfs in the private namespace failed (is unshare "
               "--mount allowed here? user namespaces may be disabled)");
        rmdir(base);
        return 1;
    }
    if (tc_cluster_init(&cl, argv[1], 1, base) != 0 || tc_osd_start(&cl, 0, 1) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        umount(base);
        return 1;
    }
    subtest("disk full", test_full);
    int rc = tt_done();
    tc_osd_stop(&cl, 0, SIGKILL);
    if (umount2(base, MNT_DETACH) == 0)
        rmdir(base);
    return rc;
}
