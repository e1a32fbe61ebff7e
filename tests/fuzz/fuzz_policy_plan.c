/* fuzz_policy_plan.c: libFuzzer over the planner (lib/policy.c): the input's bytes make a snapshot (up to 8
 * containers, 8 images, 4 volumes, 4 networks, a build cache; states, pins, parents, tags, labels, times
 * including 0, the future and the extremes), a usage and the tiers' ages; policy_plan() must then keep
 * every rule of policy.h that no configuration can break, and plan the same twice. It aborts when:
 *   - policy_plan() returns anything but 0 or -ENOMEM, or more actions than max_removals;
 *   - an action names no object of the snapshot, or one twice;
 *   - a container that is not stopped (exited, created, dead), or a protected one, is planned;
 *   - an image any container uses (or while a container's image is unknown), a protected one, or one
 *     before a child of its own is planned;
 *   - a volume or network in use, a built-in network, or a protected one is planned;
 *   - an action younger than the age its rule required (age_sec, by its reference time);
 *   - a second plan of the same input differs. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "policy.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                           \
        do {                                                                               \
                if (!(x)) {                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
                        abort();                                                           \
                }                                                                          \
        } while (0)

#define NOW (INT64_C(1800000000) * NSEC_PER_SEC)
#define N_CT 8
#define N_IM 8
#define N_VOL 4
#define N_NET 4

struct input {
        const uint8_t *p;
        size_t n;
};

static unsigned byte(struct input *in) {
        if (in->n == 0)
                return 0;
        in->n--;
        return *in->p++;
}

/* A time: unknown, hours to years ago, the future, or an extreme. */
static int64_t a_time(struct input *in) {
        static const int64_t ago_sec[] = { 0, 1, 59, 3600, 86400, 7 * 86400, 400 * 86400 };
        unsigned b = byte(in);
        switch (b % 12) {
        case 0:
                return 0;
        case 1:
                return NOW + 3600 * NSEC_PER_SEC;
        case 2:
                return INT64_MAX;
        case 3:
                return INT64_MIN;
        case 4:
                return -1;
        default:
                return NOW - ago_sec[(b / 12) % ELEMENTSOF(ago_sec)] * NSEC_PER_SEC;
        }
}

static const char *const image_ids[N_IM] = {
        "sha256:00", "sha256:11", "sha256:22", "sha256:33", "sha256:44", "sha256:55", "sha256:66", "sha256:77",
};
static const char *const ct_ids[N_CT] = { "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7" };
static const char *const vol_names[N_VOL] = { "v0", "v1", "v2", "v3" };
static const char *const net_ids[N_NET] = { "n0", "n1", "n2", "n3" };
static const char *const net_names[N_NET] = { "bridge", "net1", "net2", "net3" };
static char *const tag_sets[][3] = {
        { NULL }, { "a:1", NULL }, { "a:2", NULL }, { "prot/x:1", NULL }, { "b:1", "a:3", NULL }, { "c:1", NULL },
};
static char *const vol_sets[][3] = { { NULL }, { "v0", NULL }, { "v1", "v2", NULL }, { "v3", NULL } };
static char *const net_sets[][3] = { { NULL }, { "net1", NULL }, { "n2", NULL }, { "bridge", "net3", NULL } };
static struct engine_kv keep_label[] = { { "keep", "" } };

static struct config config;
static bool configured;

static void configure(void) {
        static const char text[] =
                "tiers = ( { type = \"stopped-containers\"; min_age = \"1h\"; },"
                "          { type = \"dangling-images\"; min_age = \"1h\"; },"
                "          { type = \"build-cache\"; min_age = \"24h\"; },"
                "          { type = \"unused-images\"; min_age = \"24h\"; max_unused_age = \"7d\"; },"
                "          { type = \"unused-volumes\"; min_age = \"1h\"; include_named = true; },"
                "          { type = \"unused-networks\"; min_age = \"1h\"; } );"
                "protect = { labels = [ \"keep\" ]; images = [ \"prot/*\" ]; newest_per_repository = 1; };"
                "disk = { critical_watermark = \"95%\"; critical_min_age = \"10m\"; };";
        struct config_error err = {};
        CHECK(config_parse_string(text, "fuzz.conf", &config, &err) == 0);
        configured = true;
}

static int find(const char *const *ids, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (id && strcmp(ids[i], id) == 0)
                        return (int) i;
        return -1;
}

