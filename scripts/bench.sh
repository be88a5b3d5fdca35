#!/usr/bin/env bash
# Measures the lesson servers with loadgen and writes the bench page of the book,
# docs/en/bench.md and docs/zh/bench.md, with their SVG charts.
#
# Usage: scripts/bench.sh [--quick] [--out DIR]
#   --quick    small scenarios (under a minute after the build), to check that everything
#              works; written to target/bench-quick/ unless --out says otherwise
#   --out DIR  where the pages go (default: docs)
# The raw results (loadgen --json output per scenario) are kept in target/bench-results/.
#
# Builds in release mode, starts each server on a free port (--port 0), runs loadgen against
# it, and stops it with Ctrl-C (SIGINT) by its process id. Everything stays on this machine.
# The full run takes a few minutes after the build on 2 cores (well under 10).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
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

# ---------------------------------------------------------------------------------------
# Build what exists. A lesson whose crate is not written yet is skipped, and the page says so.
packages="loadgen"
for server in echo-server udp-server async-echo-server chat-server; do
  if [ -f "crates/$server/src/main.rs" ]; then
    packages="$packages $server"
  fi
done
echo "== building in release mode: $packages" >&2
# shellcheck disable=SC2046,SC2086 # one word per package, on purpose
cargo build --release --quiet $(printf -- '-p %s ' $packages)

has() { case " $packages " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

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
  kill -INT "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1 # polling for the exit of a process that is not our child's child
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "warning: server $pid did not stop on Ctrl-C within 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  running=$(echo " $running " | sed "s/ $pid / /g")
}

cleanup() {
  for pid in $running; do
    stop_server "$pid"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server on a free port; sets $server_pid and $server_port. Its first line says
# where it listens; the rest of its output (a line per message) is thrown away, but is
# still written by the server, as when a person runs it.
server_count=0
start_server() {
  server_count=$((server_count + 1))
  local first="$results/server-$server_count.first"
  local errors="$results/server-$server_count.err"
  "$bin/$1" "${@:2}" --port 0 \
    > >(IFS= read -r line; printf '%s\n' "$line" > "$first.tmp"; mv "$first.tmp" "$first"; exec cat > /dev/null) \
    2> "$errors" &
  server_pid=$!
  running="$running $server_pid"
  for _ in $(seq 100); do
    [ -s "$first" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1 # waiting for the first line, at most 10 s
  done
  local line
  line=$(cat "$first" 2>/dev/null || true)
  case "$line" in
    "listening on "*)
      server_port=${line##*:}
      # Named by port, so that each scenario can find what its server said on stderr.
      mv "$errors" "$results/port-$server_port.err"
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
  printf '== %-40s %-5s %6s connections ... ' "$label" "$mode" "$connections" >&2
  local start server_errors before drops_before
  start=$(date +%s)
  server_errors="$results/port-$port.err"
  before=$(wc -l < "$server_errors")
  drops_before=$(udp_drops)
  if "$bin/loadgen" "$mode" --port "$port" --json --label "$label" "$@" > "$file.json" 2> "$file.err"; then
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
    skip "$name" "$mode" "$label" "$connections" "loadgen failed: $why" "loadgen 失败：$why"
  fi
}

# Datagrams the kernel dropped because a socket's receive buffer was full, machine-wide
# (RcvbufErrors in /proc/net/snmp; Linux only, empty elsewhere).
udp_drops() {
  awk '/^Udp:/ { if (!names) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") at = i; names = 1 }
                 else if (at) print $at }' /proc/net/snmp 2>/dev/null || true
}

# skip NAME MODE LABEL CONNECTIONS REASON REASON-IN-CHINESE: a scenario that cannot run here,
# and why (in both languages of the book).
skip() {
  scenario=$((scenario + 1))
  local file
  file=$(printf '%s/%02d-%s' "$results" "$scenario" "$1")
  printf 'mode=%s\nlabel=%s\nconnections=%s\nreason=%s\nreason_zh=%s\n' "$2" "$3" "$4" "$5" "$6" > "$file.skip"
  printf '== %-40s %-5s %6s connections ... skipped: %s\n' "$3" "$2" "$4" "$5" >&2
}

# ---------------------------------------------------------------------------------------
# The open-file limit: every connection is a file descriptor, in loadgen and in the server.
wanted_files=20480
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge "$wanted_files" ]; then
  ulimit -n "$wanted_files"
