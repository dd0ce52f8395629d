//! MP4 and QuickTime files (ISO BMFF): `ftyp`, `moov` (a video track and, unless `audio=0`, an
//! AAC track, with complete sample tables) and `mdat`, in either order. The samples are zero
//! bytes: the structure is real, the pictures are not.

use super::{MediaFile, Query};

/// The video codecs a `codec=` parameter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VideoCodec {
    /// `avc1` (H.264) with an `avcC` holding a real SPS and PPS.
    Avc,
    /// `hvc1` (HEVC) with an `hvcC` (Main profile, no parameter-set arrays).
    Hevc,
    /// `mp4v` (MPEG-4 Part 2) with an `esds`.
    Mpeg4Visual,
}

impl VideoCodec {
    fn parse(raw: &str) -> Result<VideoCodec, String> {
        match raw.to_ascii_lowercase().as_str() {
            "avc1" | "avc" | "h264" => Ok(VideoCodec::Avc),
            "hvc1" | "hevc" | "h265" => Ok(VideoCodec::Hevc),
            "mp4v" | "mpeg4" => Ok(VideoCodec::Mpeg4Visual),
            _ => Err(format!("codec={raw}: use avc1, hvc1 or mp4v")),
        }
    }
}

/// What a `.mp4`/`.mov` URL asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VideoSpec {
    pub secs: f64,
    pub fps: f64,
    pub width: u32,
    pub height: u32,
    pub codec: VideoCodec,
    pub audio: bool,
    pub moov_first: bool,
    pub bytes: Option<u64>,
}

/// Video track timescale (90 kHz, as MPEG systems use).
const VIDEO_TIMESCALE: u32 = 90_000;
/// Movie (`mvhd`) timescale: milliseconds.
const MOVIE_TIMESCALE: u32 = 1000;
const AUDIO_RATE: u32 = 44_100;
/// An AAC frame is 1024 samples.
const AUDIO_FRAME: u32 = 1024;
/// Bytes per AAC frame at 128 kbit/s.
const AUDIO_SAMPLE_BYTES: u64 = 372;
/// Video bitrate when `bytes` is not given.
const DEFAULT_VIDEO_BITS_PER_SEC: f64 = 2_000_000.0;
/// Largest file (the `mdat` and `stco` offsets stay 32-bit).
const MAX_FILE_BYTES: u64 = 4_000_000_000;

impl VideoSpec {
    pub fn from_query(query: &Query) -> Result<VideoSpec, String> {
        let secs = query.parsed::<f64>("secs")?.unwrap_or(10.0);
        let fps = query.parsed::<f64>("fps")?.unwrap_or(30.0);
        let width = query.parsed::<u32>("w")?.unwrap_or(1080);
        let height = query.parsed::<u32>("h")?.unwrap_or(1920);
        if !(secs.is_finite() && secs > 0.0 && secs <= 4.0 * 3600.0) {
            return Err("secs must be more than 0 and at most 14400".into());
        }
        if !(fps.is_finite() && (1.0..=240.0).contains(&fps)) {
            return Err("fps must be between 1 and 240".into());
        }
        if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
            return Err("w and h must be between 16 and 8192".into());
        }
        let codec = match query.get("codec") {
            Some(raw) => VideoCodec::parse(raw)?,
            None => VideoCodec::Avc,
        };
        let moov_first = match query.get("moov") {
            None | Some("start") => true,
            Some("end") => false,
            Some(other) => return Err(format!("moov={other}: use start or end")),
        };
        let audio = !matches!(query.get("audio"), Some("0" | "false" | "no"));
        let bytes = query.parsed::<u64>("bytes")?;
        if bytes.is_some_and(|b| b > MAX_FILE_BYTES) {
            return Err(format!("bytes must be at most {MAX_FILE_BYTES}"));
        }
        Ok(VideoSpec {
            secs,
            fps,
            width,
            height,
            codec,
            audio,
            moov_first,
            bytes,
        })
    }

    fn video_samples(&self) -> u32 {
        // Never longer than `secs` (a 60 s story must not read 60.01 s).
        ((self.secs * self.fps + 1e-9).floor() as u32).max(1)
    }

    fn video_delta(&self) -> u32 {
        ((f64::from(VIDEO_TIMESCALE) / self.fps).round() as u32).max(1)
    }

    fn audio_samples(&self) -> u32 {
        if self.audio {
            ((self.secs * f64::from(AUDIO_RATE) / f64::from(AUDIO_FRAME) + 1e-9).floor() as u32)
                .max(1)
        } else {
            0
        }
    }

    /// The video's length in milliseconds, as `mvhd` states it.
    pub fn duration_ms(&self) -> u64 {
        let video = u64::from(self.video_samples()) * u64::from(self.video_delta()) * 1000
            / u64::from(VIDEO_TIMESCALE);
        let audio =
            u64::from(self.audio_samples()) * u64::from(AUDIO_FRAME) * 1000 / u64::from(AUDIO_RATE);
        video.max(audio)
    }
}

