//! Every log line the suite produces, kept in memory, so a test can prove that no secret reaches
//! the logs (docs/security.md L1). `TEST_LOG=1` also prints them.

use std::{
    io::Write,
    sync::{Mutex, OnceLock},
};

use tracing_subscriber::{fmt::MakeWriter, EnvFilter};

static CAPTURED: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

fn buffer() -> &'static Mutex<Vec<u8>> {
    CAPTURED.get_or_init(|| Mutex::new(Vec::new()))
}

#[derive(Clone, Copy)]
struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        buffer().lock().unwrap().extend_from_slice(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// Installs the capturing subscriber once per test binary, at debug level for our own crate.
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(
            "debug,hyper=info,h2=info,mongodb=info,reqwest=info,rustls=info,tower=info",
        ))
        .with_writer(Capture)
        .with_ansi(false)
        .try_init();
}

/// Everything logged so far.
pub fn captured() -> String {
    String::from_utf8_lossy(&buffer().lock().unwrap()).into_owned()
}
