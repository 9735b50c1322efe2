//! A client of `cordon lsp` for tests and benchmarks: the server runs in-process on a tokio runtime
//! and the two talk the protocol's framed JSON over an in-memory pipe, as an editor would.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::{mpsc, oneshot};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

pub struct TestClient {
    writer: Arc<tokio::sync::Mutex<WriteHalf<DuplexStream>>>,
    pending: Pending,
    notifications: mpsc::UnboundedReceiver<Value>,
    next_id: i64,
    /// What the server said it can do.
    pub capabilities: Value,
}

async fn write_message(writer: &tokio::sync::Mutex<WriteHalf<DuplexStream>>, body: &str) {
    let mut writer = writer.lock().await;
    let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    writer
        .write_all(framed.as_bytes())
        .await
        .expect("the server's pipe is open");
}

/// Reads one framed message; `None` at the end of the stream.
async fn read_message(reader: &mut BufReader<tokio::io::ReadHalf<DuplexStream>>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl TestClient {
    /// Starts a server and initializes it.
    pub async fn start() -> TestClient {
        let (client_side, server_side) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(cordon_lsp::serve(server_read, server_write));
        let (client_read, client_write) = tokio::io::split(client_side);
        let writer = Arc::new(tokio::sync::Mutex::new(client_write));
        let pending: Pending = Arc::default();
        let (notify, notifications) = mpsc::unbounded_channel();
        let reader_writer = writer.clone();
        let reader_pending = pending.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            while let Some(message) = read_message(&mut reader).await {
                let has_method = message.get("method").is_some();
                match message.get("id") {
                    Some(id) if has_method => {
                        // A request from the server (a refresh, a registration): accepted.
                        let reply = json!({"jsonrpc": "2.0", "id": id, "result": null});
                        write_message(&reader_writer, &reply.to_string()).await;
                    }
                    Some(id) => {
                        let sender = reader_pending
                            .lock()
                            .ok()
                            .and_then(|mut p| p.remove(&id.to_string()));
                        if let Some(sender) = sender {
                            let _ = sender.send(message);
                        }
                    }
                    None => {
                        let _ = notify.send(message);
                    }
                }
            }
        });
        let mut client = TestClient {
            writer,
            pending,
            notifications,
            next_id: 0,
            capabilities: Value::Null,
        };
        let initialized = client
            .request("initialize", json!({"capabilities": {}, "processId": null}))
            .await;
        assert!(initialized.get("result").is_some(), "{initialized}");
        client.capabilities = initialized["result"]["capabilities"].clone();
        client.notify("initialized", json!({})).await;
        client
    }

    /// Sends a request and waits (at most 30 s) for its whole response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.raw(&message.to_string(), Some(id))
            .await
            .unwrap_or(Value::Null)
    }

    /// Sends a message as written; waits for the response to `id` when there is one.
    pub async fn raw(&mut self, body: &str, id: Option<Value>) -> Option<Value> {
        let receiver = id.map(|id| {
            let (sender, receiver) = oneshot::channel();
            if let Ok(mut pending) = self.pending.lock() {
                pending.insert(id.to_string(), sender);
            }
            receiver
        });
        write_message(&self.writer, body).await;
        let receiver = receiver?;
        tokio::time::timeout(Duration::from_secs(30), receiver)
            .await
            .ok()?
            .ok()
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        write_message(&self.writer, &message.to_string()).await;
    }

    /// The next notification with this method (others are dropped), waiting at most `timeout`.
    pub async fn notification(&mut self, method: &str, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.notifications.recv())
                .await
                .ok()??;
            if message.get("method").and_then(Value::as_str) == Some(method) {
                return Some(message);
            }
        }
    }

    /// The next `publishDiagnostics` for `uri`, waiting at most `timeout`.
    pub async fn diagnostics_for(&mut self, uri: &str, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self
                .notification("textDocument/publishDiagnostics", left)
                .await?;
            if message["params"]["uri"].as_str() == Some(uri) {
                return Some(message["params"].clone());
            }
        }
    }

    /// Shuts the server down as an editor does.
    pub async fn shutdown(&mut self) -> Value {
        let answer = self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
        answer
    }
}
