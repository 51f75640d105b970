# The control socket of real VMs (docs/api.md): GET /vm and /metrics,
# pause and resume, ACPI shutdown, stop, --detach and GET /console, names
# taken once, a SIGKILLed VM's directory cleaned by the next claim.
# The guest runs vtest=heartbeat: "VESSEL-BEAT N" every second, and a
# clean power-off when the ACPI power button is pressed.

API_RT=/tmp/vessel-api-rt        # a tmpfs in kvmbox: sockets work there
APIREQ=$LOGS/apireq
# API_EXTRA: more `vessel run` flags for these tests (e.g. --no-sandbox)

# apireq: a tiny client (tests/integration/apireq.c; no curl here).
api_build() {
    [ -x "$APIREQ" ] && [ "$APIREQ" -nt tests/integration/apireq.c ] &&
        [ "$APIREQ" -nt src/api/client.c ] && return 0
    cc -std=c11 -D_GNU_SOURCE -O1 -Isrc -o "$APIREQ" tests/integration/apireq.c \
        src/api/client.c
}

api_sock() { echo "$API_RT/$1/api.sock"; }
api() { local n=$1; shift; "$APIREQ" "$(api_sock "$n")" "$@"; }

# until_ok SECONDS CMD...: retry CMD once a second.
until_ok() {
    local s=$1; shift
    for _ in $(seq 1 "$s"); do "$@" && return 0; sleep 1; done
    "$@"
}

beats() { grep -c 'VESSEL-BEAT' "$1" 2>/dev/null || echo 0; }
has_beats_over() { [ "$(beats "$1")" -gt "$2" ]; }

# api_start NAME: the heartbeat guest in the background (not detached, so
# the test can wait for its exit status); sets $vm_pid and $out.
api_start() {
    out=$LOGS/$1.log
    VESSEL_RUNTIME_DIR=$API_RT timeout --kill-after=10 "$GUEST_TIMEOUT" \
        "$VESSEL" run ${API_EXTRA:-} --name "$1" --kernel "$KERNEL" --initrd "$INITRD" \
        --cmdline "vtest=heartbeat quiet" </dev/null >"$out" 2>&1 &
    vm_pid=$!
}

# api_wait_ready NAME: the guest prints its heartbeat.
api_wait_ready() {
    until_ok "$GUEST_TIMEOUT" grep -q 'VESSEL-BEAT 1' "$out" ||
        { fail "$1" "guest never got to its heartbeat" "$out"; return 1; }
}

vm_real_pid() { cat "$API_RT/$1/pid" 2>/dev/null; }   # vessel's, not timeout's

api_end() {   # NAME: wait for the VM's exit status into $rc
    wait "$vm_pid"; rc=$?
}

test_api_pause_resume_shutdown() {
    local t=api-pause ev=$LOGS/api-pause.events n1 n2 vm
    api_build || { fail $t "cannot build $APIREQ"; return; }
    api_start $t
    api_wait_ready $t || { kill "$vm_pid"; wait "$vm_pid"; return; }
    "$APIREQ" "$(api_sock $t)" --events >"$ev" 2>&1 &
    local evpid=$!
    vm=$(api $t GET /vm) || { fail $t "GET /vm failed" "$out"; kill "$vm_pid"; return; }
    if ! [[ $vm == *'"state":"running"'* && $vm == *'"name":"api-pause"'* &&
            $vm == *'"vcpus":[{"id":0,'* && $vm == *'"kind":"serial"'* ]]; then
        fail $t "GET /vm: $vm"; kill "$vm_pid"; return
    fi
    if ! api $t GET /metrics | grep -q '^vessel_vcpu_exits_total{vcpu="0",reason="pio"} [1-9]'; then
        fail $t "GET /metrics lacks pio exits"; kill "$vm_pid"; return
    fi
    api $t PUT /vm/state '{"state":"paused"}' || { fail $t "pause refused" "$out"; kill "$vm_pid"; return; }
    [[ $(api $t GET /vm) == *'"state":"paused"'* ]] || { fail $t "not paused"; kill "$vm_pid"; return; }
    n1=$(beats "$out"); sleep 5; n2=$(beats "$out")
    if [ "$n1" != "$n2" ]; then
        fail $t "the guest kept beating while paused ($n1 -> $n2)" "$out"; kill "$vm_pid"; return
    fi
    api $t PUT /vm/state '{"state":"running"}' || { fail $t "resume refused"; kill "$vm_pid"; return; }
    until_ok 60 has_beats_over "$out" "$n2" ||
        { fail $t "no heartbeat after resume" "$out"; kill "$vm_pid"; return; }
    api $t PUT /vm/power '{"action":"acpi-shutdown","timeout_ms":120000}' ||
        { fail $t "acpi-shutdown refused"; kill "$vm_pid"; return; }
    api_end
    wait "$evpid"
    expect_rc $t 0 && expect_log $t 'VESSEL-POWER-BUTTON' || return
    if ! grep -q '"event":"paused"' "$ev" || ! grep -q '"event":"resumed"' "$ev" ||
       ! grep -q '"event":"powered-off"' "$ev"; then
        fail $t "events: $(tr '\n' ' ' <"$ev")"; return
    fi
    [ ! -e "$API_RT/$t" ] || { fail $t "runtime directory left behind"; return; }
    pass $t
}

