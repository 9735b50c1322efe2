# The `2025-01-13` version of the EAR decision (../shared/ear/CONTRACT.md, second edition: the
# rules of 2024-12-02 as changed by the AI Diffusion interim final rule, with the Entity List),
# written in Rego for the side-by-side benchmark. The entry point is `data.ear.outcome`; `input`
# is the contract's transaction JSON. Dates are `YYYY-MM-DD` strings, which compare in date order.
package ear

import rego.v1

# ---------------------------------------------------------------------------------------------
# Country groups (15 CFR part 740, Supp. 1 and Supp. 5(a)). Hong Kong takes China's groups;
# Cambodia is in D:5 through 2025-11-06.

a5 := {
	"AR", "AT", "AU", "BE", "BG", "CA", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR",
	"HR", "HU", "IE", "IN", "IS", "IT", "JP", "KR", "LT", "LU", "LV", "NL", "NO", "NZ", "PL", "PT",
	"RO", "SE", "SI", "SK", "TR",
}

a6 := {"AL", "CY", "IL", "MT", "MX", "SG", "TW", "ZA"}

d1 := {
	"AM", "AZ", "BY", "CN", "GE", "IQ", "KG", "KH", "KP", "KZ", "LA", "LY", "MD", "MM", "MN", "MO",
	"NI", "RU", "TJ", "TM", "UZ", "VE", "VN", "YE",
}

d4 := {
	"AE", "BH", "BY", "CN", "EG", "IL", "IQ", "IR", "JO", "KP", "KW", "LB", "LY", "MO", "OM", "PK",
	"QA", "RU", "SA", "SY", "VE", "YE",
}

# D:5 without Cambodia, which `in_d5` adds through 2025-11-06.
d5_undated := {
	"AF", "BY", "CD", "CF", "CN", "CU", "ER", "HT", "IQ", "IR", "KP", "LB", "LY", "MM", "NI", "RU",
	"SD", "SO", "SS", "SY", "VE", "ZW",
}

aia := {
	"AU", "BE", "CA", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "JP", "KR", "NL", "NO", "NZ",
	"SE", "TW", "US",
}

country(code) := "CN" if code == "HK"

country(code) := code if code != "HK"

in_d5(code) if code in d5_undated

in_d5(code) if {
	code == "KH"
	input.date < "2025-11-07"
}

# Macau or D:5.
in_d5m(code) if code == "MO"

in_d5m(code) if in_d5(code)

# D:1, D:4 or D:5, not also A:5 or A:6 (742.6(a)(6)(iii)).
in_r(code) if {
	in_d1_d4_d5(code)
	not code in a5
	not code in a6
}

in_d1_d4_d5(code) if code in d1

in_d1_d4_d5(code) if code in d4

in_d1_d4_d5(code) if in_d5(code)

destination := country(input.destination)

hq := country(input.end_user.hq)

parent_hq := country(input.end_user.parent_hq)

parties := [destination, hq, parent_hq]

any_party_in_d5m if {
	some party in parties
	in_d5m(party)
}

any_party_in_aia if {
	some party in parties
	party in aia
}

all_parties_in_aia if every party in parties { party in aia }

# "HQ in X": the end user's headquarters or its ultimate parent's.
hq_in_d5m if in_d5m(hq)

hq_in_d5m if in_d5m(parent_hq)

hq_in_aia if hq in aia

hq_in_aia if parent_hq in aia

both_hq_in_aia if {
	hq in aia
	parent_hq in aia
}

deemed_export if input.activity == "deemed_export"

abroad if destination != "US"

# ---------------------------------------------------------------------------------------------
# Classification (15 CFR 774, Supp. 1)

processor if input.item.kind in {"ic", "computer"}

meets_a if {
	processor
	input.item.tpp >= 4800
}

meets_a if {
	processor
	input.item.tpp >= 1600
	input.item.performance_density >= 5.92
}

meets_b if {
	processor
	not meets_a
	input.item.tpp >= 2400
	input.item.tpp < 4800
	input.item.performance_density >= 1.6
	input.item.performance_density < 5.92
}

meets_b if {
	processor
	not meets_a
	input.item.tpp >= 1600
	input.item.performance_density >= 3.2
	input.item.performance_density < 5.92
}

# Note 2 to 3A090.
note_2_excluded if {
	processor
	not input.item.datacenter
	input.item.tpp < 4800
}

classification contains "3A090.a" if {
	input.item.kind == "ic"
	meets_a
	not note_2_excluded
}

classification contains "3A090.b" if {
	input.item.kind == "ic"
	meets_b
	not note_2_excluded
}

classification contains "4A090.a" if {
	input.item.kind == "computer"
	meets_a
	not note_2_excluded
}

