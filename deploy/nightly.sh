#!/usr/bin/env bash
# portal-audit nightly job: audit, keep the last N runs, fail only on new errors.
#
# Used by both deploy/portal-audit.service (systemd) and deploy/crontab.
# Environment (all optional):
#   PORTAL_AUDIT_HOME    checkout with .venv and config.yaml   (default: this script's ../)
#   PORTAL_AUDIT_CONFIG  config file                            (default: config.yaml)
#   PORTAL_AUDIT_BIN     the portal-audit executable            (default: .venv/bin/portal-audit)
#   KEEP_RUNS            audit runs (and output folders) kept   (default: 30)
#   OUT_ROOT             where dated output folders go          (default: out/nightly)
# Exit status: that of `portal-audit run`:
#   0 completed, nothing new and serious · 1 a new (or reopened) error appeared ·
#   2 bad config · 75 another run holds the store lock (nothing done) · 130 interrupted
set -uo pipefail
cd "${PORTAL_AUDIT_HOME:-$(dirname "$(readlink -f "$0")")/..}" || exit 2
BIN=${PORTAL_AUDIT_BIN:-.venv/bin/portal-audit}
CONFIG=${PORTAL_AUDIT_CONFIG:-config.yaml}
KEEP=${KEEP_RUNS:-30}
OUT_ROOT=${OUT_ROOT:-out/nightly}

stamp=$(date +%Y-%m-%d_%H%M%S)
mkdir -p "$OUT_ROOT"
"$BIN" run -c "$CONFIG" -o "$OUT_ROOT/$stamp" --no-progress --fail-on new-error
rc=$?
case $rc in
  75) echo "portal-audit: 上一次检查仍在运行，本次跳过" >&2; exit 75 ;;
  2)  exit 2 ;;
esac
[ -d "$OUT_ROOT/$stamp" ] && ln -sfn "$stamp" "$OUT_ROOT/latest"
# old runs' rows go, the finding history (first seen, statuses, feedback, waivers) stays
"$BIN" prune --keep "$KEEP" -c "$CONFIG" || echo "portal-audit: 清理旧运行失败（不影响本次检查结果）" >&2
# the dated output folders follow the same rule
ls -1d "$OUT_ROOT"/20??-* 2>/dev/null | sort | head -n -"$KEEP" | xargs -r rm -rf --
exit "$rc"
