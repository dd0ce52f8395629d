//! A few bytes can announce billions of pixels. Such files are refused from their header alone:
//! quickly, and without allocating the image.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use common::*;
use image::{ImageFormat, RgbaImage};
use media_prep::{prepare_image, thumbnail, Kind, Limits, PrepareError, Request};

/// Records the largest single allocation made by each thread, so a test can show that refusing
/// a bomb never asked for the memory the bomb announces.
struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(layout.size())));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Runs `f` and returns its result, how long it took and the largest allocation it made.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    LARGEST.with(|largest| largest.set(0));
    let started = Instant::now();
    let result = f();
    let took = started.elapsed();
    (result, took, LARGEST.with(Cell::get))
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend(kind);
    png.extend(data);
    let crc = crc32fast::hash(&png[start..]);
    png.extend(crc.to_be_bytes());
}

/// A valid PNG signature, an IHDR announcing `width`×`height` RGBA pixels (with a correct CRC),
/// a tiny IDAT and IEND: about 70 bytes that would decode to gigabytes.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    // 8 bits, RGBA, deflate, standard filters, not interlaced.
    ihdr.extend([8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // A zlib stream holding one empty stored block.
    chunk(
        &mut png,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
        ],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A GIF whose screen and only frame announce 65,535 × 65,535 pixels.
fn gif_bomb() -> Vec<u8> {
    let mut gif = b"GIF89a\xFF\xFF\xFF\xFF\x00\x00\x00".to_vec();
    gif.extend(b",\x00\x00\x00\x00\xFF\xFF\xFF\xFF\x00");
    gif.extend(b"\x02\x02\x4C\x01\x00;");
    gif
}

#[test]
fn a_20000_by_20000_png_is_refused_from_its_header_quickly_and_without_allocating_it() {
    let bomb = png_bomb(20_000, 20_000);
    assert!(bomb.len() < 100);

    let (result, took, largest) =
        measured(|| prepare_image(&bomb, &Request::default(), &Limits::default()));

    let error = result.unwrap_err();
    assert_eq!(
        error,
        PrepareError::TooManyPixels {
            width: 20_000,
            height: 20_000,
            max_pixels: 50_000_000
        }
    );
    assert!(error.to_string().starts_with(
        "The image is 20000×20000 pixels (400 megapixels); the limit is 50 megapixels."
    ));
    assert!(took < Duration::from_millis(250), "took {took:?}");
    // Decoded it would be 1.6 GB; refusing it needs no more than buffers for the header.
    assert!(largest < 1024 * 1024, "largest allocation {largest} bytes");
}

#[test]
fn a_gif_announcing_65535_by_65535_is_refused_the_same_way() {
    let bomb = gif_bomb();

    let (result, took, largest) = measured(|| thumbnail(&bomb, 256, &Limits::default()));

    assert_eq!(
        result.unwrap_err(),
        PrepareError::TooManyPixels {
            width: 65_535,
            height: 65_535,
            max_pixels: 50_000_000
        }
    );
    assert!(took < Duration::from_millis(250), "took {took:?}");
    assert!(largest < 1024 * 1024, "largest allocation {largest} bytes");
}

#[test]
fn the_decoders_memory_limit_is_a_second_guard() {
    // 1000×1000 RGBA is 4 MB decoded; allow every pixel count but only 1 MiB of memory.
    let mut png = std::io::Cursor::new(Vec::new());
    RgbaImage::new(1000, 1000)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let limits = Limits {
        max_pixels: u64::MAX,
        max_alloc: 1024 * 1024,
        ..Limits::default()
    };

    let (result, _, largest) =
        measured(|| prepare_image(png.get_ref(), &Request::default(), &limits));

    let error = result.unwrap_err();
    assert_eq!(
        error,
        PrepareError::TooMuchMemory {
            max_alloc: 1024 * 1024
        }
    );
    assert!(
        error
            .to_string()
            .contains("more than the 1 MB of memory allowed"),
        "{error}"
    );
    assert!(largest < 1024 * 1024, "largest allocation {largest} bytes");

    // The measure works: within the default limits the same file is decoded, 4 MB at once.
    let (result, _, largest) =
        measured(|| prepare_image(png.get_ref(), &Request::default(), &Limits::default()));
    assert!(result.is_ok());
    assert!(largest >= 4_000_000, "largest allocation {largest} bytes");
}

#[test]
fn an_image_just_within_the_pixel_limit_is_read() {
    let bytes = jpeg(&photo(100, 50));
    let limits = Limits {
        max_pixels: 5000,
        ..Limits::default()
    };

    let prepared = prepare_image(&bytes, &Request::default(), &limits).unwrap();
    assert_eq!(prepared.source.kind, Kind::Jpeg);

    let limits = Limits {
        max_pixels: 4999,
        ..limits
    };
    assert!(matches!(
        prepare_image(&bytes, &Request::default(), &limits),
        Err(PrepareError::TooManyPixels {
            width: 100,
            height: 50,
            ..
        })
    ));
}
