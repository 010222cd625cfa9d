/*
 * test_tb_opts.c — tern-bench's option values: sizes with suffixes, op names, --mix lists
 * and the weighted pick.
 */
#include "tb_opts.h"
#include "tern.h"
#include "test.h"

static void test_size(void)
{
    static const struct {
        const char *in;
        uint64_t want;
    } good[] = {
        {"0", 0},
        {"4096", 4096},
        {"4K", 4096},
        {"4k", 4096},
        {"4KiB", 4096},
        {"4KB", 4096},
        {"4kib", 4096},
        {"64K", 65536},
        {"1M", 1048576},
        {"32MiB", 33554432},
        {"1G", 1073741824},
        {"2T", 2ull << 40},
        {"4611686018427387904", 1ull << 62},
        {"4194304T", 1ull << 62},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(good); i++) {
        uint64_t v = 1234;
        is_int(tb_parse_size(good[i].in, &v), 0, good[i].in);
        is_uint(v, good[i].want, good[i].in);
    }
    static const char *const bad[] = {"",
                                      "K",
                                      "-1",
                                      "+1",
                                      "1.5M",
                                      "4 K",
                                      "4KK",
                                      "4Kx",
                                      "4iB",
                                      "4P",
                                      "1e3",
                                      "4194305T",
                                      "4611686018427387905",
                                      "99999999999999999999999"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        uint64_t v = 1234;
        is_int(tb_parse_size(bad[i], &v), -1, bad[i]);
        is_uint(v, 1234, "untouched on error");
    }
}

static void test_ops(void)
{
    for (int i = 0; i < TB_OP_COUNT; i++)
        is_int(tb_op_parse(tb_op_name((tb_op_t)i)), i, tb_op_name((tb_op_t)i));
    is_int(tb_op_parse("PUT"), -1, "case-sensitive");
    is_int(tb_op_parse("mixed"), -1, "mixed is not an op");
}

static void test_mix(void)
{
    unsigned w[TB_OP_COUNT];
    is_int(tb_parse_mix("put=1,get=8", w), 0, "put=1,get=8");
    is_int(w[TB_PUT], 1, "put");
    is_int(w[TB_GET], 8, "get");
    is_int(w[TB_HEAD] + w[TB_DELETE] + w[TB_LIST], 0, "others 0");
    is_int(tb_parse_mix("list=3,delete=0,head=2", w), 0, "three ops");
    is_int(w[TB_LIST], 3, "list");
    is_int(w[TB_HEAD], 2, "head");
    static const char *const bad[] = {"",       "put",          "put=",   "=1",
                                      "put=1,", "put=1,,get=2", "put=0",  "put=1,put=2",
                                      "copy=1", "put=-1",       "put=1x", "put=1000001",
                                      "PUT=1",  "put=1;get=2"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(tb_parse_mix(bad[i], w), -1, bad[i]);

    /* the pick follows the weights exactly over one cycle of r */
    tb_parse_mix("put=1,get=8,head=1", w);
    unsigned got[TB_OP_COUNT] = {0};
    for (uint64_t r = 0; r < 10; r++)
        got[tb_mix_pick(w, r)]++;
    is_int(got[TB_PUT], 1, "pick put");
    is_int(got[TB_GET], 8, "pick get");
    is_int(got[TB_HEAD], 1, "pick head");
    is_int(tb_mix_pick(w, 0), TB_PUT, "r=0 -> first op");
    is_int(tb_mix_pick(w, 9), TB_HEAD, "r=9 -> last op");
}

int main(void)
{
    subtest("size", test_size);
    subtest("ops", test_ops);
    subtest("mix", test_mix);
    return tt_done();
}
