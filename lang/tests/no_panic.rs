//! Broken source is the normal state of a file in an editor, so no input may make the front end
//! panic. Random and mutated policy sources (the language reference's examples and the check test
//! cases, with bytes, characters and lines inserted, deleted and duplicated; and plain ASCII soup)
//! go through splitting, parsing, the whole check and rendering, and the editor's questions
//! (`ide`) at every position, and the formatter. The issue's sources (a chain of 10,000 `not`s, an
//! `or` of 978 terms, `group G = G`, numbers past the largest decimal) are seeds, checked first.
//!
//! This is the fuzz target of policy sources in the front end (`engine/tests/fuzz_policies.rs`
//! takes generated policies on through compiling, deciding and diffing). 256 cases a property
//! by default; `PROPTEST_CASES` sets more (`.ci/run` runs a longer hunt).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use cordon_lang::db::{self, Database, SourceFile, Workspace};
use cordon_lang::ide;
use cordon_lang::parse;
use cordon_lang::render;

/// Seed sources: every ```cordon block of the reference (with its prelude), and every `.cordon`
/// file under the root package's `tests/check`.
fn seeds() -> &'static [String] {
    static SEEDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    let reference = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
    let mut block: Option<String> = None;
    let mut prelude = String::new();
    for line in reference.lines() {
        match block.take() {
            None if line.starts_with("```cordon") => block = Some(String::new()),
            None => {}
            Some(text) if line.starts_with("```") => {
                if prelude.is_empty() {
                    prelude = text.clone();
                }
                seeds.push(format!("{prelude}\n{text}"));
            }
            Some(mut text) => {
                text.push_str(line);
                text.push('\n');
                block = Some(text);
            }
        }
    }
    let mut files = Vec::new();
    collect_cordon_files(&root.join("../tests/check"), &mut files);
    files.sort();
    seeds.extend(
        files
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok()),
    );
    assert!(seeds.len() > 20, "too few seed sources: {}", seeds.len());
    seeds
}

fn collect_cordon_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_cordon_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "cordon") {
            files.push(path);
        }
    }
}

/// One change to a source.
#[derive(Clone, Debug)]
enum Mutation {
    InsertChar(usize, char),
    InsertText(usize, &'static str),
    DeleteBytes(usize, usize),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize, usize),
}

/// Words and marks that steer the parser into its less travelled paths.
const FRAGMENTS: &[&str] = &[
    "\n",
    "\nrule ",
    "\n  when ",
    " and ",
    " or not ",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "=",
    "+=",
    " in ",
    " not in ",
    " within ",
    "\"",
    "///",
    "// ",
    "replace ",
    "remove ",
    "cite \"x\"",
    " TPP",
    "/mm^2",
    " 1e99",
    " 99999999999999999999999999999",
    "2025-02-30",
    "3A090.a",
    " XX ",
    "?",
    "\u{e9}",
    "\u{1F600}",
    "\t",
    "\r\n",
    "any x in ",
    ": ",
    "present(",
    "max(",
    "\nversion \"v\" amends \"v\"",
    "\nimport ",
    " unless ",
    " notwithstanding ",
    "\nexample e = {",
    "\ntest t given e with {",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Mutation::InsertChar(at, c)),
        (any::<usize>(), proptest::sample::select(FRAGMENTS))
            .prop_map(|(at, text)| Mutation::InsertText(at, text)),
        (any::<usize>(), 1usize..40).prop_map(|(at, length)| Mutation::DeleteBytes(at, length)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// The nearest character boundary at or before `at` (taken modulo the length).
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, mutation: &Mutation) {
    let lines =
        |text: &str| -> Vec<String> { text.split_inclusive('\n').map(str::to_string).collect() };
    match mutation {
        Mutation::InsertChar(at, c) => {
            let at = boundary(text, *at);
            text.insert(at, *c);
        }
        Mutation::InsertText(at, fragment) => {
            let at = boundary(text, *at);
            text.insert_str(at, fragment);
        }
        Mutation::DeleteBytes(at, length) => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + length).min(text.len()));
            if end > start {
                text.replace_range(start..end, "");
            }
        }
        Mutation::DuplicateLine(index) | Mutation::DeleteLine(index) => {
            let mut all = lines(text);
            if all.is_empty() {
                return;
            }
            let index = index % all.len();
            if matches!(mutation, Mutation::DuplicateLine(_)) {
                all.insert(index, all[index].clone());
            } else {
                all.remove(index);
            }
            *text = all.concat();
        }
        Mutation::SwapLines(a, b) => {
            let mut all = lines(text);
            if all.is_empty() {
                return;
            }
            let (a, b) = (a % all.len(), b % all.len());
            all.swap(a, b);
            *text = all.concat();
        }
    }
}

