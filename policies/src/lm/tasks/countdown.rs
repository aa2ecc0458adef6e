//! Countdown: reach a target from given numbers with `+ - * /` and parentheses, each number
//! used exactly once (TinyZero's rule). `3,5,7:22=` is answered e.g. `3*5+7`; the verifier
//! parses and evaluates the expression in exact rational arithmetic.

use super::{MAX_VERIFIED_LEN, Problem, Task};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Countdown with `numbers` numbers from 1 to `max_number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    /// How many numbers a problem gives (2 or more).
    pub numbers: usize,
    /// Largest given number.
    pub max_number: u32,
}

/// An exact fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Ratio {
    fn int(v: i128) -> Self {
        Self { num: v, den: 1 }
    }

    fn new(num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        let s = if den < 0 { -1 } else { 1 };
        Some(Self {
            num: s * num / g,
            den: s * den / g,
        })
    }

    fn add(self, o: Self) -> Option<Self> {
        Self::new(
            self.num
                .checked_mul(o.den)?
                .checked_add(o.num.checked_mul(self.den)?)?,
            self.den.checked_mul(o.den)?,
        )
    }

    fn sub(self, o: Self) -> Option<Self> {
        self.add(Self {
            num: o.num.checked_neg()?,
            den: o.den,
        })
    }

    fn mul(self, o: Self) -> Option<Self> {
        Self::new(self.num.checked_mul(o.num)?, self.den.checked_mul(o.den)?)
    }

    fn div(self, o: Self) -> Option<Self> {
        Self::new(self.num.checked_mul(o.den)?, self.den.checked_mul(o.num)?)
    }
}

/// Deepest parenthesis nesting the parser follows.
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    numbers: Vec<u64>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expr(&mut self) -> Option<Ratio> {
        let mut v = self.term()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            let r = self.term()?;
            v = if op == b'+' { v.add(r)? } else { v.sub(r)? };
        }
        Some(v)
    }

    fn term(&mut self) -> Option<Ratio> {
        let mut v = self.factor()?;
        while let Some(op @ (b'*' | b'/')) = self.peek() {
            self.pos += 1;
            let r = self.factor()?;
            v = if op == b'*' { v.mul(r)? } else { v.div(r)? };
        }
        Some(v)
    }

    fn factor(&mut self) -> Option<Ratio> {
        match self.peek()? {
            b'(' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let v = self.expr()?;
                if self.peek()? != b')' {
                    return None;
                }
                self.pos += 1;
                self.depth -= 1;
                Some(v)
            }
            b'0'..=b'9' => {
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits = &self.bytes[start..self.pos];
                if digits.len() > 12 {
                    return None;
                }
                let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
                self.numbers.push(v);
                Some(Ratio::int(v as i128))
            }
            _ => None,
        }
    }
}

/// Evaluates an expression of non-negative integers, `+ - * /` and parentheses (no spaces, no
/// unary minus) exactly. Returns its value as `(numerator, denominator)` in lowest terms and
/// the numbers it used, in order; None for anything else (a syntax error, a division by zero,
/// an overflow, nesting deeper than 32, text longer than 256 bytes).
pub fn eval_expression(text: &str) -> Option<((i128, i128), Vec<u64>)> {
    if text.is_empty() || text.len() > MAX_VERIFIED_LEN {
        return None;
    }
    let mut p = Parser {
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        numbers: Vec::new(),
    };
    let v = p.expr()?;
    (p.pos == p.bytes.len()).then_some(((v.num, v.den), p.numbers))
}

/// The given numbers and the target of a prompt `a,b,c:t=`.
fn parse_prompt(prompt: &str) -> Option<(Vec<u64>, i128)> {
    let body = prompt.strip_suffix('=')?;
    let (nums, target) = body.split_once(':')?;
    let nums = nums
        .split(',')
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    Some((nums, target.parse().ok()?))
}

/// How an expression is built while generating: its text and whether its top operator is
/// `+`/`-` (so a following `*`/`/` needs parentheses around it).
struct Built {
    text: String,
    value: i64,
    additive: bool,
}

impl Task for Countdown {
    fn name(&self) -> &'static str {
        "countdown"
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Problem {
        loop {
            let mut nums: Vec<u32> = (0..self.numbers.max(2))
                .map(|_| rng.random_range(1..=self.max_number.max(1)))
                .collect();
            let given = {
                let mut g = nums.clone();
                g.sort_unstable();
                g
            };
            nums.shuffle(rng);
            let mut e = Built {
                text: nums[0].to_string(),
                value: nums[0] as i64,
                additive: false,
            };
            let mut ok = true;
            for &n in &nums[1..] {
                let n = n as i64;
                let op = rng.random_range(0..4);
                let wrap = |e: &Built| {
                    if e.additive {
                        format!("({})", e.text)
                    } else {
                        e.text.clone()
                    }
                };
                e = match op {
                    0 => Built {
                        text: format!("{}+{n}", e.text),
                        value: e.value + n,
                        additive: true,
                    },
                    1 if e.value - n >= 0 => Built {
                        text: format!("{}-{n}", e.text),
                        value: e.value - n,
                        additive: true,
                    },
                    2 => Built {
                        text: format!("{}*{n}", wrap(&e)),
                        value: e.value * n,
                        additive: false,
                    },
                    3 if e.value % n == 0 => Built {
                        text: format!("{}/{n}", wrap(&e)),
                        value: e.value / n,
                        additive: false,
                    },
                    _ => Built {
                        text: format!("{}+{n}", e.text),
                        value: e.value + n,
                        additive: true,
                    },
                };
                if e.value > 999 {
                    ok = false;
                    break;
                }
            }
            if !ok || e.value <= 0 {
                continue;
            }
            let list = given
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            return Problem {
                prompt: format!("{list}:{}=", e.value),
                answer: e.text,
            };
        }
    }

    fn is_correct(&self, problem: &Problem, completion: &str) -> bool {
        let (Some((mut given, target)), Some(((num, den), mut used))) =
            (parse_prompt(&problem.prompt), eval_expression(completion))
        else {
            return false;
        };
        given.sort_unstable();
        used.sort_unstable();
        den == 1 && num == target && used == given
    }

    fn is_well_formed(&self, _problem: &Problem, completion: &str) -> bool {
        eval_expression(completion).is_some()
    }

    fn alphabet(&self) -> &'static str {
        "0123456789+-*/(),:="
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_by_hand() {
        assert_eq!(eval_expression("3*5+7"), Some(((22, 1), vec![3, 5, 7])));
        assert_eq!(eval_expression("(3+5)*7"), Some(((56, 1), vec![3, 5, 7])));
        assert_eq!(eval_expression("7/2-3"), Some(((1, 2), vec![7, 2, 3])));
        assert_eq!(eval_expression("8-3-2"), Some(((3, 1), vec![8, 3, 2])));
        assert_eq!(eval_expression("8/4/2"), Some(((1, 1), vec![8, 4, 2])));
        for bad in [
            "", "3+", "(3", "3)", "-3", "3 + 4", "1/0", "2/(1-1)", "3**4", "()",
        ] {
            assert_eq!(eval_expression(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn checks_target_and_every_number_once() {
        let t = Countdown {
            numbers: 3,
            max_number: 10,
        };
        let p = Problem {
            prompt: "3,5,7:22=".into(),
            answer: "3*5+7".into(),
        };
        assert!(t.is_correct(&p, "3*5+7") && t.is_correct(&p, "7+5*3"));
        assert!(!t.is_correct(&p, "3*5+7+0"), "a number that was not given");
        assert!(!t.is_correct(&p, "3*7+1"), "the wrong numbers");
        assert!(
            !t.is_correct(&p, "5*5-3"),
            "a number used twice, another not at all"
        );
        assert!(!t.is_correct(&p, "(3*5+7)/1"), "1 was not given");
        assert!(t.is_well_formed(&p, "1+1") && !t.is_well_formed(&p, "1+"));
    }
}
