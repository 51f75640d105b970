# Booting and ending a guest: power-off, reboot, SMP, panic, time and memory.

test_boot_poweroff() {
    vboot boot-poweroff poweroff
    expect_rc boot-poweroff 0 && expect_log boot-poweroff 'VESSEL-BOOT-OK' &&
        pass boot-poweroff
}

test_boot_reboot() {
    vboot boot-reboot reboot
    expect_rc boot-reboot 2 && expect_log boot-reboot 'VESSEL-BOOT-OK' &&
        pass boot-reboot
}

test_boot_two_cpus() {
    vboot boot-2cpus cpus --cpus 2
    expect_rc boot-2cpus 0 && expect_log boot-2cpus 'VESSEL-CPUS online=0-1 count=2' &&
        pass boot-2cpus
}

test_boot_info() {
    local host_now guest_now mem
    vboot boot-info info --mem 384M
    expect_rc boot-info 0 && expect_log boot-info 'VESSEL-DATE [0-9]+' || return
    host_now=$(date -u +%s)
    guest_now=$(sed -n 's/.*VESSEL-DATE \([0-9]*\).*/\1/p' "$out" | tr -d '\r')
    # The guest's clock came from the RTC / kvmclock: within 10 minutes of
    # the host's, allowing for a slow emulated boot.
    if [ $((host_now - guest_now)) -gt 600 ] || [ $((guest_now - host_now)) -gt 60 ]; then
        fail boot-info "guest time $guest_now, host time $host_now" "$out"; return
    fi
    mem=$(sed -n 's/.*VESSEL-MEM \([0-9]*\).*/\1/p' "$out" | tr -d '\r')
    if [ -z "$mem" ] || [ "$mem" -lt 300000 ] || [ "$mem" -gt 393216 ]; then
        fail boot-info "guest MemTotal ${mem:-none} kB for --mem 384M" "$out"; return
    fi
    expect_log boot-info 'VESSEL-RTC [0-9]+' && expect_log boot-info 'VESSEL-UART [1-9]' &&
        pass boot-info
}

test_boot_panic_pvpanic() {
    vboot boot-panic panic
    expect_rc boot-panic 4 && expect_log boot-panic 'VESSEL-PANICKING' &&
        pass boot-panic
}

test_boot_panic_no_init() {
    # No initramfs: the kernel cannot mount a root and panics before any
    # module loads; Vessel's default panic=-1 turns that into a reset.
    vrun boot-noinit --kernel "$KERNEL" --cmdline "quiet"
    expect_rc boot-noinit 2 && expect_log boot-noinit 'Kernel panic' &&
        pass boot-noinit
}

test_console_input() {
    out=$LOGS/console-input.log
    # Feed a line once the guest is ready; the guest echoes it back.
    ( for _ in $(seq 1 "$GUEST_TIMEOUT"); do
          grep -q VESSEL-READY "$out" 2>/dev/null && break; sleep 1
      done
      printf 'hello-from-host\r' ) |
        timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run --kernel "$KERNEL" \
            --initrd "$INITRD" --cmdline "vtest=echo quiet" >"$out" 2>&1
    rc=$?
    expect_rc console-input 0 && expect_log console-input 'VESSEL-GOT <hello-from-host>' &&
        pass console-input
}

test_boot_sanitizers() {
    # The same boot with an ASan+UBSan build of Vessel: any report aborts
    # it (-fno-sanitize-recover) and shows in the log.
    local san=build/san/vessel
    if [ ! -x "$san" ]; then fail boot-asan-ubsan "$san not built"; return; fi
    VESSEL=$san vboot boot-asan-ubsan cpus --cpus 2
    expect_rc boot-asan-ubsan 0 && expect_log boot-asan-ubsan 'VESSEL-CPUS online=0-1' &&
        ! grep -q 'Sanitizer' "$out" && pass boot-asan-ubsan ||
        { grep -q 'Sanitizer' "$out" && fail boot-asan-ubsan "sanitizer report" "$out"; }
}

