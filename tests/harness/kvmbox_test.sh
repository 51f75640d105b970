#!/usr/bin/env bash
# kvmbox_test.sh: self-test of tools/kvmbox (the nested KVM harness).
# Checks that /dev/kvm works inside (QEMU -accel kvm boots a microvm guest that
# prints a marker), that exit statuses, the cwd, the environment, stdout/stderr
# and files written to the project folder pass through, the retry, timeout and
# interactive (terminal) paths; and measures the harness's boot overhead.
# Usage: tests/harness/kvmbox_test.sh [--quick]   (--quick: skip slow checks)
# Set VESSEL_KVMBOX=force to test the nested harness on a machine with /dev/kvm.
# Last line: "N passed, M failed"; exit status 0 only if none failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kvmbox=$root/tools/kvmbox
quick=0; [ "${1:-}" = --quick ] && quick=1
pass=0 fail=0
ok()  { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.1f", $1 - $2}'; }
show() { echo "--- $1:"; sed -n '1,40p' "$1" 2>/dev/null || true; }

"$root/tools/fetch-kernel" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$root/build"
work=$(mktemp -d "$root/build/kvmbox-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sub"

nested=1
if [ "${VESSEL_KVMBOX:-}" != force ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then nested=0; fi
echo "mode: $([ $nested = 1 ] && echo 'nested harness (QEMU TCG + kvm-amd)' || echo 'direct /dev/kvm')"

# A tiny guest for QEMU's own -accel kvm inside: prints a marker, powers off.
printf '#!/bin/sh\necho KVMBOX-INNER-OK-$((40 + 2))\npoweroff -f\n' > "$work/tiny-init"
"$root/tools/mkinitramfs" -o "$work/tiny.cpio.gz" --init "$work/tiny-init" || bad "mkinitramfs"

# 1. One run checks /dev/kvm, a KVM guest boot, cwd, env, files, stdout/stderr.
cat > "$work/inside.sh" <<EOF
set -u
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && echo "kvm-device-ok"
pwd > cwd.txt
[ -t 1 ] || echo "stdout-not-a-tty"
echo "\$VESSEL_TEST_TOKEN" > env.txt
echo "to-stderr" >&2
s=\$(date +%s.%N)
timeout 300 qemu-system-x86_64 -accel kvm -M microvm -cpu host -m 256M -nodefaults \\
  -no-user-config -display none -no-reboot -serial stdio \\
  -kernel "$root/build/guest/vmlinuz" -initrd "$work/tiny.cpio.gz" \\
  -append "console=ttyS0 quiet loglevel=0 panic=-1" > microvm.out 2>&1
echo "microvm-rc=\$?"
echo "microvm-seconds=\$(echo "\$(date +%s.%N) \$s" | awk '{printf "%.1f", \$1 - \$2}')"
EOF
t0=$(now) rc=0
(cd "$work/sub" && VESSEL_TEST_TOKEN=tok-$$ "$kvmbox" --timeout 600 -- bash "$work/inside.sh" \
  > "$work/out.txt" 2> "$work/err.txt") || rc=$?
echo "measure: kvmbox run with a microvm boot inside: $(since "$t0") s" \
  "($(grep -o 'microvm-seconds=.*' "$work/out.txt" | cut -d= -f2) s for the microvm)"
check "command exit status 0 (got $rc)" [ "$rc" = 0 ]
check "/dev/kvm usable inside" grep -qx kvm-device-ok "$work/out.txt"
check "stdout not a terminal inside when not one outside" grep -qx stdout-not-a-tty "$work/out.txt"
check "qemu -accel kvm microvm printed its marker" grep -q KVMBOX-INNER-OK-42 "$work/sub/microvm.out"
check "microvm qemu exited 0" grep -qx microvm-rc=0 "$work/out.txt"
check "cwd preserved" [ "$(cat "$work/sub/cwd.txt" 2>/dev/null)" = "$work/sub" ]
check "VESSEL_* environment passed" [ "$(cat "$work/sub/env.txt" 2>/dev/null)" = "tok-$$" ]
check "stderr reaches stderr" grep -qx to-stderr "$work/err.txt"
check "stderr not in stdout" bash -c "! grep -q to-stderr '$work/out.txt'"
check "stdout has no CR (byte-exact)" bash -c "! grep -q $'\r' '$work/out.txt'"
[ "$fail" = 0 ] || { show "$work/out.txt"; show "$work/err.txt"; show "$work/sub/microvm.out"; }

# 2. Exit statuses pass through; with 2>&1 the order of stdout and stderr holds.
rc=0; "$kvmbox" --timeout 300 -- sh -c 'echo 1; echo 2 >&2; echo 3; exit 7' > "$work/merged.txt" 2>&1 || rc=$?
check "exit status 7 passes through (got $rc)" [ "$rc" = 7 ]
check "2>&1 keeps the order" [ "$(cat "$work/merged.txt")" = "$(printf '1\n2\n3')" ]

# 3. Boot overhead: `kvmbox true`, three times.
times=()
for i in 1 2 3; do
  t0=$(now) rc=0; "$kvmbox" --timeout 300 true || rc=$?; times+=("$(since "$t0")")
  check "kvmbox true #$i (got $rc)" [ "$rc" = 0 ]
done
echo "measure: kvmbox true: ${times[*]} s"

# 4. Byte-exact output and a regular file as stdin.
printf 'line1\nline2\r\n' > "$work/in.txt"
out=$("$kvmbox" --timeout 300 -- sh -c 'cat; printf "x\ty\n"' < "$work/in.txt" | od -An -c | tr -s ' ') || true
check "stdin file in, output byte-exact" [ "$out" = "$(printf 'line1\nline2\r\nx\ty\n' | od -An -c | tr -s ' ')" ]

if [ "$nested" = 1 ]; then
  # 5. A crash of the middle guest before the command starts is retried once.
  rc=0; VESSEL_KVMBOX_TEST_FAIL=boot "$kvmbox" --timeout 300 -- sh -c 'exit 3' 2> "$work/retry.err" || rc=$?
  check "retry after a middle-guest crash (got $rc)" [ "$rc" = 3 ]
  check "retry reported" grep -q '^kvmbox: retrying: ' "$work/retry.err"

  if [ "$quick" = 0 ]; then
    # 6. A hang ends with 124 and the console tail.
    t0=$(now) rc=0
    "$kvmbox" --timeout 25 -- sleep 1000 2> "$work/timeout.err" || rc=$?
    check "timeout gives 124 (got $rc, after $(since "$t0") s)" [ "$rc" = 124 ]
    check "timeout reported" grep -qx 'kvmbox: timeout after 25 s' "$work/timeout.err"
    check "console tail shown" grep -q 'kvmbox-init: .*running command' "$work/timeout.err"
    # kvmbox keeps a failed run's folder for inspection; this one was on purpose
    kept=$(sed -n "s|^kvmbox: last 50 lines of .* (\(.*\)/console.log):$|\1|p" "$work/timeout.err")
    case $kept in */build/kvmbox/run-*) rm -rf "$kept" ;; esac
  fi
fi

# 7. Interactive: a terminal (script(1) gives a pty), typed input, ^C reaches the command.
if command -v script >/dev/null; then
  mkfifo "$work/tty.in"
  (cd "$work" && exec script -qec "$kvmbox sh" /dev/null < "$work/tty.in" > "$work/tty.out" 2>&1) &
  spid=$!
  exec {w}> "$work/tty.in"
  wait_for() {  # wait_for PATTERN: until the terminal output shows it (300 s max)
    local i; for i in $(seq 1500); do grep -q "$1" "$work/tty.out" && return 0; sleep 0.2; done; return 1
  }
  printf 'echo ready-$((6*7))\r' >&$w
  check "interactive: typed command ran" wait_for ready-42
  # (patterns are computed, so the echo of the typed line cannot match them)
  printf 'echo sleeping-$((1+1)); sleep 200; echo not-$((3*3))-interrupted\r' >&$w
  wait_for sleeping-2 || true; sleep 3
  printf '\003' >&$w; sleep 2
  printf 'echo after-$((2*3)); exit 5\r' >&$w
  wait_for after-6 || true
  exec {w}>&-
  rc=0; wait "$spid" || rc=$?
  check "interactive: exit status 5 (got $rc)" [ "$rc" = 5 ]
  check "interactive: ^C interrupted the command, shell went on" \
    bash -c "grep -q after-6 '$work/tty.out' && ! grep -q not-9-interrupted '$work/tty.out'"
  [ "$rc" = 5 ] || show "$work/tty.out"
  stty -F /dev/tty sane 2>/dev/null || true
else
  echo "skip: interactive test (no script(1))"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
