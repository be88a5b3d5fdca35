#!/usr/bin/env bash
# The classroom exercises (docs/en/exercises.md): list, start ID, check ID, verify, help.
# The checker, exercises/checker, does the work; this builds it (quick once built) into the
# exercises' own target folder, whatever CARGO_TARGET_DIR says for the lessons, and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --manifest-path exercises/Cargo.toml --target-dir exercises/target \
  -p exercise-check
exec exercises/target/debug/exercise-check "$@"
