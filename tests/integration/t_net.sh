# Networking: virtio-net with user-mode NAT (libslirp: DHCP, DNS, NAT to a
# server on the host, a host port forwarded to a guest server) and with tap
# devices (two VMs on a bridge in a network namespace of ours; a tap that
# vanishes while the VM runs; a backend that keeps saying EAGAIN).

NET_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vessel-net.XXXXXX")

# vstart NAME ARGS...: start a VM like vrun, in the background ($bgpid).
vstart() {
    local name=$1; shift
    timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run "$@" </dev/null \
        >"$LOGS/$name.log" 2>&1 &
    bgpid=$!
}

# vwait NAME PID: wait for a VM from vstart; sets $rc and $out.
vwait() {
    wait "$2"; rc=$?; out=$LOGS/$1.log
}

# wait_log NAME REGEX SECONDS: the VM's console shows REGEX in time (a VM
# that ended without it fails at once).
wait_log() {
    local log=$LOGS/$1.log end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do
        grep -Eq -- "$2" "$log" 2>/dev/null && return 0
        [ -n "${bgpid:-}" ] && ! kill -0 "$bgpid" 2>/dev/null && break
        sleep 0.5
    done
    grep -Eq -- "$2" "$log" 2>/dev/null
}

# A TCP port on the host's loopback nobody listens on (the nested harness
# runs nothing else; with a real /dev/kvm, ss tells us what is taken).
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
}

net_boot_args=(--kernel "$KERNEL" --initrd "$INITRD")

test_net_user_dhcp_and_nat_fetch() {
    local port www=$NET_DIR/www srv sum
    mkdir -p "$www"
    head -c 300000 /dev/urandom >"$www/blob"
    sum=$(md5sum <"$www/blob" | cut -c1-32)
    port=$(free_port)
    busybox httpd -f -p "127.0.0.1:$port" -h "$www" & srv=$!
    vrun net-nat "${net_boot_args[@]}" --net user \
        --cmdline "vtest=net-dhcp quiet vessel.url=http://10.0.2.2:$port/blob"
    kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    expect_rc net-nat 0 &&
        expect_log net-nat 'VESSEL-NET-ADDR 10\.0\.2\.15/24 gw=10\.0\.2\.2 dns=10\.0\.2\.3' &&
        expect_log net-nat "VESSEL-NET-FETCH $sum" && pass net-nat
}

test_net_user_hostfwd_serves_page() {
    local web done_port page got
    web=$(free_port); done_port=$(free_port)
    vstart net-fwd "${net_boot_args[@]}" --cmdline "vtest=net-serve quiet" \
        --net "user,hostfwd=tcp::$web-:80,hostfwd=tcp:127.0.0.1:$done_port-:81"
    local pid=$bgpid
    if ! wait_log net-fwd 'VESSEL-NET-SERVING' "$GUEST_TIMEOUT"; then
        kill "$pid" 2>/dev/null; vwait net-fwd "$pid"
        fail net-fwd "the guest never served its page" "$out"; return
    fi
    page=$(sed -n 's/.*VESSEL-NET-SERVING \(served by [0-9a-f]*\).*/\1/p' "$LOGS/net-fwd.log" | head -n1)
    got=$(timeout 30 wget -q -O - "http://127.0.0.1:$web/" 2>/dev/null)
    # Tell the guest we are done: it powers off once port 81 is closed.
    timeout 30 busybox nc 127.0.0.1 "$done_port" </dev/null >/dev/null 2>&1
    vwait net-fwd "$pid"
    expect_rc net-fwd 0 && expect_log net-fwd 'VESSEL-NET-DONE' || return
    if [ -z "$page" ] || [ "$got" != "$page" ]; then
        fail net-fwd "host fetched <$got>, guest served <$page>" "$out"; return
    fi
    pass net-fwd
}

# --- tap devices, in a network namespace of our own (needs root and the
# tun and bridge modules; tools/kvmbox loads them for `make integration`).
NET_NS=vessel-test-$$

net_ns_up() {   # TAP...: the namespace, a bridge, and the taps on it
    ip netns add "$NET_NS" && ip -n "$NET_NS" link add br0 type bridge &&
        ip -n "$NET_NS" link set br0 up || return
    for t in "$@"; do
        ip -n "$NET_NS" tuntap add dev "$t" mode tap vnet_hdr &&
            ip -n "$NET_NS" link set "$t" master br0 up || return
    done
}

