#!/usr/bin/env bash
# Measures the lesson servers with loadgen, against baselines measured in the same run, and
# writes the bench page of the book, docs/en/bench.md and docs/zh/bench.md, with its charts.
#
# Usage: scripts/bench.sh [--quick] [--out DIR]
#   --quick    small scenarios (under a minute after the build), to check that everything
#              works; written to target/bench-quick/ unless --out says otherwise
#   --out DIR  where the pages go (default: docs)
# The raw results (loadgen --json output per scenario) are kept in target/bench-results/.
#
# Builds in release mode, starts each server on a free port (--port 0), runs loadgen against
# it with the server's pid (for its CPU time), and stops it with Ctrl-C (SIGINT) by its pid.
# Compared servers run side by side and their runs alternate, round after round. The
# baselines are the bench's own: reference-echo (crates/loadgen/src/bin/) and, when python3
# is installed, the Python servers in scripts/bench/. Where strace is installed, one extra
# run per compared pair counts the servers' system calls (not timed). Everything stays on
# this machine. The full run takes a few minutes after the build on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,17s/^# \{0,1\}//p' "$0"
}

quick=no
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=yes ;;
    --out)
      [ $# -ge 2 ] || { echo "error: --out needs a folder" >&2; exit 2; }
      out=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'; see scripts/bench.sh --help" >&2; exit 2 ;;
  esac
  shift
done

target_dir=${CARGO_TARGET_DIR:-target}
if [ -z "$out" ]; then
  if [ "$quick" = yes ]; then out="$target_dir/bench-quick"; else out=docs; fi
fi
bin="$target_dir/release"
began=$(date +%s)

echo "== building in release mode" >&2
cargo build --release --quiet -p loadgen -p echo-server -p udp-server -p async-echo-server -p chat-server \
  -p poll-chat-server

# The Python baselines run with the interpreter itself, not a wrapper script (pyenv's shims
# are shell scripts): the pid loadgen watches must be the server's.
python=""
if command -v python3 > /dev/null 2>&1; then
  python=$(python3 -c 'import sys; print(sys.executable)' 2> /dev/null || true)
fi
# Python's own default for an output that is a pipe: print() fills a buffer first.
# PYTHONUNBUFFERED, if the environment sets it, would make it write each line in two calls.
py=(env -u PYTHONUNBUFFERED "$python")
strace=""
[ "$quick" = no ] && strace=$(command -v strace || true)

# The raw results stay here after the run: `loadgen report --results DIR` rewrites the pages
# from them without measuring again.
results="$target_dir/bench-results"
[ "$quick" = yes ] && results="$target_dir/bench-results-quick"
rm -rf "$results"
mkdir -p "$results"
running=""

# Stops one server with Ctrl-C (SIGINT), and waits for it: 15 s at most, then it is killed.
stop_server() {
  local pid=$1
  kill -INT "$pid" 2> /dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1 # polling for the exit of a process that is not our child's child
  done
  if kill -0 "$pid" 2> /dev/null; then
    echo "warning: server $pid did not stop on Ctrl-C within 15 s; killing it" >&2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
  running=$(echo " $running " | sed "s/ $pid / /g")
}

cleanup() {
  for pid in $running; do
    stop_server "$pid"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server COMMAND...: starts a server on a free port; sets $server_pid and $server_port.
# Its first line says where it listens; the rest of its output (a line per message, for the
# servers that print them) is thrown away, but is still written by the server, as when a
# person runs it. The pid is saved by port, for loadgen's --server-pid.
server_count=0
start_server() {
  server_count=$((server_count + 1))
  local first="$results/server-$server_count.first"
  local errors="$results/server-$server_count.err"
  "$@" --port 0 \
    > >(IFS= read -r line; printf '%s\n' "$line" > "$first.tmp"; mv "$first.tmp" "$first"; exec cat > /dev/null) \
    2> "$errors" &
  server_pid=$!
  running="$running $server_pid"
  for _ in $(seq 100); do
    [ -s "$first" ] && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1 # waiting for the first line, at most 10 s
  done
  local line
  line=$(cat "$first" 2> /dev/null || true)
  case "$line" in
    "listening on "*)
      server_port=${line##*:}
      # Named by port, so that each scenario can find its server's pid and what it said.
      mv "$errors" "$results/port-$server_port.err"
      echo "$server_pid" > "$results/port-$server_port.pid"
      ;;
    *)
      echo "error: $* did not start: ${line:-no output}; $(head -n 3 "$errors")" >&2
      exit 1
      ;;
  esac
}

# measure NAME MODE LABEL CONNECTIONS PORT LOADGEN-OPTIONS...: one scenario, saved as
# NN-NAME.json (or NN-NAME.skip with loadgen's error if it failed), and NN-NAME.notes with
# what the server printed on stderr meanwhile (such as "accept failed: too many open files").
scenario=0
measure() {
  local name=$1 mode=$2 label=$3 connections=$4 port=$5
  shift 5
  scenario=$((scenario + 1))
  local file
  file=$(printf '%s/%02d-%s' "$results" "$scenario" "$name")
  printf '== %-44s %-5s %6s ... ' "$label" "$mode" "$connections" >&2
  local start server_errors before drops_before pid
  start=$(date +%s)
  server_errors="$results/port-$port.err"
  pid=$(cat "$results/port-$port.pid")
  before=$(wc -l < "$server_errors")
  drops_before=$(udp_drops)
  if "$bin/loadgen" "$mode" --port "$port" --server-pid "$pid" --json --label "$label" "$@" \
    > "$file.json" 2> "$file.err"; then
    echo "done in $(($(date +%s) - start)) s" >&2
    local said=no drops=""
    [ "$(wc -l < "$server_errors")" -gt "$before" ] && said=yes
    if [ "$mode" = udp ] && [ -n "$drops_before" ]; then
      drops=$(($(udp_drops) - drops_before))
    fi
    if [ "$said" = yes ] || [ -n "$drops" ]; then
      {
        printf 'mode=%s\nlabel=%s\nconnections=%s\n' "$mode" "$label" "$connections"
        [ -n "$drops" ] && printf 'udp_drops=%s\n' "$drops"
        # The three most frequent lines, with how often each came.
        tail -n "+$((before + 1))" "$server_errors" | sort | uniq -c | sort -rn | head -n 3 |
          sed 's/^ *\([0-9]*\) \(.*\)$/said=\2 (×\1)/'
      } > "$file.notes"
    fi
  else
    local why
    why=$(tail -n 1 "$file.err")
    echo "failed: $why" >&2
    rm -f "$file.json"
    skip "$name" "$mode" "$label" "$connections" loadgen-failed "error=$why"
  fi
}

# syscalls NAME MODE LABEL PORT LOADGEN-OPTIONS...: one more run of a scenario, not timed,
# with `strace -c -f` counting the server's system calls: NN-NAME.syscalls has strace's
# table, NN-NAME.json loadgen's results (how many operations the calls were for).
syscalls() {
  local name=$1 mode=$2 label=$3 port=$4
  shift 4
  [ -n "$strace" ] || return 0
  scenario=$((scenario + 1))
  local file pid tracer
  file=$(printf '%s/%02d-%s' "$results" "$scenario" "$name")
  pid=$(cat "$results/port-$port.pid")
  printf '== %-44s %-5s counting system calls ... ' "$label" "$mode" >&2
  "$strace" -c -f -p "$pid" -o "$file.syscalls" 2> "$file.err" &
  tracer=$!
  for _ in $(seq 100); do
    grep -q attached "$file.err" 2> /dev/null && break
    sleep 0.1 # waiting for strace's "Process N attached", at most 10 s
  done
  if "$bin/loadgen" "$mode" --port "$port" --json --label "$label" "$@" > "$file.profile" 2>> "$file.err"; then
    echo "done" >&2
  else
    echo "failed: $(tail -n 1 "$file.err")" >&2
  fi
  kill -INT "$tracer" 2> /dev/null || true
  wait "$tracer" 2> /dev/null || true
  [ -s "$file.syscalls" ] || { echo "note: strace counted nothing (not allowed to trace here?)" >&2; rm -f "$file.syscalls" "$file.profile"; }
}

# Datagrams the kernel dropped because a socket's receive buffer was full, machine-wide
# (RcvbufErrors in /proc/net/snmp; Linux only, empty elsewhere).
udp_drops() {
  awk '/^Udp:/ { if (!names) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") at = i; names = 1 }
                 else if (at) print $at }' /proc/net/snmp 2> /dev/null || true
}

