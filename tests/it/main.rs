//! The one integration-test binary: each area of mobmatch adds a module here.

#[macro_use]
mod support;

mod cli;
mod forms;
mod mail;
mod matching;
mod report;
mod store;
mod web;
