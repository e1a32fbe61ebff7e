/* fake.h: tests/fake/fake-engine.py, the scripted engine, started for one test case on a private
 * socket. It reads its stdin and exits at EOF, so it ends with the case even when an assertion kills
 * the case's process. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fake {
        pid_t pid;
        int to_fake; /* the fake's stdin: closing it stops the fake */
        char dir[64];
        char sock[128];
        char log[128];
        char where[64]; /* what it printed after "ready": the socket path or the TCP port */
};

/* Starts the fake; extra arguments (NULL-terminated) go before the scenario. */
void fake_start_args(struct fake *f, const char *scenario, const char *const *extra);
void fake_start(struct fake *f, const char *scenario);
/* Stops it and removes its directory. */
void fake_stop(struct fake *f);
/* The fake's request log ("METHOD TARGET" per line; "CONNECT" per connection), malloc'd. */
char *fake_log(const struct fake *f);