# skip NAME MODE LABEL CONNECTIONS REASON [KEY=VALUE...]: a scenario that cannot run here.
# The script names the reason with a code, and gives its details as KEY=VALUE fields;
# `loadgen report` puts it in words in each language of the book (the `reason` macro of
# crates/loadgen/templates/*.md; the codes are `Reason` in crates/loadgen/src/report/folder.rs):
#   no-python3                                     python3 is not installed
#   open-file-limit nofile= nofile_hard= needed=   `ulimit -n` is too low for the scenario
#   process-limit nproc=                           `ulimit -u` is too low for a thread each
#   loadgen-failed error=                          loadgen failed (its last line on stderr)
# A chat scenario adds in_flight=.
skip() {
  scenario=$((scenario + 1))
  local file
  file=$(printf '%s/%02d-%s' "$results" "$scenario" "$1")
  printf 'mode=%s\nlabel=%s\nconnections=%s\nreason=%s\n' "$2" "$3" "$4" "$5" > "$file.skip"
  [ $# -gt 5 ] && printf '%s\n' "${@:6}" >> "$file.skip"
  printf '== %-44s %-5s %6s ... skipped: %s\n' "$3" "$2" "$4" "${*:5}" >&2
}

# ---------------------------------------------------------------------------------------
# The open-file limit: every connection is a file descriptor, in loadgen and in the server.
# The soft limit is raised as far as the hard limit allows; the page says what it was.
wanted_files=20480
files_before=$(ulimit -n)
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge "$wanted_files" ]; then
  ulimit -n "$wanted_files"