/// `.mp4` / `.mov`.
pub(super) fn video_file(query: &Query, quicktime: bool) -> Result<MediaFile, String> {
    let spec = VideoSpec::from_query(query)?;
    build(&spec, quicktime)
}

/// Sample sizes and where the samples sit.
struct Layout {
    video_sample: u64,
    audio_offset_in_mdat: u64,
    payload: u64,
}

fn build(spec: &VideoSpec, quicktime: bool) -> Result<MediaFile, String> {
    let ftyp = ftyp(quicktime);
    let n_video = u64::from(spec.video_samples());
    let n_audio = u64::from(spec.audio_samples());
    let audio_bytes = n_audio * AUDIO_SAMPLE_BYTES;
    // The moov's size does not depend on the offsets it holds.
    let moov_len = moov(spec, quicktime, 1, 1, 1).len() as u64;
    let overhead = ftyp.len() as u64 + moov_len + 8;
    let layout = match spec.bytes {
        None => {
            let video_sample =
                ((DEFAULT_VIDEO_BITS_PER_SEC / 8.0 / spec.fps).round() as u64).max(1);
            Layout {
                video_sample,
                audio_offset_in_mdat: n_video * video_sample,
                payload: n_video * video_sample + audio_bytes,
            }
        }
        Some(total) => {
            let payload = total.saturating_sub(overhead);
            let video_sample = payload.saturating_sub(audio_bytes) / n_video;
            if total < overhead || video_sample == 0 {
                return Err(format!(
                    "bytes={total} cannot hold this video: at least {} bytes",
                    overhead + audio_bytes + n_video
                ));
            }
            Layout {
                video_sample,
                audio_offset_in_mdat: n_video * video_sample,
                // Whatever the samples leave over stays in the mdat, unreferenced.
                payload,
            }
        }
    };
    if overhead + layout.payload > MAX_FILE_BYTES {
        return Err(format!("the file would exceed {MAX_FILE_BYTES} bytes"));
    }
    let mdat_start = if spec.moov_first {
        ftyp.len() as u64 + moov_len + 8
    } else {
        ftyp.len() as u64 + 8
    };
    let moov = moov(
        spec,
        quicktime,
        layout.video_sample as u32,
        mdat_start as u32,
        (mdat_start + layout.audio_offset_in_mdat) as u32,
    );
    let mut mdat_header = ((8 + layout.payload) as u32).to_be_bytes().to_vec();
    mdat_header.extend_from_slice(b"mdat");
    let content_type = if quicktime {
        "video/quicktime"
    } else {
        "video/mp4"
    };
    let (head, tail) = if spec.moov_first {
        ([ftyp, moov, mdat_header].concat(), Vec::new())
    } else {
        ([ftyp, mdat_header].concat(), moov)
    };
    Ok(MediaFile {
        content_type,
        head: head.into(),
        zeros: layout.payload,
        tail: tail.into(),
    })
}

// ---- Boxes ----

