//! The shapes Instagram accepts, and where an upright source's pixels go to take one.
//!
//! All arithmetic is on whole pixels, rounding towards the inside of the allowed range: a
//! ratio computed in floating point and rounded to the nearest pixel can land just outside it
//! (1440 wide at 1.91:1 is 753.9 high; 754 is within, 753 is not), and Instagram refuses those.

/// The shape an image is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The feed: any ratio from 4:5 (portrait) to 1.91:1 (landscape) is kept; taller images
    /// become exactly 4:5, wider ones 1.91:1.
    Feed,
    /// Stories and reel covers: exactly 9:16.
    Vertical,
}

/// How an image outside the target's range is brought into it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fit {
    /// Cut away what does not fit, keeping the focal point (0.0..=1.0 across and down the
    /// upright image) as centred as the image's edges allow.
    Crop { focal_x: f32, focal_y: f32 },
    /// Keep the whole image and add bars of this colour, split evenly on both sides.
    Pad { rgb: [u8; 3] },
}

impl Fit {
    /// Crop around the centre.
    pub const CENTRE: Fit = Fit::Crop {
        focal_x: 0.5,
        focal_y: 0.5,
    };
}

/// Widths and heights in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub w: u32,
    pub h: u32,
}

/// Where the upright source's pixels go in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The top-left corner of the part of the source that is kept.
    pub crop_at: (u32, u32),
    /// The size of that part.
    pub crop: Size,
    /// What that part is resampled to; equal to `crop` when nothing is scaled.
    pub content: Size,
    /// The output: the content plus any bars.
    pub canvas: Size,
    /// Where the content sits on the canvas.
    pub content_at: (u32, u32),
}

/// 4:5, the tallest the feed allows.
const FEED_TALLEST: (u64, u64) = (4, 5);
/// 1.91:1, the widest the feed allows.
const FEED_WIDEST: (u64, u64) = (191, 100);
const VERTICAL: (u64, u64) = (9, 16);

/// The output's shape, decided from the source's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Exactly `w:h`, in whole multiples of both (4:5 as 1440×1800, 9:16 as 1440×2560).
    Multiple(u64, u64),
    /// 1.91:1, which has no small whole multiples: heights rounded up, so never wider.
    Widest,
    /// The source's own ratio, already in range: heights rounded to the nearest pixel, then
    /// clamped into range.
    Own,
}

fn shape(target: Target, w: u64, h: u64) -> Shape {
    match target {
        Target::Vertical => Shape::Multiple(VERTICAL.0, VERTICAL.1),
        Target::Feed if w * FEED_TALLEST.1 < h * FEED_TALLEST.0 => {
            Shape::Multiple(FEED_TALLEST.0, FEED_TALLEST.1)
        }
        Target::Feed if w * FEED_WIDEST.1 > h * FEED_WIDEST.0 => Shape::Widest,
        Target::Feed => Shape::Own,
    }
}

/// The layout of a `w`×`h` upright source for `target`, at most `max_width` wide. Nothing is
/// enlarged, unless the source is smaller than the shape's smallest whole multiple (9×16).
pub(crate) fn layout(w: u32, h: u32, target: Target, fit: Fit, max_width: u32) -> Layout {
    let (w, h, max_w) = (
        u64::from(w.max(1)),
        u64::from(h.max(1)),
        u64::from(max_width),
    );
    let shape = shape(target, w, h);
    match fit {
        Fit::Crop { focal_x, focal_y } => crop_layout(w, h, shape, max_w, (focal_x, focal_y)),
        Fit::Pad { .. } => pad_layout(w, h, shape, max_w),
    }
}

fn crop_layout(w: u64, h: u64, shape: Shape, max_w: u64, focal: (f32, f32)) -> Layout {
    let (kept, out) = match shape {
        Shape::Multiple(n, d) => {
            let fits = (w / n).min(h / d);
            let k = fits.min(max_w / n).max(1);
            let out = (n * k, d * k);
            // Unscaled, the output itself is cut out (no resampling); scaled, the largest part
            // of the exact shape is kept and resampled down.
            let kept = if k == fits {
                out
            } else {
                largest_inside(w, h, n, d)
            };
            (kept, out)
        }
        Shape::Widest => {
            let kept_w = (h * FEED_WIDEST.0 / FEED_WIDEST.1).clamp(1, w);
            let out_w = kept_w.min(max_w);
            let out = (out_w, widest_height(out_w));
            // `widest_height(kept_w) <= h`, since `kept_w <= 1.91 h`.
            let kept = if out_w == kept_w { out } else { (kept_w, h) };
            (kept, out)
        }
        Shape::Own => {
            let out_w = w.min(max_w);
            ((w, h), (out_w, own_height(out_w, w, h)))
        }
    };
    let crop_at = (
        focal_offset(w, kept.0, focal.0),
        focal_offset(h, kept.1, focal.1),
    );
    Layout {
        crop_at,
        crop: size(kept),
        content: size(out),
        canvas: size(out),
        content_at: (0, 0),
    }
}

