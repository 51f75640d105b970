# tools/lib/common.sh: helpers shared by the tools/ scripts (sourced, not run).
# Callers set `prog` (their name, for messages) before sourcing.

# Root of the Vessel repository that holds these tools (not the caller's cwd).
VESSEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PATH=$PATH:/usr/sbin:/sbin

die() { echo "${prog:-tool}: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; run tools/install-deps${2:+ ($2)}"; }