test_api_stop_and_unique_name() {
    local t=api-stop err t0 pid
    api_build || { fail $t "cannot build $APIREQ"; return; }
    api_start $t
    api_wait_ready $t || { kill "$vm_pid"; wait "$vm_pid"; return; }
    pid=$(vm_real_pid $t)
    err=$(VESSEL_RUNTIME_DIR=$API_RT timeout 60 "$VESSEL" run --name $t \
              --kernel "$KERNEL" --initrd "$INITRD" </dev/null 2>&1)
    if [ $? -ne 1 ] || [[ $err != *"a VM called $t is already running (pid $pid)"* ]]; then
        fail $t "second VM with the same name: '$err'"; kill "$vm_pid"; return
    fi
    t0=$SECONDS
    api $t PUT /vm/power '{"action":"stop"}' || { fail $t "stop refused"; kill "$vm_pid"; return; }
    api_end
    expect_rc $t 6 || return
    [ $((SECONDS - t0)) -le 20 ] || { fail $t "stop took $((SECONDS - t0)) s"; return; }
    grep -q 'stopped through the control API' "$out" ||
        { fail $t "no reason printed" "$out"; return; }
    pass $t
}

# A SIGKILLed VM leaves its directory; the next VM of that name (here a
# detached one) takes it over. Then GET /console, and stop.
test_api_stale_dir_and_detach() {
    local t=api-detach name vm pid
    api_build || { fail $t "cannot build $APIREQ"; return; }
    api_start $t
    until_ok 60 test -S "$(api_sock $t)" || { fail $t "no socket" "$out"; kill "$vm_pid"; return; }
    pid=$(vm_real_pid $t)
    kill -9 "$pid"; wait "$vm_pid" 2>/dev/null
    [ -d "$API_RT/$t" ] || { fail $t "no stale directory to clean"; return; }
    name=$(VESSEL_RUNTIME_DIR=$API_RT timeout --kill-after=10 "$GUEST_TIMEOUT" \
               "$VESSEL" run ${API_EXTRA:-} --detach --name $t --kernel "$KERNEL" --initrd "$INITRD" \
               --cmdline "vtest=heartbeat quiet" </dev/null 2>"$LOGS/$t.err")
    rc=$?
    if [ $rc -ne 0 ] || [ "$name" != $t ]; then
        fail $t "--detach: status $rc, printed '$name'" "$LOGS/$t.err"; return
    fi
    vm=$(api $t GET /vm)
    [[ $vm != *"\"pid\":$pid,"* && $vm == *'"pid":'* ]] ||
        { fail $t "GET /vm after detach: $vm"; api $t PUT /vm/power '{"action":"stop"}'; return; }
    if ! until_ok "$GUEST_TIMEOUT" sh -c "'$APIREQ' '$(api_sock $t)' GET /console | grep -q 'VESSEL-BEAT 1'"; then
        fail $t "GET /console lacks the heartbeat"; api $t PUT /vm/power '{"action":"stop"}'; return
    fi
    api $t PUT /vm/power '{"action":"stop"}' || { fail $t "stop refused"; return; }
    until_ok 30 test ! -e "$API_RT/$t" || { fail $t "runtime directory left behind"; return; }
    pass $t
}
