//! Service names: uniqueness, resolution of `entry` and `calls`, and the call graph, which
//! must have no cycle.
//!
//! Invariant: an unknown name is reported only when every service's name could be read, so a
//! malformed name does not also produce a message at each of its callers.

use std::collections::HashMap;

use super::ServiceId;
use super::diagnostic::KeyPath;
use super::raw::ServiceRaw;
use super::spans::Ctx;

/// Service names and where they are defined.
pub(super) struct Names {
    ids: HashMap<String, ServiceId>,
    /// In file order, for "services are: ..." messages.
    list: Vec<String>,
    /// False when some service has no readable name, so an unknown name may be that one.
    complete: bool,
}

impl Names {
    pub(super) fn resolve(
        &self,
        name: &str,
        path: &KeyPath,
        what: &str,
        ctx: &mut Ctx,
    ) -> Option<ServiceId> {
        let id = self.ids.get(name).copied();
        if id.is_none() && self.complete {
            ctx.at(
                path,
                format!(
                    "{what} \"{name}\" names no service; the services are: {}",
                    self.list.join(", ")
                ),
            );
        }
        id
    }
}

pub(super) fn names(services: &[ServiceRaw], p: &KeyPath, ctx: &mut Ctx) -> Names {
    let mut names = Names {
        ids: HashMap::new(),
        list: Vec::new(),
        complete: !services.is_empty() && !ctx.cut_whole(p),
    };
    for (i, s) in services.iter().enumerate() {
        let path = p.index(i).key("name");
        let Some(name) = &s.name else {
            names.complete = false;
            ctx.missing(
                &path,
                "missing key \"name\": every service needs a unique name",
            );
            continue;
        };
        if name.trim().is_empty() {
            ctx.at(&path, "a service name must not be empty");
        }
        if let Some(&first) = names.ids.get(name) {
            let first_path = p.index(first).key("name");
            // Named by key path, not line: with changes applied the text read is the file
            // rewritten, whose lines are not the file's.
            ctx.at(
                &path,
                format!("duplicate service name \"{name}\" (first defined at {first_path})"),
            );
            continue;
        }
        names.ids.insert(name.clone(), i);
        names.list.push(name.clone());
    }
    names
}

/// Reports every cycle in the call graph once, at the call that closes it. `graph[u]` holds
/// (position in `calls`, callee) for each call of service `u` that names another service.
pub(super) fn check_call_graph(
    graph: &[Vec<(usize, ServiceId)>],
    labels: &[String],
    p: &KeyPath,
    ctx: &mut Ctx,
) {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut colour = vec![WHITE; graph.len()];
    for start in 0..graph.len() {
        if colour[start] != WHITE {
            continue;
        }
        colour[start] = GREY;
        // Iterative depth-first search: a long call chain cannot overflow the stack.
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            let Some(&(j, v)) = graph[u].get(*next) else {
                colour[u] = BLACK;
                stack.pop();
                continue;
            };
            *next += 1;
            match colour.get(v) {
                Some(&WHITE) => {
                    colour[v] = GREY;
                    stack.push((v, 0));
                }
                Some(&GREY) => {
                    let from = stack.iter().position(|&(w, _)| w == v).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[from..]
                        .iter()
                        .map(|&(w, _)| labels[w].as_str())
                        .collect();
                    cycle.push(labels[v].as_str());
                    ctx.at(
                        &p.index(u).key("calls").index(j),
                        format!(
                            "call cycle: {}; calls must not form a cycle",
                            cycle.join(" -> ")
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}
