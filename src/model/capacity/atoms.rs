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

    /// The distribution of X + W for X ~ self and an independent W that is 0 with
    /// probability 1 − `p` and exponential with mean `mean_s` otherwise (the wait in an
    /// M/M/c queue), read at the standard levels exactly: no atoms stand in for W.
    ///
    /// Between two atoms x_j <= t < x_{j+1} the distribution function is
    /// G(t) = F_j − p·A_j·e^{−(t − x_j)/mean}, with F_j the weight of the atoms up to x_j
    /// and A_j = Σ_{i<=j} w_i e^{−(x_j − x_i)/mean}, so each level's value is a logarithm
    /// (or the atom, where G jumps past the level there). O(atoms + levels).
    pub fn plus_exponential(&self, p: f64, mean_s: f64) -> Atoms {
        debug_assert!((0.0..=1.0).contains(&p) && mean_s > 0.0 && mean_s.is_finite());
        debug_assert!(self.0.windows(2).all(|w| w[0].0 <= w[1].0), "sorted atoms");
        let atoms = &self.0;
        let total: f64 = atoms.iter().map(|a| a.1).sum();
        let mut out = Vec::with_capacity(levels().len());
        let mut levels = levels().iter().peekable();
        let (mut below, mut decayed) = (0.0, 0.0);
        for (j, &(x, w)) in atoms.iter().enumerate() {
            if j > 0 {
                decayed *= (-(x - atoms[j - 1].0) / mean_s).exp();
            }
            below += w;
            decayed += w;
            let at_atom = below - p * decayed;
            let next = atoms.get(j + 1).map(|a| a.0);
            // G just below the next atom (the whole remaining weight past the last one).
            let before_next = match next {
                Some(y) => below - p * decayed * (-(y - x) / mean_s).exp(),
                None => total,
            };
            while let Some(&&(u, weight)) = levels.peek() {
                let u = u * total;
                let value = if u <= at_atom {
                    x
                } else if u < before_next {
                    x + mean_s * (p * decayed / (below - u)).ln()
                } else {
                    break;
                };
                out.push((value, weight));
                levels.next();
            }
        }
        // Levels past every atom's reach (rounding at the very top): the largest value.
        let last = out.last().map_or(0.0, |a| a.0);
        out.extend(levels.map(|&(_, weight)| (last, weight)));
        Atoms(out)
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
    fn a_point_plus_an_exponential_wait_has_its_exact_quantiles() {
        // 0.2 s of service, a 70% chance to wait an exponential 0.5 s on average:
        // P(X <= x) = 1 − 0.7 e^{−(x − 0.2)/0.5} from 0.2 on, so below level 0.3 the value
        // is 0.2, and above it 0.2 + 0.5 ln(0.7 / (1 − u)).
        let a = Atoms::point(0.2).plus_exponential(0.7, 0.5);
        assert_eq!(a.0.len(), levels().len());
        for (&(v, w), &(u, lw)) in a.0.iter().zip(levels()) {
            assert_eq!(w, lw);
            let exact = if u <= 0.3 {
                0.2
            } else {
                0.2 + 0.5 * (0.7 / (1.0 - u)).ln()
            };
            assert!((v - exact).abs() < 1e-12, "level {u}: {v} vs {exact}");
        }
    }

    #[test]
    fn exponential_service_plus_exponential_wait_is_erlang_2() {
        let values: Vec<f64> = levels().iter().map(|&(u, _)| -(1.0 - u).ln()).collect();
        let s = Atoms::from_quantiles(&values).plus_exponential(1.0, 1.0);
        // Erlang(2, 1): mean 2, P(X > x) = (1 + x) e^-x.
        assert!((s.mean() - 2.0).abs() < 0.02, "{}", s.mean());
        for (q, tol) in [(0.5, 0.01), (0.99, 0.005), (0.999, 0.0005)] {
            let x = s.quantile(q);
            assert!(
                ((1.0 + x) * (-x).exp() - (1.0 - q)).abs() < tol,
                "q {q}: {x}"
            );
        }
        // It agrees with the pairwise convolution it replaces, which is coarser.
        let wait: Vec<(f64, f64)> = coarse_levels()
            .iter()
            .map(|&(u, w)| (-(1.0 - u).ln(), w))
            .collect();
        let pairwise = Atoms::from_quantiles(&values).convolve(&Atoms(wait));
        for q in [0.5, 0.9, 0.99] {
            let (a, b) = (s.quantile(q), pairwise.quantile(q));
            assert!((a - b).abs() < 0.02 * b, "q {q}: {a} vs {b}");
        }
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
