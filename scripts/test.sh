#!/usr/bin/env bash
# Every check the project has, in the order CI runs them: formatting, lints, all tests.
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
