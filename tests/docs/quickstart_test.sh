#!/usr/bin/env bash
# Runs the quick starts as written: for each of docs/quickstart-{presenter,
# teammate,enablement}.md, every ```sh block of quickstart-setup.md and then
# of the guide, in one bash with `set -euo pipefail`, in a fresh HOME. The
# one change made to the text is the port: 127.0.0.1:50051 becomes a free
# one, so the test never fights another for it. ```console blocks (the
# interactive `retro live`) are not run here: tests/cli/live_view_test.sh
# drives the live view through tmux.
#
# Usage: quickstart_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SOURCE="$1"
BUILD="$2"
passed=0
failed=0

# The lines inside ```sh fences.
blocks() { awk '/^```sh$/ {inside=1; next} /^```/ {inside=0} inside' "$1"; }

for guide in presenter teammate enablement; do
  work="$(mktemp -d)"
  port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  {
    echo 'set -euo pipefail'
    blocks "$SOURCE/docs/quickstart-setup.md"
    blocks "$SOURCE/docs/quickstart-$guide.md"
  } | sed "s/127\.0\.0\.1:50051/127.0.0.1:$port/g" >"$work/script.sh"
  # A clean environment: no RETRO_* from the caller, the build's binaries.
  if (cd "$SOURCE" && env -i HOME="$work" LANG=C.UTF-8 BUILD_DIR="$BUILD" \
        PATH="$BUILD/services/server:$BUILD/clients/cli:/usr/local/bin:/usr/bin:/bin" \
        bash "$work/script.sh" >"$work/output.txt" 2>&1); then
    echo "quickstart-$guide: ok"
    passed=$((passed + 1))
  else
    echo "quickstart-$guide: FAILED; its last output:"
    tail -30 "$work/output.txt"
    failed=$((failed + 1))
  fi
  pkill -f -- "--data_dir=$work/retro-trial/data" 2>/dev/null || true
  rm -rf "$work"
done
echo "quick starts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
