//! Real images made from nothing: a baseline JPEG, a PNG, a GIF and a lossless WebP, each of the
//! asked width and height, each as small as its format allows (flat colours that real decoders
//! render), and each the same bytes for the same parameters.

use super::{MediaFile, Query};

/// Default size of every image (a square feed post).
const DEFAULT_SIDE: u32 = 1080;
/// The most pixels an image may have, so one request cannot hold much memory.
const MAX_PIXELS: u64 = 50_000_000;

/// `w` and `h`, checked against the format's largest side.
fn dimensions(query: &Query, max_side: u32) -> Result<(u32, u32), String> {
    let w = query.parsed::<u32>("w")?.unwrap_or(DEFAULT_SIDE);
    let h = query.parsed::<u32>("h")?.unwrap_or(DEFAULT_SIDE);
    if !(1..=max_side).contains(&w) || !(1..=max_side).contains(&h) {
        return Err(format!("w and h must be between 1 and {max_side}"));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("at most {MAX_PIXELS} pixels"));
    }
    Ok((w, h))
}

// ---- JPEG ----

/// `exif_bytes`: the bytes of one APP1 segment, marker included; at least this many.
const MIN_EXIF_SEGMENT: u64 = 26;
/// An APP1 segment's largest size, marker included.
const MAX_SEGMENT: u64 = 2 + 65_535;

/// `.jpg`/`.jpeg`: `w`, `h`, `exif_bytes`, `bytes`.
pub(super) fn jpeg_file(query: &Query) -> Result<MediaFile, String> {
    let (w, h) = dimensions(query, 65_535)?;
    let exif = query.parsed::<u64>("exif_bytes")?.unwrap_or(0);
    let jpeg = jpeg(w as u16, h as u16, exif)?;
    let mut file = MediaFile::whole("image/jpeg", jpeg);
    pad_to(&mut file, query)?;
    Ok(file)
}

/// `bytes=N`: zeros after the image so the file is exactly N bytes.
fn pad_to(file: &mut MediaFile, query: &Query) -> Result<(), String> {
    if let Some(total) = query.parsed::<u64>("bytes")? {
        let natural = file.len();
        if total < natural {
            return Err(format!(
                "bytes={total} is smaller than the file itself ({natural} bytes)"
            ));
        }
        file.zeros = total - natural;
    }
    Ok(())
}

/// Huffman table: code lengths 1..=16 (`BITS`) and symbols (`HUFFVAL`), ITU T.81 Annex C.
struct Huffman {
    bits: [u8; 16],
    values: &'static [u8],
}

