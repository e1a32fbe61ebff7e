/* policy-protect.c: what no plan may touch: objects carrying a protect_labels label, images with a
 * tag matching a protect_images glob (the protection part of policy.h). Pure. */
#include "policy.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "docker-ref.h"
#include "macro.h"
#include "strv.h"

bool policy_labels_protected(const struct config *c, const struct engine_labels *labels) {
        if (!c->protect_labels || !labels || labels->n == 0)
                return false;
        for (char **p = c->protect_labels; *p; p++) {
                const char *eq = strchr(*p, '=');
                if (!eq) {
                        if (engine_labels_get(labels, *p))
                                return true;
                        continue;
                }
                _cleanup_free_ char *key = strndup(*p, (size_t) (eq - *p));
                if (!key)
                        return true; /* out of memory: keeping an object is the safe answer */
                const char *v = engine_labels_get(labels, key);
                if (v && streq(v, eq + 1))
                        return true;
        }
        return false;
}

static bool tag_matches_glob(const char *glob, const char *tag) {
        if (fnmatch(glob, tag, 0) == 0)
                return true;
        /* Then the repo part alone. */
        const char *colon = docker_ref_tag_separator(tag);
        if (!colon)
                return false;
        _cleanup_free_ char *repo = strndup(tag, (size_t) (colon - tag));
        if (!repo)
                return true; /* out of memory: protect */
        return fnmatch(glob, repo, 0) == 0;
}

bool policy_image_protected(const struct config *c, char *const *tags, const struct engine_labels *labels) {
        if (policy_labels_protected(c, labels))
                return true;
        if (!c->protect_images || !tags)
                return false;
        for (char *const *t = tags; *t; t++) {
                /* Podman lists qualified names (docker.io/library/nginx:1.25); globs are written familiar. */
                char familiar[512];
                docker_ref_familiar(*t, familiar, sizeof familiar);
                for (char **g = c->protect_images; *g; g++)
                        if (tag_matches_glob(*g, *t) || (!streq(familiar, *t) && tag_matches_glob(*g, familiar)))
                                return true;
        }
        return false;
}

bool policy_image_leased(const struct config *c, const char *id) {
        return id && c->leased_image_ids && strv_contains(c->leased_image_ids, id);
}
