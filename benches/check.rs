//! How fast `cordon check` is on a policy of 5,000 lines: a cold check (a fresh database: read the
//! files, parse, check everything) and a re-check after a one-line edit to one rule (what an
//! editor does on each keystroke). Targets: under 100 ms cold, under 5 ms for the re-check.
//!
//! The policy is generated: a schema, country groups, and ten modules written like the EAR policy's
//! own (classification thresholds, license requirements by group, review policies with
//! `notwithstanding`, exceptions with `unless`, examples and tests), each a copy with its rules
//! renamed and scoped to its own program so that the copies do not conflict. The generated policy
//! checks clean.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

use cordon_lang::db;
use cordon_lang::load;

const SCHEMA: &str = r#"// The facts and the outcome.

/// TPP is 2 x MacTOPS x bit length of the operation, summed over all processing units.
unit TPP "total processing performance"
  cite "15 CFR 774, Supp. 1, ECCN 3A090, Technical Note 1"
unit mm "millimetre"

enum Activity { export, reexport, transfer, deemed_export }
enum ItemKind { ic, computer, hbm, model_weights }
enum Review { approval, denial, case_by_case }
enum Exception { NAC, ACA, LPP }
enum Notice { nac_notification_25_days }

record Item {
  kind: ItemKind
  tpp: decimal TPP
  performance_density: decimal TPP/mm^2
  datacenter: bool
  model: string?
}

record EndUser {
  hq: country
  parent_hq: country
}

facts {
  date: date
  /// which of the generated programs the transaction falls under
  program: int
  activity: Activity
  item: Item
  quantity: int
  destination: country
  end_user: EndUser
}

outcome {
  classification: set of eccn
  license_required: bool = false
  license_exceptions: set of Exception
  review_policy: Review?
  notices: set of Notice
}
"#;

const GROUPS: &str = r#"// Country groups.

group D1 "Country Group D:1" = { AM AZ BY CN KH MO RU VN }
  cite "15 CFR part 740, Supp. 1, Country Group D:1"

group D4 "Country Group D:4" = { CN IR KP LY MO RU SY }
  cite "15 CFR part 740, Supp. 1, Country Group D:4"

group D5 "Country Group D:5" = { AF BY CN CU IR KP MM RU SY VE }
  cite "15 CFR part 740, Supp. 1, Country Group D:5"
  leaves KH on 2025-11-07 cite "22 CFR 126.1" secondary

group A5 "Country Group A:5" = { AU FR DE GB JP }
  cite "15 CFR part 740, Supp. 1, Country Group A:5"

group restricted = D1 + D4 + D5 - A5
  cite "15 CFR 742.6(a)(6)(iii)"

alias HK = CN
  cite "15 CFR 742.6(a)(6)(iii), note on Hong Kong"
"#;

/// The head of a module; `{k}` is the module's number.
const MODULE_HEAD: &str = r#"// Program {k}: classification, license requirements, review policies and exceptions.

import schema, groups

/// The threshold of 3A090.a for this program.
const threshold_{k} = 4800 TPP
  cite "15 CFR 774, Supp. 1, ECCN 3A090.a"

const density_threshold_{k} = 5.92 TPP/mm^2
  cite "15 CFR 774, Supp. 1, ECCN 3A090.a"

define in_program_{k} = program == {k}

define parties_{k} = [destination, end_user.hq, end_user.parent_hq]

define any_party_in_d5_{k} = any party in parties_{k}: party in D5

example h100_{k} = {
  date: 2024-06-01, program: {k}, activity: export,
  item: { kind: ic, tpp: 15832, performance_density: 19.45, datacenter: true },
  quantity: 1, destination: CN, end_user: { hq: CN, parent_hq: CN }
}

test h100_{k}_is_denied
  given h100_{k}
  expect { classification: [3A090.a], license_required: true, review_policy: denial }

test h100_{k}_below_threshold
  given h100_{k} with { item.tpp: 4799, item.performance_density: 5.91 }
  expect { classification: [], license_required: false }
"#;

/// One block of rules; `{k}` is the module's number, `{j}` the block's, `{low}` and `{high}` the
/// quantities the block's review rules cover, `{tpp}` a threshold.
const RULE_BLOCK: &str = r#"
/// "... integrated circuits having a TPP of {tpp} or more ..." (program {k}, band {j})
rule classify_{k}_{j}
  cite "15 CFR 774, Supp. 1, ECCN 3A090.a"
  when in_program_{k} and item.kind == ic and (item.tpp >= {tpp} TPP or item.performance_density >= density_threshold_{k})
  then classification += 3A090.a