net_ns_down() { ip netns del "$NET_NS" 2>/dev/null; true; }

net_tap_ready() {   # NAME: skip (as a failure) where taps cannot work
    if ! net_ns_up tap0 tap1 2>"$LOGS/$1-setup.log"; then
        fail "$1" "cannot set up taps and a bridge in a netns" "$LOGS/$1-setup.log"
        net_ns_down; return 1
    fi
}

# Background VMs of the tap tests run inside the namespace.
vstart_ns() {
    local name=$1; shift
    timeout --kill-after=10 "$GUEST_TIMEOUT" ip netns exec "$NET_NS" "$VESSEL" run "$@" \
        </dev/null >"$LOGS/$name.log" 2>&1 &
    bgpid=$!
}

# tap_pair NAME MIB [ENV...]: VM "recv" on tap1 listens, VM "send" on tap0
# pings it and sends a MIB-MiB random image over TCP; checksums must match.
tap_pair() {
    local name=$1 mib=$2; shift 2
    local img=$NET_DIR/$name.img sum rpid spid
    net_tap_ready "$name" || return
    head -c "${mib}M" /dev/urandom >"$img"
    sum=$(md5sum <"$img" | cut -c1-32)
    vstart_ns "$name-recv" "${net_boot_args[@]}" --net tap=tap1 \
        --cmdline "vtest=net-peer quiet vessel.ip=10.9.0.2/24 vessel.role=recv"
    rpid=$bgpid
    if ! wait_log "$name-recv" 'VESSEL-NET-LISTENING' "$GUEST_TIMEOUT"; then
        kill "$rpid" 2>/dev/null; vwait "$name-recv" "$rpid"; net_ns_down
        fail "$name" "receiver never listened" "$out"; return
    fi
    env "$@" timeout --kill-after=10 "$GUEST_TIMEOUT" ip netns exec "$NET_NS" \
        "$VESSEL" run "${net_boot_args[@]}" --net tap=tap0 --disk "$img,ro" \
        --cmdline "vtest=net-peer quiet vessel.ip=10.9.0.1/24 vessel.peer=10.9.0.2 vessel.role=send" \
        </dev/null >"$LOGS/$name-send.log" 2>&1 &
    spid=$!
    vwait "$name-send" "$spid"
    expect_rc "$name-send" 0 && expect_log "$name-send" 'VESSEL-NET-PING-OK 3 packets received' &&
        expect_log "$name-send" 'VESSEL-NET-SENT'
    local send_ok=$?
    vwait "$name-recv" "$rpid"
    net_ns_down
    [ $send_ok -eq 0 ] || return
    expect_rc "$name-recv" 0 && expect_log "$name-recv" "VESSEL-NET-RECV $sum" || return
    local times
    times=$(sed -n 's/.*VESSEL-NET-SENT t0=\([0-9.]*\) t1=\([0-9.]*\).*/\1 \2/p' "$LOGS/$name-send.log")
    echo "     $name: $mib MiB in $(echo "$times" | awk '{ printf "%.1f", $2 - $1 }') s (guest clock)" >&2
    pass "$name"
}

test_net_tap_bridge_two_vms_100mb() {
    tap_pair net-tap 100
}

test_b9_net_tap_eagain_storm() {
    tap_pair net-eagain 8 VESSEL_NET_FAULT=eagain-storm:64
}

test_b11_net_tap_deleted_while_running() {
    local pid
    net_tap_ready net-tapdel || return
    vstart_ns net-tapdel "${net_boot_args[@]}" --net tap=tap0 --cmdline "vtest=net-link quiet"
    pid=$bgpid
    if ! wait_log net-tapdel 'VESSEL-NET-LINK 1' "$GUEST_TIMEOUT"; then
        kill "$pid" 2>/dev/null; vwait net-tapdel "$pid"; net_ns_down
        fail net-tapdel "the guest never saw its link up" "$out"; return
    fi
    ip -n "$NET_NS" link del tap0
    vwait net-tapdel "$pid"
    net_ns_down
    expect_rc net-tapdel 0 && expect_log net-tapdel 'VESSEL-NET-LINK-DOWN' && pass net-tapdel
}
