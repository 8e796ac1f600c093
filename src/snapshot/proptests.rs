//! Property tests: random trees round-trip through every compression; a
//! fuzzy snapshot taken while transactions are applied, with the later
//! transactions replayed, equals the final tree; arbitrary bytes never
//! panic the reader.
