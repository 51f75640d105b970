# Helpers for integration tests: run a guest with a timeout, check its exit
# status and console markers, and keep a count. Sourced by ./run.

VESSEL=${VESSEL:-build/vessel}
GUEST=${GUEST:-build/guest}
KERNEL=$GUEST/vmlinuz
INITRD=$GUEST/test-initrd.cpio.gz
LOGS=${LOGS:-build/test-logs}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-240}   # s; emulated nested boots are slow
mkdir -p "$LOGS"

npass=0 nfail=0 failed_names=()

pass() { npass=$((npass + 1)); echo "PASS $1"; }
fail() {
    nfail=$((nfail + 1)); failed_names+=("$1")
    echo "FAIL $1: $2"
    if [ -n "${3:-}" ] && [ -f "$3" ]; then
        echo "---- last 40 lines of $3 ----"; tail -n 40 "$3"; echo "----"
    fi
}

# vrun NAME [vessel run args...]: run the VM with a timeout, output to
# $LOGS/NAME.log; sets $rc (124 on a hang) and $out (log path).
vrun() {
    local name=$1; shift
    out=$LOGS/$name.log
    local t0=$SECONDS
    timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run "$@" </dev/null >"$out" 2>&1
    rc=$?
    echo "     $name: exit $rc after $((SECONDS - t0)) s" >&2
}

# vboot NAME ACTION [extra args]: boot the test guest with vtest=ACTION.
vboot() {
    local name=$1 action=$2; shift 2
    vrun "$name" --kernel "$KERNEL" --initrd "$INITRD" \
        --cmdline "vtest=$action quiet" "$@"
}

# expect_rc NAME WANT: check $rc; a hang is always reported as such.
expect_rc() {
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$1" "guest hung (no exit after ${GUEST_TIMEOUT}s)" "$out"; return 1
    fi
    if [ "$rc" -ne "$2" ]; then
        fail "$1" "exit status $rc, want $2" "$out"; return 1
    fi
}

expect_log() {   # NAME REGEX
    if ! grep -Eq -- "$2" "$out"; then
        fail "$1" "console lacks /$2/" "$out"; return 1
    fi
}

summary() {
    echo
    [ "$nfail" -eq 0 ] || echo "failed: ${failed_names[*]}"
    echo "integration: $npass passed, $nfail failed"
    [ "$nfail" -eq 0 ]
}
