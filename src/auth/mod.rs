//! Who is calling: platform servers with a JWT, browsers with a session cookie.

pub mod jwt;
pub mod session;
