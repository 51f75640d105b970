# RELIABILITY (b) 19: the host refuses resources at start-up (file
# descriptors, address space for guest RAM, eventfds) -> exit status 1 and
# one clear line, never a crash, a hang or a sanitizer report. The guest is
# the tiny debug-exit image: when start-up succeeds it exits at once (39).

# One start-up under limits: LIMITS is what `ulimit` gets (e.g. "-n 8").
# Sets $rc and $out like vrun.
startup_run() {
    local name=$1 bin=$2 limits=$3; shift 3
    out=$LOGS/$name.log
    timeout --kill-after=10 60 bash -c \
        "ulimit $limits && exec \"\$0\" run \"\$@\"" "$bin" \
        --kernel "$GUEST/tiny-debug-exit.bin" "$@" </dev/null >"$out" 2>&1
    rc=$?
}

# The run either started (39) or failed cleanly: exit 1, one error line,
# which says what ran out (WANT), no sanitizer report. Warnings before it
# are fine (an optional part given up, e.g. the control socket). Prints
# "ok", "started" or the reason it is neither.
startup_verdict() {
    local want=$1 errs
    if grep -q 'Sanitizer\|runtime error' "$out"; then echo "sanitizer report"; return; fi
    errs=$(grep -vc '^vessel: warning: ' "$out")
    case $rc in
        39) echo started ;;
        1)  if [ "$errs" -ne 1 ]; then
                echo "want one error line, got $errs"
            elif ! grep -v '^vessel: warning: ' "$out" | grep -Eq -- "$want"; then
                echo "error line lacks /$want/"
            else
                echo ok
            fi ;;
        124|137) echo "hung" ;;
        *) echo "exit status $rc" ;;
    esac
}

# Raise `ulimit -n` from 4 (the dynamic loader needs one fd) until Vessel starts: every fd it opens on the
# way (the KVM device and VM, vCPUs, epoll, eventfds, irqfds, timers, the
# console) fails in turn with EMFILE, and each must be a clean error.
emfile_sweep() {
    local name=$1 bin=$2 n v errs=0 clean=0
    for n in $(seq 4 64); do
        startup_run "$name-$n" "$bin" "-n $n"
        v=$(startup_verdict 'Too many open files|file descriptors')
        case $v in
            ok) clean=$((clean + 1)) ;;
            started) break ;;
            *) fail "$name" "ulimit -n $n: $v" "$out"; return ;;
        esac
        errs=$((errs + 1))
    done
    if [ "$v" != started ]; then
        fail "$name" "never started, even with 64 fds" "$out"; return
    fi
    if [ "$clean" -lt 1 ]; then
        fail "$name" "no fd limit made start-up fail" "$out"; return
    fi
    echo "     $name: $clean clean EMFILE errors, started with ulimit -n $n" >&2
    pass "$name"
}

test_b19_emfile_each_fd() {
    emfile_sweep b19-emfile "$VESSEL"
}

# ASan itself opens a few files; the sweep is the same.
test_b19_emfile_each_fd_asan() {
    local san=${VESSEL_SAN:-$(dirname "$VESSEL")/san/vessel}
    if [ ! -x "$san" ]; then fail b19-emfile-asan "$san not built"; return; fi
    emfile_sweep b19-emfile-asan "$san"
}

# Guest RAM larger than the address space left (`ulimit -v`): the RAM mmap
# fails with ENOMEM. Not under ASan: its shadow memory needs terabytes of
# address space, so any `ulimit -v` that stops a guest's RAM stops ASan
# first (it aborts before main with its own message).
test_b19_ram_mmap_enomem() {
    local v
    startup_run b19-ram-enomem "$VESSEL" "-v $((256 * 1024))" --mem 1G
    v=$(startup_verdict 'memory|RAM')
    if [ "$v" != ok ]; then fail b19-ram-enomem "$v" "$out"; return; fi
    # The same limit with RAM that fits: start-up itself needs little.
    startup_run b19-ram-fits "$VESSEL" "-v $((256 * 1024))" --mem 64M
    v=$(startup_verdict 'memory|RAM')
    if [ "$v" != started ]; then fail b19-ram-enomem "64M under the limit: $v" "$out"; return; fi
    pass b19-ram-enomem
}
