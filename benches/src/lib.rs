//! Shared workloads of the benches.
