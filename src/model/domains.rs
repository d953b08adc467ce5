//! Failure domains compiled for simulation: where each node sits (zone, rack), which nodes
//! each domain holds (nested domains included), and the outage processes.
//!
//! Placement rule: node i of a service goes to `zones[i % zones.len()]`; the j-th node placed
//! in zone z goes to rack `racks_of(z)[j % racks_of(z).len()]`. Nodes spread evenly, and two
//! services over the same zones line up zone by zone.

use super::{CauseId, OutageModel, push_cause};
use crate::scenario::{DomainKind, OutageScope, Scenario, ServiceSpec};
use crate::time::SimTime;

/// Node placement and domain membership.
pub struct Placement {
    /// Per service, per node: its zone's domain id (`u32::MAX` without zones).
    pub node_zone: Vec<Vec<u32>>,
    /// Per domain: every (service, node) inside it.
    pub domain_nodes: Vec<Vec<(u32, u32)>>,
    /// Per domain: a zone's cross-zone latency (zero for regions and racks).
    pub zone_latency: Vec<SimTime>,
}

impl Placement {
    /// Places every node of `scenario`.
    pub fn new(scenario: &Scenario) -> Placement {
        let domains = &scenario.topology.domains;
        let mut domain_nodes = vec![Vec::new(); domains.len()];
        let mut node_zone = Vec::with_capacity(scenario.services.len());
        for (s, spec) in scenario.services.iter().enumerate() {
            let innermost = scenario
                .topology
                .innermost_domains(&spec.zones, slots(spec));
            let mut zones_of_nodes = Vec::with_capacity(innermost.len());
            for (i, place) in innermost.into_iter().enumerate() {
                let Some(innermost) = place else {
                    zones_of_nodes.push(u32::MAX);
                    continue;
                };
                zones_of_nodes.push(spec.zones[i % spec.zones.len()] as u32);
                // The node belongs to its innermost domain and every domain enclosing it.
                let mut d = Some(innermost);
                while let Some(id) = d {
                    domain_nodes[id].push((s as u32, i as u32));
                    d = domains[id].parent;
                }
            }
            node_zone.push(zones_of_nodes);
        }
        let zone_latency = domains
            .iter()
            .map(|d| {
                if d.kind == DomainKind::Zone {
                    d.cross_zone_latency
                } else {
                    SimTime::ZERO
                }
            })
            .collect();
        Placement {
            node_zone,
            domain_nodes,
            zone_latency,
        }
    }
}

impl Placement {
    /// Per service, per initial node: the id of the rack holding it (`u32::MAX` outside
    /// any rack).
    pub fn node_racks(&self, scenario: &Scenario) -> Vec<Vec<u32>> {
        let mut racks: Vec<Vec<u32>> = scenario
            .services
            .iter()
            .map(|spec| vec![u32::MAX; spec.nodes as usize])
            .collect();
        for (d, members) in self.domain_nodes.iter().enumerate() {
            if scenario.topology.domains[d].kind != DomainKind::Rack {
                continue;
            }
            for &(s, i) in members {
                if let Some(slot) = racks[s as usize].get_mut(i as usize) {
                    *slot = d as u32;
                }
            }
        }
        racks
    }
}

/// Node slots of a service: its nodes, or twice an autoscaler's maximum (room to grow to
/// `max` while as many drain). Every slot has its place, so a launched node lands in the
/// zone and rack of its slot.
pub fn slots(spec: &ServiceSpec) -> usize {
    let nodes = spec.nodes as usize;
    spec.autoscaling
        .as_ref()
        .map_or(nodes, |a| nodes.max(2 * a.max as usize))
}

/// The outage processes: one clock per struck domain, each with its cause label.
pub fn compile_outages(scenario: &Scenario, causes: &mut Vec<String>) -> Vec<OutageModel> {
    let domains = &scenario.topology.domains;
    scenario
        .outages
        .iter()
        .map(|o| {
            if let OutageScope::Random { fraction } = o.scope {
                return OutageModel {
                    effect: o.effect,
                    ttf: o.ttf.sampler(),
                    ttr: o.ttr.sampler(),
                    domains: vec![(usize::MAX, push_cause(causes, o.name.clone()))],
                    random_fraction: Some(fraction),
                    loses_data: o.loses_data,
                };
            }
            let struck: Vec<usize> = match &o.scope {
                OutageScope::EachOf(kind) => (0..domains.len())
                    .filter(|&d| domains[d].kind == *kind)
                    .collect(),
                OutageScope::Domain(d) => vec![*d],
                OutageScope::Random { .. } => Vec::new(),
            };
            let domains_with_causes: Vec<(usize, CauseId)> = struck
                .into_iter()
                .map(|d| {
                    (
                        d,
                        push_cause(causes, format!("{} ({})", o.name, domains[d].name)),
                    )
                })
                .collect();
            OutageModel {
                effect: o.effect,
                ttf: o.ttf.sampler(),
                ttr: o.ttr.sampler(),
                domains: domains_with_causes,
                random_fraction: None,
                loses_data: o.loses_data,
            }
        })
        .collect()
}
