//! The one closed set of events a trial processes, matched in one place
//! (`trial::Trial::handle`).

/// Something that happens at a point in simulated time. Request events carry the
/// request's visit generation so that events of a visit that already ended (a timed-out
/// request, a reused slab slot) are recognised as stale.
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
    },
    /// The visit `visit` of request `req` reaches its service's timeout.
    Timeout { req: u32, visit: u32 },
    /// Time to append a row to the time series.
    Sample,
}
