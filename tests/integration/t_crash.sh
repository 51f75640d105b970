# Crash consistency (RELIABILITY (b) 8): the guest writes numbered records
# with a flush after each and prints an acknowledgement only after the
# flush completed; Vessel is killed with SIGKILL mid-loop. Every record
# acknowledged must be in the image, intact.

test_b8_sigkill_during_fsync_loop() {
    local img=$IMAGES/crash.img pid vessel last i rec want bad=0
    rm -f "$img"; truncate -s 64M "$img"
    timeout --kill-after=10 "$GUEST_TIMEOUT" "$VESSEL" run --kernel "$KERNEL" --initrd "$INITRD" \
        --cmdline "vtest=blk-fsync-loop quiet" --disk "$img" </dev/null >"$LOGS/crash.log" 2>&1 &
    pid=$!
    out=$LOGS/crash.log
    local end=$((SECONDS + GUEST_TIMEOUT))
    until grep -aq 'VESSEL-ACK 40[^0-9]' "$out" 2>/dev/null; do
        if [ $SECONDS -ge $end ] || ! kill -0 "$pid" 2>/dev/null; then
            pkill -KILL -P "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            fail crash "the guest never acknowledged 40 records" "$out"; return
        fi
        sleep 0.2
    done
    vessel=$(pgrep -P "$pid" -x vessel)
    kill -KILL "$vessel"; wait "$pid" 2>/dev/null
    last=$(grep -ao 'VESSEL-ACK [0-9]*' "$out" | tail -n 1 | cut -d' ' -f2)
    for ((i = 0; i <= last; i++)); do
        rec=$(dd if="$img" bs=512 skip="$i" count=1 2>/dev/null | head -n 1)
        want=$(printf 'VESSEL-REC %08d %s' "$i" "$(echo "$i" | md5sum | cut -c1-16)")
        [ "$rec" = "$want" ] || { bad=$((bad + 1)); echo "     record $i: <$rec>" >&2; }
    done
    if [ "$bad" -ne 0 ]; then
        fail crash "$bad of $((last + 1)) acknowledged records missing or damaged after SIGKILL" "$out"; return
    fi
    echo "     crash: $((last + 1)) acknowledged records intact after SIGKILL" >&2
    pass crash
}
