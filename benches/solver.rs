//! The matching solver alone, on synthetic submissions (no database): times finding the
//! candidates and the exact selection (shortest augmenting paths, as rounds run it), and
//! writes the selection as one flow network in DIMACS format for
//! `benches/ortools_min_cost_flow.py`. With `--network-simplex` it also solves that
//! network with the crate's network simplex. Prints one JSON object.
//!
//! cargo bench --bench solver -- --offers 20000 --requests 20000 [--seed 1] [--dimacs FILE]
//!     [--network-simplex]

use std::time::Instant;

use chrono::{DateTime, NaiveDate};
use mobmatch::domain::{Source, Submission, SubmissionId, SubmissionStatus};
use mobmatch::matching::{CandidateGraph, MatchingSettings};
use mobmatch::synth::synthetic_submissions;

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|index| arguments.get(index + 1))
    };
    let count = |name: &str, default: usize| {
        value(name).map_or(default, |text| text.parse().expect("a whole number"))
    };
    let offers = count("--offers", 10_000);
    let requests = count("--requests", 10_000);
    let seed = count("--seed", 1) as u64;
    let today = NaiveDate::from_ymd_opt(2027, 1, 15).expect("a date");
    let created = DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
    let submissions: Vec<Submission> = synthetic_submissions(offers, requests, seed, today)
        .into_iter()
        .enumerate()
        .map(|(index, details)| Submission {
            id: SubmissionId::new(index as i64 + 1),
            details,
            status: SubmissionStatus::Open,
            source: Source::Import,
            created_at: created,
            updated_at: created,
        })
        .collect();
    let settings = MatchingSettings::default();

    let clock = Instant::now();
    let graph = CandidateGraph::new(&submissions, &[], &settings, today);
    let candidates_seconds = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let selection = graph.select();
    let select_seconds = clock.elapsed().as_secs_f64();

    let network = graph.flow_network();
    let (nodes, arcs) = (network.node_count(), network.arc_count());
    if let Some(path) = value("--dimacs") {
        let mut text = String::new();
        network
            .write_dimacs(&mut text)
            .expect("writing to a string");
        std::fs::write(path, text).expect("the DIMACS file can be written");
    }
    let network_simplex_seconds = arguments
        .iter()
        .any(|argument| argument == "--network-simplex")
        .then(|| {
            let clock = Instant::now();
            let solution = network.solve().expect("the selection network is feasible");
            let seconds = clock.elapsed().as_secs_f64();
            assert_eq!(
                -solution.total_cost, selection.objective,
                "the network simplex and the selection reach the same optimum"
            );
            seconds
        });

    println!(
        "{}",
        serde_json::json!({
            "offers": offers,
            "requests": requests,
            "seed": seed,
            "candidates": graph.candidate_count(),
            "introductions": selection.chosen.len(),
            "nodes": nodes,
            "arcs": arcs,
            "min_cost": -selection.objective,
            "candidates_seconds": candidates_seconds,
            "select_seconds": select_seconds,
            "network_simplex_seconds": network_simplex_seconds,
        })
    );
}
