//! Instagram takes only JPEG for photos: PNG (with transparency), GIF (animated: its first
//! frame) and WebP (animated too) come out as JPEG.

mod common;

use std::io::Cursor;

use common::*;
use image::codecs::gif::GifEncoder;
use image::codecs::webp::WebPDecoder;
use image::{Delay, Frame, ImageFormat, Rgba, RgbaImage};
use media_prep::{prepare_image, sniff, Kind, Limits, Prepared, Request};

const RED: [u8; 3] = [220, 20, 30];
const BLUE: [u8; 3] = [20, 40, 220];

fn encoded(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn prepare(bytes: &[u8], kind: Kind) -> Prepared {
    assert_eq!(sniff(bytes), kind);
    let prepared = prepare_image(bytes, &Request::default(), &Limits::default()).unwrap();
    assert_eq!(prepared.source.kind, kind);
    assert_eq!(sniff(&prepared.jpeg), Kind::Jpeg);
    assert_bare_baseline_jpeg(&prepared.jpeg);
    prepared
}

fn solid(colour: [u8; 3]) -> RgbaImage {
    let [r, g, b] = colour;
    RgbaImage::from_pixel(64, 64, Rgba([r, g, b, 255]))
}

#[test]
fn a_png_with_transparency_becomes_a_jpeg_on_white() {
    // Left half fully transparent (its colour channels black, as editors often leave them),
    // right half opaque red, with a half-transparent red stripe between.
    let png = encoded(
        &RgbaImage::from_fn(64, 64, |x, _| match x {
            0..24 => Rgba([0, 0, 0, 0]),
            24..32 => Rgba([220, 20, 30, 128]),
            _ => Rgba([220, 20, 30, 255]),
        }),
        ImageFormat::Png,
    );

    let p = prepare(&png, Kind::Png);

    let shown = decode(&p.jpeg);
    assert!(
        near(*shown.get_pixel(8, 32), [255; 3], 6),
        "transparent is white"
    );
    assert!(
        near(*shown.get_pixel(28, 32), [238, 137, 142], 20),
        "half is pink"
    );
    assert!(near(*shown.get_pixel(56, 32), RED, 20));
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    let mut gif = Vec::new();
    let frames = [solid(RED), solid(BLUE)]
        .map(|image| Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1)));
    GifEncoder::new(&mut gif).encode_frames(frames).unwrap();

    let p = prepare(&gif, Kind::Gif);

    assert_eq!((p.width, p.height), (64, 64));
    assert!(near(*decode(&p.jpeg).get_pixel(32, 32), RED, 24));
}

#[test]
fn a_webp_becomes_a_jpeg() {
    let webp = encoded(&solid(BLUE), ImageFormat::WebP);

    let p = prepare(&webp, Kind::Webp);

    assert!(near(*decode(&p.jpeg).get_pixel(32, 32), BLUE, 24));
}

/// An animated WebP of two 64×64 frames, `first` then `second`, built around the lossless
/// bitstreams of two still WebPs: VP8X (animation flag), ANIM, and one ANMF per frame.
fn animated_webp(first: [u8; 3], second: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) {
        out.extend(fourcc);
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }
    let u24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![0x02, 0, 0, 0];
    vp8x.extend(u24(63));
    vp8x.extend(u24(63));
    chunk(&mut body, b"VP8X", &vp8x);
    chunk(&mut body, b"ANIM", &[255, 255, 255, 255, 0, 0]);
    for colour in [first, second] {
        let still = encoded(&solid(colour), ImageFormat::WebP);
        // A still lossless WebP is RIFF, size, WEBP, then its one VP8L chunk.
        assert_eq!(&still[12..16], b"VP8L");
        let mut anmf = [u24(0), u24(0), u24(63), u24(63), u24(100)].concat();
        anmf.push(0);
        anmf.extend(&still[12..]);
        chunk(&mut body, b"ANMF", &anmf);
    }
    let mut webp = b"RIFF".to_vec();
    webp.extend((body.len() as u32).to_le_bytes());
    webp.extend(body);
    webp
}

#[test]
fn an_animated_webp_gives_its_first_frame() {
    let webp = animated_webp(RED, BLUE);
    let decoder = WebPDecoder::new(Cursor::new(&webp)).unwrap();
    assert!(decoder.has_animation());

    let p = prepare(&webp, Kind::Webp);

    assert_eq!((p.width, p.height), (64, 64));
    assert!(near(*decode(&p.jpeg).get_pixel(32, 32), RED, 24));
}
