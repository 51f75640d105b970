# The sandbox (issue 6 item 5): it is on in every other test too; these
# check that it really is (every thread filtered, no new privileges, own
# mount namespace, stray fds closed), that a guest does disk and user
# network I/O under it, that a refused system call from a thread ends that
# Vessel and no other, that --user drops root and --no-sandbox turns it
# all off. VESSEL_SANDBOX_SELFTEST=ROLE makes the first thread of ROLE
# call socket(AF_NETLINK) right after its filter went on.

SBX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vessel-sbx.XXXXXX")
SBX_KILLED=$((128 + 31))   # SIGSYS
TINY_EXIT=39               # tiny-debug-exit.bin's status

# sbx_start NAME ARGS...: a VM in the background, like vrun ($sbx_pid).
sbx_start() {
    local name=$1; shift
    timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run "$@" </dev/null \
        >"$LOGS/$name.log" 2>&1 9<"$SBX_DIR/inherited" &
    sbx_pid=$!
}

# sbx_wait_log NAME REGEX: the log shows REGEX before the VM ends or times out.
sbx_wait_log() {
    local end=$((SECONDS + GUEST_TIMEOUT))
    while [ $SECONDS -lt $end ]; do
        grep -Eq -- "$2" "$LOGS/$1.log" 2>/dev/null && return 0
        kill -0 "$sbx_pid" 2>/dev/null || break
        sleep 0.5
    done
    grep -Eq -- "$2" "$LOGS/$1.log" 2>/dev/null
}

sbx_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
}

# The vessel process under `timeout` ($1).
sbx_vessel_pid() {
    pgrep -P "$1" -x vessel | head -n1
}

test_sandbox_disk_and_user_net() {
    local img=$SBX_DIR/disk.img www=$SBX_DIR/www port srv sum
    rm -f "$img"; truncate -s 64M "$img"
    vboot sbx-blk blk-write --disk "$img" -vv
    expect_rc sbx-blk 0 && expect_log sbx-blk 'VESSEL-BLK-WRITE-OK' &&
        expect_log sbx-blk 'sandbox: vcpu thread filtered' &&
        expect_log sbx-blk 'sandbox: blk thread filtered' &&
        expect_log sbx-blk 'sandbox: main thread filtered' || return
    if ! e2fsck -fn "$img" >"$LOGS/sbx-e2fsck.log" 2>&1; then
        fail sbx-blk "e2fsck found problems" "$LOGS/sbx-e2fsck.log"; return
    fi
    pass sbx-blk
    mkdir -p "$www"; head -c 200000 /dev/urandom >"$www/blob"
    sum=$(md5sum <"$www/blob" | cut -c1-32)
    port=$(sbx_port)
    busybox httpd -f -p "127.0.0.1:$port" -h "$www" & srv=$!
    vrun sbx-net --kernel "$KERNEL" --initrd "$INITRD" --net user -vv \
        --cmdline "vtest=net-dhcp quiet vessel.url=http://10.0.2.2:$port/blob"
    kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    expect_rc sbx-net 0 && expect_log sbx-net "VESSEL-NET-FETCH $sum" &&
        expect_log sbx-net 'sandbox: slirp thread filtered' &&
        expect_log sbx-net 'sandbox: io thread filtered' && pass sbx-net
}