else
  ulimit -n "$hard" || true
fi
files=$(ulimit -n)
# 10,000 connections, and a few files more for everything else.
needed_files=10240
big_ok=yes
if [ "$files" != unlimited ] && [ "$files" -lt "$needed_files" ]; then
  big_ok=no
  big_reason=(open-file-limit "nofile=$files" "nofile_hard=$hard" "needed=$needed_files")
  echo "note: the open-file limit is $files (hard limit $hard), below $needed_files: the 10,000-connection scenarios will not run; raise it with ulimit -Hn as root" >&2
fi
# A thread per connection: 10,000 threads.
threads_ok=yes
processes=$(ulimit -u)
if [ "$processes" != unlimited ] && [ "$processes" -lt "$needed_files" ]; then
  threads_ok=no
  threads_reason=(process-limit "nproc=$processes")
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2> /dev/null || uname -m)
commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
dirty=no
if [ -n "$(git status --porcelain 2> /dev/null)" ]; then dirty=yes; fi
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$cpu"
  echo "cores=$(getconf _NPROCESSORS_ONLN 2> /dev/null || nproc)"
  echo "kernel=$(uname -sr)"
  echo "rustc=$(rustc --version)"
  echo "python=$([ -n "$python" ] && "$python" --version 2>&1 || echo none)"
  echo "strace=$([ -n "$strace" ] && echo yes || echo no)"
  echo "commit=$commit"
  echo "dirty=$dirty"
  echo "load=$(cut -d ' ' -f 1-3 /proc/loadavg 2> /dev/null || uptime | sed 's/.*load average[s]*: //')"
  echo "nofile=$files"
  echo "nofile_before=$files_before"
  echo "nofile_hard=$hard"
  echo "quick=$quick"
} > "$results/machine.txt"

# ---------------------------------------------------------------------------------------
# How much of everything. A round is one run of every compared server; the rounds alternate
# the servers, so a slow second of the machine falls on all of them alike.
if [ "$quick" = yes ]; then
  rounds=1
  echo_one=500           # round trips on 1 connection
  echo_fifty=40          # round trips per connection at 50 connections
  echo_big=""            # clients:messages, beyond 50 connections
  bulk_small=16M         # through a 1,024-byte buffer
  bulk_big=64M           # through a 64 KiB buffer
  chat_clients=20 chat_senders=2 chat_lines_1=20 chat_lines_16=60
  chat_big=""            # clients:senders:lines:lines per second per sender
  chat_huge="1000:5:3:2" # the same, for both chat servers (the non-blocking lesson)
  udp_sockets=5 udp_datagrams=100
  udp_loss_counts="1:200 50:20"
