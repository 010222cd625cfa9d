/*
 * s3_xml.h — PURE XML writer for S3 response documents (no parsing here).
 *
 * Output goes to an s3_buf_t. Two ownership modes:
 *   - s3_buf_init(b, max): the buffer owns heap memory it grows with realloc up to max
 *     bytes; release it with s3_buf_free() (or take b->base and set it to NULL yourself).
 *   - s3_buf_init_fixed(b, mem, cap): writes into caller memory, never grows, never frees.
 * Errors are sticky: once an append does not fit (over max/cap, or out of memory),
 * b->failed is set, nothing more is appended, and s3_buf_ok() is false; check once at the
 * end. On success the content is NUL-terminated (b->base[b->len] == '\0').
 *
 * Escaping (s3_xml_text and friends): & < > " ' become &amp; &lt; &gt; &quot; &apos;;
 * CR becomes &#xD; (a literal CR would be turned into LF by any XML parser); TAB and LF are
 * kept. Characters XML 1.0 does not allow at all (U+0000-U+0008, U+000B, U+000C,
 * U+000E-U+001F, U+FFFE, U+FFFF) are written as numeric references (&#x1; ...): an XML 1.0
 * parser will reject the document, as it does with AWS's own listings, and clients are
 * expected to ask for encoding-type=url for such keys; the information is not lost. Bytes
 * that are not well-formed UTF-8 (including surrogates and overlongs) are replaced by
 * U+FFFD, since they cannot be represented in an XML document at all; keys should be
 * validated as UTF-8 before they are stored (see s3_utf8_valid()).
 */
#ifndef S3_XML_H
#define S3_XML_H

#include "tern.h"
#include "s3_error.h"

typedef struct {
    char *base;
    size_t len;
    size_t cap;
    size_t max; /* growth limit (owned mode); == cap in fixed mode */
    int owned;  /* base is heap memory owned by this buffer */
    int failed; /* sticky overflow / out-of-memory flag */
} s3_buf_t;

#define S3_XML_NS "http://s3.amazonaws.com/doc/2006-03-01/"

void s3_buf_init(s3_buf_t *b, size_t max);
void s3_buf_init_fixed(s3_buf_t *b, char *mem, size_t cap);
void s3_buf_free(s3_buf_t *b);
void s3_buf_reset(s3_buf_t *b); /* len = 0, failed = 0; keeps memory */
int s3_buf_ok(const s3_buf_t *b);
void s3_buf_append(s3_buf_t *b, const void *p, size_t n);
void s3_buf_append_str(s3_buf_t *b, const char *s);

/* Is s well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
int s3_utf8_valid(const char *s, size_t len);

/* <?xml version="1.0" encoding="UTF-8"?> followed by a newline. */
void s3_xml_decl(s3_buf_t *b);
/* <name> and <name xmlns="ns">; name is trusted (a literal), not escaped. */
void s3_xml_open(s3_buf_t *b, const char *name);
void s3_xml_open_ns(s3_buf_t *b, const char *name, const char *ns);
void s3_xml_close(s3_buf_t *b, const char *name);
/* Escaped character data (see the rules above). */
void s3_xml_text(s3_buf_t *b, const char *s, size_t len);
/* <name>escaped text</name> */
void s3_xml_elem(s3_buf_t *b, const char *name, const char *s, size_t len);
void s3_xml_elem_str(s3_buf_t *b, const char *name, const char *s);
void s3_xml_elem_u64(s3_buf_t *b, const char *name, uint64_t v);
void s3_xml_elem_bool(s3_buf_t *b, const char *name, int v); /* "true" / "false" */

/*
 * The S3 error document:
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <Error><Code>NoSuchKey</Code><Message>...</Message><Resource>/b/k</Resource>
 *   <RequestId>...</RequestId></Error>
 * message NULL uses the table's default; resource and request_id NULL are left out.
 * Returns TN_OK, or TN_ERR_TOO_BIG if the buffer overflowed.
 */
int s3_xml_error(s3_buf_t *b, s3_err_t code, const char *message, const char *resource,
                 const char *request_id);

/* A name/value pair for the extra elements some errors carry (AuthorizationHeaderMalformed:
 * <Region>; RequestTimeTooSkewed: <RequestTime>, <ServerTime>; InvalidRange:
 * <ActualObjectSize>...). They are written after <Message>, in order, values escaped. */
typedef struct {
    const char *name;
    const char *value;
} s3_xml_kv_t;

int s3_xml_error_ex(s3_buf_t *b, s3_err_t code, const char *message, const char *resource,
                    const char *request_id, const s3_xml_kv_t *extra, size_t n_extra);

#endif
