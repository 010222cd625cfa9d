/* gw_acl.c — canned ACLs, their mapping from grant lists, their XML and the access decision
 * for public and ACL-granted access (gw_acl.h). Pure: no I/O. */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>
#include "gw_acl.h"

static const char *const names[GW_ACL__COUNT] = {
    [GW_ACL_PRIVATE] = "private",
    [GW_ACL_PUBLIC_READ] = "public-read",
    [GW_ACL_PUBLIC_READ_WRITE] = "public-read-write",
    [GW_ACL_AUTHENTICATED_READ] = "authenticated-read",
    [GW_ACL_AWS_EXEC_READ] = "aws-exec-read",
    [GW_ACL_BUCKET_OWNER_READ] = "bucket-owner-read",
    [GW_ACL_BUCKET_OWNER_FULL_CONTROL] = "bucket-owner-full-control",
};

const char *gw_acl_name(gw_acl_t acl)
{
    return (unsigned)acl < GW_ACL__COUNT ? names[acl] : "private";
}

static int slice_is(const char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

s3_err_t gw_acl_parse_canned(const char *s, size_t len, int is_object, gw_acl_t *out, s3_why_t *why)
{
    for (int i = 0; i < GW_ACL__COUNT; i++) {
        if (!slice_is(s, len, names[i]))
            continue;
        if (i == GW_ACL_AWS_EXEC_READ)
            return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                              "The canned ACL aws-exec-read is not implemented by tern");
        if (!is_object && (i == GW_ACL_BUCKET_OWNER_READ || i == GW_ACL_BUCKET_OWNER_FULL_CONTROL))
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid canned ACL for a bucket");
        *out = (gw_acl_t)i;
        return S3_OK;
    }
    if (slice_is(s, len, "log-delivery-write"))
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "The canned ACL log-delivery-write is not implemented by tern");
    return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid canned ACL");
}

/* ---- grant sets ---- */

/* What a grant list says, reduced to the only shapes a canned ACL can have. */
typedef struct {
    int owner_full;      /* owner FULL_CONTROL */
    int all_read;        /* AllUsers READ */
    int all_write;       /* AllUsers WRITE */
    int auth_read;       /* AuthenticatedUsers READ */
    const char *foreign; /* anything else: what it was, for the message */
} grantset_t;

static s3_err_t grantset_to_canned(const grantset_t *g, int is_object, gw_acl_t *out, s3_why_t *why)
{
    if (g->foreign != NULL)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "tern stores canned ACLs only; this grant list does not map onto one "
                          "(%s)",
                          g->foreign);
    if (!g->owner_full)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "tern stores canned ACLs only; every canned ACL grants the owner "
                          "FULL_CONTROL, and this grant list does not");
    if (g->auth_read && (g->all_read || g->all_write))
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "tern stores canned ACLs only; AuthenticatedUsers READ together with "
                          "AllUsers grants does not map onto one");
    if (g->all_write && !g->all_read)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "tern stores canned ACLs only; AllUsers WRITE without AllUsers READ "
                          "does not map onto one");
    if (g->all_write && is_object)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "AllUsers WRITE on an object does not map onto a canned ACL tern "
                          "stores");
    *out = g->all_write   ? GW_ACL_PUBLIC_READ_WRITE
           : g->all_read  ? GW_ACL_PUBLIC_READ
           : g->auth_read ? GW_ACL_AUTHENTICATED_READ
                          : GW_ACL_PRIVATE;
    return S3_OK;
}

