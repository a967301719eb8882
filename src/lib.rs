#![deny(unsafe_code)]
//! mobmatch: the mobility matchmaking daemon of EARLALL's skills partnership.
//! See ARCHITECTURE.md for the map of this crate.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod forms;
pub mod import;
pub mod introductions;
pub mod mail;
pub mod matching;
pub mod outreach;
pub mod personal_data;
pub mod privacy;
pub mod report;
pub mod report_mail;
pub mod round;
pub mod stop;
pub mod store;
pub mod synth;
pub mod web;
