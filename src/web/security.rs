//! What keeps the pages safe: signed values (CSRF tokens and the admin session), the
//! cookies that carry them, per-client rate limits and the security headers every answer
//! gets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::mail::token::{hex, unhex};

pub const CSRF_COOKIE: &str = "mobmatch_csrf";
pub const CSRF_FIELD: &str = "csrf";
pub const SESSION_COOKIE: &str = "mobmatch_admin";
pub const LANGUAGE_COOKIE: &str = "mobmatch_lang";

/// An admin session lasts this long after the login.
pub const SESSION_HOURS: i64 = 12;

/// No script at all, styles from our own stylesheet only, forms posted to us only, and
/// no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Signs values with the configured secret, one purpose at a time, so that a value
/// signed for one use (a CSRF token) is never accepted for another (a session).
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    pub fn new(secret: &str) -> Signer {
        Signer {
            secret: secret.as_bytes().to_vec(),
        }
    }

    pub fn sign(&self, purpose: &str, value: &str) -> String {
        hex(&self.mac(purpose, value).finalize().into_bytes())
    }

    /// Compares in constant time.
    pub fn verify(&self, purpose: &str, value: &str, signature_hex: &str) -> bool {
        match unhex(signature_hex) {
            Some(signature) => self.mac(purpose, value).verify_slice(&signature).is_ok(),
            None => false,
        }
    }

    fn mac(&self, purpose: &str, value: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac
    }

    /// The token a form carries for the browser whose CSRF cookie holds `nonce`: a site
    /// that cannot read our cookie cannot write the token.
    pub fn csrf_token(&self, nonce: &str) -> String {
        self.sign("csrf", nonce)
    }

    pub fn csrf_token_is_valid(&self, cookie_nonce: Option<&str>, token: Option<&str>) -> bool {
        match (cookie_nonce, token) {
            (Some(nonce), Some(token)) if !nonce.is_empty() => self.verify("csrf", nonce, token),
            _ => false,
        }
    }

    /// A session cookie's value: when it ends, and a signature over that and the
    /// password hash, so that changing the password ends every session.
    pub fn session_value(&self, expires: DateTime<Utc>, password_hash: &str) -> String {
        let expires = expires.timestamp();
        let signature = self.sign("admin-session", &session_payload(expires, password_hash));
        format!("{expires}.{signature}")
    }

    pub fn session_is_valid(&self, value: &str, password_hash: &str, now: DateTime<Utc>) -> bool {
        let Some((expires, signature)) = value.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        expires > now.timestamp()
            && self.verify(
                "admin-session",
                &session_payload(expires, password_hash),
                signature,
            )
    }
}

fn session_payload(expires: i64, password_hash: &str) -> String {
    let fingerprint = hex(&Sha256::digest(password_hash.as_bytes()));
    format!("{expires}.{fingerprint}")
}

/// A fresh random value for a CSRF cookie.
pub fn new_nonce() -> String {
    hex(&rand::random::<[u8; 16]>())
}

/// The cookies of a request, by name.
pub fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure when the site is
/// served over https, and gone at once when `max_age_seconds` is 0.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_seconds: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age_seconds {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("cookie names and values of ours are visible ASCII")
}

/// Counts requests per client address in fixed one-minute windows.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

/// Past this many clients in the map, windows of earlier minutes are dropped.
const RATE_LIMITER_CLIENTS: usize = 10_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` may make one more request at `now`; counts it if so.
    pub fn allow(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        let minute = now.timestamp().div_euclid(60);
        let mut windows = self
            .windows
            .lock()
            .expect("no thread panics holding the lock");
        if windows.len() > RATE_LIMITER_CLIENTS {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let (window, count) = windows.entry(client).or_insert((minute, 0));
        if *window != minute {
            *window = minute;
            *count = 0;
        }
        if *count >= self.per_minute {
            return false;
        }
        *count += 1;
        true
    }
}

/// Adds the security headers to every answer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages hold CSRF tokens and personal data: no cache keeps them.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_csrf_token_fits_only_its_own_cookie_and_secret() {
        let signer = Signer::new("secret");
        let token = signer.csrf_token("nonce-a");
        assert!(signer.csrf_token_is_valid(Some("nonce-a"), Some(&token)));
        assert!(!signer.csrf_token_is_valid(Some("nonce-b"), Some(&token)));
        assert!(!signer.csrf_token_is_valid(None, Some(&token)));
        assert!(!signer.csrf_token_is_valid(Some("nonce-a"), None));
        assert!(!signer.csrf_token_is_valid(Some("nonce-a"), Some("zz")));
        assert!(!Signer::new("other").csrf_token_is_valid(Some("nonce-a"), Some(&token)));
    }

    #[test]
    fn a_session_ends_at_its_time_and_when_the_password_changes() {
        let signer = Signer::new("secret");
        let value = signer.session_value(now() + Duration::hours(1), "hash-1");
        assert!(signer.session_is_valid(&value, "hash-1", now()));
        assert!(!signer.session_is_valid(&value, "hash-2", now()));
        assert!(!signer.session_is_valid(&value, "hash-1", now() + Duration::hours(2)));
        let forged = format!(
            "{}.{}",
            (now() + Duration::days(9)).timestamp(),
            &value[11..]
        );
        assert!(!signer.session_is_valid(&forged, "hash-1", now()));
        // A CSRF token is not a session, even for the same text.
        let csrf = signer.csrf_token("1.x");
        assert!(!signer.session_is_valid(&format!("1.{csrf}"), "x", now()));
    }

    #[test]
    fn the_rate_limit_counts_per_client_and_minute() {
        let limiter = RateLimiter::new(2);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.allow(client, now()));
        assert!(limiter.allow(client, now()));
        assert!(!limiter.allow(client, now()));
        assert!(limiter.allow(other, now()));
        assert!(limiter.allow(client, now() + Duration::minutes(1)));
    }
}
