//! What the service's tests share: takes options and requests, and gives a service started
//! in-process on 127.0.0.1:0, a small HTTP/1.1 client over a real socket, a copy of
//! `policies/ear` to edit, and the check of an answer against the OpenAPI document.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;

use cordon_serve::{Options, Running};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn ear() -> PathBuf {
    repo().join("policies/ear")
}

/// Options for a test: the EAR policy, any free port, no watching unless asked for.
pub fn options(policy: PathBuf) -> Options {
    let mut options = Options::new(policy);
    options.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    options.watch = false;
    options.engine_threads = 2;
    options
}

pub async fn start(options: Options) -> Running {
    cordon_serve::start(options).await.unwrap()
}

/// A copy of `policies/ear` in a fresh temporary directory.
pub fn copy_of_ear(name: &str) -> PathBuf {
    let target = std::env::temp_dir().join(format!(
        "cordon-serve-{name}-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    copy_dir(&ear(), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The lines of an `x-ndjson` answer, as JSON.
    pub fn lines(&self) -> Vec<Json> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// One request on a connection of its own.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    let request = builder.body(Full::new(body.into())).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None, Bytes::new()).await
}

pub async fn post_json(addr: SocketAddr, path: &str, body: impl Into<Bytes>) -> Reply {
    request(addr, "POST", path, Some("application/json"), body).await
}

pub async fn post_ndjson(addr: SocketAddr, path: &str, body: impl Into<Bytes>) -> Reply {
    request(addr, "POST", path, Some("application/x-ndjson"), body).await
}

/// Polls until `done` holds of `/ready`'s answer (up to a minute: CI machines are slow, and a
/// test that waits on a condition rather than a fixed time does not flake).
pub async fn wait_for_ready(addr: SocketAddr, done: impl Fn(&Json) -> bool) -> Json {
    for _ in 0..600 {
        let ready = get(addr, "/ready").await;
        if ready.status == 200 {
            let json = ready.json();
            if done(&json) {
                return json;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/ready never showed what was waited for");
}

/// The OpenAPI document the service serves.
pub fn openapi() -> Json {
    serde_json::from_str(cordon_serve::api::OPENAPI).unwrap()
}

/// Checks an answer against the schema the OpenAPI document gives for it: the route (as written
/// in the document), the method, the status and the content type.
pub fn conforms(document: &Json, route: &str, method: &str, reply: &Reply, instance: &Json) {
    let errors = violations(document, route, method, reply, instance);
    assert!(
        errors.is_empty(),
        "{method} {route} {}: the answer does not match the OpenAPI document: {errors:?}\n{instance}",
        reply.status
    );
}

/// What in an answer does not match the OpenAPI document (nothing, when it conforms).
pub fn violations(
    document: &Json,
    route: &str,
    method: &str,
    reply: &Reply,
    instance: &Json,
) -> Vec<String> {
    let content_type = reply.content_type().split(';').next().unwrap_or("").trim();
    let status = reply.status.to_string();
    let schema = document
        .pointer(&format!(
            "/paths/{}/{method}/responses/{status}/content/{}/schema",
            route.replace('~', "~0").replace('/', "~1"),
            content_type.replace('/', "~1")
        ))
        .unwrap_or_else(|| {
            panic!("the OpenAPI document has no {method} {route} {status} {content_type}")
        });
    // The document itself is the schema's root, so that its `$ref`s resolve.
    let mut root = document.clone();
    root["allOf"] = serde_json::json!([schema]);
    let validator = jsonschema::validator_for(&root).unwrap();
    validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path))
        .collect()
}
