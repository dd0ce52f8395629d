//! What preparing a 12-megapixel phone photo costs, against merely decoding it.
//!
//! `cargo run --release -p media-prep --example prepare_bench`
//!
//! Generates a 4000×3000 photo-like JPEG in memory, then times (a) the baseline, a plain
//! `image::load_from_memory` and `to_rgb8`, and (b) `prepare_image` for the feed with a crop,
//! each as the median of 7 runs after a warm-up, with the peak resident memory of each phase.

use std::hint::black_box;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use media_prep::{prepare_image, Fit, Limits, Request, Target};

const RUNS: usize = 7;

fn main() {
    let photo = photo_jpeg(4000, 3000);
    println!("source: 4000×3000 JPEG, {:.1} MB", photo.len() as f64 / 1e6);

    let (baseline, baseline_peak) = timed(|| {
        let decoded = image::load_from_memory(&photo).expect("the generated JPEG decodes");
        black_box(decoded.to_rgb8());
    });

    let request = Request {
        target: Target::Feed,
        fit: Fit::Crop {
            focal_x: 0.5,
            focal_y: 0.4,
        },
        ..Request::default()
    };
    let mut output = None;
    let (prepare, prepare_peak) = timed(|| {
        output = Some(
            prepare_image(&photo, &request, &Limits::default()).expect("the photo is prepared"),
        );
    });
    let prepared = output.expect("prepared at least once");

    println!(
        "baseline (decode + to_rgb8): {:7.1} ms   peak RSS {}",
        ms(baseline),
        mib(baseline_peak)
    );
    println!(
        "prepare_image (feed, crop):  {:7.1} ms   peak RSS {}",
        ms(prepare),
        mib(prepare_peak)
    );
    println!(
        "prepare / baseline:          {:7.2}",
        prepare.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "output: {}×{} JPEG, {:.0} kB",
        prepared.width,
        prepared.height,
        prepared.jpeg.len() as f64 / 1e3
    );
}

/// The median of `RUNS` runs after one warm-up, and the peak RSS during them (when Linux lets
/// the peak be reset).
fn timed(mut run: impl FnMut()) -> (Duration, Option<u64>) {
    run();
    let peak_reset = reset_peak_rss();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    let peak = if peak_reset { peak_rss_kib() } else { None };
    (times[RUNS / 2], peak)
}

/// A photo-like picture: gradients, a few soft shapes and sensor-like noise, so the JPEG is
/// about as large as a phone's (several MB) rather than trivially compressible.
fn photo_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 0x2545_F491_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 32) as f32 - 16.0;
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let waves =
            ((fx * 37.0).sin() * (fy * 23.0).cos() * 40.0) + ((fx + fy) * 90.0).sin() * 20.0;
        let channel = |base: f32| (base + waves + noise).clamp(0.0, 255.0) as u8;
        Rgb([
            channel(90.0 + 120.0 * fx),
            channel(140.0 - 60.0 * fy),
            channel(60.0 + 100.0 * fy * fx),
        ])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&image)
        .expect("encoding to memory succeeds");
    jpeg
}

/// Resets VmHWM to the current RSS (Linux 4.0 and later).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("unavailable".into(), |k| {
        format!("{:.0} MiB", k as f64 / 1024.0)
    })
}
