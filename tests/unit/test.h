/*
 * test.h — tern's tiny unit-test harness (TAP-like, header only).
 *
 *   #include "test.h"
 *   static void test_parse(void) { ok(x == 1, "x is one"); is_int(f(2), 4, "f(2)"); }
 *   int main(void) { subtest("parse", test_parse); return tt_done(); }
 *
 * Each failed check prints file:line and the values; tt_done() prints the closing line
 * "N passed, N failed" and returns the process exit status (0 only if nothing failed and at
 * least one check ran, so a test that silently checks nothing fails).
 */
#ifndef TERN_TEST_H
#define TERN_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tt_passed, tt_failed;
static const char *tt_current = "";

static inline int tt_check(int cond, const char *file, int line, const char *what)
{
    if (cond) {
        tt_passed++;
    } else {
        tt_failed++;
        fprintf(stderr, "not ok - %s%s%s (%s:%d)\n", tt_current, *tt_current ? ": " : "", what,
                file, line);
    }
    return cond;
}

#define ok(cond, what) tt_check(!!(cond), __FILE__, __LINE__, (what))

#define is_int(got, want, what)                                                                    \
    do {                                                                                           \
        long long tt_g_ = (long long)(got), tt_w_ = (long long)(want);                             \
        if (!tt_check(tt_g_ == tt_w_, __FILE__, __LINE__, (what)))                                 \
            fprintf(stderr, "    got %lld, want %lld\n", tt_g_, tt_w_);                            \
    } while (0)

#define is_uint(got, want, what)                                                                   \
    do {                                                                                           \
        unsigned long long tt_g_ = (unsigned long long)(got), tt_w_ = (unsigned long long)(want);  \
        if (!tt_check(tt_g_ == tt_w_, __FILE__, __LINE__, (what)))                                 \
            fprintf(stderr, "    got %llu (0x%llx), want %llu (0x%llx)\n", tt_g_, tt_g_, tt_w_,    \
                    tt_w_);                                                                        \
    } while (0)

#define is_str(got, want, what)                                                                    \
    do {                                                                                           \
        const char *tt_g_ = (got), *tt_w_ = (want);                                                \
        int tt_eq_ =                                                                               \
            (tt_g_ == NULL || tt_w_ == NULL) ? tt_g_ == tt_w_ : strcmp(tt_g_, tt_w_) == 0;         \
        if (!tt_check(tt_eq_, __FILE__, __LINE__, (what)))                                         \
            fprintf(stderr, "    got  \"%s\"\n    want \"%s\"\n", tt_g_ ? tt_g_ : "(null)",        \
                    tt_w_ ? tt_w_ : "(null)");                                                     \
    } while (0)

#define is_mem(got, want, n, what)                                                                 \
    do {                                                                                           \
        if (!tt_check(memcmp((got), (want), (n)) == 0, __FILE__, __LINE__, (what)))                \
            fprintf(stderr, "    %zu bytes differ\n", (size_t)(n));                                \
    } while (0)

/* Does haystack contain needle? (for checking error messages) */
#define has_str(haystack, needle, what)                                                            \
    do {                                                                                           \
        const char *tt_h_ = (haystack), *tt_n_ = (needle);                                         \
        if (!tt_check(tt_h_ != NULL && strstr(tt_h_, tt_n_) != NULL, __FILE__, __LINE__, (what)))  \
            fprintf(stderr, "    \"%s\"\n    does not contain \"%s\"\n", tt_h_ ? tt_h_ : "(null)", \
                    tt_n_);                                                                        \
    } while (0)

static inline void subtest(const char *name, void (*fn)(void))
{
    int before = tt_failed;
    tt_current = name;
    fn();
    printf("%s - %s\n", tt_failed == before ? "ok" : "not ok", name);
    tt_current = "";
}

static inline int tt_done(void)
{
    printf("%d passed, %d failed\n", tt_passed, tt_failed);
    return (tt_failed == 0 && tt_passed > 0) ? 0 : 1;
}

/* Directory of checked-in test data (tests/data), from the environment ctest sets. */
static inline const char *tt_data_dir(void)
{
    const char *d = getenv("TERN_TEST_DATA");
    return d != NULL ? d : "tests/data";
}

#endif
