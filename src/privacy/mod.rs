//! Data protection as plain decisions: which records are past their retention time
//! (`retention.rs`), and how a person is found and erased in free text, pseudonymised in
//! contact columns and remembered only as a hash (`erasure.rs`). No I/O and no clock: the
//! shell (`personal_data.rs`) reads the records, passes "now" in and writes the result.

mod erasure;
mod retention;

pub use erasure::{
    ERASED_RECIPIENT, ERASED_TEXT, ErasureCounts, PSEUDONYM_DOMAIN, Person, address_sha256,
    organisation_pseudonym,
};
pub use retention::{
    HeldRecord, PurgeReport, RetainedKind, RetentionSettings, contact_retention_start, due_records,
    is_closed,
};
