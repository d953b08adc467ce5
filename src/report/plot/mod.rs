//! Figures drawn with plotters: one file per kind of figure, each rendered once into a PNG
//! and an SVG of the same drawing.
//!
//! Invariants: the bundled DejaVu Sans (the `dejavu` crate) is registered once before the
//! first drawing, so no system font library is needed (plotters' `ttf` feature stays off);
//! every axis names its unit; a figure is a pure function of the data it is given.

mod downtime_by_cause;
mod frontier;
mod latency;
mod outage_durations;
mod sweep;
mod timeseries;

use std::sync::Once;

use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;

pub use downtime_by_cause::DowntimeByCause;
pub use frontier::{FrontierFigure, FrontierPoint};
pub use latency::LatencyCdf;
pub use outage_durations::OutageDurations;
pub use sweep::{SweepFigure, SweepPoint};
pub use timeseries::TimeSeries;

/// The result of drawing on one backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The font family every figure uses (registered from the bundled DejaVu Sans).
pub const FONT: &str = "sans-serif";

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32) {
        (960, 600)
    }

    /// Draws on `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// One figure as PNG bytes and SVG text.
pub struct Rendered {
    pub png: Vec<u8>,
    pub svg: String,
}

/// Registers the bundled font with plotters (once per process).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let registered =
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        assert!(
            registered.is_ok(),
            "the bundled DejaVu Sans is a valid font"
        );
    });
}

/// Draws `figure` into a PNG and an SVG.
pub fn render(figure: &impl Figure) -> anyhow::Result<Rendered> {
    register_font();
    let (w, h) = figure.size();
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        figure.draw(&root).map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        &rgb,
        w,
        h,
        image::ColorType::Rgb8,
    )?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        figure.draw(&root).map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(Rendered { png, svg })
}

fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a figure: {e}")
}

/// The colour of the i-th line of a figure: a palette that stays distinct for about ten
/// series, then repeats.
pub fn color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    COLORS[i % COLORS.len()]
}

/// A text style of the figure font.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// `[lo, hi]` widened so that a flat series still gets a visible range, with a margin.
pub fn padded_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad)..(hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad)..(hi + pad)
}

/// A duration unit that keeps axis numbers readable: (name, seconds per unit).
pub fn time_unit(max_s: f64) -> (&'static str, f64) {
    if max_s >= 3.0 * 86_400.0 {
        ("days", 86_400.0)
    } else if max_s >= 3.0 * 3_600.0 {
        ("hours", 3_600.0)
    } else if max_s >= 180.0 {
        ("minutes", 60.0)
    } else {
        ("s", 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_ranges() {
        assert_eq!(time_unit(600.0), ("minutes", 60.0));
        assert_eq!(time_unit(30.0), ("s", 1.0));
        assert_eq!(time_unit(4.0 * 86_400.0).0, "days");
        let r = padded_range(2.0, 2.0);
        assert!(r.start < 2.0 && r.end > 2.0);
        let r = padded_range(0.0, 10.0);
        assert!((r.start + 0.5).abs() < 1e-12 && (r.end - 10.5).abs() < 1e-12);
    }
}