fn bx(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = 8 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(kind);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// A full box: version 0 and `flags`.
fn full(kind: &[u8; 4], flags: u32, parts: &[&[u8]]) -> Vec<u8> {
    let header = flags.to_be_bytes();
    let mut all: Vec<&[u8]> = vec![&header];
    all.extend_from_slice(parts);
    bx(kind, &all)
}

/// Big-endian fields in a row.
#[derive(Default)]
struct Fields(Vec<u8>);

impl Fields {
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
    fn zeros(mut self, n: usize) -> Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
    /// The unity transformation matrix of `mvhd` and `tkhd`.
    fn matrix(self) -> Self {
        self.u32(0x0001_0000)
            .u32(0)
            .u32(0)
            .u32(0)
            .u32(0x0001_0000)
            .u32(0)
            .u32(0)
            .u32(0)
            .u32(0x4000_0000)
    }
}

fn ftyp(quicktime: bool) -> Vec<u8> {
    if quicktime {
        bx(b"ftyp", &[b"qt  ", &0x2005_0300u32.to_be_bytes(), b"qt  "])
    } else {
        bx(
            b"ftyp",
            &[b"isom", &0x200u32.to_be_bytes(), b"isom", b"mp42"],
        )
    }
}

fn moov(
    spec: &VideoSpec,
    quicktime: bool,
    video_sample: u32,
    video_offset: u32,
    audio_offset: u32,
) -> Vec<u8> {
    let duration_ms = spec.duration_ms() as u32;
    let mvhd = full(
        b"mvhd",
        0,
        &[&Fields::default()
            .u32(0)
            .u32(0)
            .u32(MOVIE_TIMESCALE)
            .u32(duration_ms)
            .u32(0x0001_0000) // rate 1.0
            .u16(0x0100) // volume 1.0
            .zeros(10)
            .matrix()
            .zeros(24)
            .u32(if spec.audio { 3 } else { 2 })
            .0],
    );
    let video = video_trak(spec, quicktime, video_sample, video_offset);
    if spec.audio {
        let audio = audio_trak(spec, quicktime, audio_offset);
        bx(b"moov", &[&mvhd, &video, &audio])
    } else {
        bx(b"moov", &[&mvhd, &video])
    }
}

fn tkhd(track_id: u32, duration_ms: u32, volume: u16, width: u32, height: u32) -> Vec<u8> {
    full(
        b"tkhd",
        0x3, // enabled, in movie
        &[&Fields::default()
            .u32(0)
            .u32(0)
            .u32(track_id)
            .u32(0)
            .u32(duration_ms)
            .zeros(8)
            .u16(0) // layer
            .u16(0) // alternate group
            .u16(volume)
            .u16(0)
            .matrix()
            .u32(width << 16)
            .u32(height << 16)
            .0],
    )
}

fn mdhd(timescale: u32, duration: u32) -> Vec<u8> {
    full(
        b"mdhd",
        0,
        &[&Fields::default()
            .u32(0)
            .u32(0)
            .u32(timescale)
            .u32(duration)
            .u16(0x55C4) // "und"
            .u16(0)
            .0],
    )
}

fn hdlr(quicktime: bool, handler: &[u8; 4], name: &str) -> Vec<u8> {
    // QuickTime names the component type here; ISO BMFF has a zero.
    let component: &[u8] = if quicktime { b"mhlr" } else { &[0; 4] };
    let mut name = name.as_bytes().to_vec();
    name.push(0);
    full(b"hdlr", 0, &[component, handler, &[0; 12], &name])
}

fn dinf() -> Vec<u8> {
    let url = full(b"url ", 1, &[]);
    let dref = full(b"dref", 0, &[&1u32.to_be_bytes(), &url]);
    bx(b"dinf", &[&dref])
}

/// `stts`, `stsc`, `stsz` and `stco` for n samples of one size, delta and chunk.
fn sample_tables(count: u32, delta: u32, size: u32, offset: u32) -> Vec<u8> {
    let one = 1u32.to_be_bytes();
    let stts = full(
        b"stts",
        0,
        &[&one, &count.to_be_bytes(), &delta.to_be_bytes()],
    );
    let stsc = full(b"stsc", 0, &[&one, &one, &count.to_be_bytes(), &one]);
    let stsz = full(b"stsz", 0, &[&size.to_be_bytes(), &count.to_be_bytes()]);
    let stco = full(b"stco", 0, &[&one, &offset.to_be_bytes()]);
    [stts, stsc, stsz, stco].concat()
}

fn video_trak(spec: &VideoSpec, quicktime: bool, sample: u32, offset: u32) -> Vec<u8> {
    let count = spec.video_samples();
    let delta = spec.video_delta();
    let media_duration = count * delta;
    let duration_ms = (u64::from(media_duration) * 1000 / u64::from(VIDEO_TIMESCALE)) as u32;
    let entry = video_sample_entry(spec);
    let stsd = full(b"stsd", 0, &[&1u32.to_be_bytes(), &entry]);
    let stbl = bx(
        b"stbl",
        &[&stsd, &sample_tables(count, delta, sample, offset)],
    );
    let vmhd = full(b"vmhd", 1, &[&[0; 8]]);
    let minf = bx(b"minf", &[&vmhd, &dinf(), &stbl]);
    let mdia = bx(
        b"mdia",
        &[
            &mdhd(VIDEO_TIMESCALE, media_duration),
            &hdlr(quicktime, b"vide", "VideoHandler"),
            &minf,
        ],
    );
    let tkhd = tkhd(1, duration_ms, 0, spec.width, spec.height);
    bx(b"trak", &[&tkhd, &mdia])
}

fn audio_trak(spec: &VideoSpec, quicktime: bool, offset: u32) -> Vec<u8> {
    let count = spec.audio_samples();
    let media_duration = count * AUDIO_FRAME;
    let duration_ms = (u64::from(media_duration) * 1000 / u64::from(AUDIO_RATE)) as u32;
    let mp4a = bx(
        b"mp4a",
        &[&Fields::default()
            .zeros(6)
            .u16(1) // data reference index
            .zeros(8) // version, revision, vendor
            .u16(2) // channels
            .u16(16) // bits per sample
            .u16(0)
            .u16(0)
            .u32(AUDIO_RATE << 16)
            .bytes(&aac_esds())
            .0],
    );
    let stsd = full(b"stsd", 0, &[&1u32.to_be_bytes(), &mp4a]);
    let stbl = bx(
        b"stbl",
        &[
            &stsd,
            &sample_tables(count, AUDIO_FRAME, AUDIO_SAMPLE_BYTES as u32, offset),
        ],
    );
    let smhd = full(b"smhd", 0, &[&[0; 4]]);
    let minf = bx(b"minf", &[&smhd, &dinf(), &stbl]);
    let mdia = bx(
        b"mdia",
        &[
            &mdhd(AUDIO_RATE, media_duration),
            &hdlr(quicktime, b"soun", "SoundHandler"),
            &minf,
        ],
    );
    bx(b"trak", &[&tkhd(2, duration_ms, 0x0100, 0, 0), &mdia])
}

/// An MPEG-4 descriptor: tag, one length byte (all ours are short), body.
fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag, body.len() as u8];
    out.extend_from_slice(body);
    out
}

