//! # Media preparation
//!
//! Turns a customer's uploaded photo into the JPEG that is queued for Instagram, or refuses it
//! with a message the customer can act on. Pure and synchronous over byte slices: decoding and
//! resampling take tens to hundreds of milliseconds of CPU, so the caller runs these functions
//! on a blocking thread (`tokio::task::spawn_blocking`).
//!
//! ```no_run
//! use media_prep::{prepare_image, Fit, Limits, Request, Target};
//! # let bytes: Vec<u8> = Vec::new();
//! let request = Request {
//!     target: Target::Feed,
//!     fit: Fit::Crop { focal_x: 0.5, focal_y: 0.3 },
//!     ..Request::default()
//! };
//! match prepare_image(&bytes, &request, &Limits::default()) {
//!     Ok(prepared) => { /* store prepared.jpeg, prepared.width × prepared.height */ }
//!     Err(refused) => { /* show refused.to_string() to the customer */ }
//! }
//! ```
//!
//! ## The rules, and why
//!
//! - **Refuse before decoding.** The byte count is checked first, then the kind from the magic
//!   numbers ([`sniff`]), then the pixel count the header announces. A PNG or GIF of a few
//!   kilobytes can announce 20,000 × 20,000 pixels (1.6 GB decoded): such decompression bombs
//!   are refused from the header alone, and [`Limits::max_alloc`] is handed to the decoder as a
//!   second guard. Damaged and truncated files are refused rather than published half grey.
//! - **JPEG out, whatever came in.** Instagram accepts only JPEG for photos. JPEG, PNG, GIF and
//!   WebP are read (an animation gives its first frame); HEIC, AVIF, TIFF, PDF and videos are
//!   named in the refusal, with what to do instead.
//! - **Upright.** Phones store most photos sideways with an EXIF orientation; Instagram ignores
//!   it once the metadata is gone, so the pixels themselves are turned.
//! - **Instagram's shapes.** The feed takes ratios from 4:5 to 1.91:1: taller photos become
//!   exactly 4:5 and wider ones 1.91:1, by cropping around a focal point or by padding with
//!   bars ([`Fit`]); stories and reel covers are exactly 9:16 ([`Target`]). Pixel arithmetic
//!   rounds inwards, so no output is refused for being a rounding error outside the range.
//! - **At most 1440 wide.** Instagram keeps 1440 pixels of width and scales anything wider down
//!   itself; scaling here (2×2 averages while at least twice too large, then Lanczos3) makes the
//!   upload smaller and keeps the quality in our hands. Smaller photos are never enlarged.
//! - **No metadata leaves.** EXIF (with GPS coordinates of a customer's home), XMP, IPTC,
//!   comments and ICC profiles are never copied: the output is re-encoded from pixels, with a
//!   JFIF header only.
//! - **sRGB.** A JPEG without a profile is shown as sRGB, so pixels described by an embedded ICC
//!   profile (an iPhone's Display P3) are converted to sRGB; a profile that cannot be converted
//!   (CMYK, greyscale, damaged) is dropped and its pixels are taken as sRGB. Transparency is
//!   flattened onto white.

mod color;
mod decode;
mod encode;
mod error;
mod limits;
mod prepare;
mod ratio;
mod resample;
mod sniff;

pub use error::PrepareError;
pub use limits::Limits;
pub use prepare::{prepare_image, thumbnail, Prepared, Request, Source, INSTAGRAM_MAX_WIDTH};
pub use ratio::{Fit, Target};
pub use sniff::{sniff, Kind, SNIFF_LEN};