else
  ulimit -n "$hard" || true
fi
files=$(ulimit -n)
big_ok=yes
big_why=""
big_why_zh=""
if [ "$files" != unlimited ] && [ "$files" -lt 10240 ]; then
  big_ok=no
  big_why="the open-file limit is $files (hard limit $hard), and 10,000 connections need 10,240; raise it with ulimit -Hn as root"
  big_why_zh="打开文件数上限是 $files（硬上限 $hard），而 10,000 个连接需要 10,240；请以 root 身份用 ulimit -Hn 提高它"
  echo "note: $big_why" >&2
fi
# echo-server --threads needs a thread per connection.
threads_ok=$big_ok
threads_why=$big_why
threads_why_zh=$big_why_zh
processes=$(ulimit -u)
if [ "$processes" != unlimited ] && [ "$processes" -lt 10240 ]; then
  threads_ok=no
  threads_why="the process limit (ulimit -u) is $processes, and echo-server --threads needs 10,000 threads"
  threads_why_zh="进程数上限（ulimit -u）是 $processes，而 echo-server --threads 需要 10,000 个线程"
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=no
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then dirty=yes; fi
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$cpu"
  echo "cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"
  echo "kernel=$(uname -sr)"
  echo "rustc=$(rustc --version)"
  echo "commit=$commit"
  echo "dirty=$dirty"
  echo "load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*load average[s]*: //')"
  echo "nofile=$files"
  echo "quick=$quick"
} > "$results/machine.txt"

# ---------------------------------------------------------------------------------------
# The scenarios: how many messages at each number of connections. The totals stay near
# 100,000 round trips, so each scenario takes seconds, and each connection still makes
# several round trips.
if [ "$quick" = yes ]; then
  echo_counts="1:2000 50:40"
  echo_repeat=1
  bulk_small=16M # through a 1,024-byte buffer
  bulk_big=64M   # through a 64 KiB buffer
  chat_runs="20:2:20:0"
  udp_echo_counts="1:500 50:20"
  udp_reply_counts="1:500"
else
  echo_counts="1:20000 50:2000 1000:100 10000:10"
  echo_repeat=3 # the 50-connection comparison runs three times each, interleaved
  bulk_small=256M
  bulk_big=2G
  # clients:senders:lines each:lines per second per sender
  chat_runs="50:5:200:100 1000:10:60:6"
  udp_echo_counts="1:10000 50:200 1000:20 10000:5"
  udp_reply_counts="1:10000 50:200"
fi
limit=(--duration-limit 60)

# Round trips: the one-at-a-time echo server (1 connection only), then the threaded and the
# async servers side by side.
if has echo-server; then
  one=${echo_counts%% *} # 1:MESSAGES
  start_server echo-server
  measure echo-one-1 echo "echo-server" 1 "$server_port" -c 1 -m "${one#*:}" "${limit[@]}"
  stop_server "$server_pid"
fi
threads_port=""
async_port=""
if has echo-server; then
  start_server echo-server --threads
  threads_pid=$server_pid threads_port=$server_port
fi
if has async-echo-server; then
  # --max-conns above 10,000, so the limit is the machine's, not the server's.
  start_server async-echo-server --max-conns 20000
  async_pid=$server_pid async_port=$server_port
