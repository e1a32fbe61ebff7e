/* loop.h: the long-running daemon: timers, signals, reload, sd_notify; engine events come from events.h. */
#pragma once

struct daemon;

/* Called from signal handlers: wakes the loop (async-signal-safe). */
void loop_signal_wakeup(int sig);

/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int loop_run(struct daemon *d);
