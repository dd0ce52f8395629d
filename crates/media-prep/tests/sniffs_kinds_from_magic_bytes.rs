//! What a file is comes from its first bytes, never from its name or declared type.

use media_prep::{sniff, Kind};

fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = 16 + 4 * compatible.len() as u32;
    let mut b = size.to_be_bytes().to_vec();
    b.extend(b"ftyp");
    b.extend(major);
    b.extend([0; 4]);
    for brand in compatible {
        b.extend(*brand);
    }
    b.extend(b"\0\0\0\x08free");
    b
}

#[test]
fn images_are_known_by_their_magic_numbers() {
    assert_eq!(
        sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']),
        Kind::Jpeg
    );
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"), Kind::Png);
    assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00"), Kind::Gif);
    assert_eq!(sniff(b"GIF87a\x01\x00\x01\x00"), Kind::Gif);
    assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Kind::Webp);
    assert_eq!(sniff(b"II*\0\x08\0\0\0"), Kind::Tiff);
    assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Kind::Tiff);
}

#[test]
fn a_pdf_is_a_pdf() {
    assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"), Kind::Pdf);
}

#[test]
fn iso_media_files_are_told_apart_by_their_brands() {
    assert_eq!(
        sniff(&ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])),
        Kind::Mp4
    );
    assert_eq!(sniff(&ftyp(b"mp42", &[b"mp42", b"isom"])), Kind::Mp4);
    assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), Kind::Mov);
    assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"])), Kind::Heic);
    assert_eq!(sniff(&ftyp(b"mif1", &[b"mif1", b"heic"])), Kind::Heic);
    assert_eq!(sniff(&ftyp(b"avif", &[b"avif", b"mif1"])), Kind::Avif);
    assert_eq!(
        sniff(&ftyp(b"mif1", &[b"mif1", b"miaf", b"avif"])),
        Kind::Avif
    );
}

#[test]
fn anything_else_is_other() {
    assert_eq!(sniff(b""), Kind::Other);
    assert_eq!(sniff(b"\xFF\xD8"), Kind::Other, "too short to be a JPEG");
    assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Kind::Other);
    assert_eq!(sniff(b"<!DOCTYPE html>"), Kind::Other);
    assert_eq!(sniff(b"\0\0\0\x10ftyp"), Kind::Other, "no brand");
}
