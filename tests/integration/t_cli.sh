# Three VMs at once, each with a disk of its own, and the management
# commands on them: vessel ls, inspect, pause, resume, shutdown, stop; a
# marker one guest writes to its disk is in no other VM's image; a
# SIGKILLed VM is gone from ls and the others run on.
# The guests run vtest=heartbeat ("VESSEL-BEAT N" every second; the ACPI
# power button powers off).

CLI_RT=/tmp/vessel-cli-rt       # a tmpfs in kvmbox: sockets work there

vcli() { VESSEL_RUNTIME_DIR=$CLI_RT "$VESSEL" "$@"; }

cli_beats() { local n; n=$(grep -c 'VESSEL-BEAT' "$LOGS/$1.log" 2>/dev/null); echo "${n:-0}"; }
cli_beats_over() { [ "$(cli_beats "$1")" -gt "$2" ]; }

# cli_until SECONDS CMD...: retry CMD once a second.
cli_until() {
    local s=$1; shift
    for _ in $(seq 1 "$s"); do "$@" && return 0; sleep 1; done
    "$@"
}

# cli_start NAME: the heartbeat guest in the background with a fresh 4 MiB
# disk $LOGS/NAME.img it marks with its name; its exit status goes to
# $LOGS/NAME.rc.
cli_start() {
    rm -f "$LOGS/$1.img"; truncate -s 4M "$LOGS/$1.img"
    ( VESSEL_RUNTIME_DIR=$CLI_RT timeout --kill-after=10 "$GUEST_TIMEOUT" \
          "$VESSEL" run --name "$1" --mem 128M --kernel "$KERNEL" \
          --initrd "$INITRD" --cmdline "vtest=heartbeat mark=$1 quiet" \
          --disk "$LOGS/$1.img" \
          </dev/null >"$LOGS/$1.log" 2>&1
      echo $? >"$LOGS/$1.rc" ) 2>/dev/null &     # no "Killed" notice
}

cli_rc() { cat "$LOGS/$1.rc" 2>/dev/null; }
cli_ended() { [ -s "$LOGS/$1.rc" ]; }

cli_cleanup() {
    local n
    for n in cli-a cli-b cli-c; do
        vcli stop --no-wait "$n" >/dev/null 2>&1
        [ -f "$CLI_RT/$n/pid" ] && kill -9 "$(cat "$CLI_RT/$n/pid")" 2>/dev/null
    done
    wait
}

# cli_marks_apart: each image holds its own VM's marker and no other's.
cli_marks_apart() {
    local img other
    for img in cli-a cli-b cli-c; do
        grep -q "VESSEL-MARK-$img" "$LOGS/$img.img" || { echo "$img.img lacks its marker"; return 1; }
        for other in cli-a cli-b cli-c; do
            [ "$other" = "$img" ] && continue
            ! grep -q "VESSEL-MARK-$other" "$LOGS/$img.img" || { echo "$img.img holds $other's marker"; return 1; }
        done
    done
}

test_cli_manage() {
    local t=cli-manage n a1 a2 b1 b2 o pid
    rm -f "$LOGS"/cli-[abc].rc
    for n in cli-a cli-b cli-c; do cli_start $n; done
    for n in cli-a cli-b cli-c; do
        cli_until "$GUEST_TIMEOUT" cli_beats_over $n 0 ||
            { fail $t "$n never got to its heartbeat" "$LOGS/$n.log"; cli_cleanup; return; }
    done

    o=$(vcli ls)
    if ! [[ $o == "NAME "*"STATE "*"PID "*"VCPUS "*"MEMORY "*"UPTIME"* &&
            $o =~ cli-a\ +running\ +[0-9]+\ +1\ +128M ]]; then
        fail $t "ls: $o"; cli_cleanup; return
    fi
    o=$(vcli ls -q)
    [ "$o" = $'cli-a\ncli-b\ncli-c' ] || { fail $t "ls -q: $o"; cli_cleanup; return; }
    o=$(vcli inspect cli-b)
    [[ $o == *'"name": "cli-b"'* && $o == *'"state": "running"'* ]] ||
        { fail $t "inspect: $o"; cli_cleanup; return; }

    # pause stops one guest; the others beat on
    o=$(vcli pause cli-a) && [ "$o" = "cli-a paused" ] ||
        { fail $t "pause: $o"; cli_cleanup; return; }
    [[ $(vcli ls) =~ cli-a\ +paused ]] || { fail $t "ls after pause: $(vcli ls)"; cli_cleanup; return; }
    a1=$(cli_beats cli-a); b1=$(cli_beats cli-b); sleep 5
    a2=$(cli_beats cli-a); b2=$(cli_beats cli-b)
    if [ "$a1" != "$a2" ] || [ "$b2" -le "$b1" ]; then
        fail $t "paused cli-a beat $a1 -> $a2, cli-b $b1 -> $b2"; cli_cleanup; return
    fi
    o=$(vcli resume cli-a) && [ "$o" = "cli-a resumed" ] ||
        { fail $t "resume: $o"; cli_cleanup; return; }
    cli_until 60 cli_beats_over cli-a "$a2" ||
        { fail $t "no heartbeat after resume" "$LOGS/cli-a.log"; cli_cleanup; return; }

    # a SIGKILLed VM is gone from ls; the others run on
    pid=$(cat "$CLI_RT/cli-c/pid")
    kill -9 "$pid"
    cli_until 30 cli_ended cli-c || { fail $t "cli-c survived SIGKILL"; cli_cleanup; return; }
    o=$(vcli ls -q)
    [ "$o" = $'cli-a\ncli-b' ] || { fail $t "ls -q after kill: $o"; cli_cleanup; return; }
    [ ! -e "$CLI_RT/cli-c" ] || { fail $t "cli-c's directory left behind"; cli_cleanup; return; }
    o=$(vcli stop cli-c 2>&1)
    [ $? -eq 1 ] && [ "$o" = "vessel: no VM called cli-c is running" ] ||
        { fail $t "stop of a dead VM: $o"; cli_cleanup; return; }
    b1=$(cli_beats cli-b)
    cli_until 30 cli_beats_over cli-b "$b1" || { fail $t "cli-b stopped beating"; cli_cleanup; return; }

    # shutdown: the guest's clean power-off; stop: at once
    o=$(vcli shutdown --timeout 120 cli-a)
    if [ $? -ne 0 ] || [ "$o" != "cli-a powered off" ]; then
        fail $t "shutdown: $o" "$LOGS/cli-a.log"; cli_cleanup; return
    fi
    cli_until 10 cli_ended cli-a
    [ "$(cli_rc cli-a)" = 0 ] && grep -q VESSEL-POWER-BUTTON "$LOGS/cli-a.log" ||
        { fail $t "cli-a: exit $(cli_rc cli-a), no clean power-off" "$LOGS/cli-a.log"; cli_cleanup; return; }
    o=$(vcli stop cli-b)
    if [ $? -ne 0 ] || [ "$o" != "cli-b stopped" ]; then
        fail $t "stop: $o" "$LOGS/cli-b.log"; cli_cleanup; return
    fi
    o=$(vcli ls)
    [ "$o" = "NAME  STATE  PID  VCPUS  MEMORY  UPTIME" ] || { fail $t "ls at the end: $o"; cli_cleanup; return; }
    wait
    o=$(cli_marks_apart) || { fail $t "disks: $o"; return; }
    pass $t
}
