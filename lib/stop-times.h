/* stop-times.h: when each stopped container stopped, kept across restarts in state_dir.
 *
 * The planner orders stopped containers by State.FinishedAt, which only an inspect tells; with 20,000
 * containers that is 20,000 requests per cleanup. This store keeps each stopped container's stop time
 * (and its writable layer's size where one was measured, for engines asked /system/df without its
 * container part) from the events the daemon follows and from the inspects a cleanup made. A container
 * that runs again is forgotten at its start event; one that is gone, at its destroy event or at the next
 * snapshot that lists it no more (stop_times_forget_unlisted()). Ids are the 64 hex digits the engine uses.
 *
 * On disk: STATE_DIR/container-stops, text, the header line "dockerclean-container-stops 1", then one
 * "ID FINISHED_NS" line per container, or "ID FINISHED_NS SIZE_RW" when its writable layer was measured;
 * sorted by id. Written as the usage history is (fileio_write_atomic(): a crash leaves the old or the new
 * file, never half of one; a directory others can change is refused), read with the same caps (a line of
 * at most 1 KiB, a file of at most 64 MiB, a regular file not reached through a link).
 *
 * Until 0.1 these times were "@<id> FINISHED_NS" or "@<id>/<SizeRw> FINISHED_NS" lines of the usage
 * history (history.h); stop_times_load() takes them from there once, when container-stops does not exist
 * yet (the history then drops them at its next save).
 *
 * Not thread-safe: one owner (the daemon's main loop). No logging; errors are -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "policy.h"

#define STOP_TIMES_FILE_NAME "container-stops"
#define STOP_TIMES_HEADER "dockerclean-container-stops 1"

struct stop_times;

/* An empty store that saves to state_dir (copied). state_dir NULL or "" = memory only: stop_times_save()
 * then does nothing. On success *ret is set; free with stop_times_free(). */
int stop_times_new(const char *state_dir, struct stop_times **ret) _must_check_;
/* Reads STATE_DIR/container-stops into a new store. When that file does not exist, the "@" lines of an
 * older STATE_DIR/image-history are read instead (the new store is then dirty: the next save writes
 * container-stops); -ENOENT when neither file has any (the caller starts with stop_times_new()), also when
 * the old history cannot be read or is corrupt (the history's own load says so). -EBADMSG when
 * container-stops is corrupt (bad header, malformed line, line over 1 KiB, missing final newline, NUL
 * byte; *error_line, if non-NULL, is set to the line, 1-based); -EFBIG over 64 MiB; -EPERM when it is not
 * a regular file (never opened blocking), -ELOOP when it is a symbolic link; other -errno from reading. */
int stop_times_load(const char *state_dir, struct stop_times **ret, unsigned *error_line) _must_check_;
void stop_times_free(struct stop_times *st);

/* Records that container id stopped at finished_ns (> 0), with a writable layer of size_rw bytes (-1:
 * not measured). A later stop time replaces the entry (size and all); the same one only adds a size;
 * an earlier one is ignored. 1 when this changed the store, 0 when not; -EINVAL for an id that is not
 * 64 hex digits or a time <= 0; -ENOMEM. */
int stop_times_note(struct stop_times *st, const char *id, int64_t finished_ns, int64_t size_rw) _must_check_;
/* Forgets container id (it started again, or is gone): 1 when it was known, else 0. */
int stop_times_forget(struct stop_times *st, const char *id);
/* When container id stopped, and its size (-1 when not measured): 1 with *ret_* set when known, else 0
 * (also for st NULL). */
int stop_times_get(const struct stop_times *st, const char *id, int64_t *ret_finished_ns, int64_t *ret_size_rw);
size_t stop_times_size(const struct stop_times *st);

/* One engine event, as the daemon's event queue hands it over (actor_id is the container): container die
 * and stop note time_ns as its stop time (size unknown); start, restart, destroy and remove forget it.
 * 1 when the store changed, 0 when not (another event, an id that is not 64 hex digits); -ENOMEM (the
 * next cleanup inspects that container); -EINVAL for st NULL. */
int stop_times_note_event(struct stop_times *st, const char *type, const char *action, const char *actor_id,
                          int64_t time_ns) _must_check_;

/* Forgets the stop time of every container s does not list (it is gone): 0, -EINVAL or -ENOMEM (then
 * nothing was forgotten). */
int stop_times_forget_unlisted(struct stop_times *st, const struct policy_snapshot *s) _must_check_;

/* Writes the file atomically (see top). 0 on success (also when memory-only or unchanged since the last
 * load or save), -errno otherwise (the previous file stays intact); why (may be NULL) says why the state
 * directory was refused (see fileio_write_atomic()). */
int stop_times_save(struct stop_times *st, char *why, size_t why_size) _must_check_;
bool stop_times_dirty(const struct stop_times *st); /* changed since loaded/saved */
