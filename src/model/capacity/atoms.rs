//! Discrete stand-ins for latency distributions: 512 weighted atoms at fixed probability
//! levels, denser in the tail (256 levels below 0.9, 128 in [0.9, 0.99), 64 in
//! [0.99, 0.999), 64 in [0.999, 1)), so p999 is resolved about as well as p50. The sum of
//! two independent latencies takes every pair of their atoms and is re-read at the same
//! levels.

use std::sync::OnceLock;

/// (probability lower bound, upper bound, levels) of each stratum.
const STRATA: [(f64, f64, usize); 4] = [
    (0.0, 0.9, 256),
    (0.9, 0.99, 128),
    (0.99, 0.999, 64),
    (0.999, 1.0, 64),
];

/// The probability levels (stratum midpoints) and each one's weight (its stratum's width
/// over its count); the weights sum to 1.
pub fn levels() -> &'static [(f64, f64)] {
    static LEVELS: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    LEVELS.get_or_init(|| stratified(1))
}

/// A quarter as many levels in the same strata: for a convolution's second operand,
/// which keeps the product small.
pub fn coarse_levels() -> &'static [(f64, f64)] {
    static LEVELS: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    LEVELS.get_or_init(|| stratified(4))
}

fn stratified(coarsen: usize) -> Vec<(f64, f64)> {
    STRATA
        .iter()
        .flat_map(|&(lo, hi, n)| {
            let n = n / coarsen;
            let w = (hi - lo) / n as f64;
            (0..n).map(move |k| (lo + (k as f64 + 0.5) * w, w))
        })
        .collect()
}

/// A distribution as sorted (value in seconds, probability) atoms.
#[derive(Clone, Debug, PartialEq)]
pub struct Atoms(pub Vec<(f64, f64)>);

impl Atoms {
    /// The atoms of the distribution whose quantile function gives `values` at
    /// [`levels`] (in level order).
    /// Equal values share one atom (a wait that is zero with probability 0.9 is one atom,
    /// which keeps convolutions small).
    pub fn from_quantiles(values: &[f64]) -> Atoms {
        let mut atoms: Vec<(f64, f64)> = Vec::with_capacity(values.len());
        for (&v, &(_, w)) in values.iter().zip(levels()) {
            match atoms.last_mut() {
                Some(last) if last.0 == v => last.1 += w,
                _ => atoms.push((v, w)),
            }
        }
        Atoms(atoms)
    }

    /// A point mass at `value_s`.
    pub fn point(value_s: f64) -> Atoms {
        Atoms(vec![(value_s, 1.0)])
    }

    /// The distribution of X + Y for independent X ~ self and Y ~ other, re-read at the
    /// standard levels.
    pub fn convolve(&self, other: &Atoms) -> Atoms {
        let mut sum: Vec<(f64, f64)> = Vec::with_capacity(self.0.len() * other.0.len());
        for &(x, p) in &self.0 {
            sum.extend(other.0.iter().map(|&(y, q)| (x + y, p * q)));
        }
        Atoms::compress(sum)
    }

    /// Re-read at the coarse levels: a convolution's second operand.
    pub fn coarse(&self) -> Atoms {
        Atoms::read_at(self.0.clone(), coarse_levels())
    }

    /// Re-reads a weighted sample at the standard levels: each level's value is the lower
    /// quantile of the sample there.
    fn compress(sample: Vec<(f64, f64)>) -> Atoms {
        Atoms::read_at(sample, levels())
    }

    /// Re-reads a weighted sample at the probability levels `at`.
    fn read_at(mut sample: Vec<(f64, f64)>, at: &[(f64, f64)]) -> Atoms {
        // Values are finite and >= 0, so their bit patterns sort as the values do.
        debug_assert!(sample.iter().all(|a| a.0 >= 0.0));
        sample.sort_unstable_by_key(|a| a.0.to_bits());
        let total: f64 = sample.iter().map(|a| a.1).sum();
        let mut out = Vec::with_capacity(at.len());
        let (mut i, mut cum) = (0, 0.0);
        for &(u, w) in at {
            while i + 1 < sample.len() && cum + sample[i].1 < u * total {
                cum += sample[i].1;
                i += 1;
            }
            out.push((sample[i].0, w));
        }
        Atoms(out)
    }

    /// Conditions on X <= `x` (renormalises the atoms at or below it).
    pub fn truncate(&mut self, x: f64) {
        self.0.retain(|a| a.0 <= x);
        let total: f64 = self.0.iter().map(|a| a.1).sum();
        if total > 0.0 {
            self.0.iter_mut().for_each(|a| a.1 /= total);
        } else {
            self.0 = vec![(x, 1.0)];
        }
    }

    /// Every value multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Atoms {
        Atoms(self.0.iter().map(|&(v, p)| (v * factor, p)).collect())
    }

    /// The mixture taking `other` with probability `share`, self otherwise, re-read at the
    /// standard levels.
    pub fn mix(&self, other: &Atoms, share: f64) -> Atoms {
        if share <= 0.0 {
            return self.clone();
        }
        if share >= 1.0 {
            return other.clone();
        }
        let both = self
            .0
            .iter()
            .map(|&(v, p)| (v, p * (1.0 - share)))
            .chain(other.0.iter().map(|&(v, p)| (v, p * share)))
            .collect();
        Atoms::compress(both)
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.0.iter().map(|&(v, p)| v * p).sum()
    }

    /// P(X > x).
    pub fn tail(&self, x: f64) -> f64 {
        self.0.iter().filter(|a| a.0 > x).map(|a| a.1).sum()
    }

    /// The q-quantile, interpolated linearly between atoms placed at the middle of the
    /// probability they carry.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut cum = 0.0;
        let mut prev: Option<(f64, f64)> = None;
        for &(v, p) in &self.0 {
            let mid = cum + p / 2.0;
            if mid >= q {
                return match prev {
                    Some((pv, pm)) if mid > pm => pv + (v - pv) * (q - pm) / (mid - pm),
                    _ => v,
                };
            }
            prev = Some((v, mid));
            cum += p;
        }
        self.0.last().map_or(0.0, |a| a.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_cover_the_unit_interval() {
        let total: f64 = levels().iter().map(|l| l.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!(levels().windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn exponential_atoms_keep_mean_and_tail() {
        let values: Vec<f64> = levels().iter().map(|&(u, _)| -(1.0 - u).ln()).collect();
        let a = Atoms::from_quantiles(&values);
        assert!((a.mean() - 1.0).abs() < 0.02, "{}", a.mean());
        assert!((a.quantile(0.99) - 100f64.ln()).abs() < 0.01);
        assert!((a.quantile(0.999) - 1000f64.ln()).abs() < 0.01);
    }

    #[test]
    fn convolution_of_exponentials_is_erlang_2() {
        let values: Vec<f64> = levels().iter().map(|&(u, _)| -(1.0 - u).ln()).collect();
        let a = Atoms::from_quantiles(&values);
        let s = a.convolve(&a);
        // Erlang(2, 1): mean 2, P(X > x) = (1 + x) e^-x.
        assert!((s.mean() - 2.0).abs() < 0.05, "{}", s.mean());
        let p99 = s.quantile(0.99);
        assert!(((1.0 + p99) * (-p99).exp() - 0.01).abs() < 0.001, "{p99}");
    }
}
