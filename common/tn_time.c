/* tn_time.c — PURE UTC calendar arithmetic and timestamp formats (see tn_time.h). */
#include <string.h>
#include "tn_time.h"

static const char *const wday_short[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char *const mon_short[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t tn_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void tn_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = y + (m <= 2);
    *month = m;
    *day = d;
}

int tn_is_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tn_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && tn_is_leap_year(y) ? 29 : dim[m - 1];
}

int tn_time_from_civil(const tn_civil_t *c, int64_t *t)
{
    if (c->year < 1 || c->year > 9999 || c->month < 1 || c->month > 12 || c->day < 1 ||
        c->day > tn_days_in_month(c->year, c->month) || c->hour < 0 || c->hour > 23 || c->min < 0 ||
        c->min > 59 || c->sec < 0 || c->sec > 59)
        return TN_ERR_CORRUPT;
    *t = tn_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->min * 60 +
         c->sec;
    return TN_OK;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void tn_time_to_civil(int64_t t, tn_civil_t *c)
{
    int64_t days = floor_div(t, 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    tn_civil_from_days(days, &y, &c->month, &c->day);
    c->year = (int)y;
    c->hour = (int)(secs / 3600);
    c->min = (int)(secs / 60 % 60);
    c->sec = (int)(secs % 60);
    c->msec = 0;
}

int tn_time_weekday(int64_t t)
{
    int64_t days = floor_div(t, 86400);
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* Range in which every format works: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define MIN_T (-62135596800LL)
#define MAX_T (253402300799LL)

static void put_num(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

int tn_time_format_amz(int64_t t, char *out)
{
    if (t < MIN_T || t > MAX_T)
        return TN_ERR_TOO_BIG;
    tn_civil_t c;
    tn_time_to_civil(t, &c);
    put_num(out, c.year, 4);
    put_num(out + 4, c.month, 2);
    put_num(out + 6, c.day, 2);
    out[8] = 'T';
    put_num(out + 9, c.hour, 2);
    put_num(out + 11, c.min, 2);
    put_num(out + 13, c.sec, 2);
    out[15] = 'Z';
    out[16] = '\0';
    return TN_OK;
}

int tn_time_format_date8(int64_t t, char *out)
{
    char buf[TN_TIME_AMZ_LEN + 1];
    int err = tn_time_format_amz(t, buf);
    if (err != TN_OK)
        return err;
    memcpy(out, buf, 8);
    out[8] = '\0';
    return TN_OK;
}

int tn_time_format_iso_ms(int64_t ms, char *out)
{
    int64_t t = floor_div(ms, 1000);
    if (t < MIN_T || t > MAX_T)
        return TN_ERR_TOO_BIG;
    tn_civil_t c;
    tn_time_to_civil(t, &c);
    put_num(out, c.year, 4);
    out[4] = '-';
    put_num(out + 5, c.month, 2);
    out[7] = '-';
    put_num(out + 8, c.day, 2);
    out[10] = 'T';
    put_num(out + 11, c.hour, 2);
    out[13] = ':';
    put_num(out + 14, c.min, 2);
    out[16] = ':';
    put_num(out + 17, c.sec, 2);
    out[19] = '.';
    put_num(out + 20, (int)(ms - t * 1000), 3);
    out[23] = 'Z';
    out[24] = '\0';
    return TN_OK;
}

int tn_time_format_http(int64_t t, char *out)
{
    if (t < MIN_T || t > MAX_T)
        return TN_ERR_TOO_BIG;
    tn_civil_t c;
    tn_time_to_civil(t, &c);
    memcpy(out, wday_short[tn_time_weekday(t)], 3);
    out[3] = ',';
    out[4] = ' ';
    put_num(out + 5, c.day, 2);
    out[7] = ' ';
    memcpy(out + 8, mon_short[c.month - 1], 3);
    out[11] = ' ';
    put_num(out + 12, c.year, 4);
    out[16] = ' ';
    put_num(out + 17, c.hour, 2);
    out[19] = ':';
    put_num(out + 20, c.min, 2);
    out[22] = ':';
    put_num(out + 23, c.sec, 2);
    memcpy(out + 25, " GMT", 5); /* includes the NUL */
    return TN_OK;
}

/* Exactly n decimal digits at s; -1 if any is not a digit. */
static int get_num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int finish(tn_civil_t *c, int64_t *t)
{
    return tn_time_from_civil(c, t);
}

int tn_time_parse_amz(const char *s, size_t len, int64_t *t)
{
    if (len != TN_TIME_AMZ_LEN || s[8] != 'T' || s[15] != 'Z')
        return TN_ERR_CORRUPT;
    tn_civil_t c = {get_num(s, 4),
                    get_num(s + 4, 2),
                    get_num(s + 6, 2),
                    get_num(s + 9, 2),
                    get_num(s + 11, 2),
                    get_num(s + 13, 2),
                    0};
    return finish(&c, t);
}

int tn_time_parse_date8(const char *s, size_t len, int64_t *t)
{
    if (len != TN_TIME_DATE8_LEN)
        return TN_ERR_CORRUPT;
    tn_civil_t c = {get_num(s, 4), get_num(s + 4, 2), get_num(s + 6, 2), 0, 0, 0, 0};
    return finish(&c, t);
}

int tn_time_parse_iso(const char *s, size_t len, int64_t *ms)
{
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[len - 1] != 'Z')
        return TN_ERR_CORRUPT;
    tn_civil_t c = {get_num(s, 4),
                    get_num(s + 5, 2),
                    get_num(s + 8, 2),
                    get_num(s + 11, 2),
                    get_num(s + 14, 2),
                    get_num(s + 17, 2),
                    0};
    int frac = 0;
    if (len != 20) {
        size_t nd = len - 21; /* digits between '.' and 'Z' */
        if (s[19] != '.' || nd < 1 || nd > 9)
            return TN_ERR_CORRUPT;
        for (size_t i = 0; i < nd; i++) {
            char d = s[20 + i];
            if (d < '0' || d > '9')
                return TN_ERR_CORRUPT;
            if (i < 3)
                frac = frac * 10 + (d - '0');
        }
        for (size_t i = nd; i < 3; i++)
            frac *= 10;
    }
    int64_t t;
    int err = finish(&c, &t);
    if (err != TN_OK)
        return err;
    *ms = t * 1000 + frac;
    return TN_OK;
}

static int find_name(const char *s, size_t len, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
            return i;
    return -1;
}

/* "HH:MM:SS" at s (8 bytes). */
static int parse_hms(const char *s, tn_civil_t *c)
{
    if (s[2] != ':' || s[5] != ':')
        return -1;
    c->hour = get_num(s, 2);
    c->min = get_num(s + 3, 2);
    c->sec = get_num(s + 6, 2);
    return 0;
}

int tn_time_parse_http(const char *s, size_t len, int64_t *t)
{
    tn_civil_t c = {0};
    if (len == TN_TIME_HTTP_LEN && s[3] == ',') {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        if (find_name(s, 3, wday_short, 7) < 0 || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
            s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0 || parse_hms(s + 17, &c) < 0)
            return TN_ERR_CORRUPT;
        c.day = get_num(s + 5, 2);
        c.month = find_name(s + 8, 3, mon_short, 12) + 1;
        c.year = get_num(s + 12, 4);
        return finish(&c, t);
    }
    if (len == 24 && s[3] == ' ') {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        if (find_name(s, 3, wday_short, 7) < 0 || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' ||
            parse_hms(s + 11, &c) < 0)
            return TN_ERR_CORRUPT;
        c.month = find_name(s + 4, 3, mon_short, 12) + 1;
        if (s[8] == ' ')
            c.day = get_num(s + 9, 1);
        else
            c.day = get_num(s + 8, 2);
        c.year = get_num(s + 20, 4);
        return finish(&c, t);
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
    const char *comma = memchr(s, ',', len < 10 ? len : 10);
    if (comma == NULL || find_name(s, (size_t)(comma - s), wday_long, 7) < 0)
        return TN_ERR_CORRUPT;
    size_t rest = len - (size_t)(comma - s);
    const char *p = comma;
    if (rest != 24 || p[1] != ' ' || p[4] != '-' || p[8] != '-' || p[11] != ' ' ||
        parse_hms(p + 12, &c) < 0 || memcmp(p + 20, " GMT", 4) != 0)
        return TN_ERR_CORRUPT;
    c.day = get_num(p + 2, 2);
    c.month = find_name(p + 5, 3, mon_short, 12) + 1;
    int yy = get_num(p + 9, 2);
    if (yy < 0)
        return TN_ERR_CORRUPT;
    c.year = yy < 70 ? 2000 + yy : 1900 + yy;
    return finish(&c, t);
}
