#!/usr/bin/env bash
# `retro live` as people use it, through tmux: a teammate's and a
# presenter's screens on a real retrod. Keys are typed with send-keys and the
# screens read with capture-pane. Covers live arrival, "learned before"
# suggestions while typing, kinds, anonymity, votes, the presenter's stage
# keys, and reconnecting after retrod is killed and restarted.
#
# Usage: live_view_test.sh RETROD RETRO
set -euo pipefail
RETROD="$1"
RETRO="$2"
WORK="$(mktemp -d)"
SOCKET="retro-live-test-$$"
export HOME="$WORK/home" LANG=C.UTF-8 TERM=xterm-256color
mkdir -p "$HOME"
RETROD_PID=""

cleanup() {
  tmux -L "$SOCKET" kill-server 2>/dev/null || true
  [ -n "$RETROD_PID" ] && kill -9 "$RETROD_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for pane in mate rep; do
    echo "--- $pane's screen:"
    tmux -L "$SOCKET" capture-pane -p -t "$pane" 2>/dev/null || true
  done
  echo "--- retrod log:"
  tail -20 "$WORK/retrod.log" || true
  exit 1
}

PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export RETRO_SERVER="127.0.0.1:$PORT"

start_retrod() {
  "$RETROD" --listen="$RETRO_SERVER" --data_dir="$WORK/data" \
    --root_token_file="$WORK/root_token" >>"$WORK/retrod.log" 2>&1 &
  RETROD_PID=$!
  disown "$RETROD_PID"
  for _ in $(seq 100); do
    if "$RETRO" whoami --token "$(cat "$WORK/root_token" 2>/dev/null || echo none)" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  fail "retrod did not start"
}

# wait_for PANE TEXT: until the pane shows TEXT (10 s at most).
wait_for() {
  for _ in $(seq 100); do
    if tmux -L "$SOCKET" capture-pane -p -t "$1" | grep -qF -- "$2"; then return 0; fi
    sleep 0.1
  done
  fail "$1's screen never showed: $2"
}

keys() { tmux -L "$SOCKET" send-keys -t "$@"; }

start_retrod
ROOT="$(cat "$WORK/root_token")"
ADMIN="$("$RETRO" admin org create acme --token "$ROOT" 2>/dev/null)"
export RETRO_TOKEN="$ADMIN"
"$RETRO" admin team create east >/dev/null
"$RETRO" admin user create rep --team east --display-name "Riley Rep" >/dev/null
"$RETRO" admin user create mate --team east >/dev/null
REP="$("$RETRO" admin token issue rep 2>/dev/null)"
MATE="$("$RETRO" admin token issue mate 2>/dev/null)"
unset RETRO_TOKEN

# Something learned before, for the suggestions.
"$RETRO" session create --id earlier --title "Earlier loss" --outcome lost --account Initech --token "$REP" >/dev/null
"$RETRO" session start earlier --token "$REP" >/dev/null
"$RETRO" annotate earlier "Engage procurement before the proposal stage" --token "$REP" >/dev/null
"$RETRO" session end earlier --token "$REP" >/dev/null
"$RETRO" session publish earlier --token "$REP" >/dev/null

"$RETRO" session create --id q3 --title "Acme renewal" --team east --outcome lost --account Acme \
  --competitor Globex --reason price --token "$REP" >/dev/null

tmux -L "$SOCKET" new-session -d -s mate -x 120 -y 32 \
  "RETRO_TOKEN=$MATE '$RETRO' live q3; echo LIVE-EXIT=\$?; sleep 60"
tmux -L "$SOCKET" new-session -d -s rep -x 120 -y 32 \
  "RETRO_TOKEN=$REP '$RETRO' live q3; echo LIVE-EXIT=\$?; sleep 60"
wait_for mate "Acme renewal · draft"
wait_for mate "connected"
wait_for rep "you: rep (driving)"
wait_for rep "^N/^P stage"
wait_for mate "2 watching"

# The presenter starts the session and walks to "went wrong"; the teammate
# sees every move.
keys rep C-n
wait_for mate "Acme renewal · live · CONTEXT"
keys rep C-n
wait_for mate "· TIMELINE"
keys rep C-n
wait_for mate "· WENT WELL"
keys rep C-n
wait_for mate "· WENT WRONG"
wait_for mate "── WENT WRONG (now)"
# A teammate cannot drive.
keys mate C-n
wait_for mate "only the presenter or a facilitator moves the agenda"

# Typing shows what was learned before; Enter sends with the stage's kind.
keys mate "engage procurement late"
wait_for mate "• Engage procurement before the proposal stage  (Initech, lost)"
wait_for mate "[went-wrong] > engage procurement late"
keys mate Enter
wait_for rep "[went-wrong] engage procurement late  — mate"
wait_for mate "sent: engage procurement late"

# Tab switches the kind, Ctrl-A makes the next note anonymous.
keys mate Tab
wait_for mate "[went-well] >"
keys mate C-a
wait_for mate "[went-well|anonymous] >"
keys mate "Legal turned the paper in two days" Enter
wait_for rep "[went-well] Legal turned the paper in two days  — anonymous"
"$RETRO" annotations q3 --output json --token "$REP" | grep -q '"anonymous": true' ||
  fail "the anonymous note was not stored as anonymous"

# A note added elsewhere arrives live.
"$RETRO" annotate q3 "Procurement joined in week 11" --kind went-wrong --token "$REP" >/dev/null
wait_for mate "[went-wrong] Procurement joined in week 11  — rep"

# Select the top note and vote for it.
keys mate Up
keys mate C-v
wait_for mate "voted: 1 now"
wait_for rep "▲ 1  [went-wrong]"

# retrod dies: the view says so, retries, and resumes when it is back.
kill -9 "$RETROD_PID"
wait_for mate "connection lost (UNAVAILABLE); reconnecting in"
wait_for rep "connection lost"
start_retrod
wait_for mate "reconnected: resumed after event #"
"$RETRO" annotate q3 "Written after the restart" --kind went-wrong --token "$REP" >/dev/null
wait_for mate "Written after the restart"
wait_for rep "Written after the restart"

# Ctrl-Q leaves cleanly.
keys mate C-q
wait_for mate "LIVE-EXIT=0"
echo "live view: 1 passed, 0 failed"