/// `esds` with an ES descriptor for `object_type` (0x40 AAC, 0x20 MPEG-4 Visual).
fn esds(object_type: u8, stream_type: u8, bitrate: u32, specific: &[u8]) -> Vec<u8> {
    let decoder_config = descriptor(
        0x04,
        &Fields::default()
            .u8(object_type)
            .u8((stream_type << 2) | 1)
            .bytes(&[0, 0x18, 0]) // buffer size
            .u32(bitrate)
            .u32(bitrate)
            .bytes(&descriptor(0x05, specific))
            .0,
    );
    let sl_config = descriptor(0x06, &[0x02]);
    let es = descriptor(
        0x03,
        &Fields::default()
            .u16(0) // ES id
            .u8(0) // flags
            .bytes(&decoder_config)
            .bytes(&sl_config)
            .0,
    );
    full(b"esds", 0, &[&es])
}

/// AAC-LC, 44.1 kHz, stereo: AudioSpecificConfig 00010 0100 0010 000.
fn aac_esds() -> Vec<u8> {
    esds(0x40, 0x05, 128_000, &[0x12, 0x10])
}

fn video_sample_entry(spec: &VideoSpec) -> Vec<u8> {
    let (kind, compressor, config) = match spec.codec {
        VideoCodec::Avc => (b"avc1", "AVC Coding", avcc(spec)),
        VideoCodec::Hevc => (b"hvc1", "HEVC Coding", hvcc(spec)),
        VideoCodec::Mpeg4Visual => (
            b"mp4v",
            "MPEG-4 Visual",
            // Visual object sequence (Simple Profile L1) and visual object start codes.
            esds(
                0x20,
                0x04,
                2_000_000,
                &[0, 0, 1, 0xB0, 0x01, 0, 0, 1, 0xB5, 0x09],
            ),
        ),
    };
    let mut name = [0u8; 32];
    name[0] = compressor.len() as u8;
    name[1..=compressor.len()].copy_from_slice(compressor.as_bytes());
    bx(
        kind,
        &[&Fields::default()
            .zeros(6)
            .u16(1) // data reference index
            .zeros(16)
            .u16(spec.width as u16)
            .u16(spec.height as u16)
            .u32(0x0048_0000) // 72 dpi
            .u32(0x0048_0000)
            .u32(0)
            .u16(1) // frames per sample
            .bytes(&name)
            .u16(0x0018) // depth
            .u16(0xFFFF)
            .bytes(&config)
            .0],
    )
}

