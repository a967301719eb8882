//! Request counts and latencies, kept in memory and written with the store's counts as
//! Prometheus text at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::SharedState;
use crate::store::RecordCounts;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, RequestStats>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RequestKey {
    method: String,
    route: String,
    status: u16,
}

#[derive(Default)]
struct RequestStats {
    count: u64,
    seconds: f64,
    /// Requests at or under each bound of `BUCKETS`, not cumulated.
    buckets: [u64; BUCKETS.len()],
}

impl Metrics {
    fn record(&self, key: RequestKey, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut requests = self
            .requests
            .lock()
            .expect("no thread panics holding the lock");
        let stats = requests.entry(key).or_default();
        stats.count += 1;
        stats.seconds += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            stats.buckets[bucket] += 1;
        }
    }

    /// The Prometheus text exposition of the requests so far and of `counts`.
    pub fn render(&self, counts: &RecordCounts) -> String {
        let mut text = String::new();
        let requests = self
            .requests
            .lock()
            .expect("no thread panics holding the lock");
        text.push_str(
            "# HELP mobmatch_http_requests_total HTTP requests answered, by route and status.\n",
        );
        text.push_str("# TYPE mobmatch_http_requests_total counter\n");
        for (key, stats) in requests.iter() {
            let _ = writeln!(
                text,
                "mobmatch_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                key.method,
                escape_label(&key.route),
                key.status,
                stats.count
            );
        }
        text.push_str(
            "# HELP mobmatch_http_request_duration_seconds Time to answer HTTP requests.\n",
        );
        text.push_str("# TYPE mobmatch_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(&str, &str), (u64, f64, [u64; BUCKETS.len()])> =
            BTreeMap::new();
        for (key, stats) in requests.iter() {
            let entry = by_route
                .entry((key.method.as_str(), key.route.as_str()))
                .or_insert((0, 0.0, [0; BUCKETS.len()]));
            entry.0 += stats.count;
            entry.1 += stats.seconds;
            for (total, count) in entry.2.iter_mut().zip(stats.buckets) {
                *total += count;
            }
        }
        for ((method, route), (count, seconds, buckets)) in by_route {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape_label(route));
            let mut cumulative = 0;
            for (bound, in_bucket) in BUCKETS.iter().zip(buckets) {
                cumulative += in_bucket;
                let _ = writeln!(
                    text,
                    "mobmatch_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                text,
                "mobmatch_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                text,
                "mobmatch_http_request_duration_seconds_sum{{{labels}}} {seconds}"
            );
            let _ = writeln!(
                text,
                "mobmatch_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        text.push_str(
            "# HELP mobmatch_inbound_messages_total Inbound messages recorded, by outcome.\n",
        );
        text.push_str("# TYPE mobmatch_inbound_messages_total counter\n");
        for (outcome, count) in &counts.inbound_by_outcome {
            let _ = writeln!(
                text,
                "mobmatch_inbound_messages_total{{outcome=\"{}\"}} {count}",
                escape_label(outcome)
            );
        }
        text.push_str("# HELP mobmatch_outbox_messages Outbox messages, by status.\n");
        text.push_str("# TYPE mobmatch_outbox_messages gauge\n");
        for (status, count) in &counts.outbox_by_status {
            let _ = writeln!(
                text,
                "mobmatch_outbox_messages{{status=\"{}\"}} {count}",
                escape_label(status)
            );
        }
        text.push_str("# HELP mobmatch_rounds_total Matching rounds recorded.\n");
        text.push_str("# TYPE mobmatch_rounds_total counter\n");
        let _ = writeln!(text, "mobmatch_rounds_total {}", counts.rounds);
        text.push_str("# HELP mobmatch_job_runs_total Runs of the daemon's jobs, by outcome.\n");
        text.push_str("# TYPE mobmatch_job_runs_total counter\n");
        for count in &counts.job_runs {
            let _ = writeln!(
                text,
                "mobmatch_job_runs_total{{job=\"{}\",outcome=\"{}\"}} {}",
                escape_label(&count.job),
                escape_label(&count.outcome),
                count.runs
            );
        }
        text.push_str(
            "# HELP mobmatch_job_last_success_timestamp_seconds When each job last succeeded.\n",
        );
        text.push_str("# TYPE mobmatch_job_last_success_timestamp_seconds gauge\n");
        for count in counts
            .job_runs
            .iter()
            .filter(|count| count.outcome == "succeeded")
        {
            if let Some(finished) = count.last_finished {
                let _ = writeln!(
                    text,
                    "mobmatch_job_last_success_timestamp_seconds{{job=\"{}\"}} {}",
                    escape_label(&count.job),
                    finished.timestamp()
                );
            }
        }
        text
    }
}

/// Counts every request by method, route pattern (`/s/{token}`, never the token itself)
/// and status, with its latency.
pub async fn record_request(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state.metrics.record(
        RequestKey {
            method,
            route,
            status: response.status().as_u16(),
        },
        started.elapsed(),
    );
    response
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobRunCount;
    use chrono::DateTime;

    #[test]
    fn the_histogram_is_cumulative_and_ends_with_the_count() {
        let metrics = Metrics::default();
        let key = |status| RequestKey {
            method: "GET".to_owned(),
            route: "/submit".to_owned(),
            status,
        };
        metrics.record(key(200), Duration::from_micros(300));
        metrics.record(key(200), Duration::from_millis(20));
        metrics.record(key(422), Duration::from_secs(3));
        let text = metrics.render(&RecordCounts {
            inbound_by_outcome: vec![("accepted".to_owned(), 4)],
            outbox_by_status: vec![("queued".to_owned(), 1)],
            rounds: 2,
            job_runs: vec![JobRunCount {
                job: "fetch_mail".to_owned(),
                outcome: "succeeded".to_owned(),
                runs: 7,
                last_finished: Some(DateTime::from_timestamp(1_790_000_000, 0).unwrap()),
            }],
        });
        for line in [
            "mobmatch_http_requests_total{method=\"GET\",route=\"/submit\",status=\"200\"} 2",
            "mobmatch_http_requests_total{method=\"GET\",route=\"/submit\",status=\"422\"} 1",
            "mobmatch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/submit\",le=\"0.0005\"} 1",
            "mobmatch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/submit\",le=\"0.025\"} 2",
            "mobmatch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/submit\",le=\"1\"} 2",
            "mobmatch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/submit\",le=\"+Inf\"} 3",
            "mobmatch_http_request_duration_seconds_count{method=\"GET\",route=\"/submit\"} 3",
            "mobmatch_inbound_messages_total{outcome=\"accepted\"} 4",
            "mobmatch_outbox_messages{status=\"queued\"} 1",
            "mobmatch_rounds_total 2",
            "mobmatch_job_runs_total{job=\"fetch_mail\",outcome=\"succeeded\"} 7",
            "mobmatch_job_last_success_timestamp_seconds{job=\"fetch_mail\"} 1790000000",
        ] {
            assert!(
                text.lines().any(|written| written == line),
                "{line} in\n{text}"
            );
        }
    }
}