# Two VMs: the one whose vCPU makes a forbidden call dies by SIGSYS and
# says which call; the other, already running, goes on and powers off.
# The survivor also shows the process-wide part: every thread filtered,
# NoNewPrivs, its own mount namespace, and the file the shell gave it as
# fd 9 closed.
test_sandbox_vcpu_violation_kills_only_its_vessel() {
    local web done_port vpid bad=0 t
    : >"$SBX_DIR/inherited"
    web=$(sbx_port); done_port=$(sbx_port)
    sbx_start sbx-keep --kernel "$KERNEL" --initrd "$INITRD" \
        --cmdline "vtest=net-serve quiet" \
        --net "user,hostfwd=tcp::$web-:80,hostfwd=tcp:127.0.0.1:$done_port-:81"
    local keep=$sbx_pid
    if ! sbx_wait_log sbx-keep 'VESSEL-NET-SERVING'; then
        kill "$keep" 2>/dev/null; wait "$keep"
        fail sbx-keep "the guest never came up" "$LOGS/sbx-keep.log"; return
    fi
    vpid=$(sbx_vessel_pid "$keep")
    for t in /proc/"$vpid"/task/*; do
        grep -q '^Seccomp:[[:space:]]*2' "$t/status" || bad=1
    done
    grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$vpid/status" || bad=2
    [ "$(readlink "/proc/$vpid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || bad=3
    # fd 9 itself is reused by Vessel's own files: look for the file
    for t in /proc/"$vpid"/fd/*; do
        [ "$(readlink "$t")" != "$SBX_DIR/inherited" ] || bad=4
    done
    VESSEL_SANDBOX_SELFTEST=vcpu vrun sbx-selftest --kernel "$KERNEL" \
        --initrd "$INITRD" --cmdline "vtest=poweroff quiet"
    local self_rc=$rc self_out=$out
    kill -0 "$keep" 2>/dev/null || bad=5
    timeout 30 busybox nc 127.0.0.1 "$done_port" </dev/null >/dev/null 2>&1
    wait "$keep"; rc=$?; out=$LOGS/sbx-keep.log
    expect_rc sbx-keep 0 && expect_log sbx-keep 'VESSEL-NET-DONE' || return
    if [ "$bad" != 0 ]; then
        fail sbx-keep "process-wide check $bad failed (1 thread unfiltered, 2 new privileges allowed, 3 shared mount namespace, 4 fd 9 kept, 5 died with the other VM)" "$out"
        return
    fi
    rc=$self_rc out=$self_out
    expect_rc sbx-selftest "$SBX_KILLED" &&
        expect_log sbx-selftest 'the vcpu thread made a forbidden system call: socket \(41\)' &&
        ! grep -q 'VESSEL-BOOT-OK' "$out" && pass sbx-vcpu-kill
}

# Every thread role is filtered: the self-test kills through each (tiny
# guest: fast; a disk and user net so the blk and slirp threads exist).
test_sandbox_selftest_every_role() {
    local img=$SBX_DIR/tiny.img role failed=
    truncate -s 1M "$img"
    for role in main vcpu io blk slirp api; do
        VESSEL_SANDBOX_SELFTEST=$role vrun "sbx-self-$role" \
            --kernel "$GUEST/tiny-debug-exit.bin" --disk "$img" --net user \
            --name "sbx-self-$role"
        if [ "$rc" -ne "$SBX_KILLED" ] ||
            ! grep -q "the $role thread made a forbidden system call: socket" "$out"; then
            failed="$failed $role(rc=$rc)"
        fi
    done
    if [ -n "$failed" ]; then fail sbx-every-role "not killed:$failed" "$out"; return; fi
    pass sbx-every-role
}

test_sandbox_no_sandbox_flag() {
    VESSEL_SANDBOX_SELFTEST=vcpu vrun sbx-off --kernel "$GUEST/tiny-debug-exit.bin" \
        --no-sandbox -vv
    expect_rc sbx-off "$TINY_EXIT" && expect_log sbx-off 'TINY-START' &&
        ! grep -q 'thread filtered' "$out" && pass sbx-off
}

test_sandbox_user_drop() {
    if [ "$(id -u)" != 0 ]; then echo "SKIP sbx-user (not root)"; return; fi
    vrun sbx-user --kernel "$GUEST/tiny-debug-exit.bin" --user nobody -v
    expect_rc sbx-user "$TINY_EXIT" && expect_log sbx-user 'TINY-START' &&
        expect_log sbx-user "sandbox: running as uid $(id -u nobody) gid $(id -g nobody)" ||
        return
    vrun sbx-user-bad --kernel "$GUEST/tiny-debug-exit.bin" --user no-such-user-h4
    expect_rc sbx-user-bad 1 && expect_log sbx-user-bad "no user 'no-such-user-h4'" &&
        pass sbx-user
}
