//! Merging the regions that decide alike into fewer, larger ones. Takes regions as cubes (sorted
//! literals, each a question's number times two plus its answer) with the regions they came from;
//! gives cubes whose union is the same, each with the regions it holds.
//!
//! Finding, for a cube, the cubes that lie within it (or within it with one answer turned) is the
//! heart of each pass; [`Subsets`] answers it without going through every cube, which keeps a
//! merge of thousands of regions from being quadratic in them.

use std::cmp::Ordering;

use rustc_hash::FxHashMap as HashMap;

/// A region as its answers, with the numbers of the regions it holds.
pub type Cube = (Vec<u32>, Vec<usize>);

/// Merges cubes until a pass changes nothing: two cubes that differ only in the answer to one
/// question become one without it; a cube drops an answer when cubes with the opposite answer
/// cover what it gains; identical cubes become one and cubes inside others go.
pub fn cubes(mut cubes: Vec<Cube>) -> Vec<Cube> {
    loop {
        let before = cubes.len();
        let mut next = pair(&cubes);
        widen(&mut next);
        cubes = without_inner(next);
        if cubes.len() == before {
            return cubes;
        }
    }
}

/// Same answers but one, opposite on that one: one cube without it. Each cube pairs at most once
/// a pass. Cubes are found by a hash of their answers but one (the sum of a hash of each answer,
/// so that leaving one out is a subtraction), and a pair is taken only once its answers are
/// compared.
fn pair(cubes: &[Cube]) -> Vec<Cube> {
    let mut pairs: HashMap<(u64, u32), usize> = HashMap::default();
    let mut used = vec![false; cubes.len()];
    let mut next = Vec::new();
    for index in 0..cubes.len() {
        let literals = &cubes[index].0;
        let whole = literals
            .iter()
            .fold(0u64, |sum, l| sum.wrapping_add(mix(*l)));
        for literal in literals {
            let key = (whole.wrapping_sub(mix(*literal)), literal / 2);
            match pairs.get(&key) {
                Some(&other) if !used[other] && turned(&cubes[other].0, literals, *literal) => {
                    used[other] = true;
                    used[index] = true;
                    let mut members = cubes[other].1.clone();
                    members.extend(&cubes[index].1);
                    let rest = literals.iter().filter(|l| *l != literal).copied().collect();
                    next.push((rest, members));
                    break;
                }
                _ => {
                    pairs.insert(key, index);
                }
            }
        }
    }
    for (index, cube) in cubes.iter().enumerate() {
        if !used[index] {
            next.push(cube.clone());
        }
    }
    next
}

/// Whether `other` is `literals` with `literal` turned to the opposite answer.
fn turned(other: &[u32], literals: &[u32], literal: u32) -> bool {
    other.len() == literals.len()
        && other.binary_search(&(literal ^ 1)).is_ok()
        && literals
            .iter()
            .filter(|l| **l != literal)
            .all(|l| other.binary_search(l).is_ok())
}

