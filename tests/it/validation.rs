//! Simulation against queueing and availability theory (DESIGN section 8). The cases, their exact values
//! and the acceptance rule (the exact value inside the simulated 99.9% CI, plus stated
//! structural allowances) live in `nines::validation`, shared with `nines validate`.

use nines::validation::{self, Verdict};

fn assert_all_pass(verdicts: Vec<Verdict>) {
    assert!(!verdicts.is_empty());
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| {
            format!(
                "{}: {}: expected {:.6}, simulated {:.6} in [{:.6}, {:.6}]",
                v.case, v.claim, v.expected, v.simulated, v.low, v.high
            )
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn mm1_matches_closed_forms() {
    assert_all_pass(validation::mm1(None));
}

#[test]
fn mmc_matches_erlang_c_across_nodes_and_within_one() {
    assert_all_pass(validation::mmc(None));
}

#[test]
fn loss_system_matches_erlang_b() {
    assert_all_pass(validation::erlang_b(None));
}

#[test]
fn md1_and_mg1_match_pollaczek_khinchine() {
    assert_all_pass(validation::pollaczek_khinchine(None));
}

#[test]
fn random_balancer_makes_independent_mm1_queues() {
    assert_all_pass(validation::random_split(None));
}

#[test]
fn power_of_two_matches_the_supermarket_limit() {
    assert_all_pass(validation::supermarket(None));
}

#[test]
fn least_connections_beats_power_of_two_beats_random() {
    assert_all_pass(validation::balancer_ordering(None));
}

#[test]
fn single_node_matches_the_alternating_renewal_process() {
    assert_all_pass(validation::single_node(None));
}

#[test]
fn weibull_failures_and_lognormal_repairs_match_renewal_reward() {
    assert_all_pass(validation::weibull_lognormal(None));
}

#[test]
fn k_out_of_n_and_quorum_match_the_birth_death_chain_with_crews() {
    assert_all_pass(validation::k_out_of_n(None));
}

#[test]
fn active_standby_matches_its_semi_markov_solution() {
    assert_all_pass(validation::active_standby(None));
}

#[test]
fn a_zone_outage_takes_down_exactly_the_nodes_in_that_zone() {
    assert_all_pass(validation::zone_outage(None));
}

#[test]
fn time_varying_load_matches_the_infinite_server_queue() {
    assert_all_pass(validation::infinite_server_sinusoid(None));
}

#[test]
fn target_tracking_follows_the_hpa_formula_and_its_stabilization_window() {
    assert_all_pass(validation::hpa_steps(None));
    assert_all_pass(validation::hpa_steps_capacity(None));
}

#[test]
fn scale_in_drains_without_losing_requests() {
    assert_all_pass(validation::scale_in_drains(None));
}

#[test]
fn three_replicas_match_the_absorbing_chain_in_parallel_and_serial() {
    assert_all_pass(validation::mttdl(None));
}

#[test]
fn periodic_recovery_points_give_half_an_interval_of_rpo() {
    assert_all_pass(validation::backup_rpo(None));
}

#[test]
fn simultaneous_loss_matches_the_combinatorics_of_random_and_copyset_placement() {
    assert_all_pass(validation::simultaneous_loss(None));
}