// ---- H.264 parameter sets ----

/// Writes bits most significant first, with Exp-Golomb codes (H.264 §9.1).
#[derive(Default)]
struct RbspBits {
    out: Vec<u8>,
    acc: u8,
    count: u8,
}

impl RbspBits {
    fn bit(&mut self, bit: bool) {
        self.acc = (self.acc << 1) | u8::from(bit);
        self.count += 1;
        if self.count == 8 {
            self.out.push(self.acc);
            self.acc = 0;
            self.count = 0;
        }
    }
    fn bits(&mut self, value: u32, n: u32) {
        for i in (0..n).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }
    fn ue(&mut self, value: u32) {
        let v = value + 1;
        let len = 32 - v.leading_zeros();
        self.bits(0, len - 1);
        self.bits(v, len);
    }
    fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            (2 * value - 1) as u32
        } else {
            (-2 * value) as u32
        };
        self.ue(mapped);
    }
    /// rbsp_trailing_bits, then emulation prevention, behind the NAL header byte.
    fn nal(mut self, header: u8) -> Vec<u8> {
        self.bit(true);
        while self.count != 0 {
            self.bit(false);
        }
        let mut out = vec![header];
        let mut zeros = 0;
        for byte in self.out {
            if zeros >= 2 && byte <= 3 {
                out.push(3);
                zeros = 0;
            }
            zeros = if byte == 0 { zeros + 1 } else { 0 };
            out.push(byte);
        }
        out
    }
}

/// The lowest H.264 level whose frame size and macroblock rate fit (Table A-1).
fn h264_level(macroblocks: u32, fps: f64) -> u8 {
    let per_second = f64::from(macroblocks) * fps;
    const LEVELS: [(u8, u32, f64); 9] = [
        (31, 3_600, 108_000.0),
        (32, 5_120, 216_000.0),
        (40, 8_192, 245_760.0),
        (42, 8_704, 522_240.0),
        (50, 22_080, 589_824.0),
        (51, 36_864, 983_040.0),
        (52, 36_864, 2_073_600.0),
        (60, 139_264, 4_177_920.0),
        (62, 139_264, 16_711_680.0),
    ];
    LEVELS
        .iter()
        .find(|(_, frame, rate)| macroblocks <= *frame && per_second <= *rate)
        .map_or(62, |(level, _, _)| *level)
}

/// High profile SPS for the spec's size (cropped from whole macroblocks), 4:2:0, 8 bits.
fn sps(spec: &VideoSpec, level: u8) -> Vec<u8> {
    let mbs_w = spec.width.div_ceil(16);
    let mbs_h = spec.height.div_ceil(16);
    let mut b = RbspBits::default();
    b.bits(100, 8); // profile_idc: High
    b.bits(0, 8); // constraint flags
    b.bits(u32::from(level), 8);
    b.ue(0); // seq_parameter_set_id
    b.ue(1); // chroma_format_idc 4:2:0
    b.ue(0); // bit_depth_luma_minus8
    b.ue(0); // bit_depth_chroma_minus8
    b.bit(false); // qpprime_y_zero_transform_bypass_flag
    b.bit(false); // seq_scaling_matrix_present_flag
    b.ue(4); // log2_max_frame_num_minus4
    b.ue(2); // pic_order_cnt_type
    b.ue(1); // max_num_ref_frames
    b.bit(false); // gaps_in_frame_num_value_allowed_flag
    b.ue(mbs_w - 1);
    b.ue(mbs_h - 1);
    b.bit(true); // frame_mbs_only_flag
    b.bit(true); // direct_8x8_inference_flag
    let crop_right = (mbs_w * 16 - spec.width) / 2;
    let crop_bottom = (mbs_h * 16 - spec.height) / 2;
    let cropping = crop_right > 0 || crop_bottom > 0;
    b.bit(cropping);
    if cropping {
        b.ue(0);
        b.ue(crop_right);
        b.ue(0);
        b.ue(crop_bottom);
    }
    b.bit(false); // vui_parameters_present_flag
    b.nal(0x67)
}

