//! The web app's files: served as built, with the encodings and cache rules of a release.
//!
//! The build (scripts/build-web) writes a Brotli (`.br`) and a gzip (`.gz`) copy beside every
//! text file and the wasm; a request that accepts one of them is answered with those bytes as
//! they are, never compressed again. Files under `/assets/` (and Workbox's runtime) carry a
//! content hash in their name, so a browser keeps them for a year without asking again; every
//! other file — the pages, the service worker, the manifest, the icons — is revalidated on each
//! use, so a new release reaches a device on its next visit.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::{ServeDir, ServeFile};

/// What a hashed asset's answer says: keep it for a year, it never changes under its name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// What every other file's answer says: ask again (a cheap 304 when unchanged) before each use.
pub const REVALIDATE: &str = "no-cache";

/// The web app in `dir` (which holds `index.html`): its files, any other path answered with the
/// start page, precompressed copies preferred, and the cache rules above.
pub fn service(dir: &Path) -> Router {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_rules))
}

/// Whether a path names a file whose name carries its content's hash.
fn hashed(path: &str) -> bool {
    path.starts_with("/assets/")
        || path
            .strip_prefix("/workbox-")
            .is_some_and(|rest| rest.ends_with(".js") && !rest.contains('/'))
}

async fn cache_rules(request: Request, next: Next) -> Response {
    let hashed = hashed(request.uri().path());
    let mut response = next.run(request).await;
    // A missing asset is answered with the start page, which must not be kept as if it were
    // that asset.
    let page = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let kept = hashed
        && !page
        && (response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED);
    let rule = if kept { IMMUTABLE } else { REVALIDATE };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(rule));
    // The same path answers Brotli, gzip or plain bytes by what the request accepts: a cache
    // between must keep one copy per encoding.
    if !headers.get_all(VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    }) {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::hashed;

    #[test]
    fn only_files_named_by_their_hash_are_kept() {
        assert!(hashed("/assets/carclub_web_bg-DfaJJWFg.wasm"));
        assert!(hashed("/assets/Layout-CMi-Is4N.js"));
        assert!(hashed("/workbox-2fbc6a65.js"));
        assert!(!hashed("/sw.js"));
        assert!(!hashed("/index.html"));
        assert!(!hashed("/field/"));
        assert!(!hashed("/manifest.webmanifest"));
        assert!(!hashed("/icons/icon-192.png"));
        assert!(!hashed("/workbox-x/other.js"));
    }
}
