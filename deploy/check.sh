#!/usr/bin/env bash
# Checks what can be checked here of deploy/: the systemd unit with
# systemd-analyze verify (against the built retrod), and the Kubernetes and
# Envoy YAML with yamllint. Docker and Kubernetes themselves cannot run on
# this machine. Usage: deploy/check.sh PATH_TO_RETROD
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
retrod="${1:?path to retrod}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The unit as installed, but pointing at this build's binary.
sed "s|/usr/local/bin/retrod|$retrod|" "$here/systemd/retrod.service" > "$work/retrod.service"
out="$(systemd-analyze verify --man=no "$work/retrod.service" 2>&1 || true)"
# Users and directories of the target machine do not exist here; anything
# else is a real complaint.
problems="$(printf '%s\n' "$out" | grep -v -E "^$|User=|Group=|StateDirectory" || true)"
if [ -n "$problems" ]; then
  echo "systemd-analyze verify: $problems" >&2
  exit 1
fi
echo "systemd unit: ok"

yamllint -d '{extends: relaxed, rules: {line-length: {max: 140}}}' \
  "$here/kubernetes/retrod.yaml" "$here/envoy/envoy.yaml"
echo "kubernetes and envoy yaml: ok"

# Configuration from the environment (RETROD_<FLAG>), with the command line
# winning: how operators set the flags deploy/'s files leave unset.
RETROD_LISTEN=127.0.0.1:0 RETROD_DATA_DIR="$work/env-data" RETROD_ROOT_TOKEN_FILE="$work/env-token" \
  "$retrod" --data_dir="$work/flag-data" >"$work/env.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/env.log" && break
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || true
grep -q "data in $work/flag-data" "$work/env.log" || { echo "command line did not win: $(cat "$work/env.log")" >&2; exit 1; }
[ -f "$work/env-token" ] || { echo "RETROD_ROOT_TOKEN_FILE was ignored" >&2; exit 1; }
grep -q "listening on 127.0.0.1:" "$work/env.log" || { echo "RETROD_LISTEN was ignored" >&2; exit 1; }
echo "environment configuration: ok"
