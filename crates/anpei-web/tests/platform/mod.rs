//! Accounts, second factor, security policy, rate limits, transport, uploads, jobs — and the read
//! and write matrices every route answers to.

mod authorization;
mod city;
mod evidence_sweep;
mod mfa;
mod policy_refresh;
mod ratelimit;
mod requests;
mod security_admin;
mod signin;
mod standby;
mod transport;
mod uploads;
mod write_matrix;
