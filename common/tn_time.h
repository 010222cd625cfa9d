/*
 * tn_time.h — PURE calendar arithmetic and the timestamp formats S3 uses, with no libc
 * time-zone or locale dependence (no gmtime/strftime/strptime): everything is UTC and
 * proleptic Gregorian, and "now" is always passed in by the caller.
 *
 * Formats (all ASCII, fixed width):
 *   amz    ISO 8601 basic       "20150830T123600Z"             x-amz-date, X-Amz-Date
 *   date8  ISO 8601 basic date  "20150830"                     SigV4 credential scope
 *   iso    ISO 8601 extended    "2015-08-30T12:36:00.000Z"     S3 XML LastModified (ms)
 *   http   RFC 7231 IMF-fixdate "Sun, 30 Aug 2015 12:36:00 GMT" Last-Modified, Date, Expires
 *
 * Validation is strict: exact widths and separators, month 1-12, day within the month
 * (leap years per the Gregorian rule), hour 0-23, minute 0-59, second 0-59 (leap second 60
 * is rejected), year 0001-9999. Parsers return TN_OK or TN_ERR_CORRUPT; formatters return
 * TN_OK or TN_ERR_TOO_BIG when the time is outside years 0001-9999.
 */
#ifndef TN_TIME_H
#define TN_TIME_H

#include "tern.h"

typedef struct {
    int year;  /* 1..9999 for the formats above; to_civil may give any year */
    int month; /* 1..12 */
    int day;   /* 1..31 */
    int hour, min, sec;
    int msec; /* 0..999, only used by the iso format */
} tn_civil_t;

#define TN_TIME_AMZ_LEN   16 /* "20150830T123600Z" */
#define TN_TIME_DATE8_LEN 8  /* "20150830" */
#define TN_TIME_ISO_LEN   24 /* "2015-08-30T12:36:00.000Z" */
#define TN_TIME_HTTP_LEN  29 /* "Sun, 30 Aug 2015 12:36:00 GMT" */

/* Days since 1970-01-01 of a civil date (no validation; Hinnant's days_from_civil). */
int64_t tn_days_from_civil(int64_t year, int month, int day);
/* Inverse of tn_days_from_civil. */
void tn_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
int tn_is_leap_year(int64_t year);
int tn_days_in_month(int64_t year, int month); /* 0 for a bad month */

/* Validates c (msec ignored) and converts it to Unix seconds. */
int tn_time_from_civil(const tn_civil_t *c, int64_t *t);
/* Unix seconds to civil UTC (msec = 0). Years outside 1..9999 are possible. */
void tn_time_to_civil(int64_t t, tn_civil_t *c);
/* Day of the week of Unix time t: 0 = Sunday ... 6 = Saturday. */
int tn_time_weekday(int64_t t);

/* Each formatter writes the fixed-length text plus a NUL (out needs LEN + 1 bytes). */
int tn_time_format_amz(int64_t t, char *out);
int tn_time_format_date8(int64_t t, char *out);
int tn_time_format_iso_ms(int64_t ms, char *out); /* ms = Unix milliseconds */
int tn_time_format_http(int64_t t, char *out);

/* "20150830T123600Z", exactly. */
int tn_time_parse_amz(const char *s, size_t len, int64_t *t);
/* "20150830", exactly; *t = midnight UTC of that day. */
int tn_time_parse_date8(const char *s, size_t len, int64_t *t);
/* "2015-08-30T12:36:00Z" or with a fraction of 1-9 digits ("...:00.5Z", "...:00.000Z");
 * the fraction is truncated to milliseconds. *ms = Unix milliseconds. */
int tn_time_parse_iso(const char *s, size_t len, int64_t *ms);
/*
 * HTTP-date (RFC 7231 section 7.1.1.1), all three forms a recipient must accept:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"  (two-digit year: 70-99 -> 19xx, 00-69 -> 20xx)
 *   asctime      "Sun Nov  6 08:49:37 1994"        (day space-padded; zero-padded accepted too)
 * Names are case-sensitive as the grammar says; the weekday name must be a valid one but is
 * not checked against the date (as most servers do). No leading/trailing whitespace.
 */
int tn_time_parse_http(const char *s, size_t len, int64_t *t);

#endif
