/* engine-decode-events.c: one line of the /events stream to an engine_event (engine-internal.h). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine-internal.h"
#include "json-read.h"
#include "time-util.h"

void engine_event_data_done(struct engine_event_data *ed) {
        if (!ed)
                return;
        json_read_labels_free(&ed->attributes);
        json_decref(ed->root);
        *ed = (struct engine_event_data) {};
}

int engine_decode_event(const char *buf, size_t len, struct engine_event_data *ret, struct engine_error *err) {
        struct json_read_cursor d = { err, "/events", -1 };
        _cleanup_(engine_event_data_done) struct engine_event_data ed = {};
        json_t *actor = NULL;
        int64_t secs;
        int r;

        if ((r = json_read_parse(&d, buf, len, JSON_OBJECT, &ed.root)) < 0 ||
            (r = json_read_peek_str(&d, ed.root, "Type", false, &ed.ev.type)) < 0 ||
            (r = json_read_peek_str(&d, ed.root, "Action", false, &ed.ev.action)) < 0 ||
            (r = json_read_object(&d, ed.root, "Actor", &actor)) < 0 ||
            (r = json_read_int(&d, ed.root, "timeNano", 0, &ed.ev.time_ns)) < 0 ||
            (r = json_read_int(&d, ed.root, "time", 0, &secs)) < 0)
                return r;
        /* Before API 1.22 an event had only "status", "id" and "from"; keep them as fallbacks. */
        if (!*ed.ev.action && (r = json_read_peek_str(&d, ed.root, "status", false, &ed.ev.action)) < 0)
                return r;
        if (actor && ((r = json_read_peek_str(&d, actor, "ID", false, &ed.ev.actor_id)) < 0 ||
                      (r = json_read_labels(&d, actor, "Attributes", &ed.attributes)) < 0))
                return r;
        if ((!ed.ev.actor_id || !*ed.ev.actor_id) &&
            (r = json_read_peek_str(&d, ed.root, "id", false, &ed.ev.actor_id)) < 0)
                return r;
        if (!ed.ev.actor_id)
                ed.ev.actor_id = "";
        /* Podman's image events name the image by bare hex: give it Docker's "sha256:" form. */
        if (streq(ed.ev.type, "image"))
                ed.ev.actor_id = docker_ref_id_normalize(ed.ev.actor_id, ed.actor_id);
        if (ed.ev.time_ns == 0 && secs > 0 && secs <= TIME_UNIX_SEC_MAX)
                ed.ev.time_ns = time_sec_to_ns(secs);
        ed.ev.attributes = &ed.attributes;
        bool own_actor = ed.ev.actor_id == ed.actor_id;
        *ret = TAKE_STRUCT(ed);
        /* attributes (and a rewritten actor id) moved with the struct: point at the new home. */
        ret->ev.attributes = &ret->attributes;
        if (own_actor)
                ret->ev.actor_id = ret->actor_id;
        return 0;
}