classification contains "4A090.b" if {
	input.item.kind == "computer"
	meets_b
	not note_2_excluded
}

# 3A090.c is in this version's text (from 2024-12-02), whatever the date.
classification contains "3A090.c" if {
	input.item.kind == "hbm"
	input.item.memory_bandwidth_density > 2
}

# The AI model weights FDPR (734.9(l)): an entry matches its heading and every paragraph below.
fdpr_headings := ["3A001.z", "3A090", "4A003.z", "4A004.z", "4A005.z", "4A090", "5A002.z", "5A004.z", "5A992.z"]

within(eccn, heading) if eccn == heading

within(eccn, heading) if startswith(eccn, concat("", [heading, "."]))

fdpr_plant if {
	some eccn in object.get(input.item, "produced_with", [])
	some heading in fdpr_headings
	within(eccn, heading)
}

foreign_produced := object.get(input.item, "foreign_produced", false)

# Produced in the United States, or with a plant the FDPR names.
fdpr_reaches if {
	input.item.kind == "model_weights"
	not foreign_produced
}

fdpr_reaches if {
	input.item.kind == "model_weights"
	fdpr_plant
}

# 4E091: 10^26 operations or more, not published. The thresholds are integers, and "more than
# 25% of the base model's operations" is `4 * additional > base`, so that regorus compares
# integer inputs exactly (its integers are big integers; a literal like 2.5e25 or 0.25 would be
# a float).
classification contains "4E091" if {
	fdpr_reaches
	not input.item.published
	input.item.training_ops >= 100000000000000000000000000
	not input.item.derived_from_published
}

classification contains "4E091" if {
	fdpr_reaches
	not input.item.published
	input.item.training_ops >= 100000000000000000000000000
	input.item.derived_from_published
	input.item.additional_training_ops > 25000000000000000000000000
	4 * input.item.additional_training_ops > input.item.base_training_ops
}

# Published weights (734.7), and foreign-produced weights the FDPR does not bring in (it brings
# in 4E091 weights alone).
weights_outside_ear if {
	input.item.kind == "model_weights"
	input.item.published
}

weights_outside_ear if {
	input.item.kind == "model_weights"
	foreign_produced
	not "4E091" in classification
}

a_item if "3A090.a" in classification

a_item if "4A090.a" in classification

b_item if "3A090.b" in classification

b_item if "4A090.b" in classification

ab_item if a_item

ab_item if b_item

hbm if "3A090.c" in classification

datacenter_a_item if {
	a_item
	input.item.datacenter
}

weights if "4E091" in classification

total_tpp := input.item.tpp * input.quantity

# ---------------------------------------------------------------------------------------------
# License requirements (742.6(a)(6), 742.6(a)(13), 744.23(a)(3), 744.11)

# 742.6(a)(6)(iii)(B): .b items to D:1, D:4, D:5 minus A:5 and A:6; not for deemed exports.
b_destination_requirement if {
	b_item
	not deemed_export
	in_r(destination)
}

# 744.23(a)(3)(i): headquarters or ultimate parent in Macau or D:5, outside the United States.
b_headquarters_requirement if {
	b_item
	not deemed_export
	abroad
	hq_in_d5m
}

# 742.6(a)(6)(iii)(A): .a items to every destination but the United States.
a_requirement if {
	a_item
	not deemed_export
	abroad
}

# 742.6(a)(6)(i)(B): 3A090.c to Macau or D:5.
hbm_destination_requirement if {
	hbm
	not deemed_export
	in_d5m(destination)
}

# 744.23(a)(3)(i)(B): 3A090.c for Macau/D:5-headquartered entities, outside the United States.
hbm_headquarters_requirement if {
	hbm
	not deemed_export
	abroad
	hq_in_d5m
}

# 742.6(a)(13): 4E091 to every destination but the United States, except deemed exports to
# permanent employees of entities headquartered, or with an ultimate parent, in AIA destinations.
weights_requirement if {
	weights
	abroad
	not deemed_export_to_aia_employee
}

deemed_export_to_aia_employee if {
	deemed_export
	input.end_user.permanent_employee
	hq_in_aia
}

# 744.11: a listed end user needs a license for every item subject to the EAR.
entity_list := object.get(input.end_user, "entity_list", null)

entity_list_requirement if {
	entity_list != null
	abroad
	not weights_outside_ear
}

requires_license if b_destination_requirement

requires_license if b_headquarters_requirement

requires_license if a_requirement

requires_license if hbm_destination_requirement

requires_license if hbm_headquarters_requirement

requires_license if weights_requirement

requires_license if entity_list_requirement

default license_required := false

license_required if requires_license

# ---------------------------------------------------------------------------------------------
# License exceptions (740.8, 740.25, 740.27, 740.28, 740.29): only when a license is required,
# and none for a listed end user.

