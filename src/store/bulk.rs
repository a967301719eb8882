//! Reads of whole tables for reports, one row at a time: a report over a million
//! mobilities hands each to its caller as it is read instead of collecting them first.

use futures_util::TryStreamExt;

use super::rows::{MOBILITY_COLUMNS, MobilityRow};
use super::{Pool, Store, StoreError};
use crate::domain::Mobility;

impl Store {
    /// Every mobility, handed to `visit` as it is read, in no particular order (sorting a
    /// million whole rows costs the database more than sorting the finished table costs
    /// the caller); returns how many.
    pub async fn for_each_mobility(
        &self,
        mut visit: impl FnMut(Mobility),
    ) -> Result<usize, StoreError> {
        let sql = format!("SELECT {MOBILITY_COLUMNS} FROM mobilities");
        let mut count = 0;
        on_backend!(Pool, &self.pool, |pool| {
            let mut rows = sqlx::query_as::<_, MobilityRow>(&sql).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                visit(Mobility::try_from(row)?);
                count += 1;
            }
        });
        Ok(count)
    }
}
