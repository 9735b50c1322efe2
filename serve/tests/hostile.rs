//! `cordon serve` against clients that misbehave: a slow client, clients that go away half way
//! through a body, a thousand idle connections, bodies over the limits (answered `413` without
//! being read), a line longer than the limit. Through all of it the service keeps answering the
//! others. Nothing here depends on timing: a test waits for a condition, never a fixed time.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use common::{get, post_json, post_ndjson};

const H100_INDIA: &str = include_str!("../../examples/h100-to-india.json");

async fn answered_normally(addr: SocketAddr) {
    let reply = post_json(addr, "/v1/decide?detail=outcome", H100_INDIA).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// Reads a response's head (up to the blank line) from a raw connection.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => head.push(byte[0]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Waits until the connection is closed by the server (what it sent before is ignored).
async fn closed(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    for _ in 0..600 {
        let read = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_holds_up_no_one() {
    let mut options = common::options(common::ear());
    options.header_timeout = Duration::from_secs(1);
    let running = common::start(options).await;
    let addr = running.addr;

    // A client sending its body a piece at a time; its last piece waits for the others.
    let (others_done, wait_for_others) = tokio::sync::oneshot::channel::<()>();
    let body = H100_INDIA.as_bytes().to_vec();
    let slow = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /v1/decide?detail=outcome HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (most, last) = body.split_at(body.len() - 1);
        for piece in most.chunks(64) {
            stream.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        wait_for_others.await.unwrap();
        stream.write_all(last).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    });
    // A client that never finishes its headers is dropped after the header timeout.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"POST /v1/decide HTTP/1.1\r\nhost: te")
        .await
        .unwrap();

    for _ in 0..20 {
        answered_normally(addr).await;
    }
    others_done.send(()).unwrap();
    let answer = slow.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        closed(&mut stalled).await,
        "a client stalled in its headers was kept"
    );
    answered_normally(addr).await;
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_go_away_mid_body_leave_nothing_behind() {
    let running = common::start(common::options(common::ear())).await;
    let addr = running.addr;
    for _ in 0..20 {
        // One transaction: 100 bytes of the 1,000 announced.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v1/decide HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n")
            .await
            .unwrap();
        stream
            .write_all(&H100_INDIA.as_bytes()[..100])
            .await
            .unwrap();
        drop(stream);
        // A batch: two lines and half a third, chunked.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v1/decide HTTP/1.1\r\nhost: test\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let line = H100_INDIA.replace('\n', " ");
        let chunk = format!("{line}\n{line}\n{}", &line[..50]);
        stream
            .write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        drop(stream);
    }
    answered_normally(addr).await;
    // Every request the departed clients started has ended: only `/metrics` itself is in flight.
    let mut settled = false;
    for _ in 0..600 {
        let metrics = get(addr, "/metrics").await.text();
        if metrics.contains("cordon_requests_in_flight 1\n") {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "requests of departed clients are still in flight");
    running.shutdown();
    running.wait().await.unwrap();
}

/// The soft limit of open files, where Linux says it.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_stop_the_others() {
    let running = common::start(common::options(common::ear())).await;
    let addr = running.addr;
    // A thousand, or fewer where the process may not hold two thousand sockets (both ends are
    // in this process).
    let count = open_files_limit().map_or(1000, |limit| (limit.saturating_sub(200) / 2).min(1000));
    let mut idle = Vec::new();
    for _ in 0..count {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    for _ in 0..10 {
        answered_normally(addr).await;
    }
    // And the idle ones can still ask.
    let stream = &mut idle[count / 2];
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    assert!(read_head(stream).await.starts_with("HTTP/1.1 200"));
    drop(idle);
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_without_being_read() {
    let mut options = common::options(common::ear());
    options.max_body = 4096;
    options.max_batch = 64 << 10;
    let running = common::start(options).await;
    let addr = running.addr;

    // A gigabyte announced: 413 after the headers alone, for either kind of body.
    for content_type in ["application/x-ndjson", "application/json"] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /v1/decide HTTP/1.1\r\nhost: test\r\ncontent-type: {content_type}\r\ncontent-length: 1073741824\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let head = read_head(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 413"), "{content_type}: {head}");
    }

    // A transaction with no length announced: refused once it passes the limit, long before
    // the client would have finished.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /v1/decide HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let writer = tokio::spawn(async move {
        let chunk = vec![b' '; 1024];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        let mut sent = 0usize;
        // At most 64 MiB; the server answers after 4 KiB.
        while sent < 64 << 20 {
            if writing.write_all(&framed).await.is_err() {
                break;
            }
            sent += 1024;
        }
        sent
    });
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match reading.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => head.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    drop(reading);
    let sent = writer.await.unwrap();
    assert!(sent < 64 << 20, "the server read the whole body");

    // A batch with no length announced stops at the limit with a line saying so.
    let line = H100_INDIA.replace('\n', " ");
    let batch = format!("{line}\n").repeat((80 << 10) / line.len());
    let reply = post_ndjson(addr, "/v1/decide?detail=outcome", batch).await;
    assert_eq!(
        reply.status, 413,
        "a batch whose length is announced is refused at once"
    );

    // A line longer than the limit is an error of its own line; the next lines are decided.
    let long = format!("{{\"id\": \"{}\"}}", "x".repeat(10_000));
    let batch = format!("{line}\n{long}\n{line}\n");
    let reply = post_ndjson(addr, "/v1/decide?detail=outcome", batch).await;
    assert_eq!(reply.status, 200);
    let lines = reply.lines();
    assert_eq!(lines.len(), 3, "{}", reply.text());
    assert!(lines[0]["decision_id"].is_string());
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[1]["error"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than the limit")
    );
    assert!(lines[2]["decision_id"].is_string());

    answered_normally(addr).await;
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_batch_over_the_limit_ends_with_a_line_saying_so() {
    let mut options = common::options(common::ear());
    options.max_batch = 64 << 10;
    let running = common::start(options).await;
    let addr = running.addr;
    let line = H100_INDIA.replace('\n', " ");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /v1/decide?detail=outcome HTTP/1.1\r\nhost: test\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let writer = tokio::spawn(async move {
        let chunk = format!("{line}\n").repeat(16);
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        // About 1 MiB at most; the server stops reading after 64 KiB.
        for _ in 0..(1 << 20) / chunk.len() {
            if writing.write_all(framed.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = writing.write_all(b"0\r\n\r\n").await;
    });
    let mut answer = Vec::new();
    let _ = reading.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"kind\":\"batch\""), "{text}");
    assert!(text.contains("larger than the limit"), "{text}");
    writer.abort();
    answered_normally(addr).await;
    running.shutdown();
    running.wait().await.unwrap();
}
