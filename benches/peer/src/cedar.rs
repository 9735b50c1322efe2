//! Cedar through `cedar-policy`: `policies/ear.cedar` parsed once, the entity store (country
//! groups and ECCN kinds as hierarchies) built once, one `Context` per transaction built up front
//! from the typed transaction. A decision is 22 authorization requests in three phases (see the
//! header of `policies/ear.cedar`): classification, the license requirement, then everything
//! that depends on both. The review is asked tier by tier and the most restrictive tier allowed
//! decides (Cedar's answers have no order of their own).
//!
//! Cedar's numbers: a Long is an i64 and a decimal has four places. TPP, quantities and counters
//! become Longs, densities decimals, and training operations Longs in units of 10^21; a value
//! that does not fit one of these is refused, never rounded.

use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use rust_decimal::Decimal;

use crate::generate::Item;
use crate::outcome::{self, Outcome, Review};
use crate::peer::{Case, Peer};

/// The Cedar source of the decision.
pub fn source() -> Result<String, String> {
    let path = crate::crate_root().join("policies/ear.cedar");
    std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))
}

/// Country groups, as the entity store's hierarchy. D:5 leaves Cambodia out: it is a member only
/// through 2025-11-06, which the policies test with the date.
const GROUPS: [(&str, &str); 7] = [
    (
        "A5",
        "AR AT AU BE BG CA CH CZ DE DK EE ES FI FR GB GR HR HU IE IN IS IT JP KR LT LU LV NL NO NZ \
         PL PT RO SE SI SK TR",
    ),
    ("A6", "AL CY IL MT MX SG TW ZA"),
    (
        "D1",
        "AM AZ BY CN GE IQ KG KH KP KZ LA LY MD MM MN MO NI RU TJ TM UZ VE VN YE",
    ),
    (
        "D4",
        "AE BH BY CN EG IL IQ IR JO KP KW LB LY MO OM PK QA RU SA SY VE YE",
    ),
    (
        "D5",
        "AF BY CD CF CN CU ER HT IQ IR KP LB LY MM NI RU SD SO SS SY VE ZW",
    ),
    ("D5M", "MO"),
    (
        "AIA",
        "AU BE CA DE DK ES FI FR GB IE IT JP KR NL NO NZ SE TW US",
    ),
];

/// The entity store: countries in their groups (Hong Kong with China's), `Group::"D5"` in
/// `Group::"D5M"`, and the ECCNs in their kinds: `.a` items, `.b` items (both `ab_item`), and the
/// items the headquarters-based requirement of 744.23(a)(3) reaches besides `.a` items
/// (`hq_item`: `.b` items and 3A090.c).
pub fn entities() -> Result<Entities, String> {
    use serde_json::{Value, json};
    let mut countries: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for (group, members) in GROUPS {
        for code in members.split_whitespace() {
            countries
                .entry(code)
                .or_default()
                .push(json!({ "type": "Group", "id": group }));
        }
    }
    let china = countries.get("CN").cloned().unwrap_or_default();
    countries.insert("HK", china);
    let mut list: Vec<Value> = countries
        .into_iter()
        .map(|(code, parents)| {
            json!({ "uid": { "type": "Country", "id": code }, "attrs": {}, "parents": parents })
        })
        .collect();
    let group = |id: &str, parents: &[&str]| {
        json!({
            "uid": { "type": "Group", "id": id },
            "attrs": {},
            "parents": parents.iter().map(|parent| json!({ "type": "Group", "id": parent })).collect::<Vec<_>>(),
        })
    };
    for (id, _) in GROUPS {
        list.push(group(id, if id == "D5" { &["D5M"] } else { &[] }));
    }
    let eccn = |id: &str, parents: &[&str]| {
        json!({
            "uid": { "type": "Eccn", "id": id },
            "attrs": {},
            "parents": parents.iter().map(|parent| json!({ "type": "Eccn", "id": parent })).collect::<Vec<_>>(),
        })
    };
    list.extend([
        eccn("ab_item", &[]),
        eccn("hq_item", &[]),
        eccn("a_item", &["ab_item"]),
        eccn("b_item", &["ab_item", "hq_item"]),
        eccn("3A090.a", &["a_item"]),
        eccn("4A090.a", &["a_item"]),
        eccn("3A090.b", &["b_item"]),
        eccn("4A090.b", &["b_item"]),
        eccn("3A090.c", &["hq_item"]),
        eccn("4E091", &[]),
        eccn("none", &[]),
    ]);
    Entities::from_json_value(Value::Array(list), None).map_err(|error| error.to_string())
}

