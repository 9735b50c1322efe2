//! What every page of the console shares: takes a page's title and body, and gives the whole
//! HTML document (navigation, the style sheet, a skip link), the error page, and the small
//! pieces several pages render the same way (citations with their confidence, windows in force).
//!
//! Everything is written through maud, which escapes every value it is given: no HTML is ever
//! built by joining strings.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use cordon_lang::hir::{self, Confidence};

use crate::errors::ErrorKind;

/// The console's style sheet, served inline in every page.
const STYLE: &str = include_str!("style.css");

/// The console's three places, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Versions,
    Try,
    Diff,
}

/// A page: its title, where it sits, whether it reloads itself (while a long job runs) and its
/// body.
pub fn shell(title: &str, place: Place, refresh: Option<u32>, body: Markup) -> Markup {
    let current = |here: Place| (place == here).then_some("page");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · Cordon" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header.site {
                    a.brand href="/" { "Cordon" }
                    nav aria-label="Console" {
                        ul {
                            li { a href="/" aria-current=[current(Place::Versions)] { "The policy" } }
                            li { a href="/try" aria-current=[current(Place::Try)] { "Try a transaction" } }
                            li { a href="/diff" aria-current=[current(Place::Diff)] { "Review a diff" } }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// A page that says what went wrong, with its status. The error's kind goes in the response's
/// extensions (for the metrics and the log line, and so that the middleware keeps the HTML).
pub struct PageError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub place: Place,
    pub message: String,
}

impl PageError {
    pub fn unknown_version(place: Place, message: impl Into<String>) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            kind: "unknown_version",
            place,
            message: message.into(),
        }
    }

    pub fn bad_request(place: Place, message: impl Into<String>) -> PageError {
        PageError {
            status: StatusCode::BAD_REQUEST,
            kind: "bad_request",
            place,
            message: message.into(),
        }
    }
}

impl From<(Place, crate::errors::ApiError)> for PageError {
    fn from((place, error): (Place, crate::errors::ApiError)) -> PageError {
        let message = error
            .body
            .pointer("/error/message")
            .and_then(|message| message.as_str())
            .unwrap_or("the service could not answer")
            .to_string();
        PageError {
            status: error.status,
            kind: error.kind,
            place,
            message,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string();
        let body = shell(
            &title,
            self.place,
            None,
            html! {
                h1 { (title) }
                p.error role="alert" { (self.message) }
                p { a href="/" { "The policy's versions" } }
            },
        );
        let mut response = (self.status, body).into_response();
        response.extensions_mut().insert(ErrorKind(self.kind));
        response
    }
}

/// A citation's confidence, when it is not confirmed.
pub fn confidence(confidence: Confidence) -> Markup {
    html! {
        @if confidence != Confidence::Confirmed {
            span class={ "badge " (confidence.as_str()) } title="confidence of the reading" {
                (confidence.as_str())
            }
        }
    }
}

/// Citations, one an item, each with its confidence.
pub fn citations(citations: &[hir::Citation]) -> Markup {
    html! {
        ul.citations {
            @for citation in citations {
                li { (citation.text) (confidence(citation.confidence)) }
            }
        }
    }
}

/// `from 2025-01-13 through 2025-05-12`, or `None` for no bounds.
pub fn window_text(
    window: (Option<jiff::civil::Date>, Option<jiff::civil::Date>),
) -> Option<String> {
    match window {
        (None, None) => None,
        (Some(from), None) => Some(format!("from {from}")),
        (None, Some(through)) => Some(format!("through {through}")),
        (Some(from), Some(through)) => Some(format!("from {from} through {through}")),
    }
}

/// A country as people read it: `India (IN)`.
pub fn country(code: &str) -> String {
    match cordon_lang::check::country_name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    }
}