rule license_{k}_{j}
  cite "15 CFR 742.6(a)(6)(iii)"
  when in_program_{k} and 3A090.a in classification and activity != deemed_export and destination in restricted
  then license_required = true

rule review_approval_{k}_{j}
  cite "15 CFR 742.6(b)(10)"
  when in_program_{k} and license_required and quantity >= {low} and quantity < {high}
  then review_policy = approval

/// "... a presumption of denial for destinations in Country Group D:5 ..."
rule review_denial_{k}_{j}
  cite "15 CFR 742.6(b)(10)"
  notwithstanding review_approval_{k}_{j}
  when in_program_{k} and license_required and quantity >= {low} and quantity < {high} and any_party_in_d5_{k}
  then review_policy = denial

rule nac_{k}_{j}
  cite "15 CFR 740.8(a)"
  unless review_denial_{k}_{j}
  when in_program_{k} and license_required and not item.datacenter and quantity >= {low} and quantity < {high}
  then license_exceptions += NAC, notices += nac_notification_25_days
"#;

const MODULES: usize = 10;
const BLOCKS: usize = 16;

/// The generated policy: one version directory of files.
fn policy() -> Vec<(String, String)> {
    let mut files = vec![
        ("schema".to_string(), SCHEMA.to_string()),
        ("groups".to_string(), GROUPS.to_string()),
    ];
    for k in 0..MODULES {
        let mut text = MODULE_HEAD.replace("{k}", &k.to_string());
        for j in 0..BLOCKS {
            text.push_str(
                &RULE_BLOCK
                    .replace("{k}", &k.to_string())
                    .replace("{j}", &j.to_string())
                    .replace("{low}", &(j * 100).to_string())
                    .replace("{high}", &((j + 1) * 100).to_string())
                    .replace("{tpp}", &(4800 + j).to_string()),
            );
        }
        files.push((format!("program_{k}"), text));
    }
    files
}

fn write_policy(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the benchmark's directory can be created");
    for (module, text) in policy() {
        std::fs::write(dir.join(format!("{module}.cordon")), text)
            .expect("the policy can be written");
    }
}

fn benchmark(c: &mut Criterion) {
    // A policy directory holding one version directory.
    let root: PathBuf =
        std::env::temp_dir().join(format!("cordon-bench-check-{}", std::process::id()));
    let dir = root.join("policy");
    write_policy(&dir.join("2025-01-13"));
    let lines: usize = policy().iter().map(|(_, text)| text.lines().count()).sum();
    let loaded = load::load(&dir).expect("the generated policy loads");
    let diagnostics = db::check_workspace(&loaded.db, loaded.workspace);
    assert!(
        diagnostics.is_empty(),
        "the generated policy is not clean: {diagnostics:#?}"
    );
    eprintln!(
        "generated policy: {lines} lines in {} files",
        policy().len()
    );

    c.bench_function(&format!("cold check ({lines} lines)"), |b| {
        b.iter(|| {
            let loaded = load::load(black_box(&dir)).expect("the generated policy loads");
            black_box(db::check_workspace(&loaded.db, loaded.workspace).len())
        })
    });

    // A one-line edit to one rule's condition, alternating between two texts so that every
    // iteration is a real change.
    let mut loaded = load::load(&dir).expect("the generated policy loads");
    let _ = db::check_workspace(&loaded.db, loaded.workspace);
    let file = loaded
        .workspace
        .files(&loaded.db)
        .iter()
        .copied()
        .find(|file| file.module(&loaded.db) == "program_3")
        .expect("the policy has a module program_3");
    let original = file.text(&loaded.db).clone();
    let edited = original.replacen("item.tpp >= 4805 TPP", "item.tpp >= 4806 TPP", 1);
    assert_ne!(original, edited);
    let mut toggle = false;
    c.bench_function("re-check after a one-line edit", |b| {
        b.iter(|| {
            toggle = !toggle;
            let text = if toggle {
                edited.clone()
            } else {
                original.clone()
            };
            loaded.db.set_file_text(file, text);
            black_box(db::check_workspace(&loaded.db, loaded.workspace).len())
        })
    });
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, benchmark);
criterion_main!(benches);