fn uid(text: &str) -> Result<EntityUid, String> {
    EntityUid::from_str(text).map_err(|error| format!("{text}: {error}"))
}

/// A whole number Cedar holds as a Long, or why it cannot.
pub fn long(what: &str, value: Decimal) -> Result<RestrictedExpression, String> {
    let whole = value.normalize();
    if whole.scale() != 0 {
        return Err(format!("{what}: Cedar has no Long for {value} (not whole)"));
    }
    i64::try_from(whole)
        .map(RestrictedExpression::new_long)
        .map_err(|_| format!("{what}: {value} is beyond Cedar's Long (i64)"))
}

/// A decimal of at most four places within Cedar's range, or why it is not one.
pub fn decimal(what: &str, value: Decimal) -> Result<RestrictedExpression, String> {
    let value = value.normalize();
    if value.scale() > 4 || value.abs() >= Decimal::from(922_337_203_685_477_i64) {
        return Err(format!(
            "{what}: {value} is not a Cedar decimal (4 places, about ±9.2 x 10^14)"
        ));
    }
    // Cedar's decimal literal needs a decimal point.
    let text = if value.scale() == 0 {
        format!("{value}.0")
    } else {
        value.to_string()
    };
    Ok(RestrictedExpression::new_decimal(text))
}

/// Training operations as a Long in units of 10^21.
pub fn operations(what: &str, value: Decimal) -> Result<RestrictedExpression, String> {
    let unit = Decimal::from_i128_with_scale(10_i128.pow(21), 0);
    if !(value % unit).is_zero() {
        return Err(format!(
            "{what}: {value} is not a whole number of 10^21 operations, and Cedar's Long stops at 9.2 x 10^18"
        ));
    }
    long(what, value / unit)
}

/// Every heading above each ECCN, and the ECCN itself: `4A004.z.1` gives `4A004.z.1`, `4A004.z`
/// and `4A004`.
fn headings(eccns: &[&str]) -> Vec<RestrictedExpression> {
    let mut all = Vec::new();
    for eccn in eccns {
        let mut end = eccn.len();
        loop {
            all.push(RestrictedExpression::new_string(eccn[..end].to_string()));
            match eccn[..end].rfind('.') {
                Some(dot) => end = dot,
                None => break,
            }
        }
    }
    all
}

/// The transaction as Cedar's context.
pub fn context(case: &Case) -> Result<Context, String> {
    let t = &case.transaction;
    let country =
        |code: &str| uid(&format!("Country::\"{code}\"")).map(RestrictedExpression::new_entity_uid);
    let text = |value: &str| RestrictedExpression::new_string(value.to_string());
    let date = i64::from(t.date.year()) * 10_000
        + i64::from(t.date.month()) * 100
        + i64::from(t.date.day());
    let mut pairs: Vec<(&str, RestrictedExpression)> = vec![
        ("date", RestrictedExpression::new_long(date)),
        ("activity", text(t.activity.name())),
        ("kind", text(t.item.kind())),
        (
            "quantity",
            RestrictedExpression::new_long(i64::from(t.quantity)),
        ),
        ("destination", country(t.destination)?),
        ("hq", country(t.hq)?),
        ("parent_hq", country(t.parent_hq)?),
        (
            "private_sector",
            RestrictedExpression::new_bool(t.private_sector),
        ),
        (
            "permanent_employee",
            RestrictedExpression::new_bool(t.permanent_employee),
        ),
        ("end_use", text(t.end_use.name())),
        (
            "consignee_tpp_this_year",
            long(
                "counters.consignee_tpp_this_year",
                t.consignee_tpp_this_year,
            )?,
        ),
        (
            "country_tpp_allocated",
            long("counters.country_tpp_allocated", t.country_tpp_allocated)?,
        ),
    ];
    // `null` and absent alike: not listed.
    if let Some(review) = t.entity_list.review() {
        pairs.push(("entity_list", text(review.name())));
    }
    match &t.item {
        Item::Processor {
            tpp,
            performance_density,
            datacenter,
            ..
        } => pairs.extend([
            ("tpp", long("item.tpp", *tpp)?),
            (
                "density",
                decimal("item.performance_density", *performance_density)?,
            ),
            ("datacenter", RestrictedExpression::new_bool(*datacenter)),
        ]),
        Item::Hbm {
            memory_bandwidth_density,
        } => pairs.push((
            "memory_bandwidth_density",
            decimal("item.memory_bandwidth_density", *memory_bandwidth_density)?,
        )),
        Item::ModelWeights {
            training_ops,
            published,
            derived,
            produced_with,
            ..
        } => {
            pairs.extend([
                (
                    "training_ops_e21",
                    operations("item.training_ops", *training_ops)?,
                ),
                ("published", RestrictedExpression::new_bool(*published)),
                (
                    "derived_from_published",
                    RestrictedExpression::new_bool(derived.is_some()),
                ),
                (
                    "foreign_produced",
                    RestrictedExpression::new_bool(t.item.foreign_produced()),
                ),
                (
                    "plant_headings",
                    RestrictedExpression::new_set(headings(produced_with)),
                ),
            ]);
            if let Some((base, additional)) = derived {
                pairs.extend([
                    (
                        "base_training_ops_e21",
                        operations("item.base_training_ops", *base)?,
                    ),
                    (
                        "additional_training_ops_e21",
                        operations("item.additional_training_ops", *additional)?,
                    ),
                ]);
            }
        }
    }
    Context::from_pairs(
        pairs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value)),
    )
    .map_err(|error| error.to_string())
}

