/* docker-ref.h: the rules for Docker's image ids and references, in one place. Ids are
 * "sha256:<64 lowercase hex>" (Podman also writes the bare hex), users may shorten them to a hex prefix;
 * references are "[registry[:port]/]repo[:tag][@digest]", and the engine lists them in the familiar
 * form ("nginx:1.25", not "docker.io/library/nginx:1.25"). Pure string functions, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DOCKER_REF_ID_PREFIX "sha256:"
#define DOCKER_REF_ID_HEX_LEN 64
/* A full id and its NUL. */
#define DOCKER_REF_ID_SIZE (sizeof(DOCKER_REF_ID_PREFIX) + DOCKER_REF_ID_HEX_LEN)
/* The fewest hex digits a short id is taken for (as the engine's own lookup). */
#define DOCKER_REF_SHORT_ID_MIN 4

/* The first n characters are lowercase hex digits. */
bool docker_ref_is_hex(const char *s, size_t n);
/* 64 lowercase hex digits: a bare id, as Podman names images. */
bool docker_ref_is_hex64(const char *s);
/* "sha256:" and 64 lowercase hex digits. */
bool docker_ref_is_full_id(const char *s);
/* The hex part of an id: after "sha256:" when it has that prefix, else id itself. */
const char *docker_ref_id_hex(const char *id);
/* A bare 64-hex id in Docker's form, "sha256:<hex>", written to buf; any other id is returned as it is. */
const char *docker_ref_id_normalize(const char *id, char buf[static DOCKER_REF_ID_SIZE]);
/* Whether name is a short id of id: at least DOCKER_REF_SHORT_ID_MIN hex digits, with or without
 * "sha256:", that id's hex starts with. */
bool docker_ref_is_short_id_of(const char *name, const char *id);

/* The ':' that starts the tag of "repo:tag": the last ':' after the last '/' (a ':' before a '/' is a
 * registry port); NULL when there is no tag. Digests are not split: look for '@' first. */
const char *docker_ref_tag_separator(const char *ref);
/* The familiar form of a reference into buf (truncated to size): no "docker.io/", "index.docker.io/"
 * or single-level "library/" prefix, and ":latest" when it has neither tag nor digest. */
void docker_ref_familiar(const char *ref, char *buf, size_t size);
