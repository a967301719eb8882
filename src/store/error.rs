use sqlx::error::ErrorKind;

use crate::domain::InvalidValue;

/// What can go wrong in the store. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} does not exist; check the reference")]
    NotFound { what: String },

    #[error("{what} already exists; nothing was written, so change the existing record instead")]
    Conflict { what: String },

    #[error(
        "the database holds {value:?} in {table}.{column}, where {expected} is expected; correct the row with SQL or restore a backup"
    )]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
        expected: String,
    },

    #[error(
        "database_url {url} is neither a sqlite:// nor a postgres:// URL; use for example sqlite://mobmatch.db or postgres://mobmatch@localhost/mobmatch"
    )]
    UnsupportedUrl { url: String },

    /// `url` has its password replaced, so the error can be printed and logged.
    #[error(
        "cannot open the database at {url}; check database_url, that the server is running and that the user may connect"
    )]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },

    #[error(
        "cannot bring the database schema up to date; check that the database was not changed by hand or by a newer mobmatch"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error(
        "copy-database copies a SQLite database into PostgreSQL, but was given {source_backend} to copy into {target_backend}; run it with database_url (or --database-url) naming the SQLite file and --to naming the PostgreSQL database"
    )]
    CopyDirection {
        source_backend: super::Backend,
        target_backend: super::Backend,
    },

    #[error(
        "the target database is not empty: {tables}; nothing was copied. Copy into a new, empty database (createdb), or drop and create this one again if it holds nothing you need"
    )]
    CopyTargetNotEmpty { tables: String },

    #[error(
        "the two databases' schemas differ: {difference}; nothing was copied. Run the same mobmatch version on both (each was migrated on opening) and check neither was changed by hand"
    )]
    CopySchema { difference: String },

    #[error(
        "{table}.{column} holds a value that is not {expected} ({reason}); nothing was copied. Correct the row in the SQLite database and copy again"
    )]
    CopyValue {
        table: String,
        column: String,
        expected: &'static str,
        reason: String,
    },

    #[error(
        "the table {table} has {source_rows} rows in the SQLite database but {target_rows} in PostgreSQL after copying; nothing was committed. Stop everything that writes to the SQLite database and copy again"
    )]
    CopyCountMismatch {
        table: String,
        source_rows: u64,
        target_rows: u64,
    },

    #[error(
        "the database refused the operation; retry, and look at the database server's log if it keeps failing"
    )]
    Database(#[from] sqlx::Error),

    /// From the scans that step through SQLite's rows directly, without sqlx.
    #[error(
        "SQLite could not read the records; retry, and check the database file and its disk if it keeps failing"
    )]
    SqliteScan(#[from] rusqlite::Error),
}

impl StoreError {
    /// `Ok` when an update changed a row, else `NotFound` naming `what` it looked for.
    pub(super) fn found_by_update(
        changed: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), StoreError> {
        if changed == 0 {
            return Err(StoreError::NotFound { what: what() });
        }
        Ok(())
    }

    /// Whether the database refused what a write would store (a uniqueness, foreign-key,
    /// not-null or check constraint) rather than failed to run it: the same write would
    /// be refused again, so retrying cannot help.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            StoreError::Conflict { .. } => true,
            StoreError::Database(sqlx::Error::Database(error)) => matches!(
                error.kind(),
                ErrorKind::UniqueViolation
                    | ErrorKind::ForeignKeyViolation
                    | ErrorKind::NotNullViolation
                    | ErrorKind::CheckViolation
            ),
            _ => false,
        }
    }

    pub(super) fn corrupt(
        table: &'static str,
        column: &'static str,
        value: impl Into<String>,
        invalid: InvalidValue,
    ) -> StoreError {
        StoreError::Corrupt {
            table,
            column,
            value: value.into(),
            expected: invalid.to_string(),
        }
    }
}

/// The URL with any password replaced by `***`, whether it is written in the user part
/// (`postgres://user:secret@host/db`) or as a `password=` query parameter.
pub fn url_without_password(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((before_query, query)) => (before_query, Some(query)),
        None => (url, None),
    };
    let mut redacted = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _password)) => format!("{user}:***@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _value)) if name.eq_ignore_ascii_case("password") => {
                    format!("{name}=***")
                }
                _ => parameter.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&parameters.join("&"));
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_the_url_carries_them() {
        assert_eq!(
            url_without_password("postgres://mobmatch:s3cr:et@db.example:5432/mobmatch"),
            "postgres://mobmatch:***@db.example:5432/mobmatch"
        );
        assert_eq!(
            url_without_password(
                "postgres://db.example/mobmatch?user=a&password=s3cret&sslmode=require"
            ),
            "postgres://db.example/mobmatch?user=a&password=***&sslmode=require"
        );
        assert_eq!(
            url_without_password("postgres://postgres@127.0.0.1/postgres"),
            "postgres://postgres@127.0.0.1/postgres"
        );
        assert_eq!(
            url_without_password("sqlite://mobmatch.db"),
            "sqlite://mobmatch.db"
        );
    }
}