/// Requests per decision: 6 classifications, the license requirement, 6 exceptions, 3 review
/// tiers, 1 red flag and 5 notices (the two notices of later versions are not asked).
pub const REQUESTS_PER_DECISION: usize = 22;

/// One question Cedar is asked: an action, with the policies whose scope names it.
///
/// Cedar's authorizer evaluates every policy of the set it is given for every request (and
/// builds each policy's condition afresh), so the harness gives each request only the policies
/// whose action scope can match: the fastest way we found to run this decision in Cedar (19
/// requests against the whole set of policies ran about 10x slower).
struct Question {
    action: EntityUid,
    policies: PolicySet,
}

pub struct Cedar {
    authorizer: Authorizer,
    entities: Entities,
    exporter: EntityUid,
    transaction: EntityUid,
    required: EntityUid,
    not_required: EntityUid,
    classify: Vec<Question>,
    eccns: Vec<EntityUid>,
    none: EntityUid,
    license_required: Question,
    exceptions: Vec<Question>,
    review_approval: Question,
    review_case_by_case: Question,
    review_denial: Question,
    red_flag_iaas: Question,
    notice_approved_ic_designer: Question,
    notice_hbm_conditions: Question,
    notice_nac: Question,
    notice_not_subject: Question,
    notice_unconfirmed: Question,
}

impl Cedar {
    pub fn new() -> Result<Cedar, String> {
        let all = PolicySet::from_str(&source()?).map_err(|error| format!("{error:?}"))?;
        let question = |name: &str| -> Result<Question, String> {
            let action = uid(&format!("Action::\"{name}\""))?;
            let policies = PolicySet::from_policies(
                all.policies()
                    .filter(|policy| match policy.action_constraint() {
                        ActionConstraint::Any => true,
                        ActionConstraint::Eq(scope) => scope == action,
                        ActionConstraint::In(scopes) => scopes.contains(&action),
                    })
                    .cloned(),
            )
            .map_err(|error| error.to_string())?;
            Ok(Question { action, policies })
        };
        Ok(Cedar {
            authorizer: Authorizer::new(),
            entities: entities()?,
            exporter: uid("Exporter::\"exporter\"")?,
            transaction: uid("Transaction::\"transaction\"")?,
            required: uid("License::\"required\"")?,
            not_required: uid("License::\"not_required\"")?,
            classify: outcome::ECCNS
                .iter()
                .map(|eccn| question(&format!("classify_{eccn}")))
                .collect::<Result<_, _>>()?,
            eccns: outcome::ECCNS
                .iter()
                .map(|eccn| uid(&format!("Eccn::\"{eccn}\"")))
                .collect::<Result<_, _>>()?,
            none: uid("Eccn::\"none\"")?,
            license_required: question("license_required")?,
            exceptions: outcome::EXCEPTIONS
                .iter()
                .map(|exception| question(&format!("exception_{exception}")))
                .collect::<Result<_, _>>()?,
            review_approval: question("review_approval")?,
            review_case_by_case: question("review_case_by_case")?,
            review_denial: question("review_denial")?,
            red_flag_iaas: question("red_flag_iaas_training_non_aia")?,
            notice_approved_ic_designer: question("notice_approved_ic_designer_required")?,
            notice_hbm_conditions: question("notice_hbm_conditions_740_25")?,
            notice_nac: question("notice_nac_notification_25_days")?,
            notice_not_subject: question("notice_not_subject_to_ear")?,
            notice_unconfirmed: question("notice_rests_on_unconfirmed_reading")?,
        })
    }

