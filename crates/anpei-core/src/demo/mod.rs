//! The demo district: a deterministic, realistic data set (see `generate`).
