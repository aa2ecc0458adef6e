//! Sorting a list of numbers: `sort:45,3,77=` answered `3,45,77`.

use super::{MAX_VERIFIED_LEN, Problem, Task};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Sorting `len` numbers from 0 to `max_value`, ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sorting {
    /// Numbers per list.
    pub len: usize,
    /// Largest number.
    pub max_value: u32,
}

/// The numbers of a comma-separated list, or None if it is not one.
fn parse_list(text: &str) -> Option<Vec<u32>> {
    if text.is_empty() || text.len() > MAX_VERIFIED_LEN {
        return None;
    }
    text.split(',')
        .map(|s| {
            let ok = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| s.parse().ok()).flatten()
        })
        .collect()
}

impl Task for Sorting {
    fn name(&self) -> &'static str {
        "sorting"
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Problem {
        let mut xs: Vec<u32> = (0..self.len)
            .map(|_| rng.random_range(0..=self.max_value))
            .collect();
        let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let prompt = format!("sort:{}=", join(&xs));
        xs.sort_unstable();
        Problem {
            prompt,
            answer: join(&xs),
        }
    }

    fn is_correct(&self, problem: &Problem, completion: &str) -> bool {
        completion.len() <= MAX_VERIFIED_LEN && completion == problem.answer
    }

    fn is_well_formed(&self, problem: &Problem, completion: &str) -> bool {
        let want = problem.answer.split(',').count();
        parse_list(completion).is_some_and(|v| v.len() == want)
    }

    fn alphabet(&self) -> &'static str {
        "0123456789,:=sort"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_answers() {
        let t = Sorting {
            len: 3,
            max_value: 99,
        };
        let p = Problem {
            prompt: "sort:45,3,77=".into(),
            answer: "3,45,77".into(),
        };
        assert!(t.is_correct(&p, "3,45,77"));
        assert!(
            !t.is_correct(&p, "3,77,45")
                && !t.is_correct(&p, "3,45,77,")
                && !t.is_correct(&p, "3,45")
        );
        assert!(!t.is_correct(&p, "3,045,77"));
        assert!(
            t.is_well_formed(&p, "1,2,3")
                && !t.is_well_formed(&p, "1,2")
                && !t.is_well_formed(&p, "1,,2")
        );
    }
}
