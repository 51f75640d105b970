# The hostile test guest (guest/hostile/, built as $GUEST/hostile.bin): a
# freestanding guest that drives the virtio devices, PCI config space,
# ports and MMIO directly, breaks every rule of shared/RELIABILITY.md (a)
# that one vCPU can break, then proves well-formed I/O still works. It
# prints "HOSTILE a<N> <what> -> <what Vessel did>" per attack and exits
# through the debug-exit port: Vessel exits 32 when every device did what
# that page says, 33 when one did not (the line says UNEXPECTED).
# Disks come from disk() in t_virtio.sh.

HOSTILE_CASES="a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a12 a13 a14 a15 a16 a17 a19 a20 a25 a27 a28"
# RAM beyond 3 GiB continues at 4 GiB: buffers can span the hole.
HOSTILE_MEM=3136M
# Guest-error log lines a whole run may cause (each limiter allows a
# burst of 10, then one in 10000).
HOSTILE_MAX_LOG=200

# hostile_run NAME VESSEL_BINARY: boot the guest with a fresh 16 MiB disk,
# a read-only one and the rng (on by default); check its report, the
# images and Vessel's log. Returns 1 after a failure (reported).
hostile_run() {
    local name=$1 rw ro sum nlog c
    rw=$(disk "$name-rw" 16M); ro=$(disk "$name-ro" 16M)
    printf 'HOSTILE-RO-IMAGE' | dd of="$ro" conv=notrunc status=none
    sum=$(md5sum <"$ro")
    VESSEL=$2 vrun "$name" --kernel "$GUEST/hostile.bin" --mem "$HOSTILE_MEM" \
        --disk "$rw,serial=hostile-disk" --disk "$ro,ro"
    grep -E 'HOSTILE-INFO .* took|HOSTILE-DONE' "$out" | tr -d '\r' | sed 's/^/     /' >&2
    if grep -q 'UNEXPECTED\|HOSTILE-ERROR' "$out"; then
        grep 'UNEXPECTED\|HOSTILE-ERROR' "$out" | tr -d '\r' >&2
    fi
    expect_rc "$name" 32 && expect_log "$name" 'HOSTILE-IO-OK' &&
        expect_log "$name" 'HOSTILE-DONE attacks=[0-9]+ unexpected=0 ' || return 1
    for c in $HOSTILE_CASES; do
        expect_log "$name" "HOSTILE $c " || return 1
    done
    if grep -q 'Sanitizer' "$out"; then
        fail "$name" "sanitizer report" "$out"; return 1
    fi
    nlog=$(grep -c 'guest: ' "$out")
    echo "     $name: $nlog guest-error log lines" >&2
    if [ "$nlog" -eq 0 ] || [ "$nlog" -ge "$HOSTILE_MAX_LOG" ]; then
        fail "$name" "$nlog guest-error log lines, want 1-$((HOSTILE_MAX_LOG - 1))" "$out"
        return 1
    fi
    # No host I/O outside the images: the writable one keeps its size and
    # holds what the guest wrote last; the read-only one is untouched.
    if [ "$(stat -c %s "$rw")" -ne $((16 * 1024 * 1024)) ] ||
        [ "$(od -An -tx1 -N4 "$rw" | tr -d ' ')" != 01080f16 ]; then
        fail "$name" "the writable image is not 16 MiB with the guest's pattern"
        return 1
    fi
    if [ "$(md5sum <"$ro")" != "$sum" ]; then
        fail "$name" "the read-only image changed"; return 1
    fi
    rm -f "$rw" "$ro"
}

test_a1_a2_a3_a4_a5_a6_a7_a8_a9_a10_a12_a13_a14_a15_a16_a17_a19_a20_a25_a27_a28_hostile_guest() {
    hostile_run hostile "$VESSEL" && pass hostile
}

# The same under ASan+UBSan: any access outside guest RAM or a device's
# state ends Vessel with a report (-fno-sanitize-recover).
test_hostile_guest_sanitizers() {
    local san=${VESSEL_SAN:-$(dirname "$VESSEL")/san/vessel}
    if [ ! -x "$san" ]; then fail hostile-asan-ubsan "$san not built"; return; fi
    hostile_run hostile-asan-ubsan "$san" && pass hostile-asan-ubsan
}
