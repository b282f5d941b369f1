//! Property tests: parsers never panic; merging any split equals the whole; normalisation is
//! idempotent.
