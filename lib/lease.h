/* lease.h: image leases (--lease IMAGE --for DURATION): images that count as in use until the lease ends
 * or is released; kept in state_dir/leases.json so that they survive a restart. The set is plain data;
 * the clock and the random lease ids come from the caller. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define LEASE_FILE_NAME "leases.json"
#define LEASE_ID_LEN 16                  /* hex digits */
#define LEASE_SET_MAX 256                /* leases at once; more are refused */
#define LEASE_IMAGES_MAX 32              /* images per lease */

struct lease {
        char id[LEASE_ID_LEN + 1];
        int64_t until_ns;                /* unix ns */
        uint32_t uid;                    /* who took it */
        char **image_ids;                /* NULL-terminated "sha256:...", resolved when taken */
        char **refs;                     /* ... as the caller named them, same order */
        uint64_t bytes;                  /* the sizes of its images (each once) when it was taken */
};

struct lease_set {
        struct lease *items;
        size_t n;
};

void lease_set_done(struct lease_set *s);
/* Takes ownership of image_ids and refs (set to NULL) on success; -E2BIG past LEASE_SET_MAX, -EEXIST
 * for a taken id. */
int lease_set_add(struct lease_set *s, const char *id, int64_t until_ns, uint32_t uid, char ***image_ids, char ***refs) _must_check_;
/* Returns the index of the lease with that id, or -ENOENT. */
int lease_set_find(const struct lease_set *s, const char *id);
void lease_set_remove(struct lease_set *s, size_t i);
/* Drops the leases ended at now_ns; returns how many. */
size_t lease_set_expire(struct lease_set *s, int64_t now_ns);
/* The earliest end of a lease, or 0 when none. */
int64_t lease_set_next_end(const struct lease_set *s);
/* Every image id under a lease (NULL-terminated, owned by the caller; duplicates removed). */
int lease_set_image_ids(const struct lease_set *s, char ***ret) _must_check_;
/* The bytes the leases keep (their .bytes summed; an image under two leases counts in each). */
uint64_t lease_set_bytes(const struct lease_set *s);
/* A lease id from 8 random bytes. */
void lease_id_format(const uint8_t bytes[static 8], char ret[static LEASE_ID_LEN + 1]);
bool lease_id_valid(const char *id);

/* The file: {"leases":[{"id":..,"until_ns":..,"uid":..,"images":[..],"refs":[..]}]}. */
int lease_set_write(const struct lease_set *s, FILE *f) _must_check_;
/* Parses text (at most LEASE_FILE_MAX bytes); -EBADMSG when malformed. *ret set only on success. */
#define LEASE_FILE_MAX (1024 * 1024)
int lease_set_parse(const char *text, size_t n, struct lease_set *ret) _must_check_;
/* state_dir/leases.json: a missing file is an empty set. */
int lease_set_load(const char *state_dir, struct lease_set *ret) _must_check_;
/* Written by fileio_write_atomic() (why: as there, may be NULL). */
int lease_set_save(const char *state_dir, const struct lease_set *s, char *why, size_t why_size) _must_check_;
