//! Simulated time: `SimTime`, an integer count of nanoseconds, and the human durations of
//! scenario files (`"250ms"`, `"90s"`, `"2h"`, `"7d"`, `"1y"`, or a plain number of seconds).
//!
//! Invariant: simulated time is never a float inside the engine, so equal times compare
//! equal and a run is exactly reproducible. Floats appear only at the edges (seconds in
//! reports, sampled durations rounded to the nearest nanosecond).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// A point in (or a span of) simulated time, in nanoseconds. `u64` covers 584 years.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// 2^63 as a float: below it (and at least 0.5 below, since 2^63 - 0.5 rounds to it) a
/// nanosecond count fits an i64.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Units accepted in duration strings, with their length in nanoseconds. `y` is 365 days.
pub const UNITS: [(&str, u64); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", NS_PER_S),
    ("m", 60 * NS_PER_S),
    ("h", 3_600 * NS_PER_S),
    ("d", 86_400 * NS_PER_S),
    ("w", 7 * 86_400 * NS_PER_S),
    ("y", 365 * 86_400 * NS_PER_S),
];

impl SimTime {
    /// Time zero, the start of every trial.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * NS_PER_S)
    }

    /// Seconds as a float, rounded to the nearest nanosecond and saturated at `MAX`;
    /// negative and NaN inputs give zero (sampled durations are clamped, never wrapped).
    pub fn from_secs_f64(s: f64) -> SimTime {
        let ns = s * NS_PER_S as f64;
        if ns > 0.0 && ns < I64_LIMIT {
            // The common case first, in two comparisons (NaN fails both). Positive, so
            // adding 0.5 and truncating rounds to nearest (ties up) without a libm call:
            // this runs once per sampled duration. Through i64, one instruction on x86-64,
            // where u64 takes a branch; the value is the same.
            SimTime((ns + 0.5) as i64 as u64)
        } else if ns.is_nan() || ns <= 0.0 {
            SimTime::ZERO
        } else if ns >= u64::MAX as f64 {
            SimTime::MAX
        } else {
            SimTime((ns + 0.5) as u64)
        }
    }

    /// This time in seconds.
    pub fn as_secs_f64(self) -> f64 {
        // Through i64 when it fits (292 years): the same value, and one instruction on
        // x86-64 where u64 takes several (this runs for every arrival).
        let ns = match i64::try_from(self.0) {
            Ok(ns) => ns as f64,
            Err(_) => self.0 as f64,
        };
        ns / NS_PER_S as f64
    }

    /// `self + d`, saturating at `MAX` instead of wrapping.
    pub fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0 + rhs.0)
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        self.0 += rhs.0;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0 - rhs.0)
    }
}

impl fmt::Display for SimTime {
    /// The largest unit that divides the value exactly, so `"90s"` prints as `90s` and a
    /// parsed duration prints back to an equal duration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let (unit, ns) = UNITS
            .iter()
            .rev()
            .find(|(_, ns)| self.0.is_multiple_of(*ns))
            .expect("1 ns divides everything");
        write!(f, "{}{}", self.0 / ns, unit)
    }
}

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    /// Not a number followed by a known unit.
    #[error(
        "invalid duration \"{0}\"; expected a number with a unit (ns, us, ms, s, m, h, d, w, y; y = 365 d) or a number of seconds"
    )]
    Syntax(String),
    /// Negative, NaN or infinite.
    #[error("invalid duration \"{0}\"; a duration must be finite and not negative")]
    Negative(String),
    /// Longer than `SimTime` can hold.
    #[error("duration \"{0}\" is longer than the 584 years simulated time can hold")]
    TooLong(String),
}

/// Parses `"250ms"`, `"1.5h"`, `"7d"` or `"90"` (seconds). Whitespace between the number
/// and the unit is allowed. Fractions are rounded to the nearest nanosecond.
pub fn parse_duration(text: &str) -> Result<SimTime, DurationError> {
    let s = text.trim();
    let split = s
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(s.len());
    let (number, unit) = (s[..split].trim(), s[split..].trim());
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError::Syntax(text.to_string()))?;
    let unit_ns = if unit.is_empty() {
        NS_PER_S
    } else {
        UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, ns)| *ns)
            .ok_or_else(|| DurationError::Syntax(text.to_string()))?
    };
    seconds_to_time(value * unit_ns as f64 / NS_PER_S as f64, text)
}

/// A number of seconds as a duration, refusing negative, non-finite and too-long values.
pub fn seconds_to_time(seconds: f64, shown_as: &str) -> Result<SimTime, DurationError> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(DurationError::Negative(shown_as.to_string()));
    }
    if seconds * NS_PER_S as f64 >= u64::MAX as f64 {
        return Err(DurationError::TooLong(shown_as.to_string()));
    }
    Ok(SimTime::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(SimTime(250_000_000)));
        assert_eq!(parse_duration("90s"), Ok(SimTime::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(SimTime::from_secs(7_200)));
        assert_eq!(parse_duration("7d"), Ok(SimTime::from_secs(604_800)));
        assert_eq!(parse_duration("1y"), Ok(SimTime::from_secs(31_536_000)));
        assert_eq!(parse_duration("1w"), Ok(SimTime::from_secs(604_800)));
        assert_eq!(parse_duration("3us"), Ok(SimTime(3_000)));
        assert_eq!(parse_duration("12ns"), Ok(SimTime(12)));
        assert_eq!(parse_duration("1.5 m"), Ok(SimTime::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Ok(SimTime(2_500_000_000)));
        assert_eq!(parse_duration("1e-3s"), Ok(SimTime(1_000_000)));
    }

    #[test]
    fn refuses_bad_durations() {
        assert!(matches!(
            parse_duration("5 parsecs"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(parse_duration(""), Err(DurationError::Syntax(_))));
        assert!(matches!(
            parse_duration("ms"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            parse_duration("-1s"),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            parse_duration("600y"),
            Err(DurationError::TooLong(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in ["250ms", "90s", "2h", "7d", "1y", "1500ms", "0s", "3us"] {
            let t = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&t.to_string()), Ok(t), "{text}");
        }
        assert_eq!(SimTime::from_secs(90).to_string(), "90s");
        assert_eq!(SimTime::from_secs(3_600).to_string(), "1h");
    }

    #[test]
    fn float_conversion_saturates() {
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(1e300), SimTime::MAX);
        assert_eq!(SimTime::from_secs_f64(1e-9), SimTime(1));
        // Past i64 (292 years) and below u64::MAX: the unsigned conversion.
        assert_eq!(
            SimTime::from_secs_f64(1e10),
            SimTime(10_000_000_000_000_000_000)
        );
    }
}