    fn allowed(
        &self,
        principal: &EntityUid,
        question: &Question,
        resource: &EntityUid,
        context: &Context,
    ) -> Result<bool, String> {
        let request = Request::new(
            principal.clone(),
            question.action.clone(),
            resource.clone(),
            context.clone(),
            None,
        )
        .map_err(|error| error.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &question.policies, &self.entities);
        if let Some(error) = response.diagnostics().errors().next() {
            return Err(format!("{}: {error}", question.action));
        }
        Ok(response.decision() == Decision::Allow)
    }
}

impl<'a> Peer<'a> for Cedar {
    type Input = Context;

    fn name(&self) -> &'static str {
        "Cedar"
    }

    fn prepare(&self, case: &'a Case) -> Result<Context, String> {
        context(case)
    }

    fn decide(&mut self, context: &Context) -> Result<Outcome, String> {
        let mut result = Outcome::default();
        let mut resource = &self.none;
        for (index, question) in self.classify.iter().enumerate() {
            if self.allowed(&self.exporter, question, &self.transaction, context)? {
                if result.classification != 0 {
                    return Err("more than one ECCN for one item".to_string());
                }
                result.classification |= 1 << index;
                resource = &self.eccns[index];
            }
        }
        result.license_required =
            self.allowed(&self.exporter, &self.license_required, resource, context)?;
        let principal = if result.license_required {
            &self.required
        } else {
            &self.not_required
        };
        for (index, question) in self.exceptions.iter().enumerate() {
            if self.allowed(principal, question, resource, context)? {
                result.license_exceptions |= 1 << index;
            }
        }
        // Each tier is asked; the most restrictive allowed decides.
        let denial = self.allowed(principal, &self.review_denial, resource, context)?;
        let case_by_case = self.allowed(principal, &self.review_case_by_case, resource, context)?;
        let approval = self.allowed(principal, &self.review_approval, resource, context)?;
        result.review_policy = if denial {
            Some(Review::Denial)
        } else if case_by_case {
            Some(Review::CaseByCase)
        } else if approval {
            Some(Review::Approval)
        } else {
            None
        };
        if self.allowed(principal, &self.red_flag_iaas, resource, context)? {
            result.red_flags |=
                outcome::bit(&outcome::RED_FLAGS, "iaas_training_non_aia").unwrap_or(0);
        }
        if self.allowed(
            principal,
            &self.notice_approved_ic_designer,
            resource,
            context,
        )? {
            result.notices |=
                outcome::bit(&outcome::NOTICES, "approved_ic_designer_required").unwrap_or(0);
        }
        if self.allowed(principal, &self.notice_hbm_conditions, resource, context)? {
            result.notices |= outcome::bit(&outcome::NOTICES, "hbm_conditions_740_25").unwrap_or(0);
        }
        if self.allowed(principal, &self.notice_nac, resource, context)? {
            result.notices |=
                outcome::bit(&outcome::NOTICES, "nac_notification_25_days").unwrap_or(0);
        }
        if self.allowed(principal, &self.notice_not_subject, resource, context)? {
            result.notices |= outcome::bit(&outcome::NOTICES, "not_subject_to_ear").unwrap_or(0);
        }
        if self.allowed(principal, &self.notice_unconfirmed, resource, context)? {
            result.notices |=
                outcome::bit(&outcome::NOTICES, "rests_on_unconfirmed_reading").unwrap_or(0);
        }
        Ok(result)
    }
}