/* One grant into g. kind: 'i' id, 'u' uri, 'e' email. */
static void grantset_add(grantset_t *g, char kind, const char *v, size_t vlen, const char *owner,
                         s3_permission_t perm)
{
    if (kind == 'i' && slice_is(v, vlen, owner) && perm == S3_PERM_FULL_CONTROL) {
        g->owner_full = 1;
    } else if (kind == 'u' && slice_is(v, vlen, GW_ACL_ALL_USERS) && perm == S3_PERM_READ) {
        g->all_read = 1;
    } else if (kind == 'u' && slice_is(v, vlen, GW_ACL_ALL_USERS) && perm == S3_PERM_WRITE) {
        g->all_write = 1;
    } else if (kind == 'u' && slice_is(v, vlen, GW_ACL_AUTH_USERS) && perm == S3_PERM_READ) {
        g->auth_read = 1;
    } else if (g->foreign == NULL) {
        g->foreign = kind == 'e'   ? "a grant to an email address"
                     : kind == 'i' ? (perm == S3_PERM_FULL_CONTROL ? "a grant to another user"
                                                                   : "a partial grant to a user")
                     : perm == S3_PERM_READ_ACP || perm == S3_PERM_WRITE_ACP
                         ? "an ACP grant to a group"
                         : "a grant to a group tern does not know, or with another permission";
    }
}

s3_err_t gw_acl_from_policy(const s3_acl_t *acp, const char *owner, int is_object, gw_acl_t *out,
                            s3_why_t *why)
{
    if (acp->owner_id.base != NULL && !slice_is(acp->owner_id.base, acp->owner_id.len, owner))
        return s3_why_set(why, S3_ERR_ACCESS_DENIED, "The Owner ID is not the bucket's owner");
    grantset_t g = {0};
    for (size_t i = 0; i < acp->n_grants; i++) {
        const s3_grant_t *gr = &acp->grants[i];
        switch (gr->type) {
        case S3_GRANTEE_CANONICAL_USER:
            grantset_add(&g, 'i', gr->id.base, gr->id.len, owner, gr->permission);
            break;
        case S3_GRANTEE_GROUP:
            grantset_add(&g, 'u', gr->uri.base, gr->uri.len, owner, gr->permission);
            break;
        case S3_GRANTEE_EMAIL:
            grantset_add(&g, 'e', gr->email.base, gr->email.len, owner, gr->permission);
            break;
        }
    }
    return grantset_to_canned(&g, is_object, out, why);
}

/* Parses one x-amz-grant-* value: `type="value", type="value"` (type id, uri or
 * emailAddress; quotes optional) into g. Returns S3_OK or InvalidArgument. */
static s3_err_t grant_header(grantset_t *g, tn_slice_t h, const char *owner, s3_permission_t perm,
                             s3_why_t *why)
{
    const char *p = h.base, *end = h.base + h.len;
    int n = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (p == end)
            break;
        const char *t = p;
        while (p < end && *p != '=')
            p++;
        if (p == end)
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid x-amz-grant-* header");
        const char *te = p++;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *v, *ve;
        if (p < end && *p == '"') {
            v = ++p;
            while (p < end && *p != '"')
                p++;
            if (p == end)
                return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid x-amz-grant-* header");
            ve = p++;
        } else {
            v = p;
            while (p < end && *p != ',')
                p++;
            ve = p;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
        }
        size_t tl = (size_t)(te - t);
        char kind;
        if (tl == 2 && strncasecmp(t, "id", 2) == 0)
            kind = 'i';
        else if (tl == 3 && strncasecmp(t, "uri", 3) == 0)
            kind = 'u';
        else if (tl == 12 && strncasecmp(t, "emailAddress", 12) == 0)
            kind = 'e';
        else
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                              "Invalid grantee type in an x-amz-grant-* header");
        grantset_add(g, kind, v, (size_t)(ve - v), owner, perm);
        n++;
    }
    if (n == 0)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Empty x-amz-grant-* header");
    return S3_OK;
}

