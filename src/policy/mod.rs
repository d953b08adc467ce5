//! Policies chosen at load time, one small file each, behind small traits.

pub mod balancer;
