#!/usr/bin/env bash
# The classroom exercises (exercises/, a Cargo workspace of its own; docs/en/exercises.md).
#
#   scripts/exercise.sh list                   the exercises, and how your last check of each went
#   scripts/exercise.sh check 1.2              build your program for exercise 1.2 and check it
#   scripts/exercise.sh check 1.2 --solution   the same for the reference solution
#   scripts/exercise.sh check all              check every exercise; a summary table at the end
#   scripts/exercise.sh check 1                the same for lesson 1's exercises only
#   scripts/exercise.sh verify                 for CI: every checker fails on its starter and
#                                              passes on its solution
#
# Exit status: 0 when everything checked passed, 1 when something failed, 2 for bad usage.
# The checker runs your program on a free port of 127.0.0.1 and talks to it over real sockets;
# it never reads your code.
set -euo pipefail
cd "$(dirname "$0")/.."
exercises=exercises
manifest="$exercises/Cargo.toml"
# The exercises build into exercises/target, whatever CARGO_TARGET_DIR says for the lessons.
export CARGO_TARGET_DIR="$PWD/$exercises/target"
bin="$exercises/target/debug"
checker="$bin/exercise-check"
# The result of each student's last check, for `list` (inside target/, so never committed).
results="$CARGO_TARGET_DIR/exercise-results"

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "$0"
}

die() {
  echo "error: $*" >&2
  exit 2
}

