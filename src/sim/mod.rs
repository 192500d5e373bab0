//! The simulated cluster. For now: synthetic clusters of any size, for benchmarks and tests.

pub mod synthetic;