/// Annex K.3 table K.3 (luminance DC differences), used for all three components.
const DC_TABLE: Huffman = Huffman {
    bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    values: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/// Every block is flat, so the only AC symbol is end-of-block (one 1-bit code).
const AC_TABLE: Huffman = Huffman {
    bits: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    values: &[0x00],
};

/// Quantizer of every coefficient: with 8, a flat block's DC coefficient is its level − 128.
const QUANT: u8 = 8;

impl Huffman {
    /// (code, length) per symbol, ITU T.81 Annex C.
    fn codes(&self) -> [(u16, u8); 256] {
        let mut out = [(0u16, 0u8); 256];
        let mut code: u16 = 0;
        let mut k = 0;
        for (i, &count) in self.bits.iter().enumerate() {
            for _ in 0..count {
                out[usize::from(self.values[k])] = (code, i as u8 + 1);
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        out
    }

    fn segment(&self, class_and_id: u8) -> Vec<u8> {
        let mut body = vec![class_and_id];
        body.extend_from_slice(&self.bits);
        body.extend_from_slice(self.values);
        body
    }
}

/// A marker segment: `FF xx`, its length (which counts itself), then the body.
fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Writes entropy-coded bits, stuffing a zero byte after every 0xFF.
#[derive(Default)]
struct JpegBits {
    out: Vec<u8>,
    acc: u32,
    count: u8,
}

impl JpegBits {
    fn put(&mut self, value: u16, length: u8) {
        for i in (0..length).rev() {
            self.acc = (self.acc << 1) | u32::from((value >> i) & 1);
            self.count += 1;
            if self.count == 8 {
                let byte = self.acc as u8;
                self.out.push(byte);
                if byte == 0xFF {
                    self.out.push(0x00);
                }
                self.acc = 0;
                self.count = 0;
            }
        }
    }

    /// Pads the last byte with 1 bits (T.81 F.1.2.3).
    fn finish(mut self) -> Vec<u8> {
        while self.count != 0 {
            self.put(1, 1);
        }
        self.out
    }
}

/// The colour of 8×8 block (bx, by) of (nx, ny) as Y, Cb, Cr levels: a diagonal gradient.
fn block_colour(bx: u32, by: u32, nx: u32, ny: u32) -> [i32; 3] {
    let span = (nx + ny).max(2) - 1;
    let y = 40 + (180 * (bx + by) / span) as i32;
    let cb = 128 + (96 * bx / nx.max(1)) as i32 - 48;
    let cr = 176 - (96 * by / ny.max(1)) as i32;
    [y, cb, cr]
}

/// A baseline (SOF0) YCbCr 4:4:4 JPEG of w×h pixels. `exif_bytes` > 0 puts APP1 segments of
/// that many bytes in all (markers included) right after SOI, before the frame header: an
/// `Exif` segment (a minimal TIFF header and an empty IFD, then padding) of up to 65,537 bytes,
/// then further APP1 segments as needed; a JFIF APP0 otherwise.
pub(super) fn jpeg(w: u16, h: u16, exif_bytes: u64) -> Result<Vec<u8>, String> {
    let mut out = vec![0xFF, 0xD8];
    if exif_bytes == 0 {
        out.extend(segment(
            0xE0,
            &[b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
        ));
    } else {
        out.extend(app1_segments(exif_bytes)?);
    }
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[QUANT; 64]);
    out.extend(segment(0xDB, &dqt));
    let [wh, wl] = w.to_be_bytes();
    let [hh, hl] = h.to_be_bytes();
    out.extend(segment(
        0xC0,
        &[8, hh, hl, wh, wl, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0],
    ));
    let mut dht = DC_TABLE.segment(0x00);
    dht.extend(AC_TABLE.segment(0x10));
    out.extend(segment(0xC4, &dht));
    out.extend(segment(0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]));
    out.extend(scan(u32::from(w), u32::from(h)));
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

fn scan(w: u32, h: u32) -> Vec<u8> {
    let dc = DC_TABLE.codes();
    let (eob, eob_len) = AC_TABLE.codes()[0];
    let (nx, ny) = (w.div_ceil(8), h.div_ceil(8));
    let mut bits = JpegBits::default();
    let mut previous = [0i32; 3];
    for by in 0..ny {
        for bx in 0..nx {
            for (component, level) in block_colour(bx, by, nx, ny).into_iter().enumerate() {
                // A flat block's only coefficient: DC = 8 × (level − 128), quantized by 8.
                let value = level.clamp(0, 255) - 128;
                let diff = value - previous[component];
                previous[component] = value;
                let category = 32 - diff.unsigned_abs().leading_zeros();
                let (code, length) = dc[category as usize];
                bits.put(code, length);
                if category > 0 {
                    let extra = if diff < 0 {
                        diff + (1 << category) - 1
                    } else {
                        diff
                    };
                    bits.put(extra as u16, category as u8);
                }
                bits.put(eob, eob_len);
            }
        }
    }
    bits.finish()
}

/// APP1 segments of `total` bytes in all: one `Exif` segment, then (when one segment cannot
/// hold it) more APP1 segments of an unregistered kind that readers skip.
fn app1_segments(total: u64) -> Result<Vec<u8>, String> {
    if total < MIN_EXIF_SEGMENT {
        return Err(format!(
            "exif_bytes must be 0 or at least {MIN_EXIF_SEGMENT}"
        ));
    }
    if total > 64 * 1024 * 1024 {
        return Err("exif_bytes must be at most 64 MiB".into());
    }
    let mut sizes = Vec::new();
    let mut left = total;
    while left > 0 {
        let mut size = left.min(MAX_SEGMENT);
        // Never leave a remainder too small for a segment of its own.
        if left - size > 0 && left - size < MIN_EXIF_SEGMENT {
            size -= MIN_EXIF_SEGMENT;
        }
        sizes.push(size as usize);
        left -= size;
    }
    let mut out = Vec::with_capacity(total as usize);
    for (index, size) in sizes.into_iter().enumerate() {
        let mut body = if index == 0 {
            // "Exif\0\0", then a little-endian TIFF header whose IFD 0 has no entries.
            let mut b = b"Exif\0\0II*\0".to_vec();
            b.extend_from_slice(&8u32.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b
        } else {
            b"graph-sim padding\0".to_vec()
        };
        body.resize(size - 4, 0);
        out.extend(segment(0xE1, &body));
    }
    Ok(out)
}

// ---- PNG ----

/// The CRC-32 of PNG chunks (and gzip), bitwise: images are small.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// Two-colour checkerboard squares of 40 pixels.
fn checker(x: u32, y: u32) -> bool {
    (x / 40 + y / 40) % 2 == 1
}

/// `.png`: a 1-bit palette PNG of `w`×`h`, its data in stored (uncompressed) deflate blocks.
pub(super) fn png_file(query: &Query) -> Result<MediaFile, String> {
    let (w, h) = dimensions(query, 65_535)?;
    let row_bytes = (w as usize).div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * h as usize);
    for y in 0..h {
        raw.push(0); // filter: none
        let start = raw.len();
        raw.resize(start + row_bytes, 0);
        for x in 0..w {
            if checker(x, y) {
                raw[start + x as usize / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 3, 0, 0, 0]); // 1 bit, palette, deflate, no filter, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"PLTE", &[0xF4, 0xE9, 0xD8, 0x2E, 0x4A, 0x6B]);
    png_chunk(&mut out, b"IDAT", &zlib);
    png_chunk(&mut out, b"IEND", &[]);
    Ok(MediaFile::whole("image/png", out))
}

// ---- GIF ----

/// `.gif`: a two-colour GIF89a of `w`×`h` (at most 4096 a side), LZW-coded without using the
/// string table (a clear code every two pixels), which every decoder reads.
pub(super) fn gif_file(query: &Query) -> Result<MediaFile, String> {
    let (w, h) = dimensions(query, 4096)?;
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&(w as u16).to_le_bytes());
    out.extend_from_slice(&(h as u16).to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0]); // global table of 2 colours
    out.extend_from_slice(&[0xF4, 0xE9, 0xD8, 0x2E, 0x4A, 0x6B]);
    out.push(0x2C);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(w as u16).to_le_bytes());
    out.extend_from_slice(&(h as u16).to_le_bytes());
    out.push(0);
    // Minimum code size 2: codes are 3 bits, clear = 4, end = 5. After a clear the decoder
    // adds no entry for the first code and entry 6 for the second, so 3 bits always suffice.
    out.push(2);
    let mut packed = Vec::new();
    let (mut acc, mut count) = (0u32, 0u32);
    let mut emit = |code: u32, packed: &mut Vec<u8>| {
        acc |= code << count;
        count += 3;
        while count >= 8 {
            packed.push(acc as u8);
            acc >>= 8;
            count -= 8;
        }
    };
    let mut run = 0;
    for y in 0..h {
        for x in 0..w {
            if run == 0 {
                emit(4, &mut packed);
            }
            emit(u32::from(checker(x, y)), &mut packed);
            run = (run + 1) % 2;
        }
    }
    emit(5, &mut packed);
    if count > 0 {
        packed.push(acc as u8);
    }
    for block in packed.chunks(255) {
        out.push(block.len() as u8);
        out.extend_from_slice(block);
    }
    out.push(0);
    out.push(0x3B);
    Ok(MediaFile::whole("image/gif", out))
}

// ---- WebP ----

/// Writes bits least significant first, as VP8L reads them.
#[derive(Default)]
struct LsbBits {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl LsbBits {
    fn put(&mut self, value: u32, length: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += length;
        while self.count >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// `.webp`: a lossless (VP8L) WebP of `w`×`h` (at most 16384 a side) in one colour. Every
/// prefix code has a single symbol, so the pixels take no bits at all.
pub(super) fn webp_file(query: &Query) -> Result<MediaFile, String> {
    let (w, h) = dimensions(query, 16_384)?;
    let mut bits = LsbBits::default();
    bits.put(0x2F, 8); // signature
    bits.put(w - 1, 14);
    bits.put(h - 1, 14);
    bits.put(0, 1); // alpha unused
    bits.put(0, 3); // version
    bits.put(0, 1); // no transform
    bits.put(0, 1); // no colour cache
    bits.put(0, 1); // no meta prefix codes
                    // Green, red, blue, alpha: simple codes with one 8-bit symbol; distance: symbol 0.
    for symbol in [0x99, 0x33, 0xCC, 0xFF] {
        bits.put(1, 1); // simple code
        bits.put(0, 1); // one symbol
        bits.put(1, 1); // 8-bit symbol
        bits.put(symbol, 8);
    }
    bits.put(1, 1);
    bits.put(0, 1);
    bits.put(0, 1); // 1-bit symbol
    bits.put(0, 1);
    let mut vp8l = bits.finish();
    let payload_len = vp8l.len() as u32;
    if vp8l.len() % 2 == 1 {
        vp8l.push(0);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + 8 + vp8l.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WEBPVP8L");
    out.extend_from_slice(&payload_len.to_le_bytes());
    out.extend_from_slice(&vp8l);
    Ok(MediaFile::whole("image/webp", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn exif_segments_add_up_to_the_asked_size() {
        for total in [26, 100, 65_537, 65_538, 65_537 + 25, 200_000] {
            let bytes = app1_segments(total).unwrap();
            assert_eq!(bytes.len() as u64, total, "{total}");
            assert_eq!(&bytes[4..10], b"Exif\0\0");
        }
        assert!(app1_segments(10).is_err());
    }
}
