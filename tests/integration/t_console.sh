# The console of a detached VM: vessel logs shows what it printed while
# nobody was attached, vessel console attaches, Ctrl-] detaches with the VM
# running on, a second attach gets the history and its keys reach the
# guest, and the guest's power-off ends the attach with "[NAME ended]".
# The guest runs vtest=echo: "VESSEL-READY", reads a line, prints
# "VESSEL-GOT <line>", powers off.

CON_RT=/tmp/vessel-con-rt       # a tmpfs in kvmbox: sockets and fifos work

vcon() { VESSEL_RUNTIME_DIR=$CON_RT "$VESSEL" "$@"; }

con_ready() { vcon logs "$1" 2>/dev/null | grep -q VESSEL-READY; }

# con_attach NAME OUT: vessel console NAME in the background, its stdin a
# fifo held open on fd 7 (so no EOF), stdout to OUT, stderr to OUT.err;
# sets con_pid.
con_attach() {
    rm -f "$CON_RT/fifo"
    mkfifo "$CON_RT/fifo"
    VESSEL_RUNTIME_DIR=$CON_RT timeout 120 "$VESSEL" console "$1" \
        <"$CON_RT/fifo" >"$2" 2>"$2.err" &
    con_pid=$!
    exec 7>"$CON_RT/fifo"
}

# Keys to the attached console; a subshell takes the SIGPIPE if it is gone.
con_keys() { ( printf "$1" >&7 ) 2>/dev/null; }

con_cleanup() {
    cp "$CON_RT/con-a/vessel.log" "$LOGS/console-vessel.log" 2>/dev/null
    exec 7>&-
    vcon stop --no-wait con-a >/dev/null 2>&1
    [ -f "$CON_RT/con-a/pid" ] && kill -9 "$(cat "$CON_RT/con-a/pid")" 2>/dev/null
    wait
}

test_console_attach_detach() {
    local t=console-attach-detach o=$LOGS/console-1.out o2=$LOGS/console-2.out rc
    mkdir -p -m 700 "$CON_RT"
    out=$LOGS/console-run.log
    VESSEL_RUNTIME_DIR=$CON_RT timeout 120 "$VESSEL" run --name con-a --detach \
        --mem 128M --kernel "$KERNEL" --initrd "$INITRD" \
        --cmdline "vtest=echo quiet" </dev/null >"$out" 2>&1 ||
        { fail $t "run --detach failed" "$out"; return; }
    for _ in $(seq 1 "$GUEST_TIMEOUT"); do con_ready con-a && break; sleep 1; done
    con_ready con-a || { fail $t "logs never showed VESSEL-READY"; con_cleanup; return; }

    # attach, type a little, detach with Ctrl-]: the VM runs on
    con_attach con-a "$o"
    con_keys 'hel'
    sleep 1
    con_keys '\035'
    wait $con_pid; rc=$?
    exec 7>&-
    [ $rc -eq 0 ] && grep -q 'detached from con-a' "$o.err" ||
        { fail $t "detach: exit $rc, $(cat "$o.err")"; con_cleanup; return; }
    grep -q VESSEL-READY "$o" || { fail $t "first attach got no history" "$o"; con_cleanup; return; }
    vcon ls -q | grep -qx con-a || { fail $t "the VM did not survive the detach"; con_cleanup; return; }

    # attach again: history first, then the rest of the line reaches the
    # guest, which answers and powers off: "[con-a ended]", exit 0
    con_attach con-a "$o2"
    con_keys 'lo\r'
    wait $con_pid; rc=$?
    exec 7>&-
    if [ $rc -ne 0 ] || ! grep -q 'con-a ended' "$o2.err"; then
        fail $t "second attach: exit $rc, $(cat "$o2.err")" "$o2"; con_cleanup; return
    fi
    grep -q VESSEL-READY "$o2" && grep -q 'VESSEL-GOT <hello>' "$o2" ||
        { fail $t "second attach output" "$o2"; con_cleanup; return; }
    con_cleanup
    pass $t
}
