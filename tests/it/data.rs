//! Data protection: the `data` and `backup` keys and their errors, replica loss and
//! re-replication (detection, cluster size), rack-aware placement, restores with their RPO
//! and RTO in the availability and the outage log, corruption, and a million chunks.
//! The closed-form checks (MTTDL, RPO = interval/2, random vs copyset) are in
//! `validation.rs`.

use std::collections::BTreeMap;

use nines::model::{Model, run_trial};
use nines::scenario::{PlacementRule, RereplicationSpeed};
use nines::stats::MetricSummary;
use nines::validation::simulate;

use crate::scenario_errors::{at, errors, ok, one_error};

/// A storage-only file: `service` follows the `[[services]]` header's common keys, and
/// `rest` comes after the service.
fn storage(horizon: &str, trials: u32, service: &str, rest: &str) -> String {
    format!(
        r#"name = "d"

[run]
horizon = "{horizon}"
trials = {trials}
seed = 7

[workload]
entry = "store"

[[services]]
name = "store"
kind = "storage"
service_time = {{ dist = "exponential", mean = "1ms" }}
{service}
{rest}"#
    )
}

fn mean(m: &BTreeMap<String, MetricSummary>, name: &str) -> f64 {
    m.get(name)
        .and_then(|s| s.mean)
        .unwrap_or_else(|| panic!("{name} undefined"))
}

#[test]
fn data_and_backup_keys_read_with_decimal_units() {
    let s = ok(&storage(
        "1h",
        1,
        r#"nodes = 6
data = { size = "40TB", chunks = 1000, replicas = 3, placement = "copyset", scatter_width = 4, rereplication = { rate = "100MB/s", max_streams = 2 } }
backup = { full_every = "24h", incremental_every = "1h", log_shipping = "5m", restore_rate = "500MB/s", restore_fixed = "15m", kind = "logical" }
failures = [{ name = "disk", effect = "crash", loses_data = true, ttf = { dist = "exponential", mean = "1000h" }, ttr = { dist = "constant", value = "1h" } }]"#,
        "",
    ));
    let svc = &s.services[0];
    let d = svc.data.as_ref().unwrap();
    assert_eq!(d.size_bytes, 40e12);
    assert_eq!((d.chunks, d.replicas), (1000, 3));
    assert_eq!(d.placement, PlacementRule::Copyset { scatter_width: 4 });
    let r = d.rereplication.as_ref().unwrap();
    assert_eq!(
        r.speed,
        RereplicationSpeed::Rate {
            rate_bytes_per_s: 1e8
        }
    );
    assert_eq!(r.max_streams, Some(2));
    let b = svc.backup.as_ref().unwrap();
    assert_eq!(b.restore_rate_bytes_per_s, 5e8);
    assert!(b.logical);
    // RTO = 15 min + 3 × 40e12 / 5e8 s (logical: 3× slower) = 900 + 240000 s.
    assert_eq!(b.restore_time_s(d.size_bytes), 240_900.0);
    assert!(svc.failures[0].loses_data);
    // Defaults: 1 chunk, 3 replicas, random placement, physical backups, binary units.
    let s = ok(&storage(
        "1h",
        1,
        r#"nodes = 3
data = { size = "1TiB", rereplication = { time = { dist = "exponential", mean = "1h" } } }
backup = { full_every = "24h", restore_rate = "1GB/s" }"#,
        "",
    ));
    let d = s.services[0].data.as_ref().unwrap();
    assert_eq!(
        (d.size_bytes, d.chunks, d.replicas),
        (1099511627776.0, 1, 3)
    );
    assert_eq!(d.placement, PlacementRule::Random);
    assert!(!s.services[0].backup.as_ref().unwrap().logical);
}

