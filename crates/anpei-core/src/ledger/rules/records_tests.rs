//! Boundary tests of the checks on training and exam records.
