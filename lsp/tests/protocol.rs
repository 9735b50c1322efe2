//! Protocol tests: each file of `tests/protocol/` is a small policy (one or more files) and a list
//! of requests; the server runs in-process and talks the protocol over an in-memory pipe, and the
//! answers are snapshotted beside the case (`tests/protocol/snapshots/`), after the sources.
//!
//! A case:
//!
//! ```text
//! # what the case is about
//! --- v1/version.cordon
//! version "v1" ...
//! --- v1/rules.cordon
//! ...
//! === requests
//! hover v1/rules.cordon 12:5            (1-based line and column)
//! change v1/rules.cordon 3:1-3:4 "new"  (a ranged edit; the text is a JSON string)
//! published v1/rules.cordon             (waits for the diagnostics pushed after an edit)
//! ```
//!
//! Every file named in a request is opened in the "editor"; the others are read from disk.
//!
//! A file marked `--- v2/rules.cordon (later)` is not on disk when the server starts. Requests that
//! change the disk, as another program would, and tell the server through
//! `workspace/didChangeWatchedFiles` (none of them opens a file):
//!
//! ```text
//! create v2/rules.cordon   (writes a later file; a directory: writes its later files, reports the directory)
//! delete v2/rules.cordon   (a file or a directory)
//! garble v1/x.cordon       (writes bytes that are not UTF-8)
//! pushed v2/rules.cordon   (the diagnostics last pushed for a file, without opening it)
//! test-runs v1             (how many times the tests of a version directory have run)
//! ```

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use support::TestClient;
use tower_lsp_server::gen_lsp_types::Uri;

struct Case {
    files: Vec<(String, String)>,
    /// Files written during the session, by `create`.
    later: Vec<String>,
    requests: Vec<String>,
}

fn parse_case(text: &str) -> Result<Case, String> {
    let (sources, requests) = text
        .split_once("\n=== requests\n")
        .ok_or("a case needs a `=== requests` line")?;
    let mut files: Vec<(String, String)> = Vec::new();
    let mut later = Vec::new();
    for line in sources.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("--- ") {
            let path = path.trim();
            let path = match path.strip_suffix(" (later)") {
                Some(path) => {
                    later.push(path.to_string());
                    path
                }
                None => path,
            };
            files.push((path.to_string(), String::new()));
        } else if let Some((_, text)) = files.last_mut() {
            text.push_str(line);
        }
    }
    let requests = requests
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    Ok(Case {
        files,
        later,
        requests,
    })
}

/// `12:5` (1-based) as the protocol's position.
fn position(text: &str) -> Result<Value, String> {
    let (line, column) = text
        .split_once(':')
        .ok_or(format!("bad position `{text}`"))?;
    let line: u32 = line.parse().map_err(|_| format!("bad line in `{text}`"))?;
    let column: u32 = column
        .parse()
        .map_err(|_| format!("bad column in `{text}`"))?;
    Ok(json!({"line": line.saturating_sub(1), "character": column.saturating_sub(1)}))
}

/// The byte offset of a 1-based `line:column` in a text (ASCII columns).
fn offset_of(text: &str, at: &str) -> Result<usize, String> {
    let position = position(at)?;
    let line = position["line"].as_u64().unwrap_or(0) as usize;
    let column = position["character"].as_u64().unwrap_or(0) as usize;
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index == line {
            return Ok(offset + column.min(content.trim_end_matches('\n').len()));
        }
        offset += content.len();
    }
    Ok(text.len())
}

fn range(text: &str) -> Result<Value, String> {
    let (start, end) = text.split_once('-').unwrap_or((text, text));
    Ok(json!({"start": position(start)?, "end": position(end)?}))
}

struct Session {
    client: TestClient,
    root: PathBuf,
    root_uri: String,
    opened: Vec<String>,
    texts: std::collections::BTreeMap<String, String>,
    later: Vec<String>,
    legend: Vec<String>,
}

impl Session {
    fn uri(&self, file: &str) -> String {
        format!("{}/{file}", self.root_uri)
    }

