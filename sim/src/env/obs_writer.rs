//! Writing an observation vector in order, and clipping policy actions: shared by the tasks
//! whose observation is a fixed sequence of slices.

/// Writes consecutive slices of an observation.
pub struct ObsWriter<'a> {
    out: &'a mut [f32],
    at: usize,
}

impl<'a> ObsWriter<'a> {
    /// A writer at the start of `out`.
    pub fn new(out: &'a mut [f32]) -> Self {
        Self { out, at: 0 }
    }

    /// Writes `values` next. Panics if `out` is too short: observation lengths are fixed by
    /// the env, so that is a bug, not input.
    pub fn put(&mut self, values: &[f32]) {
        self.out[self.at..self.at + values.len()].copy_from_slice(values);
        self.at += values.len();
    }

    /// Entries written so far.
    pub fn written(&self) -> usize {
        self.at
    }
}

/// An action entry clipped to [-1, 1] (non-finite: 0).
pub fn clip_action(a: f32) -> f32 {
    if a.is_finite() {
        a.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}
