# PCI and virtio devices: disks (ext4 round trip checked on the host,
# read-only, two at once, locking, host I/O errors), the virtio console
# and the entropy device.

# Images live on a local filesystem: in the nested harness the project
# folder is a 9p share, whose server does not enforce file locks.
IMAGES=$(mktemp -d "${TMPDIR:-/tmp}/vessel-images.XXXXXX")

# disk NAME SIZE: a fresh sparse raw image.
disk() {
    local img=$IMAGES/$1.img
    rm -f "$img"; truncate -s "$2" "$img"; echo "$img"
}

test_virtio_pci_devices() {
    local img; img=$(disk pci 16M)
    vboot pci-list pci --disk "$img"
    expect_rc pci-list 0 && expect_log pci-list 'VESSEL-PCI 0000:00:00.0 0x1b36:0x0008 class=0x060000' &&
        expect_log pci-list 'VESSEL-PCI 0000:00:01.0 0x1af4:0x1042 class=0x018000' &&
        expect_log pci-list 'VESSEL-PCI 0000:00:02.0 0x1af4:0x1044 class=0x00ff00' &&
        pass pci-list
}

test_virtio_blk_ext4_round_trip() {
    local img; img=$(disk ext4 64M)
    vboot blk-write blk-write --disk "$img"
    expect_rc blk-write 0 && expect_log blk-write 'VESSEL-BLK-WRITE-OK' || return
    # The host checks what the guest left: a clean ext4 with the file.
    if ! e2fsck -fn "$img" >"$LOGS/blk-e2fsck.log" 2>&1; then
        fail blk-write "e2fsck found problems" "$LOGS/blk-e2fsck.log"; return
    fi
    if [ "$(debugfs -R 'cat /hello.txt' "$img" 2>/dev/null)" != "hello from the guest" ]; then
        fail blk-write "debugfs cannot read /hello.txt back"; return
    fi
    pass blk-write
    vboot blk-read blk-read --disk "$img,ro"
    expect_rc blk-read 0 && expect_log blk-read 'VESSEL-BLK-READ-OK hello from the guest' &&
        pass blk-read
}

test_virtio_blk_read_only() {
    local img sum; img=$(disk ro 16M)
    printf 'precious' | dd of="$img" conv=notrunc status=none
    sum=$(md5sum <"$img")
    vboot blk-ro blk-ro --disk "$img,ro"
    expect_rc blk-ro 0 && expect_log blk-ro 'VESSEL-RO sysfs=1' &&
        expect_log blk-ro 'VESSEL-RO-WRITE-REFUSED' || return
    if [ "$(md5sum <"$img")" != "$sum" ]; then
        fail blk-ro "the read-only image changed"; return
    fi
    pass blk-ro
}

test_virtio_blk_two_disks() {
    local a b; a=$(disk two-a 16M); b=$(disk two-b 32M)
    vboot blk-two blk-two --disk "$a" --disk "$b,serial=disk-two"
    expect_rc blk-two 0 && expect_log blk-two 'VESSEL-DISKS vda=32768 vdb=65536 serial=disk-two' &&
        pass blk-two
}

test_virtio_blk_lock() {
    local img dir fifo pid ready=0; img=$(disk lock 16M)
    # The fifo on a tmpfs (kvmbox's /tmp): the project folder is a 9p share
    # whose server refuses special files, and a failed mkfifo there left
    # VM 1 to a race between its '<' and our 'exec 7>' (a flaky test).
    dir=$(mktemp -d /tmp/vessel-lock.XXXXXX) && fifo=$dir/fifo && mkfifo "$fifo" ||
        { fail blk-lock "cannot make a fifo in /tmp"; return; }
    # VM 1 holds the image read-write until we feed it a line.
    : > "$LOGS/lock-vm1.log"
    timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run --kernel "$KERNEL" \
        --initrd "$INITRD" --cmdline "vtest=echo quiet" --disk "$img" \
        <"$fifo" >"$LOGS/lock-vm1.log" 2>&1 &
    pid=$!
    exec 7>"$fifo"
    for _ in $(seq 1 "$GUEST_TIMEOUT"); do
        grep -q VESSEL-READY "$LOGS/lock-vm1.log" && { ready=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if [ "$ready" = 1 ]; then
        vrun blk-lock --kernel "$KERNEL" --initrd "$INITRD" --disk "$img"
    fi
    printf 'bye\r' >&7; exec 7>&-
    wait "$pid"
    rm -rf "$dir"
    [ "$ready" = 1 ] || { fail blk-lock "the first VM never got ready" "$LOGS/lock-vm1.log"; return; }
    expect_rc blk-lock 1 && expect_log blk-lock "in use by another VM" && pass blk-lock
}

test_virtio_blk_host_read_errors() {
    local img; img=$(disk eio 16M)
    VESSEL_BLK_FAULT=eio-read:3+ vboot blk-eio blk-ioerr --disk "$img"
    expect_rc blk-eio 0 && expect_log blk-eio 'VESSEL-IOERR-SEEN' && pass blk-eio
}

test_virtio_blk_host_write_errors() {
    local img; img=$(disk enospc 16M)
    VESSEL_BLK_FAULT=enospc:1+ vboot blk-enospc blk-wrerr --disk "$img"
    expect_rc blk-enospc 0 && expect_log blk-enospc 'VESSEL-WRERR-SEEN' &&
        expect_log blk-enospc 'VESSEL-STILL-USABLE' && pass blk-enospc
}

test_virtio_console_hvc0() {
    vboot hvc0 hvc --console virtio
    expect_rc hvc0 0 && expect_log hvc0 'VESSEL-HVC console=hvc0' && pass hvc0
}

test_virtio_rng() {
    vboot rng rng
    expect_rc rng 0 && expect_log rng 'VESSEL-RNG current=virtio_rng.0 bytes=256' && pass rng
}
