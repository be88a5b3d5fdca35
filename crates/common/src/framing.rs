//! Message framing for lesson 8 (to be written).