s3_err_t gw_acl_from_grant_headers(const gw_acl_grant_hdrs_t *h, const char *owner, int is_object,
                                   gw_acl_t *out, s3_why_t *why)
{
    grantset_t g = {0};
    struct {
        tn_slice_t v;
        s3_permission_t p;
    } hs[] = {{h->read, S3_PERM_READ},
              {h->write, S3_PERM_WRITE},
              {h->read_acp, S3_PERM_READ_ACP},
              {h->write_acp, S3_PERM_WRITE_ACP},
              {h->full_control, S3_PERM_FULL_CONTROL}};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        if (hs[i].v.base == NULL)
            continue;
        s3_err_t e = grant_header(&g, hs[i].v, owner, hs[i].p, why);
        if (e != S3_OK)
            return e;
    }
    /* the owner keeps FULL_CONTROL implicitly when the headers only add public grants */
    g.owner_full = 1;
    return grantset_to_canned(&g, is_object, out, why);
}

/* ---- XML ---- */

static void grant_xml(s3_buf_t *x, const char *type, const char *id, const char *uri,
                      const char *perm)
{
    s3_xml_open(x, "Grant");
    s3_buf_append_str(x, "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                         "xsi:type=\"");
    s3_buf_append_str(x, type);
    s3_buf_append_str(x, "\">");
    if (id != NULL) {
        s3_xml_elem_str(x, "ID", id);
        s3_xml_elem_str(x, "DisplayName", id);
    }
    if (uri != NULL)
        s3_xml_elem_str(x, "URI", uri);
    s3_xml_close(x, "Grantee");
    s3_xml_elem_str(x, "Permission", perm);
    s3_xml_close(x, "Grant");
}

void gw_acl_render(s3_buf_t *x, gw_acl_t acl, const char *owner)
{
    s3_xml_decl(x);
    s3_xml_open_ns(x, "AccessControlPolicy", S3_XML_NS);
    s3_xml_open(x, "Owner");
    s3_xml_elem_str(x, "ID", owner);
    s3_xml_elem_str(x, "DisplayName", owner);
    s3_xml_close(x, "Owner");
    s3_xml_open(x, "AccessControlList");
    grant_xml(x, "CanonicalUser", owner, NULL, "FULL_CONTROL");
    if (acl == GW_ACL_PUBLIC_READ || acl == GW_ACL_PUBLIC_READ_WRITE)
        grant_xml(x, "Group", NULL, GW_ACL_ALL_USERS, "READ");
    if (acl == GW_ACL_PUBLIC_READ_WRITE)
        grant_xml(x, "Group", NULL, GW_ACL_ALL_USERS, "WRITE");
    if (acl == GW_ACL_AUTHENTICATED_READ)
        grant_xml(x, "Group", NULL, GW_ACL_AUTH_USERS, "READ");
    s3_xml_close(x, "AccessControlList");
    s3_xml_close(x, "AccessControlPolicy");
}

/* ---- decision ---- */

static int grants(gw_acl_t acl, gw_acl_who_t who, int write)
{
    if (write)
        return acl == GW_ACL_PUBLIC_READ_WRITE;
    if (acl == GW_ACL_PUBLIC_READ || acl == GW_ACL_PUBLIC_READ_WRITE)
        return 1;
    return acl == GW_ACL_AUTHENTICATED_READ && who == GW_PRINCIPAL_AUTHENTICATED;
}

gw_verdict_t gw_acl_decide(gw_acl_who_t who, gw_access_t op, gw_acl_t bucket_acl,
                           gw_acl_t object_acl, gw_verdict_t policy)
{
    if (who == GW_PRINCIPAL_OWNER)
        return GW_VERDICT_ALLOW;
    if (policy == GW_VERDICT_DENY || policy == GW_VERDICT_ALLOW)
        return policy;
    switch (op) {
    case GW_ACCESS_READ_OBJECT:
        return grants(object_acl, who, 0) ? GW_VERDICT_ALLOW : GW_VERDICT_DENY;
    case GW_ACCESS_LIST_BUCKET:
        return grants(bucket_acl, who, 0) ? GW_VERDICT_ALLOW : GW_VERDICT_DENY;
    case GW_ACCESS_WRITE_OBJECT:
        return grants(bucket_acl, who, 1) ? GW_VERDICT_ALLOW : GW_VERDICT_DENY;
    }
    return GW_VERDICT_DENY;
}
