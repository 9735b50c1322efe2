//! Incrementality is a feature, so it has tests: after an edit, exactly the queries that depend on
//! what changed execute again. The database logs each query it executes (`query(Id(..))`), and the
//! ids are mapped back to declarations through the interned keys.

use salsa::Setter as _;
use salsa::plumbing::AsId as _;

use cordon_lang::db::{
    self, CheckKey, Database, DeclarationKey, SourceFile, VersionKey, Workspace,
};

const SCHEMA: &str = r#"unit TPP "total processing performance"
unit mm "millimetre"

enum Review { approval, denial }

record Item {
  tpp: decimal TPP
  performance_density: decimal TPP/mm^2
  datacenter: bool
}

facts {
  date: date
  item: Item
  destination: country
}

outcome {
  classification: set of eccn
  license_required: bool = false
  review_policy: Review?
}

group D5 "Country Group D:5" = { CN RU }
  cite "15 CFR part 740, Supp. 1, Country Group D:5"
"#;

const RULES: &str = r#"import schema

rule classify_3a090a
  cite "15 CFR 774, Supp. 1, ECCN 3A090.a"
  when item.tpp >= 4800 TPP or item.performance_density >= 5.92 TPP/mm^2
  then classification += 3A090.a

rule license_d5
  cite "15 CFR 742.6(a)(6)(iii)"
  when 3A090.a in classification and destination in D5
  then license_required = true

rule review_approval
  cite "15 CFR 742.6(b)(10)"
  when license_required
  then review_policy = approval

rule review_denial_datacenter
  cite "15 CFR 742.6(b)(10)"
  notwithstanding review_approval
  when license_required and item.datacenter
  then review_policy = denial
"#;

const TESTS: &str = r#"import schema

example h100_china = {
  date: 2024-06-01,
  item: { tpp: 15832, performance_density: 19.45, datacenter: true },
  destination: CN
}

test h100_china_is_denied
  given h100_china
  expect { license_required: true, review_policy: denial }
"#;

struct Fixture {
    db: Database,
    workspace: Workspace,
    rules: SourceFile,
    version: salsa::Id,
}

fn fixture() -> Fixture {
    let db = Database::default();
    let file = |name: &str, text: &str| {
        SourceFile::new(
            &db,
            format!("ear/2025-01-13/{name}.cordon"),
            text.to_string(),
            "ear/2025-01-13".to_string(),
            name.to_string(),
        )
    };
    let schema = file("schema", SCHEMA);
    let rules = file("rules", RULES);
    let tests = file("tests", TESTS);
    let workspace = Workspace::new(&db, vec![schema, rules, tests]);
    let version = db::workspace_versions(&db, workspace)[0].as_id();
    Fixture {
        db,
        workspace,
        rules,
        version,
    }
}

impl Fixture {
    /// Checks everything; returns the number of diagnostics.
    fn check(&self) -> usize {
        db::check_workspace(&self.db, self.workspace).len()
    }

