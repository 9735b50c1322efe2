//! `cordon serve` as a process: it says where it listens, reloads on SIGHUP, and on SIGTERM
//! finishes and exits 0. (The protocol itself is tested in-process, in `serve/tests/`.)

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Sends a signal to the process with this id.
fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for a log line with `text`, up to a minute.
fn wait_for(lines: &mpsc::Receiver<String>, text: &str) -> String {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(text) => return line,
            Ok(_) => {}
            Err(_) => panic!("no log line with `{text}`"),
        }
    }
}

#[test]
fn sighup_reloads_and_sigterm_exits_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "serve",
            "--policy",
            "policies/ear",
            "--addr",
            "127.0.0.1:0",
            "--no-watch",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let listening = wait_for(&lines, "\"listening\"");
    let log: serde_json::Value = serde_json::from_str(&listening).unwrap();
    let addr = log["addr"].as_str().unwrap().to_string();

    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The request's one log line.
    let request = wait_for(&lines, "\"path\":\"/ready\"");
    assert!(request.contains("\"status\":200") && request.contains("latency_us"));

    signal(child.id(), "HUP");
    wait_for(&lines, "SIGHUP: reloading");
    signal(child.id(), "TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
