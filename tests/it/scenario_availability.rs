//! The availability keys of the scenario file: failure domains, failure modes, health checks,
//! redundancy, outages, repair crews and the SLO — read with their defaults, and every
//! problem reported at its place.

use std::path::Path;

use nines::dist::DistSpec;
use nines::scenario::{
    Domain, DomainKind, FailureEffect, HealthCheck, OutageEffect, OutageScope, Redundancy, SloSpec,
    json_schema, parse,
};
use nines::time::SimTime;
use proptest::prelude::*;

use super::scenario_errors::{BASE, at, errors, ok, one_error, unknown_keys};

/// Every new key, with regions, zones and racks interleaved in the text to show that
/// domain ids follow kind first, then file order.
const FULL: &str = r#"name = "avail"

[run]
horizon = "30d"

[workload]
entry = "web"
rate = 10

[[zones]]
name = "a"
region = "us-east-1"
cross_zone_latency = "1ms"

[[racks]]
name = "r1"
zone = "a"

[[regions]]
name = "us-east-1"

[[zones]]
name = "b"

[[racks]]
name = "r2"
zone = "b"

[[services]]
name = "web"
nodes = 4
zones = ["b", "a"]
service_time = { dist = "exponential", mean = "20ms" }
calls = ["db"]
failures = [
  { name = "host", effect = "crash", ttf = { dist = "exponential", mean = "2000h" }, ttr = { dist = "lognormal", mean = "4h", cv = 0.8 } },
  { name = "gc", effect = "slow", factor = 5.0, ttf = { dist = "exponential", mean = "100h" }, ttr = { dist = "constant", value = "10m" } },
  { name = "oom", effect = "restart", ttf = { dist = "weibull", shape = 1.5, mean = "500h" }, ttr = { dist = "constant", value = "30s" } },
]
health_check = { interval = "10s", timeout = "2s", unhealthy_threshold = 4, healthy_threshold = 1 }
redundancy = { mode = "active_active", min_healthy = 2 }

[[services]]
name = "db"
nodes = 2
zones = ["a"]
service_time = { dist = "exponential", mean = "3ms" }
health_check = { interval = "5s" }
redundancy = { mode = "active_standby", failover = "60s" }
calls = ["lock"]

[[services]]
name = "lock"
nodes = 3
service_time = { dist = "constant", value = "1ms" }
redundancy = { mode = "quorum" }

[[outages]]
name = "zone-power"
scope = "zone"
effect = "down"
ttf = { dist = "exponential", mean = "1y" }
ttr = { dist = "lognormal", mean = "3h", cv = 1.0 }

[[outages]]
scope = "r2"
effect = "network"
ttf = { dist = "exponential", mean = "90d" }
ttr = { dist = "constant", value = "15m" }

[[outages]]
scope = "region"
ttf = { dist = "exponential", mean = "5y" }
ttr = { dist = "exponential", mean = "6h" }

[repair]
crews = 2

[slo]
availability = 0.9995
latency_p99 = "250ms"
error_ratio = 0.001
window = "10m"
"#;

fn exp(mean_s: f64) -> DistSpec {
    DistSpec::exponential(mean_s).unwrap()
}