fn pps() -> Vec<u8> {
    let mut b = RbspBits::default();
    b.ue(0); // pic_parameter_set_id
    b.ue(0); // seq_parameter_set_id
    b.bit(true); // entropy_coding_mode_flag: CABAC
    b.bit(false); // bottom_field_pic_order_in_frame_present_flag
    b.ue(0); // num_slice_groups_minus1
    b.ue(0); // num_ref_idx_l0_default_active_minus1
    b.ue(0); // num_ref_idx_l1_default_active_minus1
    b.bit(false); // weighted_pred_flag
    b.bits(0, 2); // weighted_bipred_idc
    b.se(0); // pic_init_qp_minus26
    b.se(0); // pic_init_qs_minus26
    b.se(0); // chroma_qp_index_offset
    b.bit(true); // deblocking_filter_control_present_flag
    b.bit(false); // constrained_intra_pred_flag
    b.bit(false); // redundant_pic_cnt_present_flag
    b.nal(0x68)
}

/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) with one SPS and one PPS.
fn avcc(spec: &VideoSpec) -> Vec<u8> {
    let macroblocks = spec.width.div_ceil(16) * spec.height.div_ceil(16);
    let level = h264_level(macroblocks, spec.fps);
    let sps = sps(spec, level);
    let pps = pps();
    let record = Fields::default()
        .u8(1)
        .u8(100)
        .u8(0)
        .u8(level)
        .u8(0xFF) // 4-byte NAL lengths
        .u8(0xE1) // one SPS
        .u16(sps.len() as u16)
        .bytes(&sps)
        .u8(1)
        .u16(pps.len() as u16)
        .bytes(&pps)
        .u8(0xFD) // chroma_format 4:2:0
        .u8(0xF8) // bit_depth_luma_minus8
        .u8(0xF8) // bit_depth_chroma_minus8
        .u8(0); // no SPS extensions
    bx(b"avcC", &[&record.0])
}

/// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1), Main profile, level 4.1
/// (5.1 above 1080p), no parameter-set arrays.
fn hvcc(spec: &VideoSpec) -> Vec<u8> {
    let level = if u64::from(spec.width) * u64::from(spec.height) > 2_228_224 {
        153
    } else {
        123
    };
    let record = Fields::default()
        .u8(1)
        .u8(0x01) // profile space 0, tier main, profile Main
        .u32(0x6000_0000) // compatible with Main and Main 10
        .bytes(&[0x90, 0, 0, 0, 0, 0]) // progressive, frame only
        .u8(level)
        .u16(0xF000) // min_spatial_segmentation_idc 0
        .u8(0xFC) // parallelism unknown
        .u8(0xFD) // chroma 4:2:0
        .u8(0xF8) // 8-bit luma
        .u8(0xF8) // 8-bit chroma
        .u16(0) // avgFrameRate unknown
        .u8(0x0F) // one temporal layer, nested, 4-byte NAL lengths
        .u8(0); // no arrays
    bx(b"hvcC", &[&record.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_codes() {
        let mut b = RbspBits::default();
        b.ue(0); // 1
        b.ue(1); // 010
        b.ue(2); // 011
        b.se(-1); // ue(2) = 011
        assert_eq!(b.count, 2);
        assert_eq!(b.out, [0b1010_0110]);
    }

    #[test]
    fn emulation_prevention_is_inserted() {
        let b = RbspBits {
            out: vec![0, 0, 1, 0, 0, 0],
            ..RbspBits::default()
        };
        assert_eq!(b.nal(0x67), [0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0x80]);
    }

    #[test]
    fn levels_follow_table_a1() {
        assert_eq!(h264_level(8160, 30.0), 40);
        assert_eq!(h264_level(8160, 60.0), 42);
        assert_eq!(h264_level(32_400, 30.0), 51);
    }
}