else
  rounds=3
  echo_one=20000
  echo_fifty=2000
  echo_big="1000:100 10000:10"
  bulk_small=256M
  bulk_big=2G
  chat_clients=200 chat_senders=5 chat_lines_1=300 chat_lines_16=3000
  chat_big="1000:10:60:6"
  chat_huge="10000:10:10:1"
  udp_sockets=50 udp_datagrams=400
  udp_loss_counts="1:10000 50:200 1000:20 10000:5"
fi
limit=(--duration-limit 60)
# The 10,000-client room: chat-server gives every newcomer's notice to every member with a
# write of its own, so its joins slow down as the room grows; whoever is in by then is
# measured, and the run ends.
huge_limit=(--duration-limit 45)
py_echo="python3 scripts/bench/echo_server.py"
py_chat="python3 scripts/bench/chat_room.py"
py_udp="python3 scripts/bench/udp_server.py"

# ---------------------------------------------------------------------------------------
# Round trips (echo). Every server runs from the start; each scenario loads one at a time.
declare -A echo_port
start_echo() { # start_echo LABEL COMMAND...
  local label=$1
  shift
  start_server "$@"
  echo_port[$label]=$server_port
}
start_echo "echo-server --quiet" "$bin/echo-server" --quiet
start_echo "echo-server --threads --quiet" "$bin/echo-server" --threads --quiet
start_echo "echo-server --threads" "$bin/echo-server" --threads
# --max-conns above 10,000, so the limit is the machine's, not the server's.
start_echo "async-echo-server --quiet" "$bin/async-echo-server" --quiet --max-conns 20000
start_echo "reference-echo" "$bin/reference-echo"
[ -n "$python" ] && start_echo "$py_echo" "${py[@]}" scripts/bench/echo_server.py

echo_run() { # echo_run NAME LABEL CONNECTIONS MESSAGES
  local name=$1 label=$2 connections=$3 messages=$4 expect=same
  [ "${label%% *}" = async-echo-server ] && expect=upper
  if [ "${label%% *}" = python3 ] && [ -z "$python" ]; then
    skip "$name" echo "$label" "$connections" no-python3
  elif [ "$connections" -ge 10000 ] && [ "$big_ok" = no ]; then
    skip "$name" echo "$label" "$connections" "${big_reason[@]}"
  elif [ "$connections" -ge 10000 ] && [ "$threads_ok" = no ] && [ "${label%% *}" != async-echo-server ]; then
    skip "$name" echo "$label" "$connections" "${threads_reason[@]}"
  else
    measure "$name" echo "$label" "$connections" "${echo_port[$label]}" \
      -c "$connections" -m "$messages" --expect "$expect" "${limit[@]}"
  fi
}

# 1 connection: every server, the one-at-a-time echo-server too.
for label in "echo-server --quiet" "echo-server --threads --quiet" "async-echo-server --quiet" "reference-echo"; do
  echo_run "echo-1-${label// /_}" "$label" 1 "$echo_one"
done
# 50 connections: the targets, round after round; the printing server shows what its log
# line costs, and the Python server what the tutorials' way costs.
for round in $(seq "$rounds"); do
  for label in "echo-server --threads --quiet" "reference-echo" "async-echo-server --quiet" "echo-server --threads" "$py_echo"; do
    echo_run "echo-50-r$round-${label//[ \/]/_}" "$label" 50 "$echo_fifty"
  done
done
# Many connections: a thread each, or a task each.
for pair in $echo_big; do
  connections=${pair%%:*}
  for label in "echo-server --threads --quiet" "async-echo-server --quiet" "reference-echo"; do
    echo_run "echo-$connections-${label// /_}" "$label" "$connections" "${pair#*:}"
  done
done
syscalls echo-50-threads-syscalls echo "echo-server --threads --quiet" "${echo_port[echo-server --threads --quiet]}" -c 50 -m "$echo_fifty"
syscalls echo-50-reference-syscalls echo "reference-echo" "${echo_port[reference-echo]}" -c 50 -m "$echo_fifty"
syscalls echo-50-async-syscalls echo "async-echo-server --quiet" "${echo_port[async-echo-server --quiet]}" -c 50 -m "$echo_fifty" --expect upper
for label in "${!echo_port[@]}"; do
  stop_server "$(cat "$results/port-${echo_port[$label]}.pid")"
done

