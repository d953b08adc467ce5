//! The one closed set of events a trial processes, matched in one place
//! (`trial::Trial::handle`).

/// Something that happens at a point in simulated time. Request events carry the
/// request's visit number so that events of a visit that already ended (a timed-out
/// request, a reused slab slot) are recognised as stale; `ServiceDone` also carries the
/// node's epoch, which changes when the node goes down and frees its slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next request arrives at the entry service.
    Arrival,
    /// A slot of `node` in `service` finishes the request it was serving.
    ServiceDone {
        service: u32,
        node: u32,
        req: u32,
        visit: u32,
        epoch: u32,
    },
    /// The visit `visit` of request `req` reaches its service's timeout.
    Timeout { req: u32, visit: u32 },
    /// Time to append a row to the time series.
    Sample,
    /// The warmup ends: the time-weighted integrals start counting.
    WarmupEnd,
    /// Failure mode `mode` strikes a node (`life`: the node slot's generation, stale once
    /// the node is terminated).
    NodeFail {
        service: u32,
        node: u32,
        mode: u32,
        life: u32,
    },
    /// A node recovers from failure mode `mode`.
    NodeRecover {
        service: u32,
        node: u32,
        mode: u32,
        life: u32,
    },
    /// Outage `outage` strikes the `k`-th of its domains.
    OutageStart { outage: u32, k: u32 },
    /// That outage ends.
    OutageEnd { outage: u32, k: u32 },
    /// The health check's verdict on a node flips (unless `generation` is stale).
    HealthChange {
        service: u32,
        node: u32,
        generation: u32,
    },
    /// An active-standby failover completes (unless `generation` is stale).
    FailoverDone { service: u32, generation: u32 },
    /// An SLO window closes.
    SloWindowEnd,
    /// A service's autoscaler evaluates its policy.
    ScaleTick { service: u32 },
    /// A scheduled scaling action of a service applies.
    ScheduledAction { service: u32, action: u32 },
    /// A launched node finishes booting.
    BootDone { service: u32, node: u32, life: u32 },
    /// A draining node's deregistration delay ends.
    DrainDone { service: u32, node: u32, life: u32 },
    /// An unhealthy node is due for replacement.
    Replace { service: u32, node: u32, life: u32 },
    /// A node's health-check grace period ends: if it is failing its checks, it is
    /// replaced.
    GraceEnd { service: u32, node: u32, life: u32 },
    /// Capacity fidelity: the workload rate changes.
    RateStep,
    /// A lost node's replicas are re-created (unless `generation` is stale).
    RereplicationDone {
        service: u32,
        node: u32,
        generation: u32,
    },
    /// A storage service's restore from backup completes.
    RestoreDone { service: u32 },
}
