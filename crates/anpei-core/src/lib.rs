//! Pure domain of anpei (安培): validated identifiers, the kinds of subject, post,
//! certificate and training, the regulatory parameters (`params`), masking of personal
//! data, and the plain ledger records every other layer passes around. No I/O, no async.
#![forbid(unsafe_code)]

pub mod areas;
pub mod campaign;
pub mod class_file;
pub mod demo;
pub mod enforcement;
pub mod ids;
pub mod kinds;
pub mod ledger;
pub mod mask;
pub mod params;
pub mod qr;
pub mod redact;
pub mod tipoff;
pub mod totp;

pub use ids::{IdError, IdNumber, Uscc};
pub use kinds::{CertType, Post, SubjectKind, TrainingForm, TrainingType};
pub use params::Params;