fn pad_layout(w: u64, h: u64, shape: Shape, max_w: u64) -> Layout {
    let canvas = match shape {
        Shape::Multiple(n, d) => {
            let holds = w.div_ceil(n).max(h.div_ceil(d));
            let k = holds.min(max_w / n).max(1);
            (n * k, d * k)
        }
        // Unscaled, `widest_height(w) >= h` since `w > 1.91 h`: the source fits as it is.
        Shape::Widest => {
            let out_w = w.min(max_w);
            (out_w, widest_height(out_w))
        }
        Shape::Own => {
            let out_w = w.min(max_w);
            (out_w, own_height(out_w, w, h))
        }
    };
    let content = if canvas.0 >= w && canvas.1 >= h {
        (w, h)
    } else {
        fit_inside(w, h, canvas)
    };
    Layout {
        crop_at: (0, 0),
        crop: size((w, h)),
        content: size(content),
        canvas: size(canvas),
        content_at: (
            to_u32((canvas.0 - content.0) / 2),
            to_u32((canvas.1 - content.1) / 2),
        ),
    }
}

/// `w`×`h` shrunk, never enlarged, so that its longest side is at most `side`.
pub(crate) fn within_square(w: u32, h: u32, side: u32) -> Size {
    let (w, h, side) = (
        u64::from(w.max(1)),
        u64::from(h.max(1)),
        u64::from(side.max(1)),
    );
    if w.max(h) <= side {
        size((w, h))
    } else {
        size(fit_inside(w, h, (side, side)))
    }
}

/// The height that makes `w` wide exactly 1.91:1 or a little narrower, never wider.
fn widest_height(w: u64) -> u64 {
    (w * FEED_WIDEST.1).div_ceil(FEED_WIDEST.0).max(1)
}

/// The height for `out_w` in the source's own ratio, kept within the feed's range.
fn own_height(out_w: u64, w: u64, h: u64) -> u64 {
    let nearest = (2 * out_w * h + w) / (2 * w);
    let lowest = widest_height(out_w);
    let highest = (out_w * FEED_TALLEST.1 / FEED_TALLEST.0).max(lowest);
    nearest.clamp(lowest, highest)
}

/// The largest `n:d` box inside `w`×`h`, rounded down.
fn largest_inside(w: u64, h: u64, n: u64, d: u64) -> (u64, u64) {
    if w * d > h * n {
        ((h * n / d).max(1), h)
    } else {
        (w, (w * d / n).max(1))
    }
}

/// `w`×`h` scaled to fit inside `bounds`, keeping its ratio to the nearest pixel.
fn fit_inside(w: u64, h: u64, bounds: (u64, u64)) -> (u64, u64) {
    let (bw, bh) = bounds;
    if w * bh >= h * bw {
        (bw, ((2 * h * bw + w) / (2 * w)).clamp(1, bh))
    } else {
        (((2 * w * bh + h) / (2 * h)).clamp(1, bw), bh)
    }
}

/// Where a `kept`-long part starts along a `total`-long side so that `focal` (0..=1) is as
/// near its middle as the edges allow.
fn focal_offset(total: u64, kept: u64, focal: f32) -> u32 {
    let focal = if focal.is_nan() {
        0.5
    } else {
        focal.clamp(0.0, 1.0)
    };
    let room = total.saturating_sub(kept);
    let start = (f64::from(focal) * total as f64 - kept as f64 / 2.0).round();
    to_u32(start.clamp(0.0, room as f64) as u64)
}

fn size((w, h): (u64, u64)) -> Size {
    Size {
        w: to_u32(w),
        h: to_u32(h),
    }
}