#[test]
fn every_availability_key_is_read() {
    let s = ok(FULL);
    let dom = |name: &str, kind, parent, latency_ns| Domain {
        name: name.into(),
        kind,
        parent,
        cross_zone_latency: SimTime(latency_ns),
    };
    // Regions (id 0), then zones a, b (1, 2), then racks r1, r2 (3, 4), whatever the text order.
    assert_eq!(
        s.topology.domains,
        vec![
            dom("us-east-1", DomainKind::Region, None, 0),
            dom("a", DomainKind::Zone, Some(0), 1_000_000),
            dom("b", DomainKind::Zone, None, 0),
            dom("r1", DomainKind::Rack, Some(1), 0),
            dom("r2", DomainKind::Rack, Some(2), 0),
        ]
    );

    let web = &s.services[0];
    // zones = ["b", "a"]: b is domain 2, a is domain 1, in the order written.
    assert_eq!(web.zones, vec![2, 1]);
    let names: Vec<&str> = web.failures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["host", "gc", "oom"]);
    assert_eq!(web.failures[0].effect, FailureEffect::Crash);
    assert_eq!(web.failures[0].ttf, exp(2000.0 * 3600.0));
    assert_eq!(
        web.failures[0].ttr,
        DistSpec::lognormal_mean_cv(4.0 * 3600.0, 0.8).unwrap()
    );
    assert_eq!(web.failures[1].effect, FailureEffect::Slow { factor: 5.0 });
    assert_eq!(web.failures[1].ttr, DistSpec::constant(600.0).unwrap());
    assert_eq!(web.failures[2].effect, FailureEffect::Restart);
    assert_eq!(
        web.failures[2].ttf,
        DistSpec::weibull_mean(1.5, 500.0 * 3600.0).unwrap()
    );
    assert_eq!(
        web.health_check,
        Some(HealthCheck {
            interval: SimTime::from_secs(10),
            timeout: Some(SimTime::from_secs(2)),
            unhealthy_threshold: 4,
            healthy_threshold: 1,
        })
    );
    assert_eq!(web.redundancy, Redundancy::ActiveActive { min_healthy: 2 });

    let db = &s.services[1];
    assert_eq!(db.zones, vec![1]);
    assert!(db.failures.is_empty());
    // Only the interval given: thresholds default to 3 and 2, no probe timeout.
    assert_eq!(
        db.health_check,
        Some(HealthCheck {
            interval: SimTime::from_secs(5),
            timeout: None,
            unhealthy_threshold: 3,
            healthy_threshold: 2,
        })
    );
    assert_eq!(
        db.redundancy,
        Redundancy::ActiveStandby {
            failover: SimTime::from_secs(60)
        }
    );

    let lock = &s.services[2];
    assert!(lock.zones.is_empty());
    assert_eq!(lock.health_check, None);
    assert_eq!(lock.redundancy, Redundancy::Quorum);

    assert_eq!(s.outages.len(), 3);
    let o = &s.outages[0];
    assert_eq!(o.name, "zone-power");
    assert_eq!(o.scope, OutageScope::EachOf(DomainKind::Zone));
    assert_eq!(o.effect, OutageEffect::Down);
    assert_eq!(o.ttf, exp(365.0 * 86_400.0));
    assert_eq!(
        o.ttr,
        DistSpec::lognormal_mean_cv(3.0 * 3600.0, 1.0).unwrap()
    );
    // A named domain: default name "<domain> outage"; r2 is domain 4.
    let o = &s.outages[1];
    assert_eq!(o.name, "r2 outage");
    assert_eq!(o.scope, OutageScope::Domain(4));
    assert_eq!(o.effect, OutageEffect::Network);
    // A kind: default name "<scope> outage", default effect down.
    let o = &s.outages[2];
    assert_eq!(o.name, "region outage");
    assert_eq!(o.scope, OutageScope::EachOf(DomainKind::Region));
    assert_eq!(o.effect, OutageEffect::Down);

    assert_eq!(s.repair.crews, Some(2));
    assert_eq!(
        s.slo,
        Some(SloSpec {
            availability: Some(0.9995),
            latency_p99: Some(SimTime(250_000_000)),
            error_ratio: Some(0.001),
            window: SimTime::from_secs(600),
        })
    );
}

