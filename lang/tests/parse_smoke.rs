use cordon_lang::parse::{parse_chunk, split, ParsedChunk};

#[test]
fn smoke() {
    let text = r#"
/// doc
rule a_rule
  cite "15 CFR 742.6(a)(6)(iii)" secondary
  effective 2024-12-02
  unless other
  when item.tpp >= 4800 TPP and destination in D1 + x or not (any p in parties: p in D5M)
  then license_required = true, license_exceptions += NAC

group D5 "Country Group D:5" = { AF BY CN } cite "x"
  leaves KH on 2025-11-07 cite "y" secondary

record Item {
  kind: ItemKind
  tpp: decimal TPP
  density: decimal TPP/mm^2?
  datacenter: bool
  produced_with: set of eccn = []
}
const x = 1e26 op cite "a"
example e = { date: 2025-06-01, item: { kind: ic, tpp: 15832 }, destination: IN, produced_with: [3A090.a] }
test t given e with { item.tpp: 4799 } expect { classification: [], review_policy: null }
version "2025-01-13" policy "ear" amends "2023-11-17" in_force never
rule broken when then
"#;
    for chunk in split(text) {
        match parse_chunk(&chunk.text) {
            ParsedChunk::Declaration(d) => println!("OK {:?} {:?}", d.keyword(), d.name().map(|n| &n.text)),
            ParsedChunk::Broken { error, name, .. } => println!("BROKEN {name:?} {error:?}"),
        }
    }
}
