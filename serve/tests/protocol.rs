//! `cordon serve` over a real socket: every endpoint and every error status, each answer checked
//! against the OpenAPI document; the decisions served equal the engine's (what `cordon eval`
//! writes) for every scenario; reload with a good and a bad edit; shutdown with a request in
//! flight.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::time::Duration;

use common::{conforms, get, post_json, post_ndjson, request};
use serde_json::{Value as Json, json};

use cordon_engine::{Detail, Policy};

const H100_INDIA: &str = include_str!("../../examples/h100-to-india.json");

fn scenarios() -> Vec<Json> {
    let mut paths: Vec<_> = std::fs::read_dir(common::repo().join("tests/scenarios"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}

/// A decision's JSON without its `decision_id`, to compare with the engine's.
fn without_id(mut decision: Json) -> Json {
    decision.as_object_mut().unwrap().remove("decision_id");
    decision
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_error_answers_as_the_openapi_document_says() {
    let running = common::start(common::options(common::ear())).await;
    let addr = running.addr;
    let document = common::openapi();

    let health = get(addr, "/health").await;
    assert_eq!(health.status, 200);
    conforms(&document, "/health", "get", &health, &health.json());

    let ready = get(addr, "/ready").await;
    assert_eq!(ready.status, 200);
    conforms(&document, "/ready", "get", &ready, &ready.json());
    assert_eq!(ready.json()["generation"], 1);

    let openapi = get(addr, "/v1/openapi.json").await;
    assert_eq!(openapi.json(), document);
    assert_eq!(document["openapi"], "3.1.0");

    let versions = get(addr, "/v1/versions").await;
    assert_eq!(versions.status, 200);
    conforms(
        &document,
        "/v1/versions",
        "get",
        &versions,
        &versions.json(),
    );
    let listed = versions.json()["versions"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 6);
    let v2025 = listed
        .iter()
        .find(|version| version["version"] == "2025-01-13")
        .unwrap();
    // The AI Diffusion rule was rescinded before it came into force.
    assert_eq!(v2025["in_force"], "never");
    assert_eq!(listed[5]["in_force"], "2026-01-15 onwards");
    let hash = v2025["hash"].as_str().unwrap().to_string();

    for path in [
        "/v1/versions/2025-01-13".to_string(),
        format!("/v1/versions/2025-01-13@{hash}"),
    ] {
        let version = get(addr, &path).await;
        assert_eq!(version.status, 200, "{}", version.text());
        conforms(
            &document,
            "/v1/versions/{id}",
            "get",
            &version,
            &version.json(),
        );
        let provisions = version.json()["provisions"].as_array().unwrap().clone();
        let rule = provisions
            .iter()
            .find(|provision| provision["name"] == "classify_3a090a")
            .unwrap();
        assert_eq!(rule["kind"], "rule");
        assert!(!rule["citations"].as_array().unwrap().is_empty());
    }
    let unknown = get(addr, "/v1/versions/1999-01-01").await;
    assert_eq!(unknown.status, 404);
    conforms(
        &document,
        "/v1/versions/{id}",
        "get",
        &unknown,
        &unknown.json(),
    );
    let mismatch = get(addr, "/v1/versions/2025-01-13@sha256:00").await;
    assert_eq!(mismatch.status, 409);
    conforms(
        &document,
        "/v1/versions/{id}",
        "get",
        &mismatch,
        &mismatch.json(),
    );

    // One transaction, with each detail.
    let mut ids = Vec::new();
    for (detail, trace, why_not) in [
        ("outcome", false, false),
        ("trace", true, false),
        ("explain", true, true),
    ] {
        let decided = post_json(
            addr,
            &format!("/v1/decide?version=2025-01-13&detail={detail}"),
            H100_INDIA,
        )
        .await;
        assert_eq!(decided.status, 200, "{}", decided.text());
        let json = decided.json();
        conforms(&document, "/v1/decide", "post", &decided, &json);
        assert_eq!(json["policy"]["version"], "2025-01-13");
        assert_eq!(json["outcome"]["license_required"], true);
        assert_eq!(!json["trace"].as_array().unwrap().is_empty(), trace);
        assert_eq!(json.get("why_not").is_some(), why_not);
        ids.push(json["decision_id"].as_str().unwrap().to_string());
        // The check has teeth: a decision without its id, or with a field the document does not
        // name, does not conform.
        let mut wrong = json.clone();
        wrong.as_object_mut().unwrap().remove("decision_id");
        assert!(!common::violations(&document, "/v1/decide", "post", &decided, &wrong).is_empty());
        wrong["decision_id"] = json!("not a ULID");
        assert!(!common::violations(&document, "/v1/decide", "post", &decided, &wrong).is_empty());
    }
    // Without a pin, the version in force on the date decides.
    let decided = post_json(addr, "/v1/decide", H100_INDIA).await;
    assert_eq!(decided.json()["policy"]["version"], "2025-05-13");
    ids.push(decided.json()["decision_id"].as_str().unwrap().to_string());
    let pinned = post_json(
        addr,
        &format!(
            "/v1/decide?version=2025-01-13%40{}",
            hash.replace(':', "%3A")
        ),
        H100_INDIA,
    )
    .await;
    assert_eq!(pinned.status, 200, "{}", pinned.text());
    ids.push(pinned.json()["decision_id"].as_str().unwrap().to_string());
    // Decision ids are unique and sort in the order the decisions were made.
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids);

    // A batch: one line per input line, in order, bad lines as `cordon eval` reports them.
    let corpus =
        std::fs::read_to_string(common::repo().join("tests/diff/ear-corpus.jsonl")).unwrap();
    let mut batch: Vec<u8> = corpus
        .lines()
        .take(5)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    batch.extend_from_slice(b"\n\n{\"date\": 5}\n\xff\xfe\n");
    batch.extend_from_slice(corpus.lines().nth(5).unwrap().as_bytes());
    let answered = post_ndjson(addr, "/v1/decide?detail=outcome", batch.clone()).await;
    assert_eq!(answered.status, 200);
    assert!(answered.content_type().starts_with("application/x-ndjson"));
    let lines = answered.lines();
    assert_eq!(lines.len(), 9);
    for line in &lines {
        conforms(&document, "/v1/decide", "post", &answered, line);
    }
    let policy = Policy::load(&common::ear()).unwrap();
    let mut workspace = cordon_engine::Workspace::default();
    for (index, (line, input)) in lines
        .iter()
        .zip(cordon_engine::batch::split_lines(&batch))
        .enumerate()
    {
        let expected = match cordon_engine::batch::decide_line(
            &policy,
            None,
            input,
            Detail::Outcome,
            &mut workspace,
        ) {
            Ok(decision) => decision.to_json(),
            Err(error) => {
                let mut out = Vec::new();
                cordon_engine::batch::write_error_line(&mut out, index + 1, &error);
                serde_json::from_slice(&out).unwrap()
            }
        };
        let actual = if line.get("decision_id").is_some() {
            without_id(line.clone())
        } else {
            line.clone()
        };
        assert_eq!(actual, expected, "line {}", index + 1);
    }
    assert_eq!(lines[5]["line"], 6);
    assert_eq!(
        lines[5]["error"]["errors"][0]["message"],
        "a blank line: it holds no transaction"
    );
    assert_eq!(lines[7]["line"], 8);
    assert!(
        lines[7]["error"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("not valid UTF-8")
    );

    // The diff is `cordon diff`'s JSON.
    let facts: Vec<Json> = corpus
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let request_body = json!({ "from": "2025-05-13", "to": "2026-01-15", "facts": facts });
    let diffed = post_json(addr, "/v1/diff", request_body.to_string()).await;
    assert_eq!(diffed.status, 200, "{}", diffed.text());
    conforms(&document, "/v1/diff", "post", &diffed, &diffed.json());
    let lines: Vec<String> = facts.iter().map(ToString::to_string).collect();
    let expected =
        cordon_engine::diff::report(&policy, "2025-05-13", "2026-01-15", Some(&lines), false)
            .unwrap();
    assert_eq!(diffed.json(), serde_json::to_value(&expected).unwrap());
    assert_eq!(diffed.json()["corpus"]["changed"], 8);
    let unknown = post_json(
        addr,
        "/v1/diff",
        r#"{"from": "2025-05-13", "to": "2099-01-01"}"#,
    )
    .await;
    assert_eq!(unknown.status, 404);
    conforms(&document, "/v1/diff", "post", &unknown, &unknown.json());
    let malformed = post_json(addr, "/v1/diff", r#"{"from": 1}"#).await;
    assert_eq!(malformed.status, 400);
    conforms(&document, "/v1/diff", "post", &malformed, &malformed.json());

    // Every error status of `POST /v1/decide`, as JSON.
    let not_json = post_json(addr, "/v1/decide", "{\"date\": ").await;
    assert_eq!(not_json.status, 400);
    conforms(&document, "/v1/decide", "post", &not_json, &not_json.json());
    assert_eq!(not_json.json()["error"]["kind"], "facts");

    let mut bad_fact: Json = serde_json::from_str(H100_INDIA).unwrap();
    bad_fact["item"]["tpp"] = json!("high");
    let bad = post_json(addr, "/v1/decide", bad_fact.to_string()).await;
    assert_eq!(bad.status, 400);
    conforms(&document, "/v1/decide", "post", &bad, &bad.json());
    assert_eq!(bad.json()["error"]["errors"][0]["path"], "item.tpp");
    assert_eq!(
        bad.json()["error"]["errors"][0]["message"],
        "expected a number, found \"high\""
    );

    let mut missing: Json = serde_json::from_str(H100_INDIA).unwrap();
    missing["item"].as_object_mut().unwrap().remove("tpp");
    let missing = post_json(addr, "/v1/decide?version=2025-01-13", missing.to_string()).await;
    assert_eq!(missing.status, 400);
    conforms(&document, "/v1/decide", "post", &missing, &missing.json());
    assert!(missing.text().contains("item.tpp"), "{}", missing.text());

    let unknown = post_json(addr, "/v1/decide?version=1999-01-01", H100_INDIA).await;
    assert_eq!(unknown.status, 404);
    conforms(&document, "/v1/decide", "post", &unknown, &unknown.json());
    let mismatch = post_json(
        addr,
        "/v1/decide?version=2025-01-13@sha256:0000",
        H100_INDIA,
    )
    .await;
    assert_eq!(mismatch.status, 409);
    conforms(&document, "/v1/decide", "post", &mismatch, &mismatch.json());
    assert!(mismatch.text().contains("the rules changed since the pin"));

    let huge = vec![b' '; (1 << 20) + 1];
    let too_large = post_json(addr, "/v1/decide", huge).await;
    assert_eq!(too_large.status, 413);
    conforms(
        &document,
        "/v1/decide",
        "post",
        &too_large,
        &too_large.json(),
    );

    let media = request(addr, "POST", "/v1/decide", Some("text/plain"), H100_INDIA).await;
    assert_eq!(media.status, 415);
    conforms(&document, "/v1/decide", "post", &media, &media.json());

    let detail = post_json(addr, "/v1/decide?detail=everything", H100_INDIA).await;
    assert_eq!(detail.status, 400);
    conforms(&document, "/v1/decide", "post", &detail, &detail.json());
    let unknown_query = post_json(addr, "/v1/decide?verison=2025-01-13", H100_INDIA).await;
    assert_eq!(unknown_query.status, 400);

    let empty = post_ndjson(addr, "/v1/decide", " \n\n").await;
    assert_eq!(empty.status, 400);
    conforms(&document, "/v1/decide", "post", &empty, &empty.json());

    let nowhere = get(addr, "/v2/nothing").await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.json()["error"]["kind"], "not_found");
    let wrong_method = get(addr, "/v1/decide").await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.json()["error"]["kind"], "method_not_allowed");

    // The counters saw all of it.
    let metrics = get(addr, "/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    for expected in [
        "cordon_decisions_total{outcome=\"license_required=true\",version=\"2025-01-13\"}",
        "cordon_errors_total{kind=\"pin_mismatch\"}",
        "cordon_errors_total{kind=\"too_large\"}",
        "cordon_request_duration_seconds_bucket{route=\"/v1/decide\"",
        "cordon_requests_in_flight",
        &format!(
            "cordon_policy_version_info{{hash=\"{hash}\",policy=\"ear\",version=\"2025-01-13\"}} 1"
        ),
    ] {
        assert!(
            text.contains(expected),
            "/metrics lacks {expected}:\n{text}"
        );
    }

    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after() {
    let mut options = common::options(common::ear());
    options.queue = 0;
    let running = common::start(options).await;
    let document = common::openapi();
    for reply in [
        post_json(running.addr, "/v1/decide", H100_INDIA).await,
        post_ndjson(running.addr, "/v1/decide", H100_INDIA.replace('\n', " ")).await,
    ] {
        assert_eq!(reply.status, 503);
        assert_eq!(reply.headers.get("retry-after").unwrap(), "1");
        conforms(&document, "/v1/decide", "post", &reply, &reply.json());
        assert_eq!(reply.json()["error"]["kind"], "overloaded");
    }
    // What does not need the engine is still answered.
    assert_eq!(get(running.addr, "/health").await.status, 200);
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_served_equal_the_engines_for_every_scenario() {
    let running = common::start(common::options(common::ear())).await;
    let policy = Policy::load(&common::ear()).unwrap();
    let scenarios = scenarios();
    assert!(scenarios.len() >= 80);
    let mut batch = String::new();
    for scenario in &scenarios {
        let text = scenario["facts"].to_string();
        let pin = scenario["version"].as_str();
        let path = match pin {
            Some(pin) => format!("/v1/decide?detail=explain&version={pin}"),
            None => "/v1/decide?detail=explain".to_string(),
        };
        let served = post_json(running.addr, &path, text.clone()).await;
        let expected = cordon_engine::decide_text(&policy, pin, &text, Detail::Explain);
        match expected {
            Ok(decision) => {
                assert_eq!(
                    served.status,
                    200,
                    "{}: {}",
                    scenario["name"],
                    served.text()
                );
                assert_eq!(
                    without_id(served.json()),
                    decision.to_json(),
                    "{}",
                    scenario["name"]
                );
            }
            Err(error) => {
                assert_eq!(
                    served.status,
                    400,
                    "{}: {}",
                    scenario["name"],
                    served.text()
                );
                assert_eq!(
                    served.json(),
                    json!({ "error": error }),
                    "{}",
                    scenario["name"]
                );
            }
        }
        batch.push_str(&text);
        batch.push('\n');
    }
    // The same transactions as one batch, each decided by the version in force on its date,
    // with the trace (what `cordon eval` writes by default).
    let served = post_ndjson(running.addr, "/v1/decide", batch.clone()).await;
    assert_eq!(served.status, 200);
    let lines = served.lines();
    assert_eq!(lines.len(), scenarios.len());
    for (number, (line, text)) in lines.iter().zip(batch.lines()).enumerate() {
        let expected = match cordon_engine::decide_text(&policy, None, text, Detail::Trace) {
            Ok(decision) => decision.to_json(),
            Err(error) => json!({ "line": number + 1, "error": error }),
        };
        let actual = if line.get("decision_id").is_some() {
            without_id(line.clone())
        } else {
            line.clone()
        };
        assert_eq!(actual, expected, "line {}", number + 1);
    }
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_takes_a_good_edit_and_keeps_the_last_good_sources_on_a_bad_one() {
    let directory = common::copy_of_ear("reload");
    let mut options = common::options(directory.clone());
    options.watch = true;
    let running = common::start(options).await;
    let addr = running.addr;
    let document = common::openapi();
    let before = get(addr, "/v1/versions/2026-01-15").await.json();
    let old_hash = before["version"]["hash"].as_str().unwrap().to_string();

    // A good edit: the newest version's title. The watcher notices it.
    let manifest = directory.join("2026-01-15/version.cordon");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("title \"As 2025-05-13", "title \"Edited: as 2025-05-13"),
    )
    .unwrap();
    let ready = common::wait_for_ready(addr, |ready| ready["generation"] == 2).await;
    assert!(ready["last_reload_error"].is_null());
    let after = get(addr, "/v1/versions/2026-01-15").await.json();
    let new_hash = after["version"]["hash"].as_str().unwrap().to_string();
    assert_ne!(new_hash, old_hash);
    assert!(
        after["version"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Edited")
    );

    // A pin by hash keeps meaning the sources it named; an id alone follows the new sources.
    let facts = r#"{"date": "2026-02-01", "activity": "export", "item": {"kind": "ic", "tpp": 100, "performance_density": 0.1, "datacenter": false}, "quantity": 1, "destination": "FR", "end_user": {"hq": "FR", "parent_hq": "FR", "private_sector": true, "permanent_employee": false}, "end_use": "datacenter", "knowledge": {"training_for_d5_hq": false, "military_or_wmd": false}, "counters": {"consignee_tpp_this_year": 0, "country_tpp_allocated": 0}}"#;
    let old = post_json(
        addr,
        &format!("/v1/decide?version=2026-01-15@{old_hash}"),
        facts,
    )
    .await;
    assert_eq!(old.status, 200, "{}", old.text());
    assert_eq!(old.json()["policy"]["hash"], old_hash.as_str());
    let new = post_json(addr, "/v1/decide?version=2026-01-15", facts).await;
    assert_eq!(new.json()["policy"]["hash"], new_hash.as_str());
    let never = post_json(addr, "/v1/decide?version=2026-01-15@sha256:ffff", facts).await;
    assert_eq!(never.status, 409);

    // A bad edit: the sources no longer check. The last good ones keep deciding, and /ready and
    // the reload's outcome say why.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&manifest)
        .unwrap();
    writeln!(
        file,
        "\nrule broken_rule\n  when nonexistent_fact > 3\n  then nothing = 1\n"
    )
    .unwrap();
    drop(file);
    let ready = common::wait_for_ready(addr, |ready| !ready["last_reload_error"].is_null()).await;
    conforms(
        &document,
        "/ready",
        "get",
        &get(addr, "/ready").await,
        &ready,
    );
    assert_eq!(ready["generation"], 2);
    assert!(
        !ready["last_reload_error"]["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{ready}"
    );
    let still = post_json(addr, "/v1/decide?version=2026-01-15", facts).await;
    assert_eq!(still.status, 200);
    assert_eq!(still.json()["policy"]["hash"], new_hash.as_str());
    // A reload by hand (what SIGHUP does) says the same.
    assert!(matches!(
        running.reload().await,
        cordon_serve::state::ReloadOutcome::Refused(_)
    ));

    // Fixing the edit is taken at once.
    std::fs::write(
        &manifest,
        text.replace("title \"As 2025-05-13", "title \"Edited: as 2025-05-13"),
    )
    .unwrap();
    let ready = common::wait_for_ready(addr, |ready| ready["last_reload_error"].is_null()).await;
    assert_eq!(
        ready["generation"], 2,
        "the fixed sources are the good ones already loaded"
    );
    let metrics = get(addr, "/metrics").await.text();
    assert!(
        metrics.contains("cordon_reloads_total{result=\"refused\"}"),
        "{metrics}"
    );

    running.shutdown();
    running.wait().await.unwrap();
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_in_flight_and_stops_accepting() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let running = common::start(common::options(common::ear())).await;
    let addr = running.addr;
    let line = H100_INDIA.replace('\n', " ");
    // A batch whose client has sent half of it when shutdown begins.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /v1/decide?detail=outcome HTTP/1.1\r\nhost: test\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{line}\n");
    let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
    stream.write_all(framed.as_bytes()).await.unwrap();
    // The server has the request once its first line is answered.
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("decision_id") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "the connection closed early");
        answer.extend_from_slice(&buffer[..read]);
    }
    running.shutdown();
    // New connections are refused once the listener is closed.
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        refused,
        "the server still accepts connections after shutdown began"
    );
    // The request in flight finishes.
    stream.write_all(framed.as_bytes()).await.unwrap();
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert_eq!(text.matches("decision_id").count(), 2, "{text}");
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_pin_decides_requests_that_name_no_version() {
    let policy = Policy::load(&common::ear()).unwrap();
    let hash = policy.pinned("2025-01-13").unwrap().hash.clone();
    let mut options = common::options(common::ear());
    options.version = Some(format!("2025-01-13@{hash}"));
    let running = common::start(options).await;
    let decided = post_json(running.addr, "/v1/decide", H100_INDIA).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["policy"]["version"], "2025-01-13");
    // A request's own pin comes first.
    let decided = post_json(running.addr, "/v1/decide?version=2025-05-13", H100_INDIA).await;
    assert_eq!(decided.json()["policy"]["version"], "2025-05-13");
    running.shutdown();
    running.wait().await.unwrap();

    // A pin the sources do not hash to refuses to start, as `cordon eval` refuses to evaluate.
    let mut options = common::options(common::ear());
    options.version = Some("2025-01-13@sha256:0000".to_string());
    let refused = cordon_serve::start(options).await.err().unwrap();
    assert!(
        refused.contains("the rules changed since the pin"),
        "{refused}"
    );
}

#[tokio::test]
async fn before_the_policy_has_loaded_ready_and_decide_answer_503_and_health_200() {
    use tower::ServiceExt as _;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear");
    // The service as `start` has it between binding and the end of the first load.
    let app = cordon_serve::App::new(&cordon_serve::Options::new(root)).unwrap();
    let ask = |method: &str, path: &str, body: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let health = app
        .router()
        .oneshot(ask("GET", "/health", ""))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    for (method, path, body) in [
        ("GET", "/ready", ""),
        ("POST", "/v1/decide", H100_INDIA),
        ("GET", "/v1/versions", ""),
    ] {
        let answer = app.router().oneshot(ask(method, path, body)).await.unwrap();
        assert_eq!(answer.status(), 503, "{method} {path}");
        assert_eq!(
            answer
                .headers()
                .get("retry-after")
                .map(|value| value.as_bytes()),
            Some(&b"1"[..]),
            "{method} {path}"
        );
    }
    // Once loaded, it is ready.
    app.load_initial().await.unwrap();
    let ready = app
        .router()
        .oneshot(ask("GET", "/ready", ""))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}
