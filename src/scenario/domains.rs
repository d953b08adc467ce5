//! Failure domains: `[[regions]]`, `[[zones]]` and `[[racks]]` -> [`Topology`], and the
//! resolution of domain names used elsewhere (a zone's region, a rack's zone, a service's
//! zones, an outage's scope).
//!
//! Invariant: domain ids are fixed by position alone — regions, then zones, then racks, each
//! in file order — so an entry with a problem never shifts the ids of the others. An unknown
//! name is reported only when every domain's name could be read, so a malformed name does
//! not also produce a message at each of its users.

use std::collections::HashMap;

use super::diagnostic::KeyPath;
use super::raw::{RackRaw, RegionRaw, ZoneRaw};
use super::spans::Ctx;
use super::{Domain, DomainId, DomainKind, OutageScope, Topology};
use crate::time::SimTime;

/// Words an outage `scope` uses for "every domain of this kind"; no domain may be named so.
const KINDS: [(&str, DomainKind); 3] = [
    ("region", DomainKind::Region),
    ("zone", DomainKind::Zone),
    ("rack", DomainKind::Rack),
];

/// The name of a kind in files and messages.
fn kind_name(kind: DomainKind) -> &'static str {
    match kind {
        DomainKind::Region => "region",
        DomainKind::Zone => "zone",
        DomainKind::Rack => "rack",
    }
}

/// The topology read so far and the names in it.
pub(super) struct Domains {
    /// Every domain, at its id; a domain without a readable name has an empty one.
    pub(super) topology: Topology,
    /// Each name and the id of its first definition.
    ids: HashMap<String, DomainId>,
    /// False when some domain's name (or a whole domain array) could not be read.
    complete: bool,
}

impl Domains {
    /// Names of the domains of `kind`, in file order.
    fn names_of(&self, kind: DomainKind) -> Vec<&str> {
        self.topology
            .domains
            .iter()
            .filter(|d| d.kind == kind && !d.name.is_empty())
            .map(|d| d.name.as_str())
            .collect()
    }

    /// "the zones are: a, b" or "the scenario defines no [[zones]]".
    fn listing(&self, kind: DomainKind) -> String {
        let names = self.names_of(kind);
        let kind = kind_name(kind);
        if names.is_empty() {
            format!("the scenario defines no [[{kind}s]]")
        } else {
            format!("the {kind}s are: {}", names.join(", "))
        }
    }

    /// The domain of `kind` called `name`, or a report at `path` of why there is none.
    pub(super) fn resolve(
        &self,
        name: &str,
        kind: DomainKind,
        path: &KeyPath,
        ctx: &mut Ctx,
    ) -> Option<DomainId> {
        let found = self
            .ids
            .get(name)
            .map(|&id| (id, self.topology.domains[id].kind));
        match found {
            Some((id, k)) if k == kind => return Some(id),
            _ if !self.complete => return None,
            Some((_, other)) => ctx.at(
                path,
                format!(
                    "\"{name}\" is a {}, not a {}; {}",
                    kind_name(other),
                    kind_name(kind),
                    self.listing(kind)
                ),
            ),
            None => ctx.at(
                path,
                format!(
                    "unknown {} \"{name}\"; {}",
                    kind_name(kind),
                    self.listing(kind)
                ),
            ),
        }
        None
    }

    /// A service's `zones`: each a known zone, none twice.
    pub(super) fn zones(&self, names: &[String], p: &KeyPath, ctx: &mut Ctx) -> Vec<DomainId> {
        let mut ids = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, name) in names.iter().enumerate() {
            let path = p.index(j);
            if let Some(&first) = seen.get(name.as_str()) {
                ctx.at(
                    &path,
                    format!("zone \"{name}\" is listed twice (first at zones[{first}])"),
                );
                continue;
            }
            seen.insert(name, j);
            if let Some(id) = self.resolve(name, DomainKind::Zone, &path, ctx) {
                ids.push(id);
            }
        }
        ids
    }

    /// An outage's `scope`: a kind ("zone": every zone) or the name of one domain.
    pub(super) fn scope(&self, scope: &str, path: &KeyPath, ctx: &mut Ctx) -> Option<OutageScope> {
        if let Some(&(word, kind)) = KINDS.iter().find(|(w, _)| *w == scope) {
            if self.topology.domains.iter().any(|d| d.kind == kind) {
                return Some(OutageScope::EachOf(kind));
            }
            if self.complete {
                ctx.at(
                    path,
                    format!("scope = \"{word}\" strikes every {word}, but the scenario defines no [[{word}s]]"),
                );
            }
            return None;
        }
        if let Some(&id) = self.ids.get(scope) {
            return Some(OutageScope::Domain(id));
        }
        if self.complete {
            let all: Vec<&str> = self
                .topology
                .domains
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            let domains = if all.is_empty() {
                "the scenario defines no domains".to_string()
            } else {
                format!("the domains are: {}", all.join(", "))
            };
            ctx.at(
                path,
                format!("scope \"{scope}\" is neither \"zone\", \"rack\", \"region\" nor the name of a domain; {domains}"),
            );
        }
        None
    }
}

