/*
 * test_pl_golden.c — freezes placement: a fixed map (6 hosts, mixed OSD counts and weights,
 * one OSD out, pool pg_num 256 size 3) and 1,000 keys; every key's PG and OSD list must equal
 * tests/data/placement/golden.txt. A failure means a change would move production data:
 * review it on purpose. Regenerate (only deliberately) with:
 *     build/release/tests/unit/placement/test_pl_golden --generate >
 * tests/data/placement/golden.txt
 */
#include <stdlib.h>

#include "test.h"
#include "placement.h"

/* The fixed map. Never change it: the golden file depends on every field that matters. */
static pl_map_t *golden_map(void)
{
    static const struct {
        int host, n;
        uint32_t weight;
    } layout[] = {{0, 2, 0x10000}, {1, 3, 0x18000}, {2, 1, 0x40000},
                  {3, 4, 0x0c000}, {4, 2, 0x20000}, {5, 5, 0x10000}};
    pl_map_t *m = pl_map_create();
    if (m == NULL)
        return NULL;
    int32_t id = 0;
    for (size_t i = 0; i < TN_ARRAY_SIZE(layout); i++) {
        char name[16];
        snprintf(name, sizeof(name), "node%d", layout[i].host);
        int h = pl_map_add_host(m, name);
        for (int j = 0; j < layout[i].n; j++, id++)
            pl_map_add_osd(m, id, h, layout[i].weight + (uint32_t)j * 0x1000u, NULL);
    }
    pl_map_set_osd_in(m, 7, 0);
    pl_map_add_pool(m, 5, "data", 256, 3, 2, 2, PL_FD_HOST);
    m->epoch = 1;
    return m;
}

/* Formats one golden line for key number i into line. */
static void golden_line(const pl_map_t *m, void *work, int i, char *line, size_t cap)
{
    char key[32];
    int klen = snprintf(key, sizeof(key), "bucket/object-%04d", i);
    const pl_pool_t *pool = &m->pools[0];
    uint32_t pg = pl_object_pg(pool, key, (size_t)klen);
    int32_t osds[PL_MAX_SIZE];
    int n = pl_pg_osds(m, pool, pg, osds, PL_MAX_SIZE, work);
    int len = snprintf(line, cap, "%s %u", key, pg);
    for (int j = 0; j < n && len > 0 && (size_t)len < cap; j++)
        len += snprintf(line + len, cap - (size_t)len, " %d", osds[j]);
}

static void test_golden(void)
{
    pl_map_t *m = golden_map();
    void *work = malloc(pl_work_size(m));
    char path[1024];
    snprintf(path, sizeof(path), "%s/placement/golden.txt", tt_data_dir());
    FILE *f = fopen(path, "r");
    ok(f != NULL, "golden.txt opens");
    if (f == NULL) {
        free(work);
        pl_map_destroy(m);
        return;
    }
    char want[256], got[256];
    int lines = 0, diffs = 0;
    while (fgets(want, sizeof(want), f) != NULL) {
        want[strcspn(want, "\n")] = '\0';
        golden_line(m, work, lines, got, sizeof(got));
        if (strcmp(want, got) != 0 && diffs++ < 5)
            fprintf(stderr, "# line %d: want \"%s\" got \"%s\"\n", lines + 1, want, got);
        lines++;
    }
    fclose(f);
    is_int(lines, 1000, "1,000 golden lines");
    is_int(diffs, 0, "every key maps as frozen (a diff moves production data!)");
    free(work);
    pl_map_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--generate") == 0) {
        pl_map_t *m = golden_map();
        void *work = malloc(pl_work_size(m));
        char line[256];
        for (int i = 0; i < 1000; i++) {
            golden_line(m, work, i, line, sizeof(line));
            puts(line);
        }
        free(work);
        pl_map_destroy(m);
        return 0;
    }
    subtest("golden vectors", test_golden);
    return tt_done();
}
