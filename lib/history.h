/* history.h: when each image was last used, kept across restarts in state_dir.
 *
 * The engine records no last-use time (moby#4237), so the daemon keeps one: "used" means a container
 * was created, started or died from the image, or the image was pulled, built, tagged, loaded, imported
 * or committed. Uses arrive as engine events naming the image by reference ("bb:1", "busybox",
 * "docker.io/library/busybox:latest") or by id (full, bare hex or a short prefix); they are stored under
 * that name and resolved to image ids against the image list at snapshot time (history_seed()), while
 * the name still points where it pointed when the event happened.
 *
 * Container stop times are not kept here but in stop-times.h's store (its own file).
 *
 * On disk: STATE_DIR/image-history, text, one "KEY LAST_USED_UNIX_NS" per line after the header line
 * "dockerclean-history 1" (and "store NAME" on line 2). Lines "@<id> FINISHED_NS" or "@<id>/<SizeRw>
 * FINISHED_NS" are container stop times an older daemon kept here: stop-times.h reads them once; a load
 * skips them and leaves the history dirty, so that the next save writes the file without them. Written
 * with fileio_write_atomic(): a crash leaves the old or the new file, never half of one.
 *
 * Not thread-safe: one owner (the daemon's main loop). No logging; errors are -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "policy.h"

#define HISTORY_FILE_NAME "image-history"
#define HISTORY_HEADER "dockerclean-history 1"
#define HISTORY_STORE_PREFIX "store "

struct history;

/* An empty history that saves to state_dir (copied). state_dir NULL or "" = memory only: history_save()
 * then does nothing. On success *ret is set; free with history_free(). */
int history_new(const char *state_dir, struct history **ret) _must_check_;
/* Reads STATE_DIR/image-history into a new history. -ENOENT when there is no file yet (the caller starts
 * with history_new(), and the first history_seed() makes the first cleanup not random); -EBADMSG when the
 * file is corrupt (bad header, malformed line, line over 1 KiB, missing final newline, NUL byte);
 * -EFBIG over 64 MiB; -EPERM when it is not a regular file (a FIFO, a device: never opened blocking),
 * -ELOOP when it is a symbolic link (not followed); other -errno from reading. */
int history_load(const char *state_dir, struct history **ret) _must_check_;
/* Same; on -EBADMSG *error_line (if non-NULL) is set to the offending line, 1-based. */
int history_load_full(const char *state_dir, struct history **ret, unsigned *error_line) _must_check_;
void history_free(struct history *h);

/* Records a use of `image` (a reference or an id, as the engine named it) at time_ns (unix ns, > 0).
 * Keeps the latest time per name. 1 if this changed the history, 0 if an equal or later use was known;
 * -EINVAL for an empty name, a name with whitespace or control characters or over 512 bytes, or time_ns
 * <= 0; -ENOMEM. */
int history_note_use(struct history *h, const char *image, int64_t time_ns) _must_check_;

/* Maps one engine event to a use, as the daemon's event queue hands it over: `image` is
 * Actor.Attributes.image (NULL if absent).
 *   container create, start, die, commit  -> image (the reference or id the container was created from)
 *   image pull, tag, load, import, build, commit
 *                                          -> actor_id (a reference for pull, an id for the others)
 * Anything else (push, untag, delete, save, exec_*, ...) is not a use.
 * Container stop times are stop_times_note_event()'s (stop-times.h).
 * Returns 1 when recorded, 0 when the event is not a use (or names no image), <0 as history_note_use(). */
int history_note_event(struct history *h, const char *type, const char *action, const char *actor_id,
                       const char *image, int64_t time_ns) _must_check_;

/* The first step of history_seed(), on its own: every stored reference or short id that names one of
 * images now is folded into that image's id entry and dropped. Cheap for thousands of names against
 * thousands of images (both are indexed); call it before asking history_last_used() about many images.
 * 0, -EINVAL or -ENOMEM (then the history is still consistent). */
int history_resolve_names(struct history *h, const struct policy_image *images, size_t n_images) _must_check_;

/* Synchronises the history with a fresh snapshot; call it with every snapshot, right after listing and
 * BEFORE history_fill_snapshot() (idempotent: all it adds are real uses, merged with max):
 *   - resolves names: every stored reference or short id that names an image of s now is folded into
 *     that image's id entry and dropped;
 *   - seeds: each image's entry becomes at least max(Created, Metadata.LastTagTime (last_tag_time_ns),
 *     Created and FinishedAt of every container of s using it; now_ns for a container that is running,
 *     paused or restarting), so that a first start, or images pulled while the daemon was down, do not
 *     look unused since the epoch;
 *   - remembers which image ids exist at now_ns: the next history_save() forgets every entry that names
 *     no such image, unless it was noted at or after now_ns (an image pulled after the listing).
 * Returns 0 or -ENOMEM (then the history is still consistent, only less complete). */
int history_seed(struct history *h, const struct policy_snapshot *s, int64_t now_ns) _must_check_;

/* Undoes history_seed()'s entry for image id when it holds nothing but the image's own Created time
 * (created_ns): for an image whose LastTagTime a cleanup did not fetch yet, so that a later one still
 * knows to. 1 when removed, 0 when not (no entry, or one with a real use in it). */
int history_unseed_image(struct history *h, const char *id, int64_t created_ns);

/* The last use of the image with this id and these tags (either may be NULL): the latest of its id entry
 * and of any still unresolved name that matches it; 0 when nothing is known. Names match a tag after
 * normalising both ("docker.io/library/x" = "x", no tag = ":latest"), or the id when they are hex
 * prefixes of it (with or without "sha256:", at least 4 digits; conservatively, a name matching several
 * images counts for each). */
int64_t history_last_used(const struct history *h, const char *id, char *const *tags);
/* Sets images[i].last_used_ns = history_last_used(h, images[i].id, images[i].tags) for each image. */
void history_fill_snapshot(const struct history *h, struct policy_image *images, size_t n_images);

/* Writes the file atomically (see top), first forgetting gone images as history_seed() explains. 0 on
 * success (also when memory-only or unchanged since the last save), -errno otherwise (the previous file
 * stays intact). */
int history_save(struct history *h) _must_check_;
/* Same; why (may be NULL) says why the state directory was refused (see fileio_write_atomic()). */
int history_save_full(struct history *h, char *why, size_t why_size) _must_check_;

size_t history_size(const struct history *h);

/* The image store ("graphdriver", "containerd") the ids were recorded under: image ids differ between
 * stores, so a history of another store is not to be trusted. "" when not recorded (older files). */
const char *history_store(const struct history *h);
/* Records the store; returns 1 when it changed (the file is rewritten at the next save), 0 when not. */
int history_set_store(struct history *h, const char *store) _must_check_;  /* entries (ids and unresolved names) */
bool history_dirty(const struct history *h);   /* changed since loaded/saved */
