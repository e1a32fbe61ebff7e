# shellcheck shell=bash
# progress_run WHO LOG CMD...: runs CMD with its output in LOG and, while it runs, says every 20 s how
# long it has been at it and the last step LOG names (debootstrap's "I: ..." lines, else the last line),
# so that a phase of minutes is never silent. Returns CMD's status.
progress_run() {
        local who=$1 log=$2 pid t0=$SECONDS step
        shift 2
        "$@" >"$log" 2>&1 &
        pid=$!
        # tail --pid returns when CMD ends: an event, not a poll; timeout makes it the 20 s tick.
        while timeout 20 tail --pid="$pid" -f /dev/null 2>/dev/null; [ $? = 124 ]; do
                step=$(grep -E '^I: ' "$log" 2>/dev/null | tail -n 1)
                [ -n "$step" ] || step=$(tail -n 1 "$log" 2>/dev/null)
                printf '%s: %d s, at: %s\n' "$who" $((SECONDS - t0)) "${step:0:120}" >&2
        done
        wait "$pid"
}