# ---------------------------------------------------------------------------------------
# Bulk throughput: one connection streams through each server; 64 KiB buffers round after
# round, then the tutorial's 1,024 bytes once.
bulk_run() { # bulk_run NAME LABEL BYTES PORT
  local name=$1 label=$2 bytes=$3 port=$4 expect=same
  [ "${label%% *}" = async-echo-server ] && expect=upper
  measure "$name" bulk "$label" 1 "$port" -b "$bytes" --expect "$expect" --duration-limit 30
}
declare -A bulk_port
for command in "reference-echo" "echo-server --threads --quiet --buf-size 65536" "async-echo-server --quiet --buf-size 65536"; do
  # shellcheck disable=SC2086 # the label is the command, word by word
  start_server "$bin/"$command
  bulk_port[$command]=$server_port
done
for round in $(seq "$rounds"); do
  for label in "echo-server --threads --quiet --buf-size 65536" "reference-echo" "async-echo-server --quiet --buf-size 65536"; do
    bulk_run "bulk-64k-r$round-${label//[ \/]/_}" "$label" "$bulk_big" "${bulk_port[$label]}"
  done
done
for label in "${!bulk_port[@]}"; do
  stop_server "$(cat "$results/port-${bulk_port[$label]}.pid")"
done
for command in "echo-server --threads --quiet" "async-echo-server --quiet --buf-size 1024"; do
  # shellcheck disable=SC2086
  start_server "$bin/"$command
  bulk_run "bulk-1k-${command// /_}" "$command" "$bulk_small" "$server_port"
  stop_server "$server_pid"
done
if [ -n "$python" ]; then
  start_server "${py[@]}" scripts/bench/echo_server.py
  bulk_run bulk-64k-python "$py_echo" "$bulk_big" "$server_port"
  stop_server "$server_pid"
else
  skip bulk-64k-python bulk "$py_echo" 1 no-python3
fi

# ---------------------------------------------------------------------------------------
# Chat fan-out: chat-server against the Python room, and poll-chat-server (one thread)
# against chat-server (a thread per client), 1 and 16 lines in flight per sender, round after
# round.
start_server "$bin/chat-server" --quiet
chat_rust=$server_port
start_server "$bin/poll-chat-server" --quiet
chat_poll=$server_port
chat_python=""
if [ -n "$python" ]; then
  start_server "${py[@]}" scripts/bench/chat_room.py
  chat_python=$server_port
fi
chat_run() { # chat_run NAME LABEL PORT IN-FLIGHT LINES
  local name=$1 label=$2 port=$3 in_flight=$4 lines=$5
  if [ -z "$port" ]; then
    skip "$name" chat "$label" "$chat_clients" no-python3 "in_flight=$in_flight"
    return
  fi
  measure "$name" chat "$label" "$chat_clients" "$port" -c "$chat_clients" -k "$chat_senders" \
    -m "$lines" --in-flight "$in_flight" --drain 1 "${limit[@]}"
}
for round in $(seq "$rounds"); do
  for in_flight in 1 16; do
    lines=$chat_lines_1
    [ "$in_flight" = 16 ] && lines=$chat_lines_16
    chat_run "chat-$in_flight-r$round-rust" "chat-server --quiet" "$chat_rust" "$in_flight" "$lines"
    chat_run "chat-$in_flight-r$round-poll" "poll-chat-server --quiet" "$chat_poll" "$in_flight" "$lines"
    chat_run "chat-$in_flight-r$round-python" "$py_chat" "$chat_python" "$in_flight" "$lines"
  done
done
for in_flight in 1 16; do
  lines=$chat_lines_1
  [ "$in_flight" = 16 ] && lines=$chat_lines_16
  syscalls "chat-$in_flight-rust-syscalls" chat "chat-server --quiet" "$chat_rust" \
    -c "$chat_clients" -k "$chat_senders" -m "$lines" --in-flight "$in_flight" --drain 1
  syscalls "chat-$in_flight-poll-syscalls" chat "poll-chat-server --quiet" "$chat_poll" \
    -c "$chat_clients" -k "$chat_senders" -m "$lines" --in-flight "$in_flight" --drain 1
  [ -n "$chat_python" ] && syscalls "chat-$in_flight-python-syscalls" chat "$py_chat" "$chat_python" \
    -c "$chat_clients" -k "$chat_senders" -m "$lines" --in-flight "$in_flight" --drain 1