/// A well-spread hash of an answer (splitmix64's finaliser).
fn mix(literal: u32) -> u64 {
    let mut x = u64::from(literal).wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A cube drops an answer when a cube with the opposite answer holds everything else it would
/// gain: when some cube lies within it with that answer turned (and holds the turned answer).
fn widen(cubes: &mut [Cube]) {
    let mut within = Subsets::default();
    for (number, (literals, _)) in cubes.iter().enumerate() {
        within.insert(literals, number);
    }
    let mut turned = Vec::new();
    for (literals, _) in cubes.iter_mut() {
        let mut kept = literals.clone();
        for literal in literals.iter() {
            let opposite = literal ^ 1;
            turned.clear();
            turned.extend(kept.iter().copied().filter(|l| l != literal));
            let at = turned.partition_point(|l| *l < opposite);
            turned.insert(at, opposite);
            if within.any_within(&turned, opposite) {
                turned.remove(at);
                kept.clone_from(&turned);
            }
        }
        *literals = kept;
    }
}

/// Identical cubes become one; cubes inside another (the first, shortest first) go into it.
fn without_inner(mut cubes: Vec<Cube>) -> Vec<Cube> {
    cubes.sort();
    let mut merged: Vec<Cube> = Vec::new();
    for (literals, members) in cubes {
        match merged.last_mut() {
            Some((last, last_members)) if *last == literals => last_members.extend(members),
            _ => merged.push((literals, members)),
        }
    }
    merged.sort_by_key(|(literals, _)| literals.len());
    let mut kept: Vec<Cube> = Vec::new();
    let mut within = Subsets::default();
    for (literals, members) in merged {
        match within.least_within(&literals) {
            Some(outer) => kept[outer].1.extend(members),
            None => {
                within.insert(&literals, kept.len());
                kept.push((literals, members));
            }
        }
    }
    kept
}

/// Sets of literals, each sorted, as a trie: which of them lie within a given set is a walk down
/// the branches whose literals the set holds.
struct Subsets {
    /// Each node's children by literal, in order; node 0 is the root.
    children: Vec<Vec<(u32, u32)>>,
    /// The least number of a set that ends at each node.
    ends: Vec<Option<usize>>,
}

impl Default for Subsets {
    fn default() -> Subsets {
        Subsets {
            children: vec![Vec::new()],
            ends: vec![None],
        }
    }
}

impl Subsets {
    fn insert(&mut self, literals: &[u32], number: usize) {
        let mut node = 0;
        for &literal in literals {
            node = match self.children[node].binary_search_by_key(&literal, |(l, _)| *l) {
                Ok(at) => self.children[node][at].1 as usize,
                Err(at) => {
                    let child = self.children.len();
                    self.children.push(Vec::new());
                    self.ends.push(None);
                    self.children[node].insert(at, (literal, child as u32));
                    child
                }
            };
        }
        let end = &mut self.ends[node];
        *end = Some(end.map_or(number, |other| other.min(number)));
    }

    /// Whether a set lies within `query` (sorted) and holds `needed`.
    fn any_within(&self, query: &[u32], needed: u32) -> bool {
        let mut found = None;
        self.walk(0, query, Some(needed), true, &mut found);
        found.is_some()
    }

    /// The least number of a set that lies within `query` (sorted).
    fn least_within(&self, query: &[u32]) -> Option<usize> {
        let mut found = None;
        self.walk(0, query, None, false, &mut found);
        found
    }

    /// Walks down from `node` through the literals of `query`; sets ending on the way (once
    /// `needed` has been passed) are found. Returns true to stop when `first` is asked for.
    fn walk(
        &self,
        node: usize,
        query: &[u32],
        needed: Option<u32>,
        first: bool,
        found: &mut Option<usize>,
    ) -> bool {
        if needed.is_none()
            && let Some(number) = self.ends[node]
        {
            *found = Some(found.map_or(number, |least| least.min(number)));
            if first {
                return true;
            }
        }
        let children = &self.children[node];
        let (mut c, mut q) = (0, 0);
        while c < children.len() && q < query.len() {
            let (literal, child) = children[c];
            // Literals are in order: past `needed`, no set below holds it.
            if needed.is_some_and(|needed| literal > needed) {
                break;
            }
            match literal.cmp(&query[q]) {
                Ordering::Less => c += 1,
                Ordering::Greater => q += 1,
                Ordering::Equal => {
                    let needed = needed.filter(|needed| *needed != literal);
                    if self.walk(child as usize, &query[q + 1..], needed, first, found) {
                        return true;
                    }
                    c += 1;
                    q += 1;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The subsets of `query` among `sets`, by going through all of them.
    fn brute(sets: &[Vec<u32>], query: &[u32], needed: Option<u32>) -> Option<usize> {
        sets.iter()
            .enumerate()
            .filter(|(_, set)| set.iter().all(|l| query.contains(l)))
            .filter(|(_, set)| needed.is_none_or(|needed| set.contains(&needed)))
            .map(|(number, _)| number)
            .min()
    }

    #[test]
    fn the_trie_finds_what_a_search_of_every_set_finds() {
        // Every set of literals below 6 (64 sets), each asked of every other.
        let all: Vec<Vec<u32>> = (0u32..64)
            .map(|bits| (0..6).filter(|l| bits & (1 << l) != 0).collect())
            .collect();
        // A family: every third set, the empty set among them.
        let family: Vec<Vec<u32>> = all.iter().step_by(3).cloned().collect();
        let mut within = Subsets::default();
        for (number, set) in family.iter().enumerate() {
            within.insert(set, number);
        }
        for query in &all {
            assert_eq!(within.least_within(query), brute(&family, query, None));
            for needed in 0..6 {
                assert_eq!(
                    within.any_within(query, needed),
                    brute(&family, query, Some(needed)).is_some(),
                    "{query:?} needing {needed}"
                );
            }
        }
    }

    #[test]
    fn two_halves_become_one_cube_and_inner_cubes_go() {
        // a & b, a & !b, and a & b & c inside the first: all of it is a.
        let merged = cubes(vec![
            (vec![1, 3], vec![0]),
            (vec![1, 2], vec![1]),
            (vec![1, 3, 5], vec![2]),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].0, vec![1]);
        let mut members = merged[0].1.clone();
        members.sort();
        assert_eq!(members, vec![0, 1, 2]);
    }

    #[test]
    fn a_cube_drops_an_answer_the_opposite_cube_covers() {
        // a & b and !a: the first widens to b (a & b or !a is b or !a).
        let merged = cubes(vec![(vec![1, 3], vec![0]), (vec![0], vec![1])]);
        let literals: Vec<&Vec<u32>> = merged.iter().map(|(literals, _)| literals).collect();
        assert_eq!(literals, vec![&vec![0], &vec![3]]);
    }
}
