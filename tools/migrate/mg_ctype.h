/*
 * mg_ctype.h — PURE Content-Type from a file name's extension (a built-in table of common
 * web, image, media, document and archive types; ASCII case-insensitive), so objects are
 * served with the type a browser expects (Ghost images, media).
 */
#ifndef MG_CTYPE_H
#define MG_CTYPE_H

/* The type for name's extension (text after the last '.' of the last path component), or
 * "application/octet-stream". Never NULL; a static string. */
const char *mg_ctype(const char *name);

#endif