exception_possible if {
	requires_license
	not entity_list_requirement
}

license_exceptions contains "NAC" if {
	exception_possible
	ab_item
	not datacenter_a_item
	input.activity in {"export", "reexport"}
	any_party_in_d5m
}

license_exceptions contains "ACA" if {
	exception_possible
	ab_item
	not datacenter_a_item
	not any_party_in_d5m
}

license_exceptions contains "ACA" if {
	exception_possible
	ab_item
	not datacenter_a_item
	input.activity == "transfer"
	in_d5m(destination)
}

license_exceptions contains "HBM" if {
	exception_possible
	hbm
	input.item.memory_bandwidth_density < 3.3
}

license_exceptions contains "AIA" if {
	exception_possible
	a_item
	all_parties_in_aia
}

license_exceptions contains "AIA" if {
	exception_possible
	weights
	hq_in_aia
	not in_d5m(destination)
}

license_exceptions contains "ACM" if {
	exception_possible
	ab_item
	input.end_user.private_sector
	input.end_use == "development_production"
	not any_party_in_d5m
}

license_exceptions contains "LPP" if {
	exception_possible
	a_item
	input.activity in {"export", "reexport"}
	not any_party_in_d5m
	input.counters.consignee_tpp_this_year + total_tpp <= 26900000
}

# ---------------------------------------------------------------------------------------------
# Review policy (742.6(b)(10), 742.6(b)(14), 744.23(d), the Entity List entry): each license
# requirement brings its review; the most restrictive decides.

within_allocation if {
	input.date <= "2027-12-31"
	input.counters.country_tpp_allocated + total_tpp <= 790000000
}

reviews contains "denial" if {
	a_requirement
	any_party_in_d5m
}

reviews contains "approval" if {
	a_requirement
	not any_party_in_d5m
	any_party_in_aia
}

reviews contains "approval" if {
	a_requirement
	not any_party_in_d5m
	not any_party_in_aia
	within_allocation
}

reviews contains "denial" if {
	a_requirement
	not any_party_in_d5m
	not any_party_in_aia
	not within_allocation
}

b_requirement if b_destination_requirement

b_requirement if b_headquarters_requirement

reviews contains "denial" if {
	b_requirement
	in_d5m(destination)
}

reviews contains "case_by_case" if {
	b_requirement
	not in_d5m(destination)
	hq_in_d5m
}

reviews contains "approval" if {
	b_requirement
	not in_d5m(destination)
	not hq_in_d5m
}

reviews contains "denial" if {
	hbm_destination_requirement
	hq_in_d5m
}

reviews contains "approval" if {
	hbm_destination_requirement
	not hq_in_d5m
}

reviews contains "case_by_case" if {
	hbm_headquarters_requirement
	not in_d5m(destination)
}

reviews contains "approval" if {
	weights_requirement
	both_hq_in_aia
}

reviews contains "denial" if {
	weights_requirement
	not both_hq_in_aia
}

reviews contains entity_list if entity_list_requirement

default review_policy := null

review_policy := "denial" if {
	"denial" in reviews
} else := "case_by_case" if {
	"case_by_case" in reviews
} else := "approval" if {
	"approval" in reviews
}

# ---------------------------------------------------------------------------------------------
# Red flags and notices

red_flags contains "iaas_training_non_aia" if {
	input.end_use == "ai_training_4e091"
	not both_hq_in_aia
}

notices contains "nac_notification_25_days" if "NAC" in license_exceptions

notices contains "hbm_conditions_740_25" if "HBM" in license_exceptions

# 90 FR 5298: AIA and ACM cover .a items only if designed by an approved IC designer.
notices contains "approved_ic_designer_required" if {
	a_item
	some exception in {"AIA", "ACM"}
	exception in license_exceptions
	input.date >= "2025-01-16"
}

notices contains "not_subject_to_ear" if weights_outside_ear

# Where the two readings of "25%" (of the parent's operations, of the derived model's own)
# classify derived weights differently, the decision rests on the unconfirmed one.
weights_4e091 := "4E091" in classification

other_reading := true if {
	input.item.additional_training_ops > 25000000000000000000000000
	4 * input.item.additional_training_ops > input.item.training_ops
} else := false

notices contains "rests_on_unconfirmed_reading" if {
	fdpr_reaches
	not input.item.published
	input.item.training_ops >= 100000000000000000000000000
	input.item.derived_from_published
	weights_4e091 != other_reading
}

outcome := {
	"classification": classification,
	"license_required": license_required,
	"license_exceptions": license_exceptions,
	"review_policy": review_policy,
	"red_flags": red_flags,
	"notices": notices,
}
