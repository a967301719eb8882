//! The one integration-test binary: each area of mobmatch adds a module here.

#[macro_use]
mod support;

mod cli;
mod copy_database;
mod daemon;
mod demo;
mod forms;
mod introductions;
mod mail;
mod matching;
mod outreach;
mod privacy;
mod report;
mod report_mail;
mod store;
mod web;