static bool strv_has(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

static bool old_enough(int64_t ref, uint64_t age_sec) {
        if (age_sec == 0)
                return true;
        return ref > 0 && ref <= NOW && (uint64_t) (NOW - ref) >= age_sec * (uint64_t) NSEC_PER_SEC;
}

static int action_index(const struct policy_plan *p, enum policy_action_kind kind, const char *id) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == kind && p->actions[i].id && strcmp(p->actions[i].id, id) == 0)
                        return (int) i;
        return -1;
}

static void check_plan(const struct policy_plan *p, const struct policy_snapshot *s) {
        CHECK(p->n_actions <= config.max_removals);
        bool image_unknown = false;
        for (size_t j = 0; j < s->n_containers; j++)
                image_unknown |= !s->containers[j].image_id || !*s->containers[j].image_id;
        for (size_t i = 0; i < p->n_actions; i++) {
                const struct policy_action *a = &p->actions[i];
                if (a->kind != POLICY_ACTION_PRUNE_BUILD_CACHE)
                        CHECK(a->id && action_index(p, a->kind, a->id) == (int) i); /* once */
                switch (a->kind) {
                case POLICY_ACTION_REMOVE_CONTAINER: {
                        int k = find(ct_ids, s->n_containers, a->id);
                        CHECK(k >= 0);
                        const struct policy_container *c = &s->containers[k];
                        CHECK(c->state == ENGINE_CONTAINER_EXITED || c->state == ENGINE_CONTAINER_CREATED ||
                              c->state == ENGINE_CONTAINER_DEAD);
                        CHECK(!policy_labels_protected(&config, &c->labels));
                        CHECK(old_enough(c->finished_at_ns > 0 ? c->finished_at_ns : c->created_ns, a->age_sec));
                        break;
                }
                case POLICY_ACTION_REMOVE_IMAGE: {
                        int k = find(image_ids, s->n_images, a->id);
                        CHECK(k >= 0);
                        const struct policy_image *im = &s->images[k];
                        CHECK(!image_unknown);
                        for (size_t j = 0; j < s->n_containers; j++)
                                CHECK(strcmp(s->containers[j].image_id, im->id) != 0);
                        CHECK(!policy_image_protected(&config, im->tags, &im->labels));
                        for (size_t j = 0; j < s->n_images; j++)
                                if (s->images[j].parent_id && strcmp(s->images[j].parent_id, im->id) == 0) {
                                        int child = action_index(p, POLICY_ACTION_REMOVE_IMAGE, s->images[j].id);
                                        CHECK(child >= 0 && child < (int) i);
                                }
                        bool dangling = !im->tags || !im->tags[0];
                        CHECK(old_enough(dangling ? im->created_ns : MAX(im->last_used_ns, im->created_ns), a->age_sec));
                        break;
                }
                case POLICY_ACTION_REMOVE_VOLUME: {
                        int k = find(vol_names, s->n_volumes, a->id);
                        CHECK(k >= 0);
                        const struct policy_volume *v = &s->volumes[k];
                        CHECK(v->ref_count <= 0);
                        for (size_t j = 0; j < s->n_containers; j++)
                                CHECK(!strv_has(s->containers[j].volumes, v->name));
                        CHECK(!policy_labels_protected(&config, &v->labels));
                        CHECK(old_enough(v->created_ns, a->age_sec));
                        break;
                }
                case POLICY_ACTION_REMOVE_NETWORK: {
                        int k = find(net_ids, s->n_networks, a->id);
                        CHECK(k >= 0);
                        const struct policy_network *w = &s->networks[k];
                        CHECK(!w->builtin && w->n_containers == 0);
                        for (size_t j = 0; j < s->n_containers; j++)
                                CHECK(!strv_has(s->containers[j].networks, w->name) &&
                                      !strv_has(s->containers[j].networks, w->id));
                        CHECK(!policy_labels_protected(&config, &w->labels));
                        CHECK(old_enough(w->created_ns, a->age_sec));
                        break;
                }
                case POLICY_ACTION_PRUNE_BUILD_CACHE:
                        CHECK(s->build_cache.supported && s->build_cache.counted > 0);
                        break;
                case _POLICY_ACTION_KIND_MAX:
                        CHECK(false);
                }
        }
}

