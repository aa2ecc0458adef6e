//! Which RL-core functions ran: the core functions record their names while a test traces
//! them, so a test can show that PPO and GRPO go through the same code. Outside tests
//! [`record`] compiles to nothing.

#[cfg(test)]
thread_local! {
    static CALLS: std::cell::RefCell<Option<Vec<&'static str>>> = const { std::cell::RefCell::new(None) };
}

/// Notes that the core function `name` ran (tests only).
#[inline(always)]
pub(crate) fn record(name: &'static str) {
    #[cfg(test)]
    CALLS.with(|c| {
        if let Some(v) = c.borrow_mut().as_mut() {
            v.push(name);
        }
    });
    #[cfg(not(test))]
    let _ = name;
}

/// Runs `f` and returns what it returned and the names of the core functions it called, in
/// call order.
#[cfg(test)]
pub(crate) fn trace<R>(f: impl FnOnce() -> R) -> (R, Vec<&'static str>) {
    CALLS.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = f();
    let calls = CALLS.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, calls)
}
