//! Data protection keys: a storage service's `data` and `backup` -> [`DataSpec`] and
//! [`BackupSpec`], with the checks that need the rest of the service (its kind, node count,
//! racks, autoscaling).
//!
//! Invariant: like the rest of validation, each function returns `Some` only when its part
//! had no problem, and every problem is reported at the key it is about.

use super::diagnostic::KeyPath;
use super::distribution::build_dist;
use super::raw::{BackupKind, BackupRaw, DataRaw, PlacementKind};
use super::spans::Ctx;
use super::{
    BackupSpec, DataSpec, DomainId, DomainKind, MAX_REPLICAS, PlacementRule, Rereplication,
    RereplicationSpeed, Topology,
};
use crate::time::SimTime;

/// What `data` needs to know about its service.
pub(super) struct Host<'a> {
    /// Whether the service is `kind = "storage"`.
    pub storage: bool,
    /// The node count, when known (not malformed).
    pub nodes: Option<u32>,
    pub autoscaled: bool,
    /// The service's zones and the topology, for rack-aware placement.
    pub zones: &'a [DomainId],
    pub topology: &'a Topology,
}

/// A service's `data` at `p`.
pub(super) fn data(d: &DataRaw, p: &KeyPath, host: &Host, ctx: &mut Ctx) -> Option<DataSpec> {
    let mut ok = true;
    if !host.storage {
        ctx.at_key(
            p,
            "data is only allowed on a storage service; add kind = \"storage\"",
        );
        ok = false;
    }
    if host.autoscaled {
        ctx.at_key(
            p,
            "data cannot be used with autoscaling: replicas are placed on a fixed set of nodes",
        );
        ok = false;
    }
    let size = match d.size {
        Some(s) => Some(s.0),
        None => {
            ctx.missing(
                &p.key("size"),
                "missing key \"size\": the logical data size (one copy), e.g. size = \"40TB\"",
            );
            None
        }
    };
    let chunks = d.chunks.unwrap_or(1);
    if chunks == 0 {
        ctx.at(&p.key("chunks"), "chunks must be at least 1");
        ok = false;
    }
    let replicas = d.replicas.unwrap_or(3);
    if replicas == 0 || replicas > MAX_REPLICAS {
        ctx.at(
            &p.key("replicas"),
            format!("replicas must be in 1..={MAX_REPLICAS}; found {replicas}"),
        );
        ok = false;
    } else if let Some(n) = host.nodes
        && replicas > n
    {
        let place = if d.replicas.is_some() {
            p.key("replicas")
        } else {
            p.clone()
        };
        ctx.at(
            &place,
            format!("replicas ({replicas}) must not exceed nodes ({n}): each replica of a chunk is on a distinct node"),
        );
        ok = false;
    }
    let kind = d.placement.unwrap_or(PlacementKind::Random);
    let placement = match kind {
        PlacementKind::Random => Some(PlacementRule::Random),
        PlacementKind::RackAware => rack_aware(host, replicas, p, ctx),
        PlacementKind::Copyset => copyset(
            d.scatter_width,
            replicas,
            host.nodes,
            &p.key("scatter_width"),
            ctx,
        ),
    };
    if kind != PlacementKind::Copyset && d.scatter_width.is_some() {
        ctx.at_key(
            &p.key("scatter_width"),
            "scatter_width is only allowed with placement = \"copyset\"",
        );
        ok = false;
    }
    let rp = p.key("rereplication");
    let rereplication = match &d.rereplication {
        None if replicas > 1 && !ctx.cut(&rp) => {
            ctx.missing(
                &rp,
                "missing key \"rereplication\": how lost replicas are re-created, e.g. rereplication = { rate = \"100MB/s\", max_streams = 2 }",
            );
            None
        }
        None => Some(None),
        Some(_) if replicas == 1 => {
            ctx.at(
                &rp,
                "rereplication needs replicas >= 2: with one replica there is nothing to copy from; leave rereplication out",
            );
            None
        }
        Some(r) => {
            let mut rok = true;
            if r.max_streams == Some(0) {
                ctx.at(
                    &rp.key("max_streams"),
                    "max_streams must be at least 1; leave it out for no limit",
                );
                rok = false;
            }
            let speed = match (&r.rate, &r.time) {
                (Some(rate), None) => Some(RereplicationSpeed::Rate {
                    rate_bytes_per_s: rate.0,
                }),
                (None, Some(t)) => {
                    build_dist(t, &rp.key("time"), ctx).map(RereplicationSpeed::Time)
                }
                (Some(_), Some(_)) => {
                    ctx.at_key(
                        &rp.key("time"),
                        "give either rate (a bandwidth per node) or time (a distribution of the re-replication time of one lost node), not both",
                    );
                    None
                }
                (None, None) => {
                    if !ctx.cut(&rp.key("rate")) && !ctx.cut(&rp.key("time")) {
                        ctx.at(
                            &rp,
                            "rereplication needs rate (e.g. rate = \"100MB/s\") or time (e.g. time = { dist = \"exponential\", mean = \"1h\" })",
                        );
                    }
                    None
                }
            };
            match speed {
                Some(speed) if rok => Some(Some(Rereplication {
                    speed,
                    max_streams: r.max_streams,
                })),
                _ => None,
            }
        }
    };
    if !ok {
        return None;
    }
    Some(DataSpec {
        size_bytes: size?,
        chunks,
        replicas,
        placement: placement?,
        rereplication: rereplication?,
    })
}