#[test]
fn availability_defaults() {
    let s = ok(BASE);
    assert!(s.topology.domains.is_empty());
    assert!(s.outages.is_empty());
    assert_eq!(s.repair.crews, None);
    assert_eq!(s.slo, None);
    let web = &s.services[0];
    assert!(web.zones.is_empty() && web.failures.is_empty());
    assert_eq!(web.health_check, None);
    assert_eq!(web.redundancy, Redundancy::ActiveActive { min_healthy: 1 });

    let svc = |extra: &str| BASE.replace("name = \"web\"", &format!("name = \"web\"\n{extra}"));
    for table in ["{}", "{ mode = \"active_active\" }"] {
        let s = ok(&svc(&format!("redundancy = {table}")));
        assert_eq!(
            s.services[0].redundancy,
            Redundancy::ActiveActive { min_healthy: 1 },
            "{table}"
        );
    }
    // min_healthy may equal nodes; failover may be 0.
    let s = ok(&svc("nodes = 3\nredundancy = { min_healthy = 3 }"));
    assert_eq!(
        s.services[0].redundancy,
        Redundancy::ActiveActive { min_healthy: 3 }
    );
    let s = ok(&svc(
        "redundancy = { mode = \"active_standby\", failover = 0 }",
    ));
    assert_eq!(
        s.services[0].redundancy,
        Redundancy::ActiveStandby {
            failover: SimTime::ZERO
        }
    );

    // An SLO with one target: the window defaults to 5 min = 300 s.
    let s = ok(&format!("{BASE}\n[slo]\nlatency_p99 = \"100ms\"\n"));
    let slo = s.slo.unwrap();
    assert_eq!(slo.window, SimTime::from_secs(300));
    assert_eq!((slo.availability, slo.error_ratio), (None, None));
    // availability 1 and error_ratio 0 are the closed ends of their ranges.
    let s = ok(&format!(
        "{BASE}\n[slo]\navailability = 1\nerror_ratio = 0\n"
    ));
    assert_eq!(s.slo.unwrap().availability, Some(1.0));
    let s = ok(&format!("{BASE}\n[repair]\n"));
    assert_eq!(s.repair.crews, None);

    // Zones without a region; a rack in a zone; a zone with no racks.
    let s = ok(&format!(
        "{BASE}\n[[zones]]\nname = \"a\"\n[[zones]]\nname = \"b\"\n[[racks]]\nname = \"r\"\nzone = \"b\"\n"
    ));
    let parents: Vec<Option<usize>> = s.topology.domains.iter().map(|d| d.parent).collect();
    assert_eq!(parents, [None, None, Some(1)]);
}

/// BASE with `extra` appended (top-level tables).
fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

/// BASE with `extra` keys in the web service.
fn svc(extra: &str) -> String {
    BASE.replace("name = \"web\"", &format!("name = \"web\"\n{extra}"))
}

const ZONES: &str = "[[regions]]\nname = \"eu\"\n[[zones]]\nname = \"a\"\nregion = \"eu\"\n[[zones]]\nname = \"b\"\n";