/// Every length here is at most a side of the source, or `max_width` times 16/9.
fn to_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAD: Fit = Fit::Pad { rgb: [0, 0, 0] };

    fn in_feed_range(s: Size) -> bool {
        let (w, h) = (u64::from(s.w), u64::from(s.h));
        w * 5 >= h * 4 && w * 100 <= h * 191
    }

    /// Sources from 16×16 to 400×400 and a few large ones, every target and fit: the output is
    /// in range, the kept part lies inside the source, nothing is scaled up, and resampling
    /// keeps proportions to within a pixel.
    #[test]
    fn every_size_lands_inside_the_range() {
        let mut sizes: Vec<(u32, u32)> = Vec::new();
        for w in (16..=400).step_by(3) {
            for h in (16..=400).step_by(7) {
                sizes.push((w, h));
            }
        }
        sizes.extend([
            (4000, 3000),
            (3000, 4000),
            (12000, 1000),
            (1000, 12000),
            (1441, 755),
        ]);
        for (w, h) in sizes {
            for target in [Target::Feed, Target::Vertical] {
                for fit in [Fit::CENTRE, PAD] {
                    for max_width in [64, 320, 1440] {
                        let l = layout(w, h, target, fit, max_width);
                        let why = format!("{w}×{h} {target:?} {fit:?} max {max_width}: {l:?}");
                        match target {
                            Target::Feed => assert!(in_feed_range(l.canvas), "{why}"),
                            Target::Vertical => {
                                assert_eq!(l.canvas.w * 16, l.canvas.h * 9, "{why}")
                            }
                        }
                        assert!(l.canvas.w <= max_width, "{why}");
                        assert!(
                            l.crop_at.0 + l.crop.w <= w && l.crop_at.1 + l.crop.h <= h,
                            "{why}"
                        );
                        assert!(l.content.w <= l.crop.w && l.content.h <= l.crop.h, "{why}");
                        assert!(
                            l.content_at.0 + l.content.w <= l.canvas.w
                                && l.content_at.1 + l.content.h <= l.canvas.h,
                            "{why}"
                        );
                        let (cw, ch, kw, kh) = (
                            f64::from(l.content.w),
                            f64::from(l.content.h),
                            f64::from(l.crop.w),
                            f64::from(l.crop.h),
                        );
                        let off = (cw - kw * ch / kh).abs().min((ch - kh * cw / kw).abs());
                        assert!(off <= 1.0, "{why}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_widest_feed_ratio_is_rounded_inwards() {
        // 1440 / 1.91 = 753.9: 753 high would be 1.9124:1, outside the range.
        let l = layout(3000, 1000, Target::Feed, Fit::CENTRE, 1440);
        assert_eq!((l.canvas.w, l.canvas.h), (1440, 754));
        let l = layout(3000, 1000, Target::Feed, PAD, 1440);
        assert_eq!((l.canvas.w, l.canvas.h), (1440, 754));
        assert_eq!((l.content.w, l.content.h), (1440, 480));
        assert_eq!(l.content_at, (0, 137));
    }

    #[test]
    fn unscaled_crops_cut_the_exact_shape_without_resampling() {
        let l = layout(803, 1200, Target::Feed, Fit::CENTRE, 1440);
        assert_eq!((l.crop.w, l.crop.h), (800, 1000));
        assert_eq!(l.content, l.crop);
    }

    #[test]
    fn the_focal_point_is_centred_as_far_as_the_edges_allow() {
        let at = |fx, fy| {
            layout(
                1000,
                1000,
                Target::Vertical,
                Fit::Crop {
                    focal_x: fx,
                    focal_y: fy,
                },
                1440,
            )
            .crop_at
        };
        // The kept part is 558×992 (62 × 9:16).
        assert_eq!(at(0.5, 0.5), (221, 4));
        assert_eq!(at(0.0, 0.0), (0, 0));
        assert_eq!(at(1.0, 1.0), (442, 8));
        assert_eq!(at(0.3, 0.5), (21, 4));
        assert_eq!(at(f32::NAN, 7.0), (221, 8));
    }

    #[test]
    fn sources_smaller_than_the_shape_still_get_a_valid_layout() {
        for (w, h) in [(1, 1), (3, 100), (100, 3), (8, 15)] {
            for fit in [Fit::CENTRE, PAD] {
                let l = layout(w, h, Target::Vertical, fit, 1440);
                assert_eq!(l.canvas.w * 16, l.canvas.h * 9);
                assert!(l.canvas.w >= 9 && l.crop.w >= 1 && l.crop.h >= 1);
                assert!(l.crop_at.0 + l.crop.w <= w && l.crop_at.1 + l.crop.h <= h);
            }
        }
    }
}
