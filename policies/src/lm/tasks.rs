//! Tasks with rule-based verifiers: a problem is a prompt and a reference answer; a verifier
//! scores any completion (empty, huge, garbage) without panicking. Each task has three seeded
//! splits that never meet: a problem belongs to the test split when a stable hash of its prompt
//! falls in the test share, to the validation split when it falls in the next share, and to the
//! training split otherwise; training draws reject the other two. (Drawing validation problems
//! from the training split would score problems the model trained on: frequent small prompts
//! recur.)

mod arithmetic;
mod countdown;
mod sorting;

pub use arithmetic::{Addition, Multiplication};
pub use countdown::{Countdown, eval_expression};
pub use sorting::Sorting;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One problem: what the model is shown and one correct answer (the supervised warm-up's
/// target; a verifier may accept others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The prompt text.
    pub prompt: String,
    /// A correct completion (without end-of-sequence).
    pub answer: String,
}

/// A task: draws problems and checks completions.
pub trait Task: Send + Sync {
    /// The task's name (`addition`, ...).
    fn name(&self) -> &'static str;
    /// Draws one problem (from either split; see [`draw`]).
    fn sample(&self, rng: &mut ChaCha8Rng) -> Problem;
    /// Whether `completion` solves `problem`. Never panics, whatever the text.
    fn is_correct(&self, problem: &Problem, completion: &str) -> bool;
    /// Whether `completion` has the answer's form (digits, a list, an expression), right or
    /// wrong. Never panics.
    fn is_well_formed(&self, problem: &Problem, completion: &str) -> bool;
    /// The characters its prompts and answers use.
    fn alphabet(&self) -> &'static str;
}

/// Which split a problem is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Training problems.
    Train,
    /// Held-out problems for choosing settings: never drawn for training.
    Validation,
    /// Held-out problems for the reported figures: never drawn for training.
    Test,
}

/// Share of the problem space held out for testing (by prompt hash), per mille.
pub const TEST_SHARE_PER_MILLE: u64 = 100;
/// Share held out for validation, per mille (after the test share).
pub const VALIDATION_SHARE_PER_MILLE: u64 = 100;

/// FNV-1a, 64 bits: a hash that is the same on every machine and in every Rust version.
fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The split a prompt belongs to.
pub fn split_of(prompt: &str) -> Split {
    match stable_hash(prompt) % 1000 {
        h if h < TEST_SHARE_PER_MILLE => Split::Test,
        h if h < TEST_SHARE_PER_MILLE + VALIDATION_SHARE_PER_MILLE => Split::Validation,
        _ => Split::Train,
    }
}

/// Draws one problem of `split` (rejecting the other split's).
pub fn draw(task: &dyn Task, split: Split, rng: &mut ChaCha8Rng) -> Problem {
    loop {
        let p = task.sample(rng);
        if split_of(&p.prompt) == split {
            return p;
        }
    }
}

/// `n` problems of `split` drawn from `seed`: the same list on every machine.
pub fn problem_set(task: &dyn Task, split: Split, n: usize, seed: u64) -> Vec<Problem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| draw(task, split, &mut rng)).collect()
}

/// The task of a name, with its difficulty setting (`digits` for arithmetic, the count of
/// numbers for countdown, the list length for sorting); the error lists the names.
pub fn task_by_name(name: &str, size: usize) -> Result<Box<dyn Task>, String> {
    if size == 0 {
        return Err(format!("task {name}: the size must be positive"));
    }
    Ok(match name {
        "addition" => Box::new(Addition { digits: size }),
        "multiplication" => Box::new(Multiplication { digits: size }),
        "countdown" => Box::new(Countdown {
            numbers: size,
            max_number: 10,
        }),
        "sorting" => Box::new(Sorting {
            len: size,
            max_value: 99,
        }),
        other => {
            return Err(format!(
                "unknown task {other:?}: one of addition, multiplication, countdown, sorting"
            ));
        }
    })
}

/// The longest completion any verifier reads; longer ones are wrong without being parsed.
pub const MAX_VERIFIED_LEN: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_tasks() -> Vec<Box<dyn Task>> {
        ["addition", "multiplication", "countdown", "sorting"]
            .iter()
            .map(|n| task_by_name(n, 3).expect("task"))
            .collect()
    }

    #[test]
    fn reference_answers_are_correct_and_well_formed() {
        for task in all_tasks() {
            for p in problem_set(task.as_ref(), Split::Train, 200, 1) {
                assert!(task.is_correct(&p, &p.answer), "{}: {p:?}", task.name());
                assert!(task.is_well_formed(&p, &p.answer), "{}: {p:?}", task.name());
                assert!(
                    !task.is_correct(&p, ""),
                    "{}: empty accepted for {p:?}",
                    task.name()
                );
            }
        }
    }

    #[test]
    fn train_and_test_splits_never_share_a_prompt() {
        for task in all_tasks() {
            let test = problem_set(task.as_ref(), Split::Test, 300, 7);
            let train = problem_set(task.as_ref(), Split::Train, 3000, 8);
            assert!(test.iter().all(|p| split_of(&p.prompt) == Split::Test));
            let test_prompts: std::collections::HashSet<_> =
                test.iter().map(|p| &p.prompt).collect();
            assert!(
                train.iter().all(|p| !test_prompts.contains(&p.prompt)),
                "{}: a test prompt was drawn for training",
                task.name()
            );
        }
    }

    #[test]
    fn problem_sets_are_seeded() {
        let task = task_by_name("addition", 2).expect("task");
        assert_eq!(
            problem_set(task.as_ref(), Split::Test, 20, 3),
            problem_set(task.as_ref(), Split::Test, 20, 3)
        );
        assert_ne!(
            problem_set(task.as_ref(), Split::Test, 20, 3),
            problem_set(task.as_ref(), Split::Test, 20, 4)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn verifiers_never_panic_on_arbitrary_output(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let text = String::from_utf8_lossy(&bytes);
            for task in all_tasks() {
                let p = problem_set(task.as_ref(), Split::Train, 1, 5).remove(0);
                let _ = task.is_correct(&p, &text);
                let _ = task.is_well_formed(&p, &text);
            }
        }

        #[test]
        fn verifiers_never_panic_on_near_miss_output(s in "[0-9+*/()=, -]{0,80}") {
            for task in all_tasks() {
                let p = problem_set(task.as_ref(), Split::Train, 1, 6).remove(0);
                let _ = task.is_correct(&p, &s);
                let _ = task.is_well_formed(&p, &s);
            }
        }
    }

    #[test]
    fn verifiers_survive_huge_and_hostile_output() {
        let huge_number = "9".repeat(100_000);
        let deep = format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000));
        let overflow = "99999999999*99999999999*99999999999*99999999999".to_string();
        for task in all_tasks() {
            let p = problem_set(task.as_ref(), Split::Train, 1, 9).remove(0);
            for text in [
                &huge_number,
                &deep,
                &overflow,
                &"\u{FFFD}".to_string(),
                &"1/0".to_string(),
            ] {
                assert!(
                    !task.is_correct(&p, text),
                    "{}: {text:.20} accepted",
                    task.name()
                );
                let _ = task.is_well_formed(&p, text);
            }
        }
    }
}