#[test]
fn domain_names_are_unique_and_not_a_kind() {
    let text = with("[[zones]]\nname = \"a\"\n[[racks]]\nname = \"a\"\nzone = \"a\"\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    // BASE has 12 lines, then a blank line; [[zones]] is line 14, its name 15, the rack's 17.
    assert!(
        errs[0].starts_with("web.toml:17:8: racks[0].name: duplicate domain name \"a\" (first defined at zones[0].name, as a zone)"),
        "{}",
        errs[0]
    );
    let text = with("[[regions]]\nname = \"x\"\n[[regions]]\nname = \"x\"\n");
    one_error(
        &text,
        "17:8",
        "regions[1].name",
        "duplicate domain name \"x\" (first defined at regions[0].name, as a region)",
    );
    for word in ["zone", "rack", "region"] {
        let text = with(&format!("[[zones]]\nname = \"{word}\"\n"));
        one_error(
            &text,
            "15:8",
            "zones[0].name",
            &format!("\"{word}\" cannot name a domain: outages use scope = \"{word}\""),
        );
    }
    let text = with("[[zones]]\nname = \"\"\n");
    one_error(
        &text,
        "15:8",
        "zones[0].name",
        "a zone name must not be empty",
    );
    let text = with("[[regions]]\n");
    one_error(
        &text,
        "14:1",
        "regions[0].name",
        "missing key \"name\": every region needs a name",
    );
}

#[test]
fn domain_references_resolve() {
    let text = with(&format!(
        "{ZONES}[[zones]]\nname = \"c\"\nregion = \"us\"\n"
    ));
    one_error(
        &text,
        &at(&text, "\"us\"", 0),
        "zones[2].region",
        "unknown region \"us\"; the regions are: eu",
    );
    let text = with("[[zones]]\nname = \"a\"\nregion = \"eu\"\n");
    one_error(
        &text,
        &at(&text, "\"eu\"", 0),
        "zones[0].region",
        "unknown region \"eu\"; the scenario defines no [[regions]]",
    );
    let text = with(&format!("{ZONES}[[zones]]\nname = \"c\"\nregion = \"a\"\n"));
    one_error(
        &text,
        &at(&text, "region = \"a\"", 9),
        "zones[2].region",
        "\"a\" is a zone, not a region; the regions are: eu",
    );
    let text = with(&format!("{ZONES}[[racks]]\nname = \"r\"\nzone = \"c\"\n"));
    one_error(
        &text,
        &at(&text, "\"c\"", 0),
        "racks[0].zone",
        "unknown zone \"c\"; the zones are: a, b",
    );
    let text = with(&format!("{ZONES}[[racks]]\nname = \"r\"\n"));
    one_error(
        &text,
        &at(&text, "[[racks]]", 0),
        "racks[0].zone",
        "missing key \"zone\": every rack is in a zone; the zones are: a, b",
    );
    // A malformed domain name is reported once, not again at each reference to it.
    let text = with("[[zones]]\nname = 5\n[[racks]]\nname = \"r\"\nzone = \"a\"\n");
    one_error(
        &text,
        &at(&text, "5\n", 0),
        "zones[0].name",
        "invalid type: integer 5, expected a string",
    );
}

#[test]
fn service_zones_resolve() {
    let text = format!("{}\n{ZONES}", svc("zones = [\"a\", \"c\"]"));
    one_error(
        &text,
        &at(&text, "\"c\"", 0),
        "services[0].zones[1]",
        "unknown zone \"c\"; the zones are: a, b",
    );
    let text = svc("zones = [\"a\"]");
    one_error(
        &text,
        &at(&text, "\"a\"", 0),
        "services[0].zones[0]",
        "unknown zone \"a\"; the scenario defines no [[zones]]",
    );
    let text = format!("{}\n{ZONES}", svc("zones = [\"a\", \"b\", \"a\"]"));
    one_error(
        &text,
        &at(&text, "\"a\"]", 0),
        "services[0].zones[2]",
        "zone \"a\" is listed twice (first at zones[0])",
    );
    let text = format!("{}\n{ZONES}", svc("zones = [\"eu\"]"));
    one_error(
        &text,
        &at(&text, "\"eu\"]", 0),
        "services[0].zones[0]",
        "\"eu\" is a region, not a zone; the zones are: a, b",
    );
    let s = ok(&format!(
        "{}\n{ZONES}",
        svc("nodes = 3\nzones = [\"b\", \"a\"]")
    ));
    // Region eu is 0, zones a and b are 1 and 2.
    assert_eq!(s.services[0].zones, vec![2, 1]);
}

const OUTAGE_DISTS: &str = "ttf = { dist = \"exponential\", mean = \"1y\" }\nttr = { dist = \"constant\", value = \"1h\" }\n";

#[test]
fn outage_scopes_resolve() {
    for word in ["zone", "rack", "region"] {
        let text = with(&format!("[[outages]]\nscope = \"{word}\"\n{OUTAGE_DISTS}"));
        one_error(
            &text,
            &at(&text, &format!("\"{word}\""), 0),
            "outages[0].scope",
            &format!(
                "scope = \"{word}\" strikes every {word}, but the scenario defines no [[{word}s]]"
            ),
        );
    }
    let text = with(&format!(
        "{ZONES}[[outages]]\nscope = \"c\"\n{OUTAGE_DISTS}"
    ));
    one_error(
        &text,
        &at(&text, "\"c\"", 0),
        "outages[0].scope",
        "scope \"c\" is neither \"zone\", \"rack\", \"region\" nor the name of a domain; the domains are: eu, a, b",
    );
    let text = with(&format!("{ZONES}[[outages]]\n{OUTAGE_DISTS}"));
    one_error(
        &text,
        &at(&text, "[[outages]]", 0),
        "outages[0].scope",
        "missing key \"scope\"",
    );
    let text = with(&format!(
        "{ZONES}[[outages]]\nscope = \"eu\"\nttr = {{ dist = \"constant\", value = \"1h\" }}\n"
    ));
    one_error(
        &text,
        &at(&text, "[[outages]]", 0),
        "outages[0].ttf",
        "missing key \"ttf\": the time between outages",
    );
    let text = with(&format!(
        "{ZONES}[[outages]]\nscope = \"a\"\nttf = {{ dist = \"exponential\", mean = \"1y\" }}\nttr = {{ dist = \"lognormal\", mean = \"1h\" }}\n"
    ));
    one_error(
        &text,
        &at(&text, "{ dist = \"lognormal\"", 0),
        "outages[0].ttr.cv",
        "lognormal needs cv",
    );
    let text = with(&format!(
        "{ZONES}[[outages]]\nscope = \"b\"\neffect = \"flood\"\n{OUTAGE_DISTS}"
    ));
    one_error(
        &text,
        &at(&text, "\"flood\"", 0),
        "outages[0].effect",
        "unknown variant \"flood\", expected down or network",
    );
    let s = ok(&with(&format!(
        "{ZONES}[[outages]]\nscope = \"eu\"\n{OUTAGE_DISTS}"
    )));
    assert_eq!(s.outages[0].name, "eu outage");
    assert_eq!(s.outages[0].scope, OutageScope::Domain(0));
}

/// A failure mode table with `fields` before its distributions.
fn failure(fields: &str) -> String {
    svc(&format!(
        "failures = [{{ {fields}ttf = {{ dist = \"exponential\", mean = \"100h\" }}, ttr = {{ dist = \"constant\", value = \"1h\" }} }}]"
    ))
}

#[test]
fn failure_modes_are_checked() {
    let text = failure("name = \"gc\", effect = \"slow\", ");
    one_error(
        &text,
        &at(&text, "{ name", 0),
        "services[0].failures[0].factor",
        "effect = \"slow\" needs factor",
    );
    for bad in ["0.5", "inf", "nan"] {
        let text = failure(&format!(
            "name = \"gc\", effect = \"slow\", factor = {bad}, "
        ));
        one_error(
            &text,
            &at(&text, &format!("{bad},"), 0),
            "services[0].failures[0].factor",
            "factor must be a finite number >= 1",
        );
    }
    for effect in ["crash", "restart"] {
        let text = failure(&format!(
            "name = \"x\", effect = \"{effect}\", factor = 2, "
        ));
        one_error(
            &text,
            &at(&text, "factor", 0),
            "services[0].failures[0].factor",
            "factor is only allowed with effect = \"slow\"",
        );
    }
    let text = failure("effect = \"crash\", ");
    one_error(
        &text,
        &at(&text, "{ effect", 0),
        "services[0].failures[0].name",
        "missing key \"name\"",
    );
    let text = failure("name = \"host\", ");
    one_error(
        &text,
        &at(&text, "{ name", 0),
        "services[0].failures[0].effect",
        "missing key \"effect\"; expected one of crash, slow, restart",
    );
    let text = failure("name = \"host\", effect = \"explode\", ");
    one_error(
        &text,
        &at(&text, "\"explode\"", 0),
        "services[0].failures[0].effect",
        "unknown variant \"explode\", expected one of crash, slow, restart",
    );
    let text = svc(
        "failures = [\n  { name = \"host\", effect = \"crash\", ttf = { dist = \"exponential\", mean = \"9h\" }, ttr = { dist = \"constant\", value = 1 } },\n  { name = \"host\", effect = \"restart\", ttf = { dist = \"exponential\", mean = \"9h\" }, ttr = { dist = \"constant\", value = 1 } },\n]",
    );
    // BASE's name = "web" is line 11, "failures = [" 12, the first entry 13, the second 14;
    // its name starts after "  { name = ".
    one_error(
        &text,
        "14:12",
        "services[0].failures[1].name",
        "duplicate failure mode name \"host\" (first at failures[0])",
    );
    let text = svc(
        "failures = [{ name = \"host\", effect = \"crash\", ttr = { dist = \"constant\", value = 1 } }]",
    );
    one_error(
        &text,
        &at(&text, "{ name", 0),
        "services[0].failures[0].ttf",
        "missing key \"ttf\": the time to failure",
    );
    let text = svc(
        "failures = [{ name = \"host\", effect = \"crash\", ttf = { dist = \"exponential\", mean = 0 }, ttr = { dist = \"constant\", value = 1 } }]",
    );
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "services[0].failures[0].ttf.mean",
        "exponential: mean",
    );
}

