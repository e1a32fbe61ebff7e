/* docker-ref.c: Docker id and reference rules (see docker-ref.h). */
#include "docker-ref.h"

#include <stdio.h>
#include <string.h>

#include "macro.h"

bool docker_ref_is_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

bool docker_ref_is_hex64(const char *s) {
        return strlen(s) == DOCKER_REF_ID_HEX_LEN && docker_ref_is_hex(s, DOCKER_REF_ID_HEX_LEN);
}

bool docker_ref_is_full_id(const char *s) {
        return startswith(s, DOCKER_REF_ID_PREFIX) && docker_ref_is_hex64(s + strlen(DOCKER_REF_ID_PREFIX));
}

const char *docker_ref_id_hex(const char *id) {
        return startswith(id, DOCKER_REF_ID_PREFIX) ? id + strlen(DOCKER_REF_ID_PREFIX) : id;
}

const char *docker_ref_id_normalize(const char *id, char buf[static DOCKER_REF_ID_SIZE]) {
        if (!docker_ref_is_hex64(id))
                return id;
        snprintf(buf, DOCKER_REF_ID_SIZE, DOCKER_REF_ID_PREFIX "%s", id);
        return buf;
}

bool docker_ref_is_short_id_of(const char *name, const char *id) {
        const char *hex = docker_ref_id_hex(name);
        size_t n = strlen(hex);
        return n >= DOCKER_REF_SHORT_ID_MIN && docker_ref_is_hex(hex, n) && strncmp(docker_ref_id_hex(id), hex, n) == 0;
}

const char *docker_ref_tag_separator(const char *ref) {
        const char *slash = strrchr(ref, '/');
        return strrchr(slash ? slash : ref, ':');
}

void docker_ref_familiar(const char *ref, char *buf, size_t size) {
        const char *s = ref;
        if (startswith(s, "docker.io/"))
                s += strlen("docker.io/");
        else if (startswith(s, "index.docker.io/"))
                s += strlen("index.docker.io/");
        if (startswith(s, "library/") && !strchr(s + strlen("library/"), '/'))
                s += strlen("library/");
        bool tagged = strchr(s, '@') || docker_ref_tag_separator(s);
        snprintf(buf, size, "%s%s", s, tagged ? "" : ":latest");
}
