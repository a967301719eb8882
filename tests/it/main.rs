//! The one integration-test binary: each area of mobmatch adds a module here.

#[macro_use]
mod support;

mod cli;
mod forms;
mod introductions;
mod mail;
mod matching;
mod privacy;
mod report;
mod store;
mod web;