#[test]
fn health_checks_are_checked() {
    let text = svc("health_check = { timeout = \"1s\" }");
    one_error(
        &text,
        &at(&text, "{ timeout", 0),
        "services[0].health_check.interval",
        "missing key \"interval\"",
    );
    let text = svc("health_check = { interval = 0 }");
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "services[0].health_check.interval",
        "interval must be longer than 0",
    );
    let text = svc("health_check = { interval = \"5s\", timeout = \"0s\" }");
    one_error(
        &text,
        &at(&text, "\"0s\"", 0),
        "services[0].health_check.timeout",
        "timeout must be longer than 0",
    );
    for key in ["unhealthy_threshold", "healthy_threshold"] {
        let text = svc(&format!(
            "health_check = {{ interval = \"5s\", {key} = 0 }}"
        ));
        one_error(
            &text,
            &at(&text, "0 }", 0),
            &format!("services[0].health_check.{key}"),
            &format!("{key} must be at least 1"),
        );
    }
    let text = svc("health_check = { interval = \"5s\", unhealthy_threshold = 1.5 }");
    one_error(
        &text,
        &at(&text, "1.5", 0),
        "services[0].health_check.unhealthy_threshold",
        "expected a whole number",
    );
}

#[test]
fn redundancy_keys_belong_to_their_mode() {
    let text = svc("nodes = 2\nredundancy = { min_healthy = 3 }");
    one_error(
        &text,
        &at(&text, "3 }", 0),
        "services[0].redundancy.min_healthy",
        "min_healthy (3) must not exceed nodes (2)",
    );
    let text = svc("redundancy = { mode = \"active_active\", min_healthy = 0 }");
    one_error(
        &text,
        &at(&text, "0 }", 0),
        "services[0].redundancy.min_healthy",
        "min_healthy must be at least 1",
    );
    let text = svc("redundancy = { mode = \"quorum\", failover = \"1s\" }");
    one_error(
        &text,
        &at(&text, "failover", 0),
        "services[0].redundancy.failover",
        "failover is not allowed with mode = \"quorum\"",
    );
    let text = svc("redundancy = { mode = \"quorum\", min_healthy = 1 }");
    one_error(
        &text,
        &at(&text, "min_healthy", 0),
        "services[0].redundancy.min_healthy",
        "min_healthy is not allowed with mode = \"quorum\"",
    );
    let text = svc("redundancy = { failover = \"1s\" }");
    one_error(
        &text,
        &at(&text, "failover", 0),
        "services[0].redundancy.failover",
        "failover is not allowed with mode = \"active_active\"",
    );
    let text = svc(
        "nodes = 2\nredundancy = { mode = \"active_standby\", failover = \"1s\", min_healthy = 1 }",
    );
    one_error(
        &text,
        &at(&text, "min_healthy", 0),
        "services[0].redundancy.min_healthy",
        "min_healthy is not allowed with mode = \"active_standby\"",
    );
    let text = svc("redundancy = { mode = \"active_standby\" }");
    one_error(
        &text,
        &at(&text, "{ mode", 0),
        "services[0].redundancy.failover",
        "mode = \"active_standby\" needs failover",
    );
    let text = svc("redundancy = { mode = \"hot\" }");
    one_error(
        &text,
        &at(&text, "\"hot\"", 0),
        "services[0].redundancy.mode",
        "unknown variant \"hot\", expected one of active_active, active_standby, quorum",
    );
    let text = svc("redundancy = { mode = \"hot\", failover = \"1s\" }");
    one_error(
        &text,
        &at(&text, "\"hot\"", 0),
        "services[0].redundancy.mode",
        "unknown variant \"hot\"",
    );
    // A malformed node count is reported once, without a second message about min_healthy.
    let text = svc("nodes = \"two\"\nredundancy = { min_healthy = 2 }");
    one_error(
        &text,
        &at(&text, "\"two\"", 0),
        "services[0].nodes",
        "expected a whole number",
    );
}

