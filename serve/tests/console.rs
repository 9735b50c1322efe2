//! The console through the service's router over a real socket: each page is asked for as a
//! browser asks for it, and what a person would read on it is checked.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{ear, get, options, request, start};
use serde_json::Value as Json;

/// The try view's address for a transaction (each fact under its JSON path).
fn try_link(facts: &Json, version: Option<&str>) -> String {
    cordon_serve::console::transaction::link_for(facts, version)
}

fn h100_to_india() -> Json {
    serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("examples/h100-to-india.json")).unwrap(),
    )
    .unwrap()
}

/// The text of the `<dd data-outcome="FIELD">` of a decision.
fn outcome(page: &str, field: &str) -> String {
    let marker = format!("data-outcome=\"{field}\">");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no outcome {field} in {page}"))
        + marker.len();
    let end = start + page[start..].find("</dd>").unwrap();
    page[start..end].to_string()
}

#[tokio::test]
async fn the_versions_page_is_the_policy_as_a_document() {
    let running = start(options(ear())).await;
    let addr = running.addr;

    let index = get(addr, "/").await;
    assert_eq!(index.status, 200);
    assert!(index.content_type().starts_with("text/html"));
    let text = index.text();
    for id in ["2023-11-17", "2025-01-13", "2026-01-15"] {
        assert!(text.contains(&format!("href=\"/versions/{id}\"")), "{id}");
    }
    assert!(text.contains("AI Diffusion interim final rule, as written"));
    assert!(text.contains("90 FR 4544"));
    assert!(text.contains("(in force today)"));

    let version = get(addr, "/versions/2025-01-13").await;
    assert_eq!(version.status, 200);
    let text = version.text();
    // Grouped by module, each provision with its words, citations, confidence and dates.
    assert!(text.contains("id=\"module-classification\""));
    assert!(text.contains("id=\"classify_4e091\""));
    assert!(text.contains("15 CFR 774, Supp. 1, ECCN 4E091"));
    assert!(text.contains("class=\"badge unconfirmed\""));
    assert!(text.contains("class=\"words\""));
    // What it replaced in the version it amends.
    assert!(text.contains("href=\"/versions/2024-12-02#review_destination_denial\""));
    // Groups with country names.
    assert!(text.contains("China (CN)"));

    // Search by country name: groups holding China, not the rules that name none.
    let search = get(addr, "/versions/2025-01-13?q=China").await.text();
    assert!(search.contains("provisions match"));
    assert!(search.contains("China (CN)"));
    assert!(!search.contains("id=\"classify_4e091\""));
    // By citation.
    let search = get(addr, "/versions/2025-01-13?q=4E091").await.text();
    assert!(search.contains("id=\"classify_4e091\""));

    // Values are escaped, never markup: a search for a tag comes back as text.
    let hostile = get(addr, "/versions/2025-01-13?q=%3Cscript%3Ex%3C%2Fscript%3E").await;
    assert!(!hostile.text().contains("<script>x</script>"));
    assert!(hostile.text().contains("&lt;script&gt;"));

    let bad = get(addr, "/versions/2025-01-13?colour=red").await;
    assert_eq!(bad.status, 400);
    assert!(bad.content_type().starts_with("text/html"));
    assert!(bad.text().contains("unknown query parameter `colour`"));

    let unknown = get(addr, "/versions/1999-01-01").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.content_type().starts_with("text/html"));
    assert!(unknown.text().contains("no version `1999-01-01`"));
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test]
async fn the_try_view_decides_what_the_form_says_and_puts_errors_by_their_field() {
    let running = start(options(ear())).await;
    let addr = running.addr;

    let empty = get(addr, "/try").await;
    assert_eq!(empty.status, 200);
    let text = empty.text();
    assert!(text.contains("<label for=\"f-item.tpp\">"));
    assert!(text.contains("<option value=\"IN\">India (IN)</option>"));
    assert!(text.contains("<option value=\"model_weights\">"));
    assert!(text.contains("item.model<span class=\"muted\"> (optional)</span>"));
    assert!(!text.contains("Which provisions decided"));
    // The policy's own examples open as filled forms.
    assert!(text.contains("Start from one of the policy's examples"));
    let example = text.find(">h100_india</a>").unwrap();
    let href = text[..example].rfind("href=\"").unwrap() + "href=\"".len();
    let example = text[href..example - 1].replace("&amp;", "&");
    let filled = get(addr, &example).await.text();
    assert!(filled.contains("value=\"15832\""), "{example}");
    assert!(filled.contains("data-outcome=\"license_required\""));

    // In force on its date (2025-05-13): no license.
    let facts = h100_to_india();
    let decided = get(addr, &try_link(&facts, None)).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    let text = decided.text();
    assert!(text.contains(
        "by version <a href=\"/versions/2025-05-13\">2025-05-13</a> (in force on that date)"
    ));
    assert_eq!(outcome(&text, "license_required"), "no");
    // The form keeps what was sent, and the page links to the same question.
    assert!(text.contains("value=\"15832\""));
    assert!(text.contains("Link to this question"));

    // Pinned to the AI Diffusion rule as written: a license, and the provisions that say so.
    let pinned = get(addr, &try_link(&facts, Some("2025-01-13")))
        .await
        .text();
    assert_eq!(outcome(&pinned, "license_required"), "yes");
    assert!(pinned.contains("(pinned)"));
    assert!(pinned.contains("Which provisions decided"));
    assert!(pinned.contains("href=\"/versions/2025-01-13#"));
    assert!(pinned.contains("Why the others did not apply"));
    assert!(pinned.contains("Facts it read"));

    // Numbers are exact: a number written with many digits reaches the engine as written.
    let mut exact = facts.clone();
    exact["item"]["tpp"] = serde_json::from_str("4799.9999999999999999999").unwrap();
    let text = get(addr, &try_link(&exact, None)).await.text();
    assert!(text.contains("value=\"4799.9999999999999999999\""));
    assert!(text.contains("Decision"));

    // A bad value: the form again, with the engine's message by the field.
    let mut bad = facts.clone();
    bad["item"]["tpp"] = Json::String("high".to_string());
    let reply = get(addr, &try_link(&bad, None)).await;
    assert_eq!(reply.status, 422);
    let text = reply.text();
    assert!(text.contains("id=\"e-item.tpp\""));
    assert!(text.contains("expected a number"));
    assert!(text.contains("aria-invalid=\"true\""));

    // A field the schema does not have.
    let reply = get(addr, "/try?date=2025-06-01&item.colour=red").await;
    assert_eq!(reply.status, 422);
    assert!(reply.text().contains("`item.colour` is not a fact"));

    // An unknown pinned version: a page naming it.
    let reply = get(addr, "/try?version=1999-01-01&date=2025-06-01").await;
    assert_eq!(reply.status, 404);
    assert!(reply.text().contains("no version `1999-01-01`"));
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test]
async fn the_diff_page_is_a_memo_whose_witnesses_open_in_the_try_view() {
    let running = start(options(ear())).await;
    let addr = running.addr;

    let chooser = get(addr, "/diff").await;
    assert_eq!(chooser.status, 200);
    assert!(chooser.text().contains("<label for=\"from\">"));

    // The regions come from the diff pool, once per pair; the page reloads until they are there.
    let regions = "/diff?from=2024-12-02&to=2025-01-13";
    let mut page = get(addr, regions).await.text();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while !page.contains("regions</strong> of the input space") {
        assert!(page.contains("http-equiv=\"refresh\""), "{page}");
        assert!(
            std::time::Instant::now() < deadline,
            "the regions never came"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        page = get(addr, regions).await.text();
    }
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("<caption>classification: +4E091 (3 regions)</caption>"));
    assert!(page.contains("classify_4e091"));
    // A witness opens in the try view and decides as the row says.
    let marker = "href=\"/try?version=2025-01-13&amp;";
    let start_at = page.find(marker).unwrap() + "href=\"".len();
    let end = start_at + page[start_at..].find('"').unwrap();
    let witness = page[start_at..end].replace("&amp;", "&");
    let decided = get(addr, &witness).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert!(decided.text().contains("(pinned)"));

    let path = "/diff?from=2025-05-13&to=2026-01-15";
    let memo = get(addr, path).await;
    assert_eq!(memo.status, 200);
    let text = memo.text();
    assert!(text.contains("Provisions changed (6)"));
    assert!(text.contains("review_carve_out"));
    assert!(text.contains("91 FR 1684"));

    // A corpus, uploaded, grouped by change.
    let corpus = std::fs::read(common::repo().join("tests/diff/ear-corpus.jsonl")).unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"corpus\"; filename=\"ear-corpus.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n",
    );
    body.extend_from_slice(&corpus);
    body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
    let uploaded = request(
        addr,
        "POST",
        path,
        Some("multipart/form-data; boundary=XBOUNDARY"),
        body,
    )
    .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    let text = uploaded.text();
    assert!(
        text.contains("82 transactions, <strong>8 changed</strong>"),
        "{text}"
    );
    assert!(text.contains("7 transactions: "));
    assert!(text.contains("diffusion-china-denial (line 19)"));

    let unknown = get(addr, "/diff?from=2025-05-13&to=2099-01-01").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("no version `2099-01-01`"));
    running.shutdown();
    running.wait().await.unwrap();
}