/// Reads the domains: names unique across all kinds and not a kind's word, zones' regions
/// and racks' zones resolved.
pub(super) fn domains(
    regions: &[RegionRaw],
    zones: &[ZoneRaw],
    racks: &[RackRaw],
    ctx: &mut Ctx,
) -> Domains {
    let root = KeyPath::root();
    let mut complete = ["regions", "zones", "racks"]
        .iter()
        .all(|k| !ctx.cut_whole(&root.key(k)));
    // (path of the entry, kind, name) for every domain, in id order.
    let entries: Vec<(KeyPath, DomainKind, Option<&String>)> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                root.key("regions").index(i),
                DomainKind::Region,
                r.name.as_ref(),
            )
        })
        .chain(zones.iter().enumerate().map(|(i, z)| {
            (
                root.key("zones").index(i),
                DomainKind::Zone,
                z.name.as_ref(),
            )
        }))
        .chain(racks.iter().enumerate().map(|(i, r)| {
            (
                root.key("racks").index(i),
                DomainKind::Rack,
                r.name.as_ref(),
            )
        }))
        .collect();
    let mut ids: HashMap<String, DomainId> = HashMap::new();
    let mut topology = Topology::default();
    for (id, (p, kind, name)) in entries.iter().enumerate() {
        let path = p.key("name");
        let kind_word = kind_name(*kind);
        match name {
            None => {
                complete = false;
                ctx.missing(
                    &path,
                    format!("missing key \"name\": every {kind_word} needs a name, unique among regions, zones and racks"),
                );
            }
            Some(name) if name.trim().is_empty() => {
                complete = false;
                ctx.at(&path, format!("a {kind_word} name must not be empty"));
            }
            Some(name) if KINDS.iter().any(|(w, _)| w == name) => {
                complete = false;
                ctx.at(
                    &path,
                    format!("\"{name}\" cannot name a domain: outages use scope = \"{name}\" for every {name}"),
                );
            }
            Some(name) => {
                if let Some(&first) = ids.get(name.as_str()) {
                    let (first_path, first_kind, _) = &entries[first];
                    // By key path, not line: see `names`.
                    ctx.at(
                        &path,
                        format!(
                            "duplicate domain name \"{name}\" (first defined at {}, as a {}); names must be unique among regions, zones and racks",
                            first_path.key("name"),
                            kind_name(*first_kind)
                        ),
                    );
                } else {
                    ids.insert(name.to_string(), id);
                }
            }
        }
        topology.domains.push(Domain {
            name: name.cloned().unwrap_or_default(),
            kind: *kind,
            parent: None,
            cross_zone_latency: SimTime::ZERO,
        });
    }
    let mut d = Domains {
        topology,
        ids,
        complete,
    };
    let first_zone = regions.len();
    let first_rack = regions.len() + zones.len();
    for (i, z) in zones.iter().enumerate() {
        let p = root.key("zones").index(i);
        let parent = z
            .region
            .as_ref()
            .and_then(|r| d.resolve(r, DomainKind::Region, &p.key("region"), ctx));
        let domain = &mut d.topology.domains[first_zone + i];
        domain.parent = parent;
        domain.cross_zone_latency = z.cross_zone_latency.map_or(SimTime::ZERO, |l| l.0);
    }
    for (i, r) in racks.iter().enumerate() {
        let p = root.key("racks").index(i);
        let parent = match &r.zone {
            Some(z) => d.resolve(z, DomainKind::Zone, &p.key("zone"), ctx),
            None => {
                ctx.missing(
                    &p.key("zone"),
                    format!(
                        "missing key \"zone\": every rack is in a zone; {}",
                        d.listing(DomainKind::Zone)
                    ),
                );
                None
            }
        };
        d.topology.domains[first_rack + i].parent = parent;
    }
    d
}