#[test]
fn repair_and_slo_ranges_are_checked() {
    let text = with("[repair]\ncrews = 0\n");
    one_error(
        &text,
        &at(&text, "crews = 0", 8),
        "repair.crews",
        "crews must be at least 1",
    );
    for bad in ["0", "1.5", "-0.1", "nan"] {
        let text = with(&format!("[slo]\navailability = {bad}\n"));
        one_error(
            &text,
            &at(&text, &format!("= {bad}"), 2),
            "slo.availability",
            "availability must be in (0, 1]",
        );
    }
    for bad in ["1.5", "-0.1", "nan"] {
        let text = with(&format!("[slo]\nerror_ratio = {bad}\n"));
        one_error(
            &text,
            &at(&text, &format!("= {bad}"), 2),
            "slo.error_ratio",
            "error_ratio must be in [0, 1]",
        );
    }
    let text = with("[slo]\nlatency_p99 = 0\n");
    one_error(
        &text,
        &at(&text, "latency_p99 = 0", 14),
        "slo.latency_p99",
        "latency_p99 must be longer than 0",
    );
    let text = with("[slo]\navailability = 0.99\nwindow = \"0s\"\n");
    one_error(
        &text,
        &at(&text, "\"0s\"", 0),
        "slo.window",
        "window must be longer than 0",
    );
    let text = with("[slo]\navailability = 0.99\nwindow = \"2h\"\n");
    one_error(
        &text,
        &at(&text, "\"2h\"", 0),
        "slo.window",
        "window (2h) must not be longer than run.horizon (1h)",
    );
    let text = with("[slo]\nwindow = \"1m\"\n");
    one_error(
        &text,
        &at(&text, "[slo]", 0),
        "slo",
        "[slo] needs at least one target: availability, latency_p99 or error_ratio",
    );
    let text = with("[slo]\navailability = 0.99\n").replace("\"1h\"", "\"1m\"");
    one_error(
        &text,
        &at(&text, "[slo]", 0),
        "slo",
        "the default SLO window (5m) is longer than run.horizon (1m); set window",
    );
}

