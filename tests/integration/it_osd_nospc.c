/*
 * it_osd_nospc.c — disk-full test of tern-osd: the data directory lives on a 24 MiB tmpfs
 * mounted in a private mount namespace (the test re-executes itself under `unshare --mount`,
 * adding `--user --map-root-user` when not root). Blob puts fill the disk until they fail with
 * NOSPC; nothing half-written is visible, PING clears WRITABLE, existing blobs and rows still
 * read, and after BLOB_DELETE frees space writes succeed again. Driven through the synchronous
 * client library.
 * Usage: it_osd_nospc PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
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

#define MIB (1u << 20)

static tc_cluster_t cl;

static uint32_t ping_state(tn_osdc_sync_t *s)
{
    tn_ping_rep_t rep = {0};
    if (tn_osdc_sync_ping(s, 0, &rep) != 0)
        return 0;
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
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (!ok(s != NULL, "client"))
        return;
    uint8_t row[256];
    tn_row_put_rep_t res;
    size_t n = tc_make_row(row, sizeof(row), 1, 1, 1, "before", tn_hlc_make(1700000000000ull, 0), 1,
                           1, 0, "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row before the disk fills");
    uint8_t *data = malloc(MIB);
    int stored = 0, st = 0, i;
    for (i = 0; i < 40; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)i, 0);
        tc_fill(data, MIB, (uint32_t)i);
        st = tn_osdc_sync_blob_put(s, 0, &ref, data, MIB);
        if (st != 0)
            break;
        stored++;
    }
    fprintf(stderr, "# %d blobs of 1 MiB stored before the disk was full\n", stored);
    ok(stored > 5 && stored <= 24, "the disk filled up");
    is_int(st, -ENOSPC, "the failing put answers NOSPC");
    tn_blobref_t failed;
    tc_ref(&failed, 1, 1, (uint8_t)i, 0);
    tn_blob_stat_rep_t bs = {1, 0};
    is_int(tn_osdc_sync_blob_stat(s, 0, &failed, &bs), 0, "stat the failed blob");
    is_int(bs.exists, 0, "nothing half-visible");
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s/tmp", cl.data[0]);
    is_int(count_files(tmp), 0, "no temp file left behind");
    ok(!(ping_state(s) & TN_PROTO_STATE_WRITABLE), "PING: not WRITABLE while full");
    /* Reads keep working. */
    tn_blobref_t first;
    tc_ref(&first, 1, 1, 0, 0);
    uint8_t *got = NULL;
    size_t gl = 0;
    tc_fill(data, MIB, 0);
    tn_blob_get_req_t g = {first, 0, 0};
    is_int(tn_osdc_sync_blob_get(s, 0, &g, &got, &gl, NULL), 0, "read an old blob");
    ok(got && gl == MIB && memcmp(got, data, MIB) == 0, "intact");
    free(got);
    tn_row_t r;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 1, 1, "before", &r, &hold), 0, "read an old row");
    free(hold);
    /* Free space, then writes succeed again. */
    for (int k = 0; k < 4; k++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)k, 0);
        is_int(tn_osdc_sync_blob_delete(s, 0, &ref), 0, "delete a blob");
    }
    tc_fill(data, MIB, 1234);
    is_int(tn_osdc_sync_blob_put(s, 0, &failed, data, MIB), 0, "put succeeds after deletes");
    ok(ping_state(s) & TN_PROTO_STATE_WRITABLE, "WRITABLE again");
    n = tc_make_row(row, sizeof(row), 1, 1, 1, "after", tn_hlc_make(1700000000001ull, 0), 1, 1, 0,
                    "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row write after deletes");
    free(data);
    tn_osdc_sync_destroy(s);
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
