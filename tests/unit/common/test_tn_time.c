/* Unit tests for common/tn_time.c: civil-date arithmetic against known dates and an
 * exhaustive day-by-day walk, each format's round trip and strict rejection. */
#include "tn_time.h"
#include "test.h"

static void test_civil(void)
{
    is_int(tn_days_from_civil(1970, 1, 1), 0, "epoch");
    is_int(tn_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
    is_int(tn_days_from_civil(1969, 12, 31), -1, "day before epoch");
    is_int(tn_days_from_civil(2015, 8, 30), 16677, "2015-08-30");
    /* walk every day from 1600 to 2400 checking the inverse and month lengths */
    int64_t d0 = tn_days_from_civil(1600, 1, 1), d1 = tn_days_from_civil(2400, 12, 31);
    int64_t py = 1599;
    int pm = 12, pd = 31, bad = 0;
    for (int64_t d = d0; d <= d1; d++) {
        int64_t y;
        int m, dd;
        tn_civil_from_days(d, &y, &m, &dd);
        int next_ok = (y == py && m == pm && dd == pd + 1) ||
                      (y == py && m == pm + 1 && dd == 1 && pd == tn_days_in_month(py, pm)) ||
                      (y == py + 1 && m == 1 && dd == 1 && pm == 12 && pd == 31);
        if (!next_ok || tn_days_from_civil(y, m, dd) != d)
            bad++;
        py = y, pm = m, pd = dd;
    }
    is_int(bad, 0, "day-by-day walk 1600..2400 consistent");
    ok(tn_is_leap_year(2000) && tn_is_leap_year(2024) && !tn_is_leap_year(1900) &&
           !tn_is_leap_year(2100),
       "leap rule");
    is_int(tn_days_in_month(2024, 2), 29, "feb leap");
    is_int(tn_days_in_month(2023, 2), 28, "feb");
    is_int(tn_days_in_month(2023, 13), 0, "bad month");
    is_int(tn_time_weekday(0), 4, "1970-01-01 Thursday");
    is_int(tn_time_weekday(-1), 3, "1969-12-31 Wednesday");
    is_int(tn_time_weekday(1440938160), 0, "2015-08-30 Sunday");

    tn_civil_t c;
    tn_time_to_civil(-1, &c);
    ok(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 && c.min == 59 && c.sec == 59,
       "negative time");
    int64_t t;
    tn_civil_t feb29 = {2023, 2, 29, 0, 0, 0, 0};
    is_int(tn_time_from_civil(&feb29, &t), TN_ERR_CORRUPT, "no feb 29 in 2023");
    feb29.year = 2024;
    is_int(tn_time_from_civil(&feb29, &t), TN_OK, "feb 29 in 2024");
}

static void test_amz(void)
{
    char out[32];
    is_int(tn_time_format_amz(1440938160, out), TN_OK, "format");
    is_str(out, "20150830T123600Z", "x-amz-date");
    int64_t t = 0;
    is_int(tn_time_parse_amz("20150830T123600Z", 16, &t), TN_OK, "parse");
    is_int(t, 1440938160, "value");
    is_int(tn_time_format_date8(1440938160, out), TN_OK, "date8");
    is_str(out, "20150830", "date8 value");
    is_int(tn_time_parse_date8("20150830", 8, &t), TN_OK, "parse date8");
    is_int(t, 1440892800, "midnight");
    const char *bad[] = {"20150830T123600",  "20150830t123600Z", "20151330T123600Z",
                         "20150230T123600Z", "20150830T243600Z", "20150830T126000Z",
                         "20150830T123660Z", "2015083OT123600Z", "20150830T123600Z ",
                         "00000101T000000Z", "+0150830T123600Z"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(tn_time_parse_amz(bad[i], strlen(bad[i]), &t), TN_ERR_CORRUPT, bad[i]);
    is_int(tn_time_parse_date8("2015083", 7, &t), TN_ERR_CORRUPT, "short date8");
    is_int(tn_time_parse_date8("20150431", 8, &t), TN_ERR_CORRUPT, "april 31");
    is_int(tn_time_format_amz(253402300800LL, out), TN_ERR_TOO_BIG, "year 10000");
    is_int(tn_time_format_amz(253402300799LL, out), TN_OK, "year 9999 end");
    is_str(out, "99991231T235959Z", "max");
}

static void test_iso(void)
{
    char out[32];
    is_int(tn_time_format_iso_ms(1440938160123LL, out), TN_OK, "format");
    is_str(out, "2015-08-30T12:36:00.123Z", "LastModified");
    is_int(tn_time_format_iso_ms(-1, out), TN_OK, "negative ms");
    is_str(out, "1969-12-31T23:59:59.999Z", "floor division");
    int64_t ms;
    is_int(tn_time_parse_iso("2015-08-30T12:36:00.123Z", 24, &ms), TN_OK, "parse ms");
    is_int(ms, 1440938160123LL, "ms value");
    is_int(tn_time_parse_iso("2015-08-30T12:36:00Z", 20, &ms), TN_OK, "no fraction");
    is_int(ms, 1440938160000LL, "no fraction value");
    is_int(tn_time_parse_iso("2015-08-30T12:36:00.5Z", 22, &ms), TN_OK, "one digit");
    is_int(ms, 1440938160500LL, "one digit value");
    is_int(tn_time_parse_iso("2015-08-30T12:36:00.123456789Z", 30, &ms), TN_OK, "nine digits");
    is_int(ms, 1440938160123LL, "truncated to ms");
    const char *bad[] = {"2015-08-30T12:36:00.Z", "2015-08-30T12:36:00.1234567890Z",
                         "2015-08-30 12:36:00Z",  "2015-08-30T12:36:00",
                         "2015-02-29T00:00:00Z",  "2015-08-30T12:36:00+00:00",
                         "2015-8-30T12:36:00Z"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(tn_time_parse_iso(bad[i], strlen(bad[i]), &ms), TN_ERR_CORRUPT, bad[i]);
}

static void test_http(void)
{
    char out[32];
    is_int(tn_time_format_http(1440938160, out), TN_OK, "format");
    is_str(out, "Sun, 30 Aug 2015 12:36:00 GMT", "IMF-fixdate");
    is_int(tn_time_format_http(784111777, out), TN_OK, "format 1994");
    is_str(out, "Sun, 06 Nov 1994 08:49:37 GMT", "RFC example");
    int64_t t;
    const char *good[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                          "Sun Nov  6 08:49:37 1994", "Sun Nov 06 08:49:37 1994",
                          "Wed, 06 Nov 1994 08:49:37 GMT" /* weekday not cross-checked */};
    for (size_t i = 0; i < TN_ARRAY_SIZE(good); i++) {
        t = 0;
        is_int(tn_time_parse_http(good[i], strlen(good[i]), &t), TN_OK, good[i]);
        is_int(t, 784111777, good[i]);
    }
    is_int(tn_time_parse_http("Thursday, 01-Jan-70 00:00:00 GMT", 32, &t), TN_OK, "rfc850 70");
    is_int(t, 0, "1970");
    is_int(tn_time_parse_http("Monday, 01-Jan-24 00:00:00 GMT", 30, &t), TN_OK, "rfc850 24");
    is_int(t, 1704067200, "2024");
    const char *bad[] = {"Sun, 06 Nov 1994 08:49:37 UTC",  "sun, 06 Nov 1994 08:49:37 GMT",
                         "Sun, 06 nov 1994 08:49:37 GMT",  "Sun, 6 Nov 1994 08:49:37 GMT",
                         "Sun, 31 Nov 1994 08:49:37 GMT",  "Sun, 06 Nov 1994 24:49:37 GMT",
                         "Sun, 06 Nov 1994 08:49:37 GMT ", "Sunday, 06-Nov-1994 08:49:37 GMT",
                         "Sun Nov  6 08:49:37 94",         "Sun Nov 6 08:49:37 1994",
                         "Sundae, 06-Nov-94 08:49:37 GMT", "",
                         "Sun, 29 Feb 2015 08:49:37 GMT",  "Sun Nov  6 08:49:60 1994"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(tn_time_parse_http(bad[i], strlen(bad[i]), &t), TN_ERR_CORRUPT, bad[i]);
    /* round trip over a range of times */
    int bad_rt = 0;
    for (int64_t x = -2000000000LL; x < 4000000000LL; x += 86399 * 37 + 7) {
        char s[32];
        int64_t y;
        if (tn_time_format_http(x, s) != TN_OK || tn_time_parse_http(s, 29, &y) != TN_OK || y != x)
            bad_rt++;
        if (tn_time_format_amz(x, s) != TN_OK || tn_time_parse_amz(s, 16, &y) != TN_OK || y != x)
            bad_rt++;
    }
    is_int(bad_rt, 0, "round trips");
}

int main(void)
{
    subtest("civil", test_civil);
    subtest("amz", test_amz);
    subtest("iso", test_iso);
    subtest("http", test_http);
    return tt_done();
}