/// Rack-aware placement needs every node in a rack, the nodes in at least two racks, and
/// (for a third replica beside the second) at least two nodes in every rack that holds any.
fn rack_aware(host: &Host, replicas: u32, p: &KeyPath, ctx: &mut Ctx) -> Option<PlacementRule> {
    let nodes = host.nodes?;
    let domains = &host.topology.domains;
    let innermost = host.topology.innermost_domains(host.zones, nodes as usize);
    let place = p.key("placement");
    // A zone without racks would hold nodes outside every rack.
    if let Some(zone) = innermost
        .iter()
        .flatten()
        .find(|&&d| domains[d].kind != DomainKind::Rack)
    {
        ctx.at(
            &place,
            format!("placement = \"rack_aware\" needs every node of the service in a rack, but zone \"{}\" has no racks; add [[racks]] to it", domains[*zone].name),
        );
        return None;
    }
    let mut counts = vec![0u32; domains.len()];
    for d in innermost.into_iter().flatten() {
        counts[d] += 1;
    }
    let counts: Vec<u32> = counts.into_iter().filter(|&c| c > 0).collect();
    if counts.len() < 2 {
        ctx.at(
            &place,
            format!("placement = \"rack_aware\" needs the service's nodes in at least 2 racks; they are in {} (give the service zones with [[racks]])", counts.len()),
        );
        return None;
    }
    if replicas >= 3 && counts.iter().any(|&c| c < 2) {
        ctx.at(
            &place,
            "placement = \"rack_aware\" puts the second and third replicas in one rack, so every rack must hold at least 2 of the service's nodes; add nodes or remove racks",
        );
        return None;
    }
    Some(PlacementRule::RackAware)
}

fn copyset(
    scatter_width: Option<u32>,
    replicas: u32,
    nodes: Option<u32>,
    p: &KeyPath,
    ctx: &mut Ctx,
) -> Option<PlacementRule> {
    if replicas < 2 {
        ctx.at(
            &p.parent().key("placement"),
            "placement = \"copyset\" needs replicas >= 2",
        );
        return None;
    }
    let step = replicas - 1;
    let s = scatter_width.unwrap_or(step);
    if s == 0 || !s.is_multiple_of(step) {
        ctx.at(
            p,
            format!(
                "scatter_width must be a positive multiple of replicas - 1 ({step}); found {s}"
            ),
        );
        return None;
    }
    if let Some(n) = nodes
        && n > 0
        && s > n - 1
    {
        ctx.at(
            p,
            format!("scatter_width ({s}) must be less than nodes ({n})"),
        );
        return None;
    }
    Some(PlacementRule::Copyset { scatter_width: s })
}

/// A service's `backup` at `p`; `has_data` says whether the service has `data`.
pub(super) fn backup(
    b: &BackupRaw,
    p: &KeyPath,
    has_data: bool,
    ctx: &mut Ctx,
) -> Option<BackupSpec> {
    let mut ok = true;
    if !has_data {
        ctx.at_key(
            p,
            "backup needs data on the same service (its size sets the restore time), e.g. data = { size = \"500GB\", replicas = 1 }",
        );
        ok = false;
    }
    let mut interval = |key: &str, v: Option<SimTime>, ctx: &mut Ctx| -> Option<SimTime> {
        match v {
            Some(t) if t == SimTime::ZERO => {
                ctx.at(&p.key(key), format!("{key} must be longer than 0"));
                ok = false;
                None
            }
            other => other,
        }
    };
    let full = interval("full_every", b.full_every.map(|d| d.0), ctx);
    let incremental = interval("incremental_every", b.incremental_every.map(|d| d.0), ctx);
    let logs = interval("log_shipping", b.log_shipping.map(|d| d.0), ctx);
    if b.full_every.is_none() {
        ctx.missing(
            &p.key("full_every"),
            "missing key \"full_every\": the interval of full backups, e.g. full_every = \"24h\"",
        );
    }
    if b.restore_rate.is_none() {
        ctx.missing(
            &p.key("restore_rate"),
            "missing key \"restore_rate\": the restore throughput, e.g. restore_rate = \"500MB/s\"",
        );
    }
    if !ok {
        return None;
    }
    Some(BackupSpec {
        full_every: full?,
        incremental_every: incremental,
        log_shipping: logs,
        restore_rate_bytes_per_s: b.restore_rate?.0,
        restore_fixed: b.restore_fixed.map_or(SimTime::ZERO, |d| d.0),
        logical: b.kind == Some(BackupKind::Logical),
    })
}