done
stop_server "$(cat "$results/port-$chat_rust.pid")"
stop_server "$(cat "$results/port-$chat_poll.pid")"
[ -n "$chat_python" ] && stop_server "$(cat "$results/port-$chat_python.pid")"
# A big room, paced: nobody is lost.
for run in $chat_big; do
  IFS=: read -r clients senders lines rate <<< "$run"
  start_server "$bin/chat-server" --quiet --max-clients "$clients"
  measure "chat-$clients" chat "chat-server --quiet" "$clients" "$server_port" \
    -c "$clients" -k "$senders" -m "$lines" --rate "$rate" "${limit[@]}"
  stop_server "$server_pid"
done
# The non-blocking lesson's room: the same paced room against both chat servers, each
# started for it alone (its threads and memory are read before anyone joins): a thread per
# client, then one thread for every client. Idle clients but for a few paced senders.
for run in $chat_huge; do
  IFS=: read -r clients senders lines rate <<< "$run"
  for server in chat-server poll-chat-server; do
    name="chat-$clients-${server%%-server}"
    if [ "$clients" -ge 10000 ] && [ "$big_ok" = no ]; then
      skip "$name" chat "$server --quiet" "$clients" "${big_reason[@]}"
      continue
    fi
    if [ "$clients" -ge 10000 ] && [ "$threads_ok" = no ] && [ "$server" = chat-server ]; then
      skip "$name" chat "$server --quiet" "$clients" "${threads_reason[@]}"
      continue
    fi
    start_server "$bin/$server" --quiet --max-clients "$clients"
    measure "$name" chat "$server --quiet" "$clients" "$server_port" \
      -c "$clients" -k "$senders" -m "$lines" --rate "$rate" "${huge_limit[@]}"
    stop_server "$server_pid"
  done
done

# ---------------------------------------------------------------------------------------
# UDP: udp-server printing a line per datagram, as the tutorial's server does, against the
# tutorial's Python server; then without the log line; then loss, with many sockets.
start_server "$bin/udp-server"
udp_rust=$server_port
udp_python=""
if [ -n "$python" ]; then
  start_server "${py[@]}" scripts/bench/udp_server.py
  udp_python=$server_port
fi
start_server "$bin/udp-server" --quiet
udp_quiet=$server_port
udp_run() { # udp_run NAME LABEL PORT
  local name=$1 label=$2 port=$3
  if [ -z "$port" ]; then
    skip "$name" udp "$label" "$udp_sockets" no-python3
    return
  fi
  measure "$name" udp "$label" "$udp_sockets" "$port" -c "$udp_sockets" -m "$udp_datagrams" \
    --expect any --wait-ms 200 "${limit[@]}"
}
for round in $(seq "$rounds"); do
  udp_run "udp-r$round-rust" "udp-server" "$udp_rust"
  udp_run "udp-r$round-python" "$py_udp" "$udp_python"
  udp_run "udp-r$round-quiet" "udp-server --quiet" "$udp_quiet"
done
syscalls udp-rust-syscalls udp "udp-server" "$udp_rust" -c "$udp_sockets" -m "$udp_datagrams" --expect any --wait-ms 200
[ -n "$udp_python" ] && syscalls udp-python-syscalls udp "$py_udp" "$udp_python" -c "$udp_sockets" -m "$udp_datagrams" --expect any --wait-ms 200
for port in $udp_rust $udp_python $udp_quiet; do
  stop_server "$(cat "$results/port-$port.pid")"
done
# Loss: --echo (answers checked), with --buf-size 65536 so that no datagram is cut.
start_server "$bin/udp-server" --echo --buf-size 65536 --quiet
for pair in $udp_loss_counts; do
  sockets=${pair%%:*}
  if [ "$sockets" -ge 10000 ] && [ "$big_ok" = no ]; then
    skip "udp-loss-$sockets" udp "udp-server --echo --buf-size 65536 --quiet" "$sockets" "${big_reason[@]}"
    continue
  fi
  measure "udp-loss-$sockets" udp "udp-server --echo --buf-size 65536 --quiet" "$sockets" "$server_port" \
    -c "$sockets" -m "${pair#*:}" --expect echo --wait-ms 200 "${limit[@]}"
done
stop_server "$server_pid"

echo "took=$(($(date +%s) - began))" >> "$results/machine.txt"
"$bin/loadgen" report --results "$results" --out "$out"
