#!/usr/bin/env bash
# Every check the project has, in the order CI runs them: formatting, lints, all tests, and
# the exercises (every checker fails on its starter and passes on its solution).
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# rustfmt and clippy come with most Rust installs; add them where rustup left them out.
for component in rustfmt clippy; do
  command=${component/rustfmt/fmt}
  if ! cargo "$command" --version >/dev/null 2>&1; then
    echo "== installing the $component component"
    rustup component add "$component"
  fi
done

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

# The exercises are a workspace of their own (exercises/Cargo.toml): a starter is meant to
# fail its checker. `verify` proves that every checker fails on its starter and passes on
# its solution, so no checker can pass by accident.
echo "== exercises: fmt, clippy, tests, verify"
cargo fmt --manifest-path exercises/Cargo.toml --all --check
cargo clippy --manifest-path exercises/Cargo.toml --workspace --all-targets --locked -- -D warnings
cargo test --manifest-path exercises/Cargo.toml --workspace --locked
bash scripts/exercise.sh verify
