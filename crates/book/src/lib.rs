//! This crate holds no code: its `tests/` check what the README and the book promise, across
//! every program (`tests/programs.rs`), so that no lesson's runtime library has to carry them.
