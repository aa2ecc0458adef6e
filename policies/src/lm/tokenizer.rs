//! A character tokenizer: one token per character of a fixed alphabet, plus padding and
//! end-of-sequence tokens.

use serde::{Deserialize, Serialize};

/// Token id of padding (never predicted, masked out of every loss).
pub const PAD: u32 = 0;
/// Token id of the end of a completion.
pub const EOS: u32 = 1;
/// Ids below this are special tokens; characters start here.
const FIRST_CHAR: u32 = 2;

/// The alphabet every built-in task needs: digits, arithmetic, separators and the letters of
/// short task words.
pub const DEFAULT_ALPHABET: &str = "0123456789+-*/=()<>,:; ?#abcdefghijklmnopqrstuvwxyz";

/// Maps characters to token ids and back. Id 0 is padding, 1 is end-of-sequence, then one id
/// per character of the alphabet, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharTokenizer {
    alphabet: Vec<char>,
}

impl CharTokenizer {
    /// A tokenizer over `alphabet` (duplicates are dropped, first occurrence kept).
    pub fn new(alphabet: &str) -> Self {
        let mut chars: Vec<char> = Vec::new();
        for c in alphabet.chars() {
            if !chars.contains(&c) {
                chars.push(c);
            }
        }
        Self { alphabet: chars }
    }

    /// Number of token ids (special tokens included): the model's vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.alphabet.len() + FIRST_CHAR as usize
    }

    /// The characters, in id order.
    pub fn alphabet(&self) -> String {
        self.alphabet.iter().collect()
    }

    /// Token ids of `text`; an error names the first character outside the alphabet.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                self.alphabet
                    .iter()
                    .position(|&a| a == c)
                    .map(|p| p as u32 + FIRST_CHAR)
                    .ok_or_else(|| {
                        format!(
                            "character {c:?} at {i} of {text:?} is not in the tokenizer's alphabet"
                        )
                    })
            })
            .collect()
    }

    /// The text of `ids`, stopping at the first end-of-sequence; padding is skipped and ids
    /// outside the vocabulary become U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for &id in ids {
            match id {
                EOS => break,
                PAD => {}
                _ => out.push(
                    self.alphabet
                        .get((id - FIRST_CHAR) as usize)
                        .copied()
                        .unwrap_or(char::REPLACEMENT_CHARACTER),
                ),
            }
        }
        out
    }
}

impl Default for CharTokenizer {
    fn default() -> Self {
        Self::new(DEFAULT_ALPHABET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_unknown_characters() {
        let t = CharTokenizer::default();
        let ids = t.encode("12+7=").expect("encodes");
        assert_eq!(ids.len(), 5);
        assert!(
            ids.iter()
                .all(|&i| i >= FIRST_CHAR && (i as usize) < t.vocab_size())
        );
        let mut with_eos = ids.clone();
        with_eos.extend([EOS, 5, 6]);
        assert_eq!(t.decode(&with_eos), "12+7=");
        let err = t.encode("1é").expect_err("é is not in the alphabet");
        assert!(err.contains("'é'") && err.contains("at 1"), "{err}");
        assert_eq!(t.decode(&[PAD, 9999]), "\u{FFFD}");
    }
}
