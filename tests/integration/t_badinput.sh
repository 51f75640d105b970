# Bad input to `vessel run`: one clear line naming the problem, exit status
# 1, never a crash or a hang. These need no guest to boot.

# bad_input NAME REGEX ARGS...: expect exit 1 and REGEX on stderr, one line.
bad_input() {
    local name=$1 want=$2; shift 2
    vrun "bad-$name" "$@"
    expect_rc "bad-$name" 1 || return
    expect_log "bad-$name" "$want" || return
    if [ "$(wc -l <"$out")" -ne 1 ]; then
        fail "bad-$name" "want one line of output, got $(wc -l <"$out")" "$out"; return
    fi
    pass "bad-$name"
}

test_bad_inputs() {
    local tmp=$LOGS/badinput; mkdir -p "$tmp"
    printf 'not a kernel at all' >"$tmp/short"
    head -c 8192 /dev/zero >"$tmp/zeros"
    # A real header with the protocol version patched down to 2.05.
    cp "$KERNEL" "$tmp/old"
    printf '\x05\x02' | dd of="$tmp/old" bs=1 seek=$((0x206)) conv=notrunc status=none
    # A real header with XLF_KERNEL_64 cleared.
    cp "$KERNEL" "$tmp/no64"
    x=$(od -An -tu2 -j $((0x236)) -N2 "$tmp/no64" | tr -d ' ')
    printf "\\x$(printf %02x $(((x & ~1) & 255)))" |
        dd of="$tmp/no64" bs=1 seek=$((0x236)) conv=notrunc status=none
    head -c 4096 "$KERNEL" >"$tmp/truncated"
    head -c 4096 "$GUEST/vmlinux" >"$tmp/truncated-vmlinux"
    head -c $((100 * 1024 * 1024)) /dev/zero >"$tmp/big-initrd"
    : >"$tmp/unreadable"; chmod 000 "$tmp/unreadable"

    bad_input no-kernel-flag '--kernel FILE is required'
    bad_input missing-kernel "cannot read kernel '/nonexistent/bzImage': No such file" \
        --kernel /nonexistent/bzImage
    bad_input dir-kernel "kernel '/' is not a regular file|Is a directory" --kernel /
    bad_input not-bzimage 'not a bzImage' --kernel "$tmp/zeros"
    bad_input short-kernel 'truncated|not a bzImage' --kernel "$tmp/short"
    bad_input truncated-kernel 'truncated' --kernel "$tmp/truncated"
    bad_input old-protocol '2\.05.*too old' --kernel "$tmp/old"
    bad_input no-64bit-entry '64-bit' --kernel "$tmp/no64"
    # ELF kernels boot through PVH: a static binary has no PVH note.
    bad_input vmlinux-no-pvh 'no PVH entry note' --kernel /bin/busybox
    bad_input vmlinux-truncated 'ELF segment lies outside the file' \
        --kernel "$tmp/truncated-vmlinux"
    bad_input missing-initrd "cannot read initrd '/nonexistent/initrd'" \
        --kernel "$KERNEL" --initrd /nonexistent/initrd
    bad_input initrd-no-fit 'initrd does not fit' --kernel "$KERNEL" \
        --initrd "$tmp/big-initrd" --mem 128M
    bad_input initrd-too-large "initrd '.*' is too large" --kernel "$KERNEL" \
        --initrd "$tmp/big-initrd" --mem 64M
    bad_input kernel-no-fit 'kernel does not fit' --kernel "$KERNEL" --mem 32M
    bad_input mem-small 'too small' --kernel "$KERNEL" --mem 1M
    bad_input mem-large 'too large' --kernel "$KERNEL" --mem 4096T
    bad_input mem-garbled "'lots' is not a size" --kernel "$KERNEL" --mem lots
    bad_input mem-overflow 'too large' --kernel "$KERNEL" --mem 99999999999999999999G
    bad_input mem-bad-option "only option after the size is ',hugepages'" \
        --kernel "$KERNEL" --mem 256M,huge
    # Where the host has no free 2 MiB huge pages (the nested harness).
    if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" = 0 ]; then
        bad_input mem-no-hugepages 'hugepages: .*(needs 128 huge pages of 2 MiB, the host has 0 free|no 2 MiB huge page pool)' \
            --kernel "$KERNEL" --mem 256M,hugepages
    fi
    bad_input cpus-zero 'out of range' --kernel "$KERNEL" --cpus 0
    bad_input cpus-many 'out of range' --kernel "$KERNEL" --cpus 1000
    bad_input cpus-garbled 'not a number' --kernel "$KERNEL" --cpus two
    bad_input unknown-flag "unknown option '--frobnicate'" --kernel "$KERNEL" --frobnicate
    bad_input missing-value "needs a value" --kernel
    bad_input stray-arg "unexpected argument 'extra'" --kernel "$KERNEL" extra
    bad_input disk-missing "--disk '/nonexistent/disk.img'" --kernel "$KERNEL" \
        --disk /nonexistent/disk.img
    bad_input disk-dir "--disk '/'" --kernel "$KERNEL" --disk /
    bad_input disk-spec "--disk 'x,frobnicate': not PATH" --kernel "$KERNEL" --disk x,frobnicate
    bad_input disk-too-many "at most 8 disks" --kernel "$KERNEL" $(for i in 1 2 3 4 5 6 7 8 9; do echo --disk /dev/null; done)
    bad_input console-kind "--console: 'vga' is neither serial nor virtio" --kernel "$KERNEL" --console vga
    bad_input kvm-missing '/nonexistent/kvm does not exist.*modprobe kvm_' --kernel "$KERNEL" \
        --kvm-device /nonexistent/kvm
    if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -e /dev/kvm ]; then
        # /dev/kvm as it is, opened by a user without permission
        # /dev/kvm's own node (10:232) with root-only permissions.
        local node=/tmp/vessel-kvm-denied
        rm -f "$node"; mknod "$node" c 10 232 && chmod 600 "$node"
        cp "$KERNEL" "$tmp/k"; chmod 644 "$tmp/k"
        out=$LOGS/bad-kvm-denied.log
        timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$VESSEL" run --kernel "$tmp/k" --kvm-device "$node" </dev/null >"$out" 2>&1
        rc=$?
        expect_rc bad-kvm-denied 1 && expect_log bad-kvm-denied 'permission denied.*kvm' &&
            pass bad-kvm-denied
        rm -f "$node"
    fi
    # A kernel file that cannot be read
    if [ "$(id -u)" -ne 0 ]; then
        bad_input unreadable-kernel 'Permission denied' --kernel "$tmp/unreadable"
    fi
}