#[test]
fn unknown_keys_in_availability_tables_are_errors() {
    let cases = [
        (
            failure("name = \"x\", effect = \"crash\", colour = 1, "),
            "services[0].failures[0].colour",
        ),
        (
            svc("health_check = { interval = \"5s\", colour = 1 }"),
            "services[0].health_check.colour",
        ),
        (
            svc("redundancy = { mode = \"quorum\", colour = 1 }"),
            "services[0].redundancy.colour",
        ),
        (
            with(&format!(
                "{ZONES}[[outages]]\nscope = \"a\"\ncolour = 1\n{OUTAGE_DISTS}"
            )),
            "outages[0].colour",
        ),
        (
            with(&format!(
                "{ZONES}[[outages]]\nscope = \"a\"\nttf = {{ dist = \"exponential\", mean = \"1y\", colour = 1 }}\nttr = {{ dist = \"constant\", value = 1 }}\n"
            )),
            "outages[0].ttf.colour",
        ),
        (
            with("[slo]\navailability = 0.9\ncolour = 1\n"),
            "slo.colour",
        ),
        (with("[repair]\ncolour = 1\n"), "repair.colour"),
        (
            with("[[regions]]\nname = \"r\"\ncolour = 1\n"),
            "regions[0].colour",
        ),
        (
            with("[[zones]]\nname = \"z\"\ncolour = 1\n"),
            "zones[0].colour",
        ),
        (
            with(
                "[[zones]]\nname = \"z\"\n[[racks]]\nname = \"r\"\nzone = \"z\"\ncross_zone_latency = \"1ms\"\n",
            ),
            "racks[0].cross_zone_latency",
        ),
    ];
    unknown_keys(&cases);
}