test_stats_file() {
    local stats=$LOGS/stats.txt
    rm -f "$stats"
    vboot stats poweroff --stats "$stats"
    expect_rc stats 0 || return
    if ! grep -Eq '^exits.pio [1-9]' "$stats" || ! grep -Eq '^kvm.vcpu.exits [1-9]' "$stats" ||
       ! grep -Eq '^startup.cpu_us [1-9]' "$stats" || ! grep -Eq '^startup.sys_us [0-9]' "$stats" ||
       ! grep -Eq '^ram.touched_kib [1-9]' "$stats" ||
       ! grep -Eq '^pio.port.0x3f8 [1-9]' "$stats"; then
        fail stats "stats file lacks counters" "$stats"; return
    fi
    # boot phases: the PCI scan comes before the first console byte, and
    # both split the exits to userspace of the whole run
    local pci con all
    pci=$(awk '$1 == "phase.pci.exits" { print $2 }' "$stats")
    con=$(awk '$1 == "phase.console.exits" { print $2 }' "$stats")
    all=$(awk '$1 ~ /^exits\./ && $1 != "exits.total" && $1 != "exits.intr" { s += $2 } END { print s + 0 }' "$stats")
    if [ -z "$pci" ] || [ -z "$con" ] || [ "$pci" -lt 1 ] || [ "$pci" -gt "$con" ] ||
       [ "$con" -gt "$all" ]; then
        fail stats "boot phases: pci=$pci console=$con total=$all" "$stats"; return
    fi
    pass stats
}

# The kernel cache and PVH boots: each cache test gets its own empty cache
# folder (XDG_CACHE_HOME); -v makes Vessel say what the cache did.
kcache_dir() { mktemp -d "${TMPDIR:-/tmp}/vessel-kcache.XXXXXX"; }

kcache_entry() {   # DIR: the entry path for $KERNEL in cache DIR
    echo "$1/vessel/kernels/$(sha256sum "$KERNEL" | cut -d' ' -f1).vmlinux"
}

uptime_of() { sed -n 's/.*VESSEL-BOOT-OK uptime=\([0-9.]*\).*/\1/p' "$out" | tr -d '\r'; }

test_boot_kernel_cache() {
    local dir; dir=$(kcache_dir)
    XDG_CACHE_HOME=$dir vboot kcache-fill poweroff -v
    expect_rc kcache-fill 0 && expect_log kcache-fill 'VESSEL-BOOT-OK' &&
        expect_log kcache-fill 'kernel cache: stored' &&
        expect_log kcache-fill 'boot: PVH entry' || { rm -rf "$dir"; return; }
    echo "     kcache-fill: guest uptime at init $(uptime_of) s" >&2
    if [ "$(head -c 4 "$(kcache_entry "$dir")" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        fail kcache-fill "no ELF entry $(kcache_entry "$dir")"; rm -rf "$dir"; return
    fi
    XDG_CACHE_HOME=$dir vboot kcache-hit poweroff -v
    rm -rf "$dir"
    expect_rc kcache-hit 0 && expect_log kcache-hit 'VESSEL-BOOT-OK' &&
        expect_log kcache-hit 'kernel cache: hit' &&
        expect_log kcache-hit 'boot: PVH entry' || return
    echo "     kcache-hit: guest uptime at init $(uptime_of) s" >&2
    pass kernel-cache
}

test_boot_kernel_cache_corrupt_entry() {
    local dir entry; dir=$(kcache_dir); entry=$(kcache_entry "$dir")
    mkdir -p -m 0700 "$dir/vessel" "$dir/vessel/kernels"
    head -c 100000 "$GUEST/vmlinux" > "$entry"     # a torn write
    XDG_CACHE_HOME=$dir vboot kcache-corrupt poweroff -v
    expect_rc kcache-corrupt 0 && expect_log kcache-corrupt 'VESSEL-BOOT-OK' &&
        expect_log kcache-corrupt 'is corrupt, removed' &&
        expect_log kcache-corrupt 'kernel cache: stored' || { rm -rf "$dir"; return; }
    if ! cmp -s "$entry" "$GUEST/vmlinux"; then
        fail kcache-corrupt "the entry was not replaced by the whole vmlinux"
        rm -rf "$dir"; return
    fi
    rm -rf "$dir"
    pass kernel-cache-corrupt-entry
}

test_boot_no_kernel_cache() {
    local dir; dir=$(kcache_dir)
    XDG_CACHE_HOME=$dir vboot kcache-off poweroff -v --no-kernel-cache
    expect_rc kcache-off 0 && expect_log kcache-off 'VESSEL-BOOT-OK' || { rm -rf "$dir"; return; }
    if grep -q 'kernel cache\|PVH entry' "$out" || [ -n "$(ls -A "$dir")" ]; then
        fail kcache-off "--no-kernel-cache still used the cache" "$out"; rm -rf "$dir"; return
    fi
    rm -rf "$dir"
    pass no-kernel-cache
}

test_boot_vmlinux_pvh() {
    vrun vmlinux-pvh -v --kernel "$GUEST/vmlinux" --initrd "$INITRD" \
        --cmdline "vtest=poweroff quiet"
    expect_rc vmlinux-pvh 0 && expect_log vmlinux-pvh 'VESSEL-BOOT-OK' &&
        expect_log vmlinux-pvh 'boot: PVH entry' || return
    echo "     vmlinux-pvh: guest uptime at init $(uptime_of) s" >&2
    pass vmlinux-pvh
}