static bool same_plan(const struct policy_plan *a, const struct policy_plan *b) {
        if (a->n_actions != b->n_actions || a->n_to_target != b->n_to_target)
                return false;
        for (size_t i = 0; i < a->n_actions; i++)
                if (a->actions[i].kind != b->actions[i].kind || a->actions[i].rule != b->actions[i].rule ||
                    a->actions[i].estimated_bytes != b->actions[i].estimated_bytes ||
                    (a->actions[i].id && strcmp(a->actions[i].id, b->actions[i].id) != 0))
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t ages[] = { 0, 60, 3600, 86400 };
        struct policy_container cts[N_CT];
        struct policy_image ims[N_IM];
        struct policy_volume vols[N_VOL];
        struct policy_network nets[N_NET];
        struct input in = { data, size };

        if (!configured)
                configure();
        config.max_removals = 1 + byte(&in) % 24;
        for (size_t t = 0; t < config.n_tiers; t++)
                config.tiers[t].min_age_sec = ages[byte(&in) % ELEMENTSOF(ages)];

        struct usage u;
        unsigned fill = byte(&in) % 101;
        usage_from_counts(4096, 1000, 1000 - fill * 10, 1000 - fill * 10, byte(&in) % 2 ? 1000 : 0, 500, 500, &u);

        struct policy_snapshot s = { .now_ns = NOW, .containers = cts, .images = ims, .volumes = vols, .networks = nets };
        s.n_images = byte(&in) % (N_IM + 1);
        for (size_t i = 0; i < s.n_images; i++) {
                unsigned b = byte(&in);
                ims[i] = (struct policy_image){
                        .id = image_ids[i],
                        .tags = tag_sets[b % ELEMENTSOF(tag_sets)],
                        .created_ns = a_time(&in),
                        .last_used_ns = a_time(&in),
                        .size = (uint64_t) byte(&in) << 20,
                        .labels = { keep_label, (b & 0x80) ? 1 : 0 },
                        /* a parent only among the earlier images: no cycles, as an engine has none */
                        .parent_id = i > 0 && (b & 0x40) ? image_ids[byte(&in) % i] : NULL,
                        .last_tag_time_ns = a_time(&in),
                };
        }
        s.n_containers = byte(&in) % (N_CT + 1);
        for (size_t i = 0; i < s.n_containers; i++) {
                unsigned b = byte(&in);
                cts[i] = (struct policy_container){
                        .id = ct_ids[i],
                        .name = ct_ids[i],
                        .image_id = b % 16 == 15 ? "" : image_ids[b % N_IM],
                        .state = (enum engine_container_state) (byte(&in) % (ENGINE_CONTAINER_DEAD + 1)),
                        .created_ns = a_time(&in),
                        .finished_at_ns = a_time(&in),
                        .size_rw = (uint64_t) byte(&in) << 16,
                        .labels = { keep_label, (b & 0x80) ? 1 : 0 },
                        .volumes = vol_sets[(b >> 4) % ELEMENTSOF(vol_sets)],
                        .networks = net_sets[(b >> 2) % ELEMENTSOF(net_sets)],
                };
        }
        s.n_volumes = byte(&in) % (N_VOL + 1);
        for (size_t i = 0; i < s.n_volumes; i++) {
                unsigned b = byte(&in);
                vols[i] = (struct policy_volume){
                        .name = vol_names[i],
                        .anonymous = b & 1,
                        .created_ns = a_time(&in),
                        .size = (uint64_t) byte(&in) << 20,
                        .ref_count = (int64_t) (b >> 1) % 3 - 1,
                        .labels = { keep_label, (b & 0x80) ? 1 : 0 },
                };
        }
        s.n_networks = byte(&in) % (N_NET + 1);
        for (size_t i = 0; i < s.n_networks; i++) {
                unsigned b = byte(&in);
                nets[i] = (struct policy_network){
                        .id = net_ids[i],
                        .name = net_names[i],
                        .builtin = i == 0,
                        .created_ns = a_time(&in),
                        .n_containers = b & 1,
                        .labels = { keep_label, (b & 0x80) ? 1 : 0 },
                };
        }
        unsigned b = byte(&in);
        s.build_cache = (struct policy_build_cache){ .supported = b & 1, .counted = (uint64_t) (b >> 1) << 20,
                                                     .reclaimable = (uint64_t) (b >> 2) << 20,
                                                     .shared = (uint64_t) byte(&in) << 20 };

        struct policy_plan p = {}, q = {};
        int r = policy_plan(&config, &u, &s, &p);
        CHECK(r == 0 || r == -ENOMEM);
        if (r == 0) {
                check_plan(&p, &s);
                CHECK(policy_plan(&config, &u, &s, &q) == 0);
                CHECK(same_plan(&p, &q));
        }
        policy_plan_done(&p);
        policy_plan_done(&q);
        return 0;
}