#[test]
fn schema_covers_the_availability_keys() {
    let schema = json_schema();
    for key in ["regions", "zones", "racks", "outages", "repair", "slo"] {
        assert!(schema["properties"].get(key).is_some(), "{key}");
    }
    let service = &schema["$defs"]["ServiceRaw"]["properties"];
    for key in ["zones", "failures", "health_check", "redundancy"] {
        assert!(service.get(key).is_some(), "services.{key}");
    }
    // Redundancy: one closed alternative per mode; failover only with active_standby.
    let modes = schema["$defs"]["Redundancy"]["oneOf"].as_array().unwrap();
    assert_eq!(modes.len(), 3);
    assert_eq!(
        modes[1]["required"],
        serde_json::json!(["mode", "failover"])
    );
    assert!(modes[2]["properties"].get("failover").is_none());
    // Failure: factor only with slow; distributions are the shared definition.
    let failure = &schema["$defs"]["Failure"]["oneOf"];
    assert!(failure[0]["properties"].get("factor").is_none());
    assert_eq!(failure[1]["properties"]["effect"]["const"], "slow");
    assert_eq!(
        failure[1]["properties"]["ttf"]["$ref"],
        "#/$defs/Distribution"
    );
    // Outages' distributions are the same alternatives (schemars inlines them next to a
    // description).
    let dist = &schema["$defs"]["Distribution"]["oneOf"];
    assert!(dist.as_array().is_some_and(|a| a.len() > 1));
    for key in ["ttf", "ttr"] {
        assert_eq!(
            &schema["$defs"]["OutageRaw"]["properties"][key]["oneOf"],
            dist
        );
    }
    assert!(!schema.to_string().contains("null"));
}

#[test]
fn the_documented_availability_example_is_valid() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md")).unwrap();
    let section = &doc[doc
        .find("## Availability")
        .expect("an availability section")..];
    let start = section.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let s = ok(&section[start..end]);
    // Region 0, zones a and b (1, 2), racks a1 and b1 (3, 4).
    assert_eq!(s.topology.domains.len(), 5);
    assert_eq!(s.services[0].zones, vec![1, 2]);
    assert_eq!(s.services[0].failures.len(), 3);
    assert_eq!(s.outages[1].scope, OutageScope::Domain(3));
    assert_eq!(s.repair.crews, Some(2));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn mutated_availability_files_never_panic(
        edits in prop::collection::vec((0usize..100, 0usize..100, 0u8..4, "[a-z0-9\"=\\[\\]{},. -]{0,12}"), 1..6)
    ) {
        let text = crate::scenario_errors::mutate(FULL, edits);
        if let Err(e) = parse(&text, Path::new("fuzz.toml")) {
            prop_assert!(!e.is_empty());
            for d in &e {
                prop_assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}
