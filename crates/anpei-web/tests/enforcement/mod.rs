//! Inspections, enforcement actions, typical cases and tip-offs.

mod inspections;
mod tipoffs;