#[test]
fn bad_data_keys_are_reported_at_their_place() {
    let base = |data: &str| storage("1h", 1, &format!("nodes = 3\n{data}"), "");
    let text = base(r#"data = { size = "40 parsecs", replicas = 1 }"#);
    one_error(
        &text,
        &at(&text, "\"40 parsecs\"", 0),
        "services[0].data.size",
        "invalid size \"40 parsecs\"",
    );
    let text = base(r#"data = { size = "1TB", rereplication = { rate = "100MB" } }"#);
    one_error(
        &text,
        &at(&text, "\"100MB\"", 0),
        "services[0].data.rereplication.rate",
        "expected a size per second",
    );
    let text = base(r#"data = { size = "1TB", replicas = 4, rereplication = { rate = "1MB/s" } }"#);
    one_error(
        &text,
        &at(&text, "4,", 0),
        "services[0].data.replicas",
        "replicas (4) must not exceed nodes (3)",
    );
    let text = base(r#"data = { size = "1TB", replicas = 1, rereplication = { rate = "1MB/s" } }"#);
    one_error(
        &text,
        &at(&text, "{ rate", 0),
        "services[0].data.rereplication",
        "rereplication needs replicas >= 2",
    );
    let text = base(r#"data = { size = "1TB" }"#);
    one_error(
        &text,
        &at(&text, "{ size", 0),
        "services[0].data.rereplication",
        "missing key \"rereplication\"",
    );
    let text = base(
        r#"data = { size = "1TB", placement = "copyset", scatter_width = 3, rereplication = { rate = "1MB/s" } }"#,
    );
    one_error(
        &text,
        &at(&text, "3, rere", 0),
        "services[0].data.scatter_width",
        "positive multiple of replicas - 1 (2)",
    );
    let text = base(
        r#"data = { size = "1TB", placement = "rack_aware", rereplication = { rate = "1MB/s" } }"#,
    );
    one_error(
        &text,
        &at(&text, "\"rack_aware\"", 0),
        "services[0].data.placement",
        "at least 2 racks",
    );
    // Racks in zones a and c but not in b: b's nodes would sit outside every rack.
    let racks = r#"
[[regions]]
name = "r"
[[zones]]
name = "a"
region = "r"
[[zones]]
name = "b"
region = "r"
[[zones]]
name = "c"
region = "r"
[[racks]]
name = "a1"
zone = "a"
[[racks]]
name = "c1"
zone = "c"
"#;
    let text = storage(
        "1h",
        1,
        r#"nodes = 5
zones = ["a", "c", "b"]
data = { size = "1TB", placement = "rack_aware", rereplication = { rate = "1MB/s" } }"#,
        racks,
    );
    one_error(
        &text,
        &at(&text, "\"rack_aware\"", 0),
        "services[0].data.placement",
        "zone \"b\" has no racks",
    );
    let text = base(r#"data = { size = "1TB", replica = 1 }"#);
    assert!(
        errors(&text)
            .iter()
            .any(|e| e.contains("services[0].data.replica") && e.contains("unknown")),
        "{:?}",
        errors(&text)
    );
}

#[test]
fn data_rules_that_span_keys_are_checked() {
    // data on a compute service.
    let text = storage(
        "1h",
        1,
        r#"nodes = 3
data = { size = "1TB", replicas = 1 }"#,
        "",
    )
    .replace("kind = \"storage\"", "kind = \"compute\"");
    one_error(
        &text,
        &at(&text, "data =", 0),
        "services[0].data",
        "only allowed on a storage service",
    );
    // loses_data without data; loses_data with restart; corrupt without a backup.
    let text = storage(
        "1h",
        1,
        r#"failures = [{ name = "disk", effect = "crash", loses_data = true, ttf = { dist = "exponential", mean = "1h" }, ttr = { dist = "exponential", mean = "1h" } }]"#,
        "",
    );
    one_error(
        &text,
        &at(&text, "true", 0),
        "services[0].failures[0].loses_data",
        "needs data on the service",
    );
    let text = storage(
        "1h",
        1,
        r#"data = { size = "1TB", replicas = 1 }
failures = [{ name = "boot", effect = "restart", loses_data = true, ttf = { dist = "exponential", mean = "1h" }, ttr = { dist = "exponential", mean = "1h" } }]"#,
        "",
    );
    one_error(
        &text,
        &at(&text, "loses_data", 0),
        "services[0].failures[0].loses_data",
        "only allowed with effect = \"crash\"",
    );
    let text = storage(
        "1h",
        1,
        r#"data = { size = "1TB", replicas = 1 }
failures = [{ name = "oops", effect = "corrupt", ttf = { dist = "exponential", mean = "1h" }, ttr = { dist = "exponential", mean = "1h" } }]"#,
        "",
    );
    one_error(
        &text,
        &at(&text, "\"corrupt\"", 0),
        "services[0].failures[0].effect",
        "needs a backup",
    );
    // backup without data.
    let text = storage(
        "1h",
        1,
        r#"backup = { full_every = "24h", restore_rate = "1GB/s" }"#,
        "",
    );
    one_error(
        &text,
        &at(&text, "backup =", 0),
        "services[0].backup",
        "backup needs data",
    );
    // Random outages: fraction required, and only there; loses_data only with down.
    let outage = |keys: &str| {
        storage(
            "1h",
            1,
            "",
            &format!(
                "[[outages]]\n{keys}\nttf = {{ dist = \"exponential\", mean = \"1h\" }}\nttr = {{ dist = \"exponential\", mean = \"1h\" }}\n"
            ),
        )
    };
    let text = outage("scope = \"random\"");
    one_error(
        &text,
        &at(&text, "[[outages]]", 0),
        "outages[0].fraction",
        "needs fraction",
    );
    let text = outage("scope = \"random\"\nfraction = 1.5");
    one_error(
        &text,
        &at(&text, "1.5", 0),
        "outages[0].fraction",
        "fraction must be in (0, 1]",
    );
    let text =
        outage("scope = \"random\"\nfraction = 0.1\neffect = \"network\"\nloses_data = true");
    one_error(
        &text,
        &at(&text, "loses_data", 0),
        "outages[0].loses_data",
        "only allowed with effect = \"down\"",
    );
}

/// `nodes` storage nodes holding 10,000 chunks of 2 replicas, 1 TB, re-replicated at
/// 100 MB/s per node; one node lost (a random outage of 1/nodes, loses_data) at 1 h and a
/// second at `second` (each out for `out`); `health` adds a health check.
fn two_losses_out(nodes: u32, second: &str, health: &str, out: &str) -> String {
    let fraction = 1.0 / nodes as f64;
    let outage = |at: &str| {
        format!(
            "[[outages]]\nscope = \"random\"\nfraction = {fraction}\nloses_data = true\nttf = {{ dist = \"constant\", value = \"{at}\" }}\nttr = {{ dist = \"constant\", value = \"{out}\" }}\n"
        )
    };
    storage(
        "90m",
        200,
        &format!(
            "nodes = {nodes}\n{health}\ndata = {{ size = \"1TB\", chunks = 10000, replicas = 2, rereplication = {{ rate = \"100MB/s\" }} }}"
        ),
        &format!("{}{}", outage("1h"), outage(second)),
    )
}

fn two_losses(nodes: u32, second: &str, health: &str) -> String {
    two_losses_out(nodes, second, health, "1h")
}

#[test]
fn a_bigger_cluster_re_replicates_faster() {
    // A lost node's share is 1 TB × 2 / N, copied at 100 MB/s from each of the N − 1
    // others: 10 nodes take 2e11 / (1e8 × 9) = 222 s, 40 nodes 5e10 / (1e8 × 39) = 12.8 s.
    // A second loss 60 s later loses data with 10 nodes (unless it strikes the same node,
    // 1 in 10; with 10,000 chunks every pair of nodes shares one), never with 40.
    let small = simulate(&ok(&two_losses(10, "3660s", "")), None);
    let big = simulate(&ok(&two_losses(40, "3660s", "")), None);
    assert_eq!(mean(&big, "data_loss_probability"), 0.0);
    // Binomial(200, 0.9): 0.9 ± 4.5 sd (sd = 0.021) is above 0.8.
    assert!(mean(&small, "data_loss_probability") > 0.8);
    assert!(mean(&small, "chunks_lost_mean") > 100.0);
}

#[test]
fn a_loss_without_a_backup_is_a_zero_length_row_of_the_outage_log() {
    let model = Model::new(&ok(&two_losses(10, "3660s", "")));
    let lost = (0..20)
        .map(|i| run_trial(&model, i).unwrap())
        .find(|t| t.metrics["data_loss_events_per_year"] != nines::metrics::Observation::Value(0.0))
        .expect("10 nodes lose data in most trials");
    let row = lost
        .outages
        .iter()
        .find(|o| model.causes[o.cause as usize] == "store: data_loss");
    let row = row.expect("the loss is in the outage log");
    assert_eq!(row.start, row.end);
    assert_eq!(row.start.as_secs_f64(), 3660.0);
    // The service kept serving: no outage in its availability.
    assert_eq!(
        lost.metrics["availability"],
        nines::metrics::Observation::Value(1.0)
    );
}

/// 10 nodes holding 1 TB in 10,000 chunks of 3 replicas, re-replicated at 100 MB/s per
/// node: 2 nodes lose their data at 1 h, one more `third_after` later.
fn shared_bandwidth(third_after_s: u64) -> String {
    let outage = |fraction: f64, at_s: u64| {
        format!(
            "[[outages]]\nscope = \"random\"\nfraction = {fraction}\nloses_data = true\nttf = {{ dist = \"constant\", value = \"{at_s}s\" }}\nttr = {{ dist = \"constant\", value = \"2h\" }}\n"
        )
    };
    storage(
        "3h",
        200,
        "nodes = 10\ndata = { size = \"1TB\", chunks = 10000, replicas = 3, rereplication = { rate = \"100MB/s\" } }",
        &format!(
            "{}{}",
            outage(0.2, 3_600),
            outage(0.1, 3_600 + third_after_s)
        ),
    )
}

#[test]
fn simultaneous_re_replications_share_the_nodes_bandwidth() {
    // Each lost node's share is 3e11 B. Alone it would come from 9 nodes at 100 MB/s in
    // 333 s; the two jobs share the 8 nodes left, 4e8 B/s each: 750 s. A third loss 500 s
    // later finds both still running and loses data (every triple of nodes holds about 83
    // chunks), unless it strikes one of the two lost nodes again (2 in 10); 900 s later
    // it finds them done.
    let during = simulate(&ok(&shared_bandwidth(500)), None);
    // Binomial(200, 0.8): 0.8 − 4.5 sd (sd = 0.028) is above 0.67.
    assert!(mean(&during, "data_loss_probability") > 0.67);
    let after = simulate(&ok(&shared_bandwidth(900)), None);
    assert_eq!(mean(&after, "data_loss_probability"), 0.0);
}

#[test]
fn re_replication_waits_for_detection() {
    // The same 40 nodes with a health check that declares a node dead after 30 failed
    // probes 10 s apart (300 s): re-replication has not started when the second node goes
    // 60 s later, so data is lost (unless the same node is struck twice: 1 in 40).
    let hc = "health_check = { interval = \"10s\", unhealthy_threshold = 30 }";
    let slow = simulate(&ok(&two_losses(40, "3660s", hc)), None);
    assert!(mean(&slow, "data_loss_probability") > 0.85);
    // A node back after 30 s, before the health check could declare it dead, reports its
    // missing replicas at once: re-replicated by 1 h 43 s, before the second loss.
    let back = simulate(&ok(&two_losses_out(40, "3660s", hc, "30s")), None);
    assert_eq!(mean(&back, "data_loss_probability"), 0.0);
}

#[test]
fn a_reboot_loses_no_data() {
    // Every node restarts every hour; without loses_data no replica is ever lost.
    let s = ok(&storage(
        "30d",
        4,
        r#"nodes = 5
data = { size = "1TB", chunks = 100, replicas = 3, rereplication = { rate = "100MB/s" } }
failures = [{ name = "reboot", effect = "crash", ttf = { dist = "exponential", mean = "1h" }, ttr = { dist = "exponential", mean = "1h" } }]"#,
        "",
    ));
    let m = simulate(&s, None);
    assert_eq!(mean(&m, "data_loss_events_per_year"), 0.0);
    assert_eq!(mean(&m, "durability"), 1.0);
    assert!(mean(&m, "availability") < 1.0);
}

/// 12 nodes in 4 racks of 3 (zones a, b; racks a1, a2, b1, b2), 3 replicas, many chunks,
/// an outage of `scope` at 1 h that loses the data.
fn racks(scope: &str, placement: &str) -> String {
    storage(
        "90m",
        20,
        &format!(
            "nodes = 12\nzones = [\"a\", \"b\"]\ndata = {{ size = \"1TB\", chunks = 20000, replicas = 3, placement = \"{placement}\", rereplication = {{ rate = \"100MB/s\" }} }}"
        ),
        &format!(
            r#"[[zones]]
name = "a"
[[zones]]
name = "b"
[[racks]]
name = "a1"
zone = "a"
[[racks]]
name = "a2"
zone = "a"
[[racks]]
name = "b1"
zone = "b"
[[racks]]
name = "b2"
zone = "b"

[[outages]]
scope = "{scope}"
loses_data = true
ttf = {{ dist = "constant", value = "1h" }}
ttr = {{ dist = "constant", value = "1h" }}
"#
        ),
    )
}

#[test]
fn rack_aware_placement_survives_a_rack_but_not_a_zone() {
    // Rack-aware puts a chunk's replicas in exactly two racks: losing one rack (a1) loses
    // nothing; losing zone a (racks a1 and a2) loses every chunk whose two racks are a1
    // and a2. Random placement puts all three replicas in rack a1 for C(3,3)/C(12,3) =
    // 1/220 of chunks: about 91 of 20,000, so losing rack a1 loses data.
    let rack = simulate(&ok(&racks("a1", "rack_aware")), None);
    assert_eq!(mean(&rack, "data_loss_probability"), 0.0);
    let zone = simulate(&ok(&racks("a", "rack_aware")), None);
    assert_eq!(mean(&zone, "data_loss_probability"), 1.0);
    let random = simulate(&ok(&racks("a1", "random")), None);
    assert_eq!(mean(&random, "data_loss_probability"), 1.0);
    // How many: under rack-aware placement a chunk is inside zone a when its first replica
    // is (1/2) and its second is in the other rack of zone a (3 of the 9 nodes outside the
    // first's rack): p = 1/6, so chunks lost per trial ~ Binomial(20,000, 1/6), mean
    // 3,333.3, sd 52.7, and the mean over 20 trials has sd 11.8. Random placement in rack
    // a1: p = 1/220, mean 90.9, sd 9.51 per trial, 2.13 over 20. Each bound is 4.5 sd (a
    // correct simulator misses it with probability < 10⁻⁵).
    let zone_lost = mean(&zone, "chunks_lost_mean");
    assert!(
        (zone_lost - 20_000.0 / 6.0).abs() < 4.5 * 11.8,
        "{zone_lost}"
    );
    let random_lost = mean(&random, "chunks_lost_mean");
    assert!(
        (random_lost - 20_000.0 / 220.0).abs() < 4.5 * 2.13,
        "{random_lost}"
    );
}

/// One database node, one replica of 500 GB; a disk loss (or a corruption) at a fixed time
/// `at`, and `backup`.
fn db(effect: &str, at: &str, backup: &str) -> String {
    let failure = match effect {
        "crash" => format!(
            "{{ name = \"disk\", effect = \"crash\", loses_data = true, ttf = {{ dist = \"constant\", value = \"{at}\" }}, ttr = {{ dist = \"constant\", value = \"0s\" }} }}"
        ),
        _ => format!(
            "{{ name = \"oops\", effect = \"corrupt\", ttf = {{ dist = \"constant\", value = \"{at}\" }}, ttr = {{ dist = \"constant\", value = \"10m\" }} }}"
        ),
    };
    storage(
        "40h",
        1,
        &format!(
            "nodes = 1\ndata = {{ size = \"500GB\", replicas = 1 }}\nbackup = {backup}\nfailures = [{failure}]"
        ),
        "",
    )
}

#[test]
fn a_loss_restores_from_the_newest_recovery_point() {
    // Loss at 30 h 2 min. Daily full backups: the newest point is 24 h, RPO = 6 h 2 min =
    // 21,720 s. With 5-minute log shipping: 30 h 0 min, RPO = 120 s. RTO = 15 min +
    // 500 GB / 500 MB/s = 900 + 1000 = 1900 s, and the service is down exactly that long
    // (no health check): availability = 1 − 1900 / 144,000.
    let daily = r#"{ full_every = "24h", restore_rate = "500MB/s", restore_fixed = "15m" }"#;
    let shipped = r#"{ full_every = "24h", log_shipping = "5m", restore_rate = "500MB/s", restore_fixed = "15m" }"#;
    for (backup, rpo) in [(daily, 21_720.0), (shipped, 120.0)] {
        let s = ok(&db("crash", "108120s", backup));
        let m = simulate(&s, None);
        assert_eq!(mean(&m, "rpo_mean_s"), rpo);
        assert_eq!(mean(&m, "rpo_max_s"), rpo);
        assert_eq!(mean(&m, "rto_mean_s"), 1900.0);
        assert!((mean(&m, "data_loss_events_per_year") - 365.0 * 24.0 / 40.0).abs() < 1e-9);
        assert_eq!(mean(&m, "chunks_lost_mean"), 1.0);
        assert_eq!(mean(&m, "time_to_first_data_loss_s"), 108_120.0);
        assert!((mean(&m, "availability") - (1.0 - 1900.0 / 144_000.0)).abs() < 1e-12);
        // The restore is an outage in the log, caused by the data loss.
        let model = Model::new(&s);
        let t = run_trial(&model, 0).unwrap();
        assert_eq!(t.outages.len(), 1);
        let o = t.outages[0];
        assert_eq!(model.causes[o.cause as usize], "store: data_loss");
        assert_eq!((o.end - o.start).as_secs_f64(), 1900.0);
    }
    // A logical backup restores 3× slower: 900 + 3 × 1000 s.
    let logical = r#"{ full_every = "24h", restore_rate = "500MB/s", restore_fixed = "15m", kind = "logical" }"#;
    let m = simulate(&ok(&db("crash", "108120s", logical)), None);
    assert_eq!(mean(&m, "rto_mean_s"), 3900.0);
}

#[test]
fn a_corruption_restores_from_before_it_struck() {
    // Corruption at 30 h 2 min, noticed 10 min later. Daily backups: restore from 24 h,
    // RPO = 6 h 12 min = 22,320 s; with log shipping, from 30 h 0 min: RPO = 720 s.
    let daily = r#"{ full_every = "24h", restore_rate = "500MB/s" }"#;
    let shipped = r#"{ full_every = "24h", log_shipping = "5m", restore_rate = "500MB/s" }"#;
    for (backup, rpo) in [(daily, 22_320.0), (shipped, 720.0)] {
        let s = ok(&db("corrupt", "108120s", backup));
        let m = simulate(&s, None);
        assert_eq!(mean(&m, "rpo_mean_s"), rpo);
        assert_eq!(mean(&m, "rto_mean_s"), 1000.0);
        assert!((mean(&m, "corruption_events_per_year") - 365.0 * 24.0 / 40.0).abs() < 1e-9);
        let model = Model::new(&s);
        let t = run_trial(&model, 0).unwrap();
        assert_eq!(
            model.causes[t.outages[0].cause as usize],
            "store: corruption"
        );
    }
}

#[test]
fn a_restore_from_after_a_corruption_keeps_it() {
    // One node, full backups every 300 s, a 70 s restore. A corruption strikes at 100 s
    // and is noticed at 700 s; a data loss at 400 s restores from 300 s, which holds the
    // corruption already, so it is still there when noticed: restore from 0 (RPO 700 s).
    // The next loss (810 s) restores from 600 s. RPOs 100, 700, 210 s.
    let text = storage(
        "1000s",
        1,
        r#"nodes = 1
data = { size = "1GB", chunks = 1, replicas = 1 }
backup = { full_every = "300s", restore_rate = "100MB/s", restore_fixed = "60s" }
failures = [
  { name = "bad", effect = "corrupt", ttf = { dist = "constant", value = "100s" }, ttr = { dist = "constant", value = "600s" } },
  { name = "host", effect = "crash", loses_data = true, ttf = { dist = "constant", value = "400s" }, ttr = { dist = "constant", value = "10s" } },
]"#,
        "",
    );
    let model = Model::new(&ok(&text));
    let t = run_trial(&model, 0).unwrap();
    let rows: Vec<(f64, f64, &str)> = t
        .outages
        .iter()
        .map(|o| {
            let cause = model.causes[o.cause as usize].as_str();
            (o.start.as_secs_f64(), o.end.as_secs_f64(), cause)
        })
        .collect();
    assert_eq!(
        rows,
        [
            (400.0, 470.0, "store: data_loss"),
            (700.0, 770.0, "store: corruption"),
            (810.0, 880.0, "store: data_loss"),
        ]
    );
    let m = simulate(&ok(&text), None);
    assert!((mean(&m, "rpo_mean_s") - (100.0 + 700.0 + 210.0) / 3.0).abs() < 1e-9);
    assert_eq!(mean(&m, "rpo_max_s"), 700.0);
}

#[test]
fn a_million_chunks_lose_what_the_combinatorics_say() {
    // 1000 nodes, 1,000,000 chunks with 3 random replicas; one power event strikes 5% of
    // the nodes (50) and loses their replicas. Chunks lost per trial ~ Binomial(10⁶, p),
    // p = C(50,3)/C(1000,3) = 19,600/166,167,000: mean 117.95, sd 10.86 per trial; over
    // 8 trials the mean's sd is 3.84, and 4.5 sd (17.3) bounds a correct simulator's miss
    // with probability < 10⁻⁵. Nothing per chunk is stored, so this runs in well under a
    // second.
    let text = storage(
        "90m",
        8,
        r#"nodes = 1000
data = { size = "40TB", chunks = 1000000, replicas = 3, rereplication = { rate = "100MB/s", max_streams = 2 } }"#,
        r#"[[outages]]
scope = "random"
fraction = 0.05
loses_data = true
ttf = { dist = "constant", value = "1h" }
ttr = { dist = "constant", value = "1h" }
"#,
    );
    let m = simulate(&ok(&text), None);
    let p = 19_600.0 / 166_167_000.0;
    let expected = 1e6 * p;
    let got = mean(&m, "chunks_lost_mean");
    assert!((got - expected).abs() < 4.5 * 3.84, "{got} vs {expected}");
    assert_eq!(mean(&m, "data_loss_probability"), 1.0);
}

#[test]
fn schema_covers_the_data_keys() {
    let schema = nines::scenario::json_schema();
    let defs = &schema["$defs"];
    let service = &defs["ServiceRaw"]["properties"];
    for key in ["data", "backup"] {
        assert!(service.get(key).is_some(), "services.{key}");
    }
    for key in [
        "size",
        "chunks",
        "replicas",
        "placement",
        "scatter_width",
        "rereplication",
    ] {
        assert!(
            defs["DataRaw"]["properties"].get(key).is_some(),
            "data.{key}"
        );
    }
    for key in ["full_every", "log_shipping", "restore_rate", "kind"] {
        assert!(
            defs["BackupRaw"]["properties"].get(key).is_some(),
            "backup.{key}"
        );
    }
    for key in ["fraction", "loses_data"] {
        assert!(
            defs["OutageRaw"]["properties"].get(key).is_some(),
            "outages.{key}"
        );
    }
    // loses_data belongs to the crash alternative of a failure mode; corrupt is an effect.
    let failure = defs["Failure"]["oneOf"].to_string();
    assert!(failure.contains("loses_data") && failure.contains("corrupt"));
}

#[test]
fn a_wider_scatter_width_loses_data_more_often() {
    // 30 nodes, 3 replicas, 200 chunks; one outage kills 6 random nodes. Scatter width 2 is
    // one permutation (10 disjoint groups: P(loss) = 0.0492, see validation); width 4 is two
    // permutations, 20 groups, each node in two: P(loss) is close to 20 × C(27,3)/C(30,6)
    // ≈ 0.0985 less the overlaps (0.096 measured). The gap, about 0.046, must exceed
    // 0.0369 (4.5 × 0.0082, the sd of the difference over 2,000 trials); over 40,000
    // trials that sd is 0.0018, so a correct simulator clears the bound by 5 sd.
    let text = |width: u32| {
        storage(
            "90m",
            40_000,
            &format!(
                "nodes = 30\ndata = {{ size = \"1TB\", chunks = 200, replicas = 3, placement = \"copyset\", scatter_width = {width}, rereplication = {{ rate = \"100MB/s\" }} }}"
            ),
            r#"[[outages]]
scope = "random"
fraction = 0.2
loses_data = true
ttf = { dist = "constant", value = "1h" }
ttr = { dist = "constant", value = "1h" }
"#,
        )
    };
    let narrow = mean(&simulate(&ok(&text(2)), None), "data_loss_probability");
    let wide = mean(&simulate(&ok(&text(4)), None), "data_loss_probability");
    assert!(wide - narrow > 4.5 * 0.0082, "{narrow} vs {wide}");
    assert!(wide < 0.0985 + 4.5 * 0.0067, "{wide}");
}
