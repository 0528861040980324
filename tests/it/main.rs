//! curlens integration tests: one binary.

// Loading each format and each quirk from fixtures the project writes itself.
mod ingest;
// Bad input: each case and its exact message.
mod bad_input;
// The cost cube: reconciliation, filters, exact sums, saved cubes.
mod cube;
// The cube's two engines give the same cube.
mod engines;
// The binary end to end: output and exit codes.
mod cli;
// Real third-party exports from ../shared/testdata/real, when present.
mod conformance;
// Optimization proposals against the generator's injected waste.
mod proposals;
// Anomaly detection across months of different lengths.
mod anomalies;
// The weekly report: golden file, budgets, hostile input.
mod report;
// The synthetic generator: determinism and truth.
mod synth;
mod util;
