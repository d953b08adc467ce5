//! Test support: the stationary distribution of a small finite CTMC by dense Gaussian
//! elimination. It knows nothing of the models it checks, so agreeing with it is an
//! independent confirmation of a closed form.

/// A generator matrix under construction: `rates[i][j]` is the rate from `i` to `j`.
pub(crate) struct Ctmc {
    rates: Vec<Vec<f64>>,
}

impl Ctmc {
    pub(crate) fn new(states: usize) -> Ctmc {
        Ctmc {
            rates: vec![vec![0.0; states]; states],
        }
    }

    /// Adds rate `rate` from `from` to `to` (self-loops are ignored).
    pub(crate) fn add(&mut self, from: usize, to: usize, rate: f64) {
        if from != to {
            self.rates[from][to] += rate;
        }
    }

    /// Solves `π Q = 0`, `Σ π = 1` (the chain must be irreducible): the transposed balance
    /// equations with the last one replaced by normalisation, by Gaussian elimination with
    /// partial pivoting.
    pub(crate) fn stationary(&self) -> Vec<f64> {
        let n = self.rates.len();
        // a · x = b with a = Qᵀ, last row all ones.
        let mut a = vec![vec![0.0; n]; n];
        for (i, row) in self.rates.iter().enumerate() {
            let out: f64 = row.iter().sum();
            for (j, &r) in row.iter().enumerate() {
                a[j][i] += r;
            }
            a[i][i] -= out;
        }
        a[n - 1].iter_mut().for_each(|x| *x = 1.0);
        let mut b = vec![0.0; n];
        b[n - 1] = 1.0;
        super::durability::solve(a, b)
    }
}
