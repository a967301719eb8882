//! Matching rounds (DESIGN.md section 6), as a pure function: open submissions and the
//! pairs introduced before go in, with the settings and today's date; the candidate
//! pairs with their scores and the exact best selection come out. No I/O, no clock.
//!
//! The pipeline: [`rules`] decides who takes part and whether a pair is lawful,
//! [`candidates`] finds the lawful pairs through an index, [`score`] scores them and
//! explains the score, and [`selection`] picks the pairs with the largest total weighted
//! score within the limits by a minimum-cost flow, solved by [`network_simplex`].

mod augmenting_paths;
mod candidates;
mod network_simplex;
mod rules;
mod score;
mod selection;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::Serialize;

pub use network_simplex::{FlowNetwork, Infeasible, MinCostFlow};
pub use score::{Score, ScoreWeights};
pub use selection::Selection;

use crate::domain::{IntroducedPair, Submission, SubmissionId};

/// The `[matching]` settings of a round.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchingSettings {
    pub max_introductions_per_request: u32,
    pub max_introductions_per_offer: u32,
    pub cross_border_only: bool,
    /// Raises the weight of a request in the selection by
    /// `1 + priority × fewer-opportunity participants / participants`.
    pub fewer_opportunities_priority: f64,
    pub weights: ScoreWeights,
}

impl Default for MatchingSettings {
    fn default() -> MatchingSettings {
        MatchingSettings {
            max_introductions_per_request: 1,
            max_introductions_per_offer: 2,
            cross_border_only: true,
            fewer_opportunities_priority: 0.5,
            weights: ScoreWeights::default(),
        }
    }
}

/// A lawful pair and its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub score: Score,
}

/// A pair the round introduces, with one reason per part of its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedIntroduction {
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub score: Score,
    pub reasons: Vec<String>,
}

/// What a round does.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundPlan {
    /// The offers and requests that took part: open, not ended, with room left.
    pub offers: usize,
    pub requests: usize,
    /// Every lawful pair, by offer and then request.
    pub candidates: Vec<Candidate>,
    /// The selected pairs, by offer and then request.
    pub introductions: Vec<PlannedIntroduction>,
}

impl RoundPlan {
    /// The sum of the introductions' scores (without the fewer-opportunities priority).
    pub fn total_score(&self) -> f64 {
        let hundredths: u64 = self
            .introductions
            .iter()
            .map(|introduction| u64::from(introduction.score.hundredths()))
            .sum();
        hundredths as f64 / 100.0
    }
}

/// Plans a round: see the module documentation.
pub fn plan_round(
    submissions: &[Submission],
    introduced: &[IntroducedPair],
    settings: &MatchingSettings,
    today: NaiveDate,
) -> RoundPlan {
    let graph = CandidateGraph::new(submissions, introduced, settings, today);
    let selection = graph.select();
    graph.plan(&selection)
}

/// The candidate pairs of a round, between finding them and selecting among them; the
/// steps are separate so that benchmarks can time them apart.
pub struct CandidateGraph<'a> {
    pool: rules::Pool<'a>,
    edges: Vec<candidates::Edge>,
    settings: &'a MatchingSettings,
}

impl<'a> CandidateGraph<'a> {
    pub fn new(
        submissions: &'a [Submission],
        introduced: &[IntroducedPair],
        settings: &'a MatchingSettings,
        today: NaiveDate,
    ) -> CandidateGraph<'a> {
        let pool = rules::Pool::new(submissions, introduced, settings, today);
        let edges = candidates::find_candidates(&pool, &settings.weights);
        CandidateGraph {
            pool,
            edges,
            settings,
        }
    }

    pub fn candidate_count(&self) -> usize {
        self.edges.len()
    }

    /// The exact best selection, each connected component solved on its own.
    pub fn select(&self) -> Selection {
        selection::select(
            &self.pool,
            &self.edges,
            self.settings.fewer_opportunities_priority,
        )
    }

    /// The whole selection problem as one flow network, whose minimum cost is minus
    /// [`Selection::objective`].
    pub fn flow_network(&self) -> FlowNetwork {
        selection::whole_network(
            &self.pool,
            &self.edges,
            self.settings.fewer_opportunities_priority,
        )
    }

    pub fn plan(&self, selection: &Selection) -> RoundPlan {
        let candidates = self
            .edges
            .iter()
            .map(|edge| Candidate {
                offer: self.pool.offers[edge.offer as usize].id,
                request: self.pool.requests[edge.request as usize].id,
                score: edge.score,
            })
            .collect();
        let introductions = selection
            .chosen
            .iter()
            .map(|&index| {
                let edge = &self.edges[index];
                let offer = &self.pool.offers[edge.offer as usize];
                let request = &self.pool.requests[edge.request as usize];
                let overlap_days = self
                    .pool
                    .lawful_overlap(offer, request)
                    .expect("a candidate is a lawful pair");
                PlannedIntroduction {
                    offer: offer.id,
                    request: request.id,
                    score: edge.score,
                    reasons: score::reasons(offer, request, overlap_days),
                }
            })
            .collect();
        RoundPlan {
            offers: self.pool.offers.len(),
            requests: self.pool.requests.len(),
            candidates,
            introductions,
        }
    }
}
