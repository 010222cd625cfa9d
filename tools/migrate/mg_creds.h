/*
 * mg_creds.h — credentials for tern-migrate: --profile NAME (or AWS_PROFILE) read from the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), otherwise
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, otherwise the file's [default] profile — the
 * order aws-cli uses for these sources. mg_creds_parse is PURE (INI text in, keys out).
 */
#ifndef MG_CREDS_H
#define MG_CREDS_H

#include <stddef.h>

typedef struct {
    char access_key[129];
    char secret[257];
} mg_creds_t;

/* Finds [profile] in INI text and its aws_access_key_id / aws_secret_access_key (spaces
 * around '=' and values trimmed, '#' and ';' comment lines). 0, or -1 if the profile or a
 * key is missing or too long. */
int mg_creds_parse(const char *text, const char *profile, mg_creds_t *out);

/* Resolves credentials as above; profile may be NULL. 0, or -1 with *why set. */
int mg_creds_load(const char *profile, mg_creds_t *out, const char **why);

#endif