fi
for pair in $echo_counts; do
  connections=${pair%%:*}
  messages=${pair#*:}
  rounds=1
  [ "$connections" = 50 ] && rounds=$echo_repeat
  for round in $(seq "$rounds"); do
    suffix=$connections
    [ "$rounds" -gt 1 ] && suffix="$connections-$round"
    if [ -z "$threads_port" ]; then
      skip "echo-threads-$suffix" echo "echo-server --threads" "$connections" "crates/echo-server is missing" "缺少 crates/echo-server"
    elif [ "$connections" -ge 10000 ] && [ "$threads_ok" = no ]; then
      skip "echo-threads-$suffix" echo "echo-server --threads" "$connections" "$threads_why" "$threads_why_zh"
    else
      measure "echo-threads-$suffix" echo "echo-server --threads" "$connections" "$threads_port" \
        -c "$connections" -m "$messages" "${limit[@]}"
    fi
    if [ -z "$async_port" ]; then
      skip "echo-async-$suffix" echo "async-echo-server" "$connections" "crates/async-echo-server is not written yet" "crates/async-echo-server 还没有写好"
    elif [ "$connections" -ge 10000 ] && [ "$big_ok" = no ]; then
      skip "echo-async-$suffix" echo "async-echo-server" "$connections" "$big_why" "$big_why_zh"
    else
      measure "echo-async-$suffix" echo "async-echo-server" "$connections" "$async_port" \
        -c "$connections" -m "$messages" --expect upper "${limit[@]}"
    fi
  done
done
[ -n "$threads_port" ] && stop_server "$threads_pid"
[ -n "$async_port" ] && stop_server "$async_pid"

# Bulk: the tutorial's 1,024-byte buffer against 64 KiB.
# async-echo-server runs with --quiet here (no log line per read); echo-server has no such
# option, and prints a line per read.
bulk() { # bulk NAME BYTES EXPECT SERVER-COMMAND...
  local name=$1 bytes=$2 expect=$3
  shift 3
  start_server "$@"
  measure "$name" bulk "$*" 1 "$server_port" -b "$bytes" --expect "$expect" --duration-limit 30
  stop_server "$server_pid"
}
if has echo-server; then
  bulk bulk-echo-1k "$bulk_small" same echo-server --threads
  if "$bin/echo-server" --help | grep -q -- --buf-size; then
    bulk bulk-echo-64k "$bulk_big" same echo-server --threads --buf-size 65536
  else
    skip bulk-echo-64k bulk "echo-server --threads --buf-size 65536" 1 "echo-server has no --buf-size option yet: its buffer is the constant BUFSIZ = 1024" "echo-server 还没有 --buf-size 选项：它的缓冲区是常量 BUFSIZ = 1024"
  fi
fi
if has async-echo-server; then
  bulk bulk-async-1k "$bulk_small" upper async-echo-server --quiet --buf-size 1024
  bulk bulk-async-64k "$bulk_big" upper async-echo-server --quiet --buf-size 65536
else
  skip bulk-async-64k bulk "async-echo-server --buf-size 65536" 1 "crates/async-echo-server is not written yet" "crates/async-echo-server 还没有写好"
fi

# Chat fan-out.
if has chat-server; then
  for run in $chat_runs; do
    IFS=: read -r clients senders lines rate <<< "$run"
    start_server chat-server --max-clients "$clients"
    measure "chat-$clients" chat "chat-server" "$clients" "$server_port" \
      -c "$clients" -k "$senders" -m "$lines" --rate "$rate" "${limit[@]}"
    stop_server "$server_pid"
  done
else
  for run in $chat_runs; do
    skip "chat-${run%%:*}" chat "chat-server" "${run%%:*}" "crates/chat-server is not written yet" "crates/chat-server 还没有写好"
  done
fi

# UDP round trips: --echo (answers checked) and the tutorial's fixed reply.
udp() { # udp NAME-PREFIX EXPECT COUNTS SERVER-COMMAND...
  local prefix=$1 expect=$2 counts=$3
  shift 3
  start_server "$@"
  for pair in $counts; do
    local sockets=${pair%%:*} datagrams=${pair#*:}
    if [ "$sockets" -ge 10000 ] && [ "$big_ok" = no ]; then
      skip "$prefix-$sockets" udp "$*" "$sockets" "$big_why" "$big_why_zh"
      continue
    fi
    measure "$prefix-$sockets" udp "$*" "$sockets" "$server_port" \
      -c "$sockets" -m "$datagrams" --expect "$expect" --wait-ms 200 "${limit[@]}"
  done
  stop_server "$server_pid"
}
if has udp-server; then
  # --buf-size 65536: the echo must not cut a datagram (the default buffer is 1,024 bytes).
  udp udp-echo echo "$udp_echo_counts" udp-server --echo --buf-size 65536
  udp udp-reply any "$udp_reply_counts" udp-server
fi

echo "took=$(($(date +%s) - began))" >> "$results/machine.txt"
"$bin/loadgen" report --results "$results" --out "$out"
