/*
 * s3c_xml.h — PURE reading of the small, flat XML answers of S3 listings (ListObjectsV2,
 * ListMultipartUploads, ListParts) by the tools: walk the repeated elements
 * (<Contents>, <Upload>, <Part>) one by one and take the text of a named child, with XML
 * entities decoded and, for answers asked with encoding-type=url, percent-decoded.
 *
 * Not a general XML parser: elements are matched by their exact open and close tags
 * (<Name> ... </Name>, no attributes), which is what S3 and tern's gateway send; anything
 * else is "absent" or an error, never an out-of-bounds read.
 */
#ifndef S3C_XML_H
#define S3C_XML_H

#include <stddef.h>

/* Finds the next <name>...</name> in xml[*pos, len): sets *body and *blen to what is between the
 * tags and *pos past the close tag. 1 if found, 0 if not (or not closed). */
int s3c_xml_next(const char *xml, size_t len, size_t *pos, const char *name, const char **body,
                 size_t *blen);

/* Text of the first <name> child in body[blen] into out[cap] (NUL-terminated): entities
 * (&amp; &lt; &gt; &quot; &apos; &#N; &#xN; below 128) decoded, then %XX (and + as space) decoded
 * when url is set. Returns its length, or -1 if absent, malformed or too long (an empty element is
 * 0). */
long s3c_xml_text(const char *body, size_t blen, const char *name, int url, char *out, size_t cap);

#endif
