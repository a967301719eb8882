//! `sqlx::migrate!` embeds the migrations at compile time but only notices changes to
//! files it already knows; this makes a newly added migration rebuild the crate too.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