# The exercise folders, in order: 1-1-upper-echo, 1-2-threaded-echo, ...
folders() {
  local dir
  for dir in "$exercises"/starters/*/; do
    dir=${dir%/}
    basename "$dir"
  done | sort -t- -k1,1n -k2,2n
}

# 1-2-threaded-echo -> 1.2
id_of() {
  local major=${1%%-*} rest=${1#*-}
  echo "$major.${rest%%-*}"
}

# 1.2 -> 1-2-threaded-echo (or nothing)
folder_of() {
  local folder
  for folder in $(folders); do
    if [ "$(id_of "$folder")" = "$1" ]; then
      echo "$folder"
      return
    fi
  done
}

# The one-line title: the `description` of the starter's Cargo.toml.
title_of() {
  sed -n 's/^description = "\(.*\)"$/\1/p' "$exercises/starters/$1/Cargo.toml"
}

# `passed`, `failed (2 of 4 checks passed)`... from a checker's report.
summary_of() {
  local report=$1 last
  last=$(tail -n 1 "$report")
  case "$last" in
    *": all "*" checks passed") echo "passed" ;;
    *" checks passed") echo "failed (${last#*: })" ;;
    *) echo "error (see $report)" ;;
  esac
}

# Builds the checker and the given packages; quiet unless something is wrong.
build() {
  cargo build --quiet --manifest-path "$manifest" "$@"
}

# check_one ID [--solution] [--brief]: builds and checks one program; prints the checker's
# report (or, with --brief, one summary line). Status 0 if every check passed.
check_one() {
  local id=$1 kind=starter brief=false folder package report status
  shift
  for flag in "$@"; do
    case "$flag" in
      --solution) kind=solution ;;
      --brief) brief=true ;;
    esac
  done
  folder=$(folder_of "$id")
  [ -n "$folder" ] || die "no exercise $id; see: scripts/exercise.sh list"
  if [ "$kind" = solution ]; then package="sol-$folder"; else package="ex-$folder"; fi
  mkdir -p "$results"
  report="$results/$id.$kind.txt"

  if ! build -p exercise-check -p "$package" 2>"$report.build"; then
    if [ "$brief" = true ]; then
      echo "does not compile"
    else
      cat "$report.build" >&2
      echo "exercise $id: exercises/${kind}s/$folder does not compile; the errors are above" >&2
    fi
    echo "exercise $id: does not compile" >"$report"
    rm -f "$report.build"
    return 1
  fi
  if [ "$brief" = false ]; then
    cat "$report.build" >&2 # warnings, if any
  fi
  rm -f "$report.build"

  status=0
  if [ "$brief" = true ]; then
    "$checker" "$id" --program "$bin/$package" >"$report" 2>&1 || status=$?
    summary_of "$report"
  else
    # Shown as the checks run (some wait a few seconds), and kept for `list`.
    "$checker" "$id" --program "$bin/$package" 2>&1 | tee "$report" || status=$?
    if [ "$status" -ne 0 ] && [ "$kind" = starter ]; then
      echo "Fix what FAILED, then run scripts/exercise.sh check $id again." \
        "Statement and hints: docs/en/exercises.md (中文: docs/zh/exercises.md)."
    fi
  fi
  return "$status"
}

list() {
  local folder id report status
  printf '%-5s %-7s %-34s %s\n' id lesson status title
  for folder in $(folders); do
    id=$(id_of "$folder")
    report="$results/$id.starter.txt"
    if [ ! -f "$report" ]; then
      status="not checked yet"
    elif [ -n "$(find "$exercises/starters/$folder" -type f -newer "$report" -print -quit)" ]; then
      status="changed since the last check"
    else
      status=$(summary_of "$report")
    fi
    printf '%-5s %-7s %-34s %s\n' "$id" "${id%%.*}" "$status" "$(title_of "$folder")"
  done
}

# check_all LESSON [--solution]: every exercise (LESSON `all`) or a lesson's, then a table.
check_all() {
  local lesson=$1 folder id result failed=0
  local table=()
  shift
  for folder in $(folders); do
    id=$(id_of "$folder")
    if [ "$lesson" != all ] && [ "${id%%.*}" != "$lesson" ]; then
      continue
    fi
    echo "checking $id..." >&2
    result=$(check_one "$id" --brief "$@") || failed=1
    table+=("$(printf '%-5s %-34s %s' "$id" "$result" "$(title_of "$folder")")")
  done
  [ "${#table[@]}" -gt 0 ] ||
    die "lesson $lesson has no exercises yet; see: scripts/exercise.sh list"
  printf '%-5s %-34s %s\n' id result title
  printf '%s\n' "${table[@]}"
  if [ "$failed" -ne 0 ]; then
    echo "Details of one exercise: scripts/exercise.sh check ID"
  fi
  return "$failed"
}

# For CI: one build of the whole exercises workspace, then every checker against its starter
# (it must fail) and its solution (it must pass), all at once.
verify() {
  local started=$SECONDS folder id known expected problems=0
  build --workspace --locked
  known=$("$checker" --list | tr '\n' ' ')
  expected=$(for folder in $(folders); do id_of "$folder"; done | tr '\n' ' ')
  if [ "$known" != "$expected" ]; then
    echo "verify: the checker knows exercises [$known], the starters are [$expected]" >&2
    problems=1
  fi
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
  for folder in $(folders); do
    id=$(id_of "$folder")
    if [ ! -d "$exercises/solutions/$folder" ]; then
      echo "verify: exercise $id has no solution (exercises/solutions/$folder)" >&2
      problems=1
      continue
    fi
    # Each check waits on sockets, hardly using the processor: run them side by side.
    (
      status=0
      "$checker" "$id" --program "$bin/ex-$folder" >"$logs/$id.starter" 2>&1 || status=$?
      echo "$status" >"$logs/$id.starter.status"
    ) &
    (
      status=0
      "$checker" "$id" --program "$bin/sol-$folder" >"$logs/$id.solution" 2>&1 || status=$?
      echo "$status" >"$logs/$id.solution.status"
    ) &
  done
  wait
  printf '%-5s %-30s %s\n' id starter solution
  for folder in $(folders); do
    id=$(id_of "$folder")
    [ -f "$logs/$id.starter.status" ] || continue
    local starter solution
    case $(cat "$logs/$id.starter.status") in
      1) starter="fails, as it must" ;;
      0) starter="PASSES: the checker is too weak"; problems=1 ;;
      *) starter="ERROR: the checker could not run"; problems=1 ;;
    esac
    case $(cat "$logs/$id.solution.status") in
      0) solution="passes, as it must" ;;
      *) solution="FAILS"; problems=1 ;;
    esac
    printf '%-5s %-30s %s\n' "$id" "$starter" "$solution"
    if [[ "$starter" != fails* ]]; then cat "$logs/$id.starter" >&2; fi
    if [[ "$solution" != passes* ]]; then cat "$logs/$id.solution" >&2; fi
  done
  echo "verify: $(folders | wc -l | tr -d ' ') exercises in $((SECONDS - started)) s"
  return "$problems"
}

case "${1:-}" in
  list)
    [ "$#" -eq 1 ] || die "list takes no argument"
    list
    ;;
  check)
    [ "$#" -ge 2 ] || die "which exercise? e.g. scripts/exercise.sh check 1.2 (or: check all)"
    target=$2
    shift 2
    for flag in "$@"; do
      [ "$flag" = --solution ] || die "unknown option $flag (only --solution)"
    done
    if [ "$target" = all ] || [[ "$target" =~ ^[0-9]+$ ]]; then
      check_all "$target" "$@"
    else
      [[ "$target" =~ ^[0-9]+\.[0-9]+$ ]] ||
        die "check an exercise (1.2), a lesson (1) or all of them (all), not '$target'"
      check_one "$target" "$@"
    fi
    ;;
  verify)
    [ "$#" -eq 1 ] || die "verify takes no argument"
    verify
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