/// Everything the front end does with a source, with the results rendered; it must not panic.
fn check_everything(texts: &[String]) {
    for text in texts {
        for chunk in parse::split(text) {
            let _ = parse::parse_chunk(&chunk.text);
        }
        let _ = cordon_lang::format::format_file(text);
    }
    let db = Database::default();
    // The first text is one version; the others a second version that amends it.
    let files: Vec<SourceFile> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let dir = if index == 0 {
                "policy/2023-11-17"
            } else {
                "policy/2025-01-13"
            };
            SourceFile::new(
                &db,
                format!("{dir}/file{index}.cordon"),
                text.clone(),
                dir.to_string(),
                format!("file{index}"),
            )
        })
        .collect();
    let workspace = Workspace::new(&db, files.clone());
    let diagnostics = db::check_workspace(&db, workspace);
    for located in &diagnostics {
        let text = files
            .iter()
            .find(|file| *file.path(&db) == located.path)
            .map(|file| file.text(&db).clone())
            .unwrap_or_default();
        let rendered = render::render(located, &text, |path| {
            files
                .iter()
                .find(|file| file.path(&db) == path)
                .map(|file| file.text(&db).clone())
        });
        assert!(!rendered.is_empty());
        let _ = render::one_line(located, &text);
    }
    for version in db::workspace_versions(&db, workspace) {
        let _ = db::check_version(&db, *version);
    }
    // What an editor asks at every position (and past the end): the name there, what it denotes,
    // where that is declared and used.
    for file in &files {
        let length = u32::try_from(file.text(&db).len()).unwrap_or(u32::MAX);
        let starts: Vec<u32> = ide::file_occurrences(&db, *file)
            .iter()
            .map(|occurrence| occurrence.span.start)
            .chain([0, length / 2, length, length.saturating_add(5)])
            .collect();
        for (index, offset) in starts.into_iter().enumerate() {
            let _ = ide::declaration_at(&db, *file, offset);
            if let Some((_, resolved)) = ide::resolve_at(&db, workspace, *file, offset) {
                let _ = resolved.declared(&db);
                if index % 8 == 0 {
                    let _ = ide::references(&db, workspace, &resolved);
                }
            }
        }
        if let Some(version) = ide::file_version(&db, workspace, *file) {
            let _ = ide::fact_fields_after(&db, version, &["item".to_string()]);
        }
    }
}

/// The issue's sources, through everything, on a thread with the command line's and the
/// language server's 8 MiB stack (a test thread has 2 MiB).
#[test]
fn the_issues_sources_do_not_panic() {
    let rule = |condition: &str| {
        format!(
            "facts {{\n  date: date\n  count: int\n  flag: bool\n}}\n\noutcome {{\n  license_required: bool = false\n}}\n\n\
             rule deep\n  cite \"15 CFR 742.6(a)(6)(iii)\"\n  when {condition}\n  then license_required = true\n"
        )
    };
    let nots = format!("{}flag", "not ".repeat(10_000));
    let ors = (0..978)
        .map(|index| format!("count == {index}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let sources = [
        rule(&nots),
        rule(&ors),
        "group G \"G\" = G\n  cite \"15 CFR 740, Supp. 1\"\n".to_string(),
        "const a = b\n  cite \"x\"\nconst b = a\n  cite \"x\"\n".to_string(),
        rule(
            "count > 79_228_162_514_264_337_593_543_950_336 or count + 1 > 79_228_162_514_264_337_593_543_950_335",
        ),
        rule(&format!(
            "{}count > 1{}",
            "(".repeat(5_000),
            ")".repeat(5_000)
        )),
    ];
    for source in sources {
        let ran = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || check_everything(&[source]))
            .map(|thread| thread.join());
        assert!(matches!(ran, Ok(Ok(()))), "a source of the issue panicked");
    }
}

proptest! {
    // 256 cases keep the suite fast; set PROPTEST_CASES for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_policies_do_not_panic(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..12),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed.index(seeds.len())].clone();
        for mutation in &mutations {
            apply(&mut text, mutation);
        }
        check_everything(&[text]);
    }

    #[test]
    fn mutated_amendments_do_not_panic(
        base in any::<prop::sample::Index>(),
        amendment in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 0..8),
    ) {
        let seeds = seeds();
        let base = format!("version \"2023-11-17\" policy \"ear\" in_force from 2023-11-17\n{}", seeds[base.index(seeds.len())]);
        let mut amendment = format!(
            "version \"2025-01-13\" policy \"ear\" amends \"2023-11-17\" in_force never\n{}",
            seeds[amendment.index(seeds.len())].replace("\nrule ", "\nreplace rule ").replace("\nconst ", "\nremove ")
        );
        for mutation in &mutations {
            apply(&mut amendment, mutation);
        }
        check_everything(&[base, amendment]);
    }

    #[test]
    fn ascii_soup_does_not_panic(text in "[ -~\n\t]{0,400}") {
        check_everything(&[text]);
    }

    #[test]
    fn keyword_soup_does_not_panic(words in prop::collection::vec(proptest::sample::select(FRAGMENTS), 0..60)) {
        check_everything(&[words.concat()]);
    }
}
