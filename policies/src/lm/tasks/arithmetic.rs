//! Multi-digit addition and multiplication: `a+b=` / `a*b=`, answered most significant digit
//! first, with no scratchpad.

use super::{MAX_VERIFIED_LEN, Problem, Task};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A number of 1 to `digits` digits (the length uniform, then the value uniform among numbers
/// of that length).
fn operand(digits: usize, rng: &mut ChaCha8Rng) -> u64 {
    let len = rng.random_range(1..=digits.min(18)) as u32;
    let lo = if len == 1 { 0 } else { 10u64.pow(len - 1) };
    rng.random_range(lo..10u64.pow(len))
}

/// A plain decimal: digits only, no leading zero (except "0" itself).
fn is_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_VERIFIED_LEN
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// Addition of two numbers of up to `digits` digits each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addition {
    /// Most digits per operand (1 to 18).
    pub digits: usize,
}

/// Multiplication of two numbers of up to `digits` digits each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multiplication {
    /// Most digits per operand (1 to 9).
    pub digits: usize,
}

fn check(problem: &Problem, completion: &str) -> bool {
    completion.len() <= MAX_VERIFIED_LEN && completion == problem.answer
}

impl Task for Addition {
    fn name(&self) -> &'static str {
        "addition"
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Problem {
        let (a, b) = (operand(self.digits, rng), operand(self.digits, rng));
        Problem {
            prompt: format!("{a}+{b}="),
            answer: (a + b).to_string(),
        }
    }

    fn is_correct(&self, problem: &Problem, completion: &str) -> bool {
        check(problem, completion)
    }

    fn is_well_formed(&self, _problem: &Problem, completion: &str) -> bool {
        is_decimal(completion)
    }

    fn alphabet(&self) -> &'static str {
        "0123456789+="
    }
}

impl Task for Multiplication {
    fn name(&self) -> &'static str {
        "multiplication"
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Problem {
        let d = self.digits.min(9);
        let (a, b) = (operand(d, rng), operand(d, rng));
        Problem {
            prompt: format!("{a}*{b}="),
            answer: (a * b).to_string(),
        }
    }

    fn is_correct(&self, problem: &Problem, completion: &str) -> bool {
        check(problem, completion)
    }

    fn is_well_formed(&self, _problem: &Problem, completion: &str) -> bool {
        is_decimal(completion)
    }

    fn alphabet(&self) -> &'static str {
        "0123456789*="
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_answers() {
        let add = Addition { digits: 3 };
        let p = Problem {
            prompt: "999+1=".into(),
            answer: "1000".into(),
        };
        assert!(add.is_correct(&p, "1000"));
        assert!(!add.is_correct(&p, "01000"));
        assert!(!add.is_correct(&p, "1000 "));
        assert!(
            add.is_well_formed(&p, "123")
                && !add.is_well_formed(&p, "012")
                && !add.is_well_formed(&p, "1a")
        );
        let mul = Multiplication { digits: 2 };
        let p = Problem {
            prompt: "12*34=".into(),
            answer: "408".into(),
        };
        assert!(mul.is_correct(&p, "408") && !mul.is_correct(&p, "407"));
    }
}
