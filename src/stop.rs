//! The request to stop that the daemon hands its jobs: long jobs (fetching mail,
//! delivering the outbox) look at it between messages and end after the current one.
//! The commands run to the end with [`StopSignal::never`].

use tokio::sync::watch;

/// Asks every [`StopSignal`] made from it to stop.
#[derive(Debug)]
pub struct StopSwitch(watch::Sender<bool>);

/// Tells whether a stop was asked for, and waits for it.
#[derive(Clone, Debug)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSwitch {
    pub fn new() -> StopSwitch {
        StopSwitch(watch::Sender::new(false))
    }

    pub fn signal(&self) -> StopSignal {
        StopSignal(self.0.subscribe())
    }

    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Default for StopSwitch {
    fn default() -> Self {
        StopSwitch::new()
    }
}

impl StopSignal {
    /// A signal that never asks to stop.
    pub fn never() -> StopSignal {
        // The receiver keeps the value after its sender is gone.
        StopSignal(watch::Sender::new(false).subscribe())
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once a stop is asked for (never, for [`StopSignal::never`]).
    pub async fn stopped(&mut self) {
        if self.0.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_reaches_every_signal_and_never_never_stops() {
        let switch = StopSwitch::new();
        let mut first = switch.signal();
        let second = switch.signal();
        assert!(!first.is_stopping());
        switch.stop();
        first.stopped().await;
        assert!(second.is_stopping());
        let never = StopSignal::never();
        assert!(!never.is_stopping());
        let waited = tokio::time::timeout(
            std::time::Duration::from_millis(10),
            never.clone().stopped(),
        )
        .await;
        assert!(waited.is_err());
    }
}
