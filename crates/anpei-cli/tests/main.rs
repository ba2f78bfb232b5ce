//! The command-line tool's integration tests: the real `anpei` binary run as an operator runs
//! it, one module per part of the tool, sharing one harness (`common`). The browser journeys
//! (`browser::`) drive the binary's web server from headless Chromium.

mod common;

mod backup;
mod browser;
mod cluster;
mod commands;
mod logs;
mod permissions;
mod remind;
mod security_cli;
mod tls;
mod transfer;