    /// The log entry for checking declaration `name` (the first of that name) of the rules file.
    fn check_entry(&self, name: &str) -> String {
        let version = db::workspace_versions(&self.db, self.workspace)
            .iter()
            .copied()
            .find(|version: &VersionKey<'_>| version.as_id() == self.version)
            .expect("the version still exists");
        let declaration = DeclarationKey::new(&self.db, self.rules, name.to_string(), 0);
        let key = CheckKey::new(&self.db, version, declaration);
        format!("check_declaration({:?})", key.as_id())
    }

    fn executed(&self, query: &str) -> Vec<String> {
        self.db
            .take_executed()
            .into_iter()
            .filter(|entry| entry.starts_with(&format!("{query}(")))
            .collect()
    }

    fn edit_rules(&mut self, text: String) {
        self.rules.set_text(&mut self.db).to(text);
    }
}

const RULE_NAMES: [&str; 4] = [
    "classify_3a090a",
    "license_d5",
    "review_approval",
    "review_denial_datacenter",
];

#[test]
fn the_fixture_is_clean() {
    let fixture = fixture();
    let diagnostics = db::check_workspace(&fixture.db, fixture.workspace);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

#[test]
fn editing_one_condition_rechecks_only_that_rule() {
    let mut fixture = fixture();
    assert_eq!(fixture.check(), 0);
    fixture.db.start_logging();
    fixture.edit_rules(RULES.replace("4800 TPP", "4801 TPP"));
    assert_eq!(fixture.check(), 0);
    let log = fixture.db.take_executed();
    let checked: Vec<&String> = log
        .iter()
        .filter(|entry| entry.starts_with("check_declaration("))
        .collect();
    assert_eq!(
        checked,
        vec![&fixture.check_entry("classify_3a090a")],
        "only the edited rule is checked again; the log was {log:#?}"
    );
    assert!(
        !log.iter().any(|entry| entry.starts_with("version_types(")),
        "the type-level view of the version does not depend on a rule's condition; the log was {log:#?}"
    );
    for name in &RULE_NAMES[1..] {
        assert!(
            !log.contains(&fixture.check_entry(name)),
            "`{name}` was checked again"
        );
    }
}

#[test]
fn shifting_declarations_does_not_recheck_them() {
    let mut fixture = fixture();
    assert_eq!(fixture.check(), 0);
    fixture.db.start_logging();
    // A comment line above every rule moves all their offsets.
    fixture.edit_rules(RULES.replace(
        "import schema\n",
        "import schema\n// moved down by one line\n",
    ));
    assert_eq!(fixture.check(), 0);
    let checked = fixture.executed("check_declaration");
    assert!(
        checked.is_empty(),
        "no declaration changed, none is checked again: {checked:#?}"
    );
}

#[test]
fn shifted_diagnostics_move_with_their_declaration() {
    let mut fixture = fixture();
    let broken = RULES.replace(
        "when license_required\n",
        "when license_required and destination in D6\n",
    );
    fixture.edit_rules(broken.clone());
    let before = db::check_workspace(&fixture.db, fixture.workspace);
    assert_eq!(before.len(), 1, "{before:#?}");
    fixture.db.start_logging();
    let inserted = "\n// two more lines\n";
    let shifted = broken.replace("import schema\n", &format!("import schema\n{inserted}"));
    fixture.edit_rules(shifted.clone());
    let after = db::check_workspace(&fixture.db, fixture.workspace);
    assert_eq!(fixture.executed("check_declaration"), Vec::<String>::new());
    assert_eq!(after.len(), 1, "{after:#?}");
    let span = after[0].diagnostic.span;
    assert_eq!(
        span.start,
        before[0].diagnostic.span.start + inserted.len() as u32
    );
    assert_eq!(&shifted[span.start as usize..span.end as usize], "D6");
}

#[test]
fn a_comment_written_above_a_rule_does_not_recheck_it() {
    let mut fixture = fixture();
    assert_eq!(fixture.check(), 0);
    fixture.db.start_logging();
    fixture.edit_rules(RULES.replace(
        "rule license_d5\n",
        "// Counsel: see the 2024-12-02 FAQ.\nrule license_d5\n",
    ));
    assert_eq!(fixture.check(), 0);
    let checked = fixture.executed("check_declaration");
    assert!(
        checked.is_empty(),
        "a plain comment is not part of the rule: {checked:#?}"
    );
}

#[test]
fn an_edit_that_changes_a_type_rechecks_what_reads_it() {
    let mut fixture = fixture();
    assert_eq!(fixture.check(), 0);
    fixture.db.start_logging();
    // A new constant changes the type-level view: every declaration is checked against it again,
    // and the results are those of checking from scratch.
    let edited = format!("{RULES}\nconst threshold = 4800 TPP cite \"15 CFR 774\"\n");
    fixture.edit_rules(edited.clone());
    let incremental = db::check_workspace(&fixture.db, fixture.workspace);
    let log = fixture.db.take_executed();
    assert!(
        log.iter().any(|entry| entry.starts_with("version_types(")),
        "{log:#?}"
    );
    let fresh = Database::default();
    let files = ["schema", "rules", "tests"].map(|name| {
        let text = match name {
            "schema" => SCHEMA.to_string(),
            "rules" => edited.clone(),
            _ => TESTS.to_string(),
        };
        SourceFile::new(
            &fresh,
            format!("ear/2025-01-13/{name}.cordon"),
            text,
            "ear/2025-01-13".to_string(),
            name.to_string(),
        )
    });
    let from_scratch = db::check_workspace(&fresh, Workspace::new(&fresh, files.to_vec()));
    assert_eq!(incremental, from_scratch);
}
