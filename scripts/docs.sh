#!/usr/bin/env bash
# Builds the lesson book in both languages with a pinned mdBook, and fails on any warning:
#   docs/en -> target/book/en/index.html    docs/zh -> target/book/zh/index.html
#
# Usage: scripts/docs.sh [BOOK_FOLDER...]     (default: docs/en docs/zh)
#
# mdBook is installed on first use with `cargo install` (1.5 to 2.5 minutes on 2 cores), into
# ~/.cache/rust-socket-lessons/mdbook-VERSION: outside the checkout, so a fresh clone on the
# same machine reuses it, and in a folder of its own, so it never replaces another mdBook you
# have. An `mdbook` on PATH (or named by $MDBOOK) is used instead when it is the pinned version.
#
# The excerpts, transcripts and links of the pages are checked by `cargo test` (crates/book/
# tests/docs.rs), not here: this script checks that mdBook builds the book without a complaint.
set -euo pipefail
cd "$(dirname "$0")/.."

MDBOOK_VERSION=0.5.4
# No `serve` and no `watch` (a web server and a file watcher): building is all CI needs, and
# leaving them out saves about a third of the compile time.
MDBOOK_FEATURES=search
tools="${XDG_CACHE_HOME:-${HOME:-$PWD/target}/.cache}/rust-socket-lessons/mdbook-$MDBOOK_VERSION"

is_pinned() {
  [ -n "$1" ] && [ "$("$1" --version 2>/dev/null)" = "mdbook v$MDBOOK_VERSION" ]
}

mdbook=""
for candidate in "${MDBOOK:-}" "$(command -v mdbook || true)" "$tools/bin/mdbook"; do
  if is_pinned "$candidate"; then
    mdbook=$candidate
    break
  fi
done
if [ -z "$mdbook" ]; then
  echo "== installing mdBook $MDBOOK_VERSION into $tools (once: 1.5 to 2.5 minutes on 2 cores)"
  started=$SECONDS
  cargo install mdbook --version "$MDBOOK_VERSION" --locked --quiet \
    --no-default-features --features "$MDBOOK_FEATURES" --root "$tools"
  echo "== mdBook installed in $((SECONDS - started)) s"
  mdbook="$tools/bin/mdbook"
  is_pinned "$mdbook" || { echo "error: $mdbook is not mdBook $MDBOOK_VERSION" >&2; exit 1; }
fi

if [ "$#" -eq 0 ]; then
  set -- docs/en docs/zh
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for book in "$@"; do
  out="target/book/$(basename "$book")"
  echo "== mdbook build $book -> $out"
  # MDBOOK_LOG=warn: mdBook prints only warnings and errors (on stderr), so anything it
  # prints is a problem, and fails the build even when mdBook itself exits with 0.
  if ! MDBOOK_LOG=warn "$mdbook" build "$book" --dest-dir "$PWD/$out" 2>"$log"; then
    cat "$log" >&2
    echo "error: mdBook could not build $book (see above)" >&2
    exit 1
  fi
  if [ -s "$log" ]; then
    cat "$log" >&2
    echo "error: mdBook warned while building $book (see above); warnings are errors here" >&2
    exit 1
  fi
  echo "   $out/index.html"
done
