# bench/report.awk: turns build/bench/raw.tsv (metric, side, run, value; NA
# when not measured) into the per-run table and the summary table.
# Variables: runs (rounds), have_qemu, have_stats; guest_direct, host_direct
# (1 if diskwork ran with O_DIRECT on that side, 0 if buffered, empty if it
# did not run), disk_fs (the image's filesystem type).

function add(id, label, dec, ref, note) {
    n_metrics++
    order[n_metrics] = id; lab[id] = label; decs[id] = dec; refside[id] = ref; notes[id] = note
}

function fmt(v, d) { return sprintf("%." d "f", v) }

# median of the values of (id, side); sets cnt[id, side]
function median(id, side,   k, n, a, i, j, t) {
    n = 0
    for (k = 1; k <= runs; k++)
        if ((id, side, k) in val && val[id, side, k] != "NA")
            a[++n] = val[id, side, k] + 0
    cnt[id, side] = n
    if (n == 0) return "NA"
    for (i = 2; i <= n; i++) {          # insertion sort, n is small
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function cell(id, side,   m, s) {
    m = med[id, side]
    if (m == "NA") {
        if (side == "qemu" && have_qemu != 1) return "n/a (no QEMU)"
        if (!(("boot_ms", side) in booted) && side != "host") return "failed"
        if (side == "vessel" && have_stats != 1 && id ~ /^(user|mem|su_cpu|su_majflt|touched)$/)
            return "n/a (no --stats)"
        return "n/a"
    }
    s = fmt(m, decs[id])
    if (cnt[id, side] < runs) s = s " (n=" cnt[id, side] ")"
    return s
}

BEGIN {
    add("boot_ms",   "boot to init, wall (ms)", 0, "qemu", "")
    add("uptime",    "guest uptime at init (s)", 2, "qemu", "")
    add("exits",     "VM exits to init: total (KVM)", 0, "qemu", "a")
    add("io",        "VM exits: io (KVM)", 0, "qemu", "a")
    add("mmio",      "VM exits: mmio (KVM)", 0, "qemu", "a")
    add("halt",      "VM exits: hlt (KVM)", 0, "qemu", "a")
    add("iommio",    "VM exits: io+mmio (KVM)", 0, "qemu", "a")
    add("user",      "exits to userspace", 0, "qemu", "b")
    add("ph_early",  "  of them before the PCI scan (early kernel set-up)", 0, "qemu", "i")
    add("ph_kernel", "  from the PCI scan to the first console output (init)", 0, "qemu", "i")
    add("ph_init",   "  from the init's first line to power-off", 0, "qemu", "i")
    add("peak_rss",  "VMM peak RSS (MiB)", 2, "qemu", "")
    add("mem",       "VMM memory overhead (MiB)", 2, "qemu", "c")
    add("mem_smaps", "VMM memory overhead, own RAM Rss from smaps (MiB)", 2, "qemu", "d")
    add("mem_out",   "VMM Rss outside guest RAM, at the snapshot (MiB)", 2, "qemu", "d")
    add("mem_anon",  "  of it anonymous (MiB)", 2, "qemu", "d")
    add("mem_priv",  "  of it private to the process (USS) (MiB)", 2, "qemu", "d")
    add("su_cpu",    "VMM start-up CPU (ms)", 1, "qemu", "e")
    add("su_sys",    "  of it in the kernel: system time (ms)", 1, "qemu", "e")
    add("su_majflt", "VMM start-up major faults", 0, "qemu", "e")
    add("cpu_ms",    "CPU-bound work: guest vs host (ms)", 0, "host", "f")
    add("dk_seqread",   "virtio-blk seq read, 1 MiB blocks: guest vs host (MiB/s)", 1, "host", "g")
    add("dk_seqwrite",  "virtio-blk seq write, 1 MiB blocks: guest vs host (MiB/s)", 1, "host", "g")
    add("dk_randread",  "virtio-blk 4 KiB random read: guest vs host (IOPS)", 0, "host", "g")
    add("dk_randwrite", "virtio-blk 4 KiB random write: guest vs host (IOPS)", 0, "host", "g")
    add("nt_user",   "virtio-net TCP guest to host, user NAT: vs host loopback (Mbit/s)", 1, "host", "h")
    add("nt_tap",    "virtio-net TCP guest to host, tap: vs host loopback (Mbit/s)", 1, "host", "h")
}

{ val[$1, $2, $3] = $4; if ($1 == "boot_ms" && $4 != "NA") booted[$1, $2] = 1 }

END {
    add("touched", "guest RAM touched, Vessel (MiB)", 1, "", "")
    for (i = 1; i <= n_metrics; i++) {
        id = order[i]
        med[id, "vessel"] = median(id, "vessel")
        if (refside[id] != "") med[id, refside[id]] = median(id, refside[id])
    }

    print "## Per run"
    print ""
    hdr = "| metric | side |"; sep = "|---|---|"
    for (k = 1; k <= runs; k++) { hdr = hdr " " k " |"; sep = sep "---:|" }
    print hdr " median |"; print sep "---:|"
    for (i = 1; i <= n_metrics; i++) {
        id = order[i]
        ns = refside[id] == "" ? 1 : 2
        for (s = 1; s <= ns; s++) {
            side = s == 1 ? "vessel" : refside[id]
            line = "| " lab[id] " | " (side == "qemu" ? "qemu microvm" : side) " |"
            for (k = 1; k <= runs; k++) {
                v = ((id, side, k) in val) ? val[id, side, k] : "NA"
                line = line " " (v == "NA" ? "-" : fmt(v, decs[id])) " |"
            }
            m = med[id, side]
            print line " " (m == "NA" ? "-" : fmt(m, decs[id])) " |"
        }
    }

    print ""
    print "## Summary (medians; ratio = vessel / reference)"
    print ""
    print "| metric | vessel | qemu microvm / host | ratio |"
    print "|---|---:|---:|---:|"
    for (i = 1; i <= n_metrics; i++) {
        id = order[i]
        if (refside[id] == "") continue
        r = refside[id]
        ratio = "-"
        if (med[id, "vessel"] != "NA" && med[id, r] != "NA" && med[id, r] + 0 != 0)
            ratio = sprintf("%.2f", med[id, "vessel"] / med[id, r])
        label = lab[id] (notes[id] != "" ? " [" notes[id] "]" : "")
        print "| " label " | " cell(id, "vessel") " | " cell(id, r) (r == "host" ? " (host)" : "") " | " ratio " |"
    }
    print ""
    print "[a] KVM's own per-VM counters for both VMMs, read from debugfs (/sys/kernel/debug/kvm/PID-FD/)"
    print "    300 ms after the init's first line, while the guest sleeps 1 s before powering off."
    print "    KVM's io exits include port I/O handled inside the kernel (PIC, PIT), not only exits to the VMM."
    print "[b] Vessel: its own count of exits to userspace (sum of exits.* except intr, from --stats, whole run"
    print "    to power-off). QEMU has no such counter: its figure is KVM's io+mmio exits [a], an upper estimate."
    print "[c] Peak RSS of the VMM process minus the guest RAM it touched. Vessel: rss.peak_kib - ram.touched_kib"
    print "    (--stats). QEMU: peak RSS (getrusage ru_maxrss) minus Vessel's ram.touched_kib from the same round,"
    print "    as an estimate of the RAM the same guest touches under QEMU."
    print "[d] Cross-check of [c] with each VMM's own figure: peak RSS minus the Rss of its guest-RAM mapping"
    print "    (the 256 MiB mapping in /proc/PID/smaps, read at the same moment as [a]). The rows below it"
    print "    sum every other mapping in smaps at that moment: Rss, Anonymous, and Private_Clean+Private_Dirty"
    print "    (pages no other process maps, e.g. not the shared text of libc: what one more VM costs)."
    print "[e] Vessel: startup.cpu_us / startup.sys_us / startup.majflt (user+sys CPU, the system part, and major"
    print "    faults from exec to the first KVM_RUN). QEMU: the same of a whole run with -S (never enters the guest)"
    print "    and `quit` on -monitor stdio: exec, machine set-up, kernel/initrd load and exit; an upper bound."
    print "    Vessel loads the decompressed kernel (~30 MiB of data, from the kernel cache); QEMU the 8 MiB bzImage,"
    print "    which the guest then decompresses in its own boot time."
    print "[f] bench/cpuwork.c (static, integer mixing over a 64 KiB table), elapsed CLOCK_MONOTONIC time"
    print "    measured by the program itself, in a Vessel guest (1 vCPU) and directly on the host; ratio = guest/host."
    print "[g] bench/diskwork.c (static), CLOCK_MONOTONIC time measured by the program itself: in a Vessel guest on"
    print "    /dev/vda (--disk IMAGE) and directly on the host against the same IMAGE file, one request at a time"
    print "    (queue depth 1); whole image in 1 MiB requests, then random 4 KiB requests at 4 KiB-aligned offsets"
    print "    (the same sequence on both sides); the write runs end with fdatasync (in the guest: a virtio-blk FLUSH)"
    print "    inside the timed part. Higher is better: ratio = guest/host, the share of the host's rate the guest gets."
    print "    Guest: " (guest_direct == 1 ? "O_DIRECT on /dev/vda (no guest page cache)." : guest_direct == "" ? "did not run." : "buffered (O_DIRECT refused).") \
          " Vessel itself opens the image without O_DIRECT."
    if (host_direct == 1)
        print "    Host: O_DIRECT on the image (" disk_fs ")."
    else if (host_direct == 0) {
        print "    Host: buffered I/O (posix_fadvise DONTNEED before reads, fdatasync after writes): the image is on"
        print "    " disk_fs ", which refused O_DIRECT" (disk_fs == "tmpfs" ? " (tmpfs has it from Linux 6.6 only)" : "") \
              "; both sides then read and write the same"
        print "    page-cache pages, so the ratio is the cost of the virtio-blk path."
    }
    print "[h] bench/network.c (static): one TCP connection, 128 KiB writes for the run's seconds, timed until the"
    print "    server's count of what it received came back. Guest to host through Vessel's virtio-net (user: libslirp"
    print "    NAT to the host's loopback; tap: a tap device with the host at 10.77.0.1) vs the same program over"
    print "    the host's own loopback (the same host figure on both rows)."
    print "[i] Vessel's exits to userspace [b] split by boot phase (--stats phase.pci.exits, phase.console.exits):"
    print "    the first PCI config access marks the PCI scan; with `quiet` the first console byte is the init's"
    print "    first line. QEMU has no such counters."
}
