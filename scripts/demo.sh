#!/usr/bin/env bash
# Shows a lesson's server and client side by side in tmux, for a projector: the server runs
# on the left; the client starts on the right when you press Enter. For `framing`, wiretap
# sits between them (top right) and shows every read it makes.
#
# Usage: scripts/demo.sh [--detach] LESSON
#   LESSON     one of the lessons listed by --help
#   --detach   create the tmux session but do not attach to it (attach later with
#              `tmux attach -t socket-lessons-LESSON`)
# Environment: PORT picks another port than the lesson's default (for `framing`, the
# server's; the client then talks to the tap, on TAP_PORT, default 9100); DEMO_SESSION
# another tmux session name; FRAMING the framing of `framing` (none, the default: glued
# messages; fixed, line or length).
set -euo pipefail
cd "$(dirname "$0")/.."

lessons="echo ctime oneshot udp chat poll async framing"

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0"
  echo "Lessons: $lessons"
}

detach=no
if [ "${1:-}" = "--detach" ]; then
  detach=yes
  shift
fi
lesson=${1:-}

case "$lesson" in
  echo) server=echo-server client=echo-client ;;
  ctime) server=ctime-server client=ctime-client ;;
  # --keep-going, so that the server pane outlives the first client.
  oneshot) server=oneshot-server client=oneshot-client server_flags="--keep-going" ;;
  udp) server=udp-server client=udp-client ;;
  chat) server=chat-server client=chat-client ;;
  # Lesson 5's client, in the one-thread room of the non-blocking lesson.
  poll) server=poll-chat-server client=chat-client client_port=9005 ;;
  async) server=async-echo-server client=async-echo-client ;;
  framing)
    server=framing-server client=framing-client tap=wiretap
    server_flags="--framing ${FRAMING:-none}"
    # The client talks to the tap, which passes everything on to the server.
    client_flags="--framing ${FRAMING:-none} --port ${TAP_PORT:-9100}"
    ;;
  -h | --help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
  *) echo "error: unknown lesson '$lesson'; one of: $lessons" >&2; exit 2 ;;
esac

# "cargo run -p NAME -- FLAGS", or just "cargo run -p NAME" when there are no flags.
command_for() {
  local flags="${2# }"
  echo "cargo run -q -p $1${flags:+ -- $flags}"
}
server_command=$(command_for "$server" "${server_flags:-}${PORT:+ --port $PORT}")
tap_command=""
if [ -n "${tap:-}" ]; then
  tap_command=$(command_for "$tap" "${TAP_PORT:+--port $TAP_PORT}${PORT:+ --to 127.0.0.1:$PORT}")
  client_command=$(command_for "$client" "${client_flags:-}")
else
  client_port=${PORT:-${client_port:-}}
  client_command=$(command_for "$client" "${client_flags:-}${client_port:+ --port $client_port}")
fi

if ! command -v tmux >/dev/null 2>&1; then
  cat <<TEXT
tmux is not installed (on Debian or Ubuntu: sudo apt install tmux).
Without it, open a terminal for each program, side by side, and run:
  left:   $server_command
${tap_command:+  tap:    $tap_command
}  right:  $client_command
TEXT
  exit 0
fi

# Build first, so both panes start at once instead of waiting for the compiler.
cargo build -q -p "$server" -p "$client" ${tap:+-p "$tap"}

session=${DEMO_SESSION:-socket-lessons-$lesson}
tmux kill-session -t "$session" 2>/dev/null || true
tmux new-session -d -s "$session" -x 200 -y 50 \
  "echo '\$ $server_command'; $server_command; echo '(server ended: press Enter to close)'; read -r _"
tmux split-window -h -t "$session" \
  "printf 'Press Enter to start the client: '; read -r _; echo '\$ $client_command'; $client_command; echo '(client ended: press Enter to close)'; read -r _"
if [ -n "$tap_command" ]; then
  # Above the client, so the tap's lines sit between the server's and the client's.
  tmux split-window -v -b -t "$session.1" \
    "echo '\$ $tap_command'; $tap_command; echo '(tap ended: press Enter to close)'; read -r _"
fi

if [ "$detach" = yes ]; then
  echo "tmux session '$session' is ready: tmux attach -t $session"
elif [ -n "${TMUX:-}" ]; then
  tmux switch-client -t "$session"
else
  tmux attach -t "$session"
fi