    /// Opens a file in the "editor" the first time a request names it.
    async fn open(&mut self, file: &str) {
        if self.opened.iter().any(|opened| opened == file) {
            return;
        }
        self.opened.push(file.to_string());
        let text = self.texts.get(file).cloned().unwrap_or_default();
        let uri = self.uri(file);
        self.client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "cordon", "version": 1, "text": text}}),
            )
            .await;
    }

    /// Tells the server that a path changed on disk (1 created, 2 changed, 3 deleted).
    async fn watched(&mut self, file: &str, kind: u32) {
        let uri = self.uri(file);
        self.client
            .notify(
                "workspace/didChangeWatchedFiles",
                json!({"changes": [{"uri": uri, "type": kind}]}),
            )
            .await;
    }

    /// The diagnostics last pushed for a file.
    async fn last_pushed(&mut self, file: &str) -> String {
        let uri = self.uri(file);
        // The last of the diagnostics pushed for the file: an earlier push (for the text before
        // the edit) may still be on its way.
        let mut last = self
            .client
            .diagnostics_for(&uri, Duration::from_secs(30))
            .await;
        while let Some(newer) = self
            .client
            .diagnostics_for(&uri, Duration::from_secs(1))
            .await
        {
            last = Some(newer);
        }
        match last {
            Some(params) => self.pretty(&params["diagnostics"]),
            None => "(nothing published)".to_string(),
        }
    }

    fn relative(&self, value: &Value) -> Value {
        let text = value.to_string().replace(&self.root_uri, "file:///ROOT");
        let root = self.root.to_string_lossy().to_string();
        serde_json::from_str(&text.replace(&root, "/ROOT")).unwrap_or(Value::Null)
    }

    fn pretty(&self, value: &Value) -> String {
        serde_json::to_string_pretty(&self.relative(value)).unwrap_or_default()
    }

    /// `path:line:column-line:column` of a location (1-based).
    fn location(&self, location: &Value) -> String {
        let uri = location["uri"].as_str().unwrap_or("");
        let path = uri.replace(&format!("{}/", self.root_uri), "");
        format!("{path}:{}", Self::span(&location["range"]))
    }

    fn span(range: &Value) -> String {
        let at = |point: &Value| {
            format!(
                "{}:{}",
                point["line"].as_u64().unwrap_or(0) + 1,
                point["character"].as_u64().unwrap_or(0) + 1
            )
        };
        format!("{}-{}", at(&range["start"]), at(&range["end"]))
    }

    /// Hovers as their range and text; locations as `path:line:column-line:column` lines.
    fn compact(&self, command: &str, result: &Value) -> String {
        match (command, result) {
            (_, Value::Null) => "null".to_string(),
            ("hover", hover) => format!(
                "range {}\n{}",
                Self::span(&hover["range"]),
                hover["contents"]["value"].as_str().unwrap_or("")
            ),
            ("definition" | "references", Value::Array(locations)) => locations
                .iter()
                .map(|location| format!("{}\n", self.location(location)))
                .collect(),
            ("definition", location) => self.location(location),
            ("prepare-rename", range) => Self::span(range),
            _ => self.pretty(result),
        }
    }

    /// The line a position points at, with a caret under the column.
    fn show_position(&self, file: &str, at: &str) -> String {
        let Ok(position) = position(at) else {
            return String::new();
        };
        let line = position["line"].as_u64().unwrap_or(0) as usize;
        let column = position["character"].as_u64().unwrap_or(0) as usize;
        let text = self
            .texts
            .get(file)
            .and_then(|text| text.lines().nth(line))
            .unwrap_or("(beyond the end of the file)");
        let column = column.min(text.chars().count());
        format!("{text}\n{}^\n", " ".repeat(column))
    }

    async fn run(&mut self, request: &str) -> Result<String, String> {
        let words: Vec<&str> = request.split_whitespace().collect();
        let command = words.first().copied().unwrap_or("");
        let file = words.get(1).copied().unwrap_or("");
        if !matches!(
            command,
            "workspace-symbols"
                | "raw"
                | "shutdown"
                | "create"
                | "delete"
                | "garble"
                | "pushed"
                | "test-runs"
        ) {
            self.open(file).await;
        }
        let document = json!({"uri": self.uri(file)});
        let at = words.get(2).copied().unwrap_or("1:1");
        let mut out = String::new();
        let point = |session: &Session| session.show_position(file, at);
        match command {
            "hover" | "definition" | "references" | "prepare-rename" | "completion" => {
                let method = match command {
                    "hover" => "textDocument/hover",
                    "definition" => "textDocument/definition",
                    "references" => "textDocument/references",
                    "prepare-rename" => "textDocument/prepareRename",
                    _ => "textDocument/completion",
                };
                let context = match command {
                    "completion" => json!({"triggerKind": 1}),
                    _ => json!({"includeDeclaration": true}),
                };
                let params = json!({
                    "textDocument": document,
                    "position": position(at)?,
                    "context": context,
                });
                out.push_str(&point(self));
                let answer = self.client.request(method, params).await;
                if command == "completion" {
                    let items = answer["result"]
                        .as_array()
                        .cloned()
                        .or_else(|| answer["result"]["items"].as_array().cloned())
                        .unwrap_or_default();
                    for item in items {
                        out.push_str(&format!(
                            "{} ({}) {}\n",
                            item["label"].as_str().unwrap_or(""),
                            item["kind"],
                            item["detail"].as_str().unwrap_or("")
                        ));
                    }
                    if answer.get("error").is_some() {
                        out.push_str(&self.pretty(&answer));
                    }
                } else if let Some(result) = answer.get("result") {
                    out.push_str(&self.compact(command, result));
                } else {
                    out.push_str(&self.pretty(&answer));
                }
            }
            "rename" => {
                let new_name = words.get(3).ok_or("rename needs a new name")?;
                out.push_str(&point(self));
                let answer = self
                    .client
                    .request(
                        "textDocument/rename",
                        json!({"textDocument": document, "position": position(at)?, "newName": new_name}),
                    )
                    .await;
                match answer.get("result") {
                    Some(result) => {
                        // The edit, sorted by file, and the renamed files as they would read.
                        let mut changes: Vec<(String, Value)> = result["changes"]
                            .as_object()
                            .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default();
                        changes.sort_by(|a, b| a.0.cmp(&b.0));
                        for (uri, edits) in changes {
                            let mut edits: Vec<Value> =
                                edits.as_array().cloned().unwrap_or_default();
                            edits.sort_by_key(|edit| {
                                (
                                    edit["range"]["start"]["line"].as_u64(),
                                    edit["range"]["start"]["character"].as_u64(),
                                )
                            });
                            let relative = uri.replace(&format!("{}/", self.root_uri), "");
                            out.push_str(&format!("{relative}:"));
                            for edit in edits {
                                out.push_str(&format!(
                                    " {}:{}",
                                    edit["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                                    edit["range"]["start"]["character"].as_u64().unwrap_or(0) + 1
                                ));
                            }
                            out.push('\n');
                        }
                    }
                    None => out.push_str(&self.pretty(&answer)),
                }
            }
            "symbols" => {
                let answer = self
                    .client
                    .request(
                        "textDocument/documentSymbol",
                        json!({"textDocument": document}),
                    )
                    .await;
                fn walk(symbols: &Value, depth: usize, out: &mut String) {
                    for symbol in symbols.as_array().into_iter().flatten() {
                        let start = &symbol["selectionRange"]["start"];
                        out.push_str(&format!(
                            "{}{} ({}) kind {} at {}:{}, spans lines {}-{}\n",
                            "  ".repeat(depth),
                            symbol["name"].as_str().unwrap_or(""),
                            symbol["detail"].as_str().unwrap_or(""),
                            symbol["kind"],
                            start["line"].as_u64().unwrap_or(0) + 1,
                            start["character"].as_u64().unwrap_or(0) + 1,
                            symbol["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                            symbol["range"]["end"]["line"].as_u64().unwrap_or(0) + 1,
                        ));
                        walk(&symbol["children"], depth + 1, out);
                    }
                }
                walk(&answer["result"], 0, &mut out);
            }
            "workspace-symbols" => {
                let query = words.get(1).copied().unwrap_or("");
                let answer = self
                    .client
                    .request("workspace/symbol", json!({"query": query}))
                    .await;
                for symbol in answer["result"].as_array().into_iter().flatten() {
                    let location = &symbol["location"];
                    out.push_str(&format!(
                        "{} kind {} in {} at {}:{}\n",
                        symbol["name"].as_str().unwrap_or(""),
                        symbol["kind"],
                        symbol["containerName"].as_str().unwrap_or(""),
                        location["uri"]
                            .as_str()
                            .unwrap_or("")
                            .replace(&format!("{}/", self.root_uri), ""),
                        location["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                    ));
                }
            }
            "semantic-tokens" => {
                let answer = self
                    .client
                    .request(
                        "textDocument/semanticTokens/full",
                        json!({"textDocument": document}),
                    )
                    .await;
                let data: Vec<u64> = answer["result"]["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64)
                    .collect();
                let text = self.texts.get(file).cloned().unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let (mut line, mut column) = (0u64, 0u64);
                for token in data.chunks(5) {
                    let [delta_line, delta_start, length, kind, modifiers] = token else {
                        return Err("semantic tokens come in fives".to_string());
                    };
                    if *delta_line > 0 {
                        line += delta_line;
                        column = *delta_start;
                    } else {
                        column += delta_start;
                    }
                    let written: String = lines
                        .get(line as usize)
                        .map(|l| {
                            l.chars()
                                .skip(column as usize)
                                .take(*length as usize)
                                .collect()
                        })
                        .unwrap_or_default();
                    let names = ["declaration", "readonly", "defaultLibrary"];
                    let modifiers: Vec<&str> = names
                        .iter()
                        .enumerate()
                        .filter(|(bit, _)| modifiers & (1 << bit) != 0)
                        .map(|(_, name)| *name)
                        .collect();
                    out.push_str(&format!(
                        "{}:{} `{written}` {} {}\n",
                        line + 1,
                        column + 1,
                        self.legend.get(*kind as usize).cloned().unwrap_or_default(),
                        modifiers.join(" ")
                    ));
                }
            }
            "format" => {
                let answer = self
                    .client
                    .request(
                        "textDocument/formatting",
                        json!({"textDocument": document, "options": {"tabSize": 2, "insertSpaces": true}}),
                    )
                    .await;
                let edits = answer["result"].as_array().cloned().unwrap_or_default();
                out.push_str(&format!("{} edit(s)\n", edits.len()));
                for edit in edits {
                    out.push_str(edit["newText"].as_str().unwrap_or(""));
                }
            }
            "inlay-hints" => {
                let answer = self
                    .client
                    .request(
                        "textDocument/inlayHint",
                        json!({"textDocument": document, "range": range("1:1-100000:1")?}),
                    )
                    .await;
                for hint in answer["result"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "{}:{} {}\n",
                        hint["position"]["line"].as_u64().unwrap_or(0) + 1,
                        hint["position"]["character"].as_u64().unwrap_or(0) + 1,
                        hint["label"].as_str().unwrap_or("")
                    ));
                }
            }
            "code-actions" => {
                out.push_str(&point(self));
                let answer = self
                    .client
                    .request(
                        "textDocument/codeAction",
                        json!({"textDocument": document, "range": range(at)?, "context": {"diagnostics": []}}),
                    )
                    .await;
                for action in answer["result"].as_array().into_iter().flatten() {
                    out.push_str(&format!("{}\n", action["title"].as_str().unwrap_or("")));
                    for edits in action["edit"]["changes"]
                        .as_object()
                        .into_iter()
                        .flat_map(|m| m.values())
                    {
                        for edit in edits.as_array().into_iter().flatten() {
                            out.push_str(&format!(
                                "  at {}:{}-{}:{} write {}\n",
                                edit["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                                edit["range"]["start"]["character"].as_u64().unwrap_or(0) + 1,
                                edit["range"]["end"]["line"].as_u64().unwrap_or(0) + 1,
                                edit["range"]["end"]["character"].as_u64().unwrap_or(0) + 1,
                                edit["newText"]
                            ));
                        }
                    }
                }
            }
            "code-lens" => {
                let answer = self
                    .client
                    .request("textDocument/codeLens", json!({"textDocument": document}))
                    .await;
                for lens in answer["result"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "{}: {} [{}]\n",
                        lens["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                        lens["command"]["title"].as_str().unwrap_or(""),
                        lens["command"]["command"].as_str().unwrap_or("")
                    ));
                }
            }
            "run-tests" => {
                let answer = self
                    .client
                    .request(
                        "workspace/executeCommand",
                        json!({"command": "cordon.runTests", "arguments": [self.uri(file)]}),
                    )
                    .await;
                out.push_str(&self.pretty(answer.get("result").unwrap_or(&answer)));
            }
            "diagnostics" => {
                let answer = self
                    .client
                    .request("textDocument/diagnostic", json!({"textDocument": document}))
                    .await;
                out.push_str(&self.pretty(&answer["result"]["items"]));
            }
            "change" => {
                let (_, text) = request
                    .split_once('"')
                    .map(|(head, tail)| (head, format!("\"{tail}")))
                    .ok_or("change needs a JSON string")?;
                let text: String =
                    serde_json::from_str(&text).map_err(|error| error.to_string())?;
                self.client
                    .notify(
                        "textDocument/didChange",
                        json!({
                            "textDocument": {"uri": self.uri(file), "version": 2},
                            "contentChanges": [{"range": range(at)?, "text": text}],
                        }),
                    )
                    .await;
                // The harness's copy of the text follows the edit, to show later positions.
                if let Some(current) = self.texts.get(file).cloned() {
                    let (start, end) = at.split_once('-').unwrap_or((at, at));
                    let (start, end) = (offset_of(&current, start)?, offset_of(&current, end)?);
                    let mut edited = current;
                    edited.replace_range(start..end.max(start), &text);
                    self.texts.insert(file.to_string(), edited);
                }
                out.push_str("(sent)");
            }
            "published" | "pushed" => out.push_str(&self.last_pushed(file).await),
            "create" => {
                let mut written = 0;
                for later in self.later.clone() {
                    if Path::new(&later).starts_with(file) {
                        let path = self.root.join(&later);
                        if let Some(parent) = path.parent() {
                            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                        }
                        let text = self.texts.get(&later).cloned().unwrap_or_default();
                        std::fs::write(&path, text).map_err(|e| e.to_string())?;
                        written += 1;
                    }
                }
                if written == 0 {
                    return Err(format!("`{file}` is no later file nor holds one"));
                }
                self.watched(file, 1).await;
                out.push_str(&format!(
                    "(wrote {written} file(s), reported `{file}` created)"
                ));
            }
            "delete" => {
                let path = self.root.join(file);
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).map_err(|e| e.to_string())?;
                } else {
                    std::fs::remove_file(&path).map_err(|e| e.to_string())?;
                }
                self.watched(file, 3).await;
                out.push_str(&format!("(reported `{file}` deleted)"));
            }
            "garble" => {
                let path = self.root.join(file);
                let existed = path.exists();
                std::fs::write(&path, b"const x = \xff\xfe 1\n").map_err(|e| e.to_string())?;
                self.watched(file, if existed { 2 } else { 1 }).await;
                out.push_str(&format!("(wrote bytes that are not UTF-8 to `{file}`)"));
            }
            "test-runs" => {
                let dir = self.root.join(file);
                let runs = cordon_lsp::requests::code_lens::test_runs(&dir.to_string_lossy());
                out.push_str(&format!("the tests of `{file}` ran {runs} time(s)"));
            }
            "raw" => {
                let body = request.strip_prefix("raw").unwrap_or("").trim();
                // A request waits for its answer; text that is not JSON is answered with id null;
                // a notification is not answered.
                let id = match serde_json::from_str::<Value>(body) {
                    Ok(value) => value.get("id").cloned(),
                    Err(_) => Some(Value::Null),
                };
                match self.client.raw(body, id).await {
                    Some(answer) => out.push_str(&self.pretty(&answer)),
                    None => out.push_str("(no answer)"),
                }
            }
            "shutdown" => {
                let answer = self.client.shutdown().await;
                out.push_str(&self.pretty(&answer));
            }
            other => return Err(format!("unknown request `{other}`")),
        }
        Ok(out)
    }
}

fn check(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path)?;
    let case = parse_case(&text)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let root = std::env::temp_dir().join(format!("cordon-lsp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (file, content) in &case.files {
        if case.later.contains(file) {
            continue;
        }
        let path = root.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, content)?;
    }
    let root_uri = Uri::from_file_path(&root)
        .map_err(|()| "the temporary directory has no URI")?
        .to_string();
    let runtime = cordon_lsp::runtime().worker_threads(2).build()?;
    let output = runtime.block_on(async {
        let client = TestClient::start().await;
        let legend = client.capabilities["semanticTokensProvider"]["legend"]["tokenTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let mut session = Session {
            client,
            root: root.clone(),
            root_uri,
            opened: Vec::new(),
            texts: case.files.iter().cloned().collect(),
            later: case.later.clone(),
            legend,
        };
        let mut output = String::new();
        for (file, content) in &case.files {
            let later = if case.later.contains(file) {
                " (later)"
            } else {
                ""
            };
            output.push_str(&format!("--- {file}{later}\n{content}"));
        }
        for request in &case.requests {
            output.push_str(&format!("\n=== {request}\n"));
            output.push_str(&session.run(request).await?);
            if !output.ends_with('\n') {
                output.push('\n');
            }
        }
        Ok::<String, String>(output)
    });
    let _ = std::fs::remove_dir_all(&root);
    let output = output?;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(path.parent().unwrap_or(Path::new(".")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(path);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, output));
    Ok(())
}

fn main() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protocol");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&directory)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|path| path.extension().is_some_and(|ext| ext == "txt"));
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", directory.display());
    let trials = cases
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || check(&path))
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}
