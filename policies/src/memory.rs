//! Process-wide allocator settings for training.

/// Keeps freed blocks in the heap instead of returning them to the OS.
///
/// glibc's `malloc` serves blocks above its mmap threshold (128 KiB, adapting up to 32 MiB)
/// with a fresh `mmap` and unmaps them on `free`. The learner allocates and frees activations
/// and gradients of several to hundreds of MB every minibatch, so each one page-faulted in
/// afresh: on PPO's 24,576-sample minibatch a quarter of the update's time went to the kernel
/// zeroing pages. Serving every block from the heap (no `mmap`) and never trimming it lets those
/// blocks be reused; the process keeps its peak heap. Call once at the start of a training
/// process (the `embody` binary does); a no-op off glibc.
pub fn keep_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` only sets allocator parameters; called before the threads that
        // allocate heavily start (and glibc locks its arenas around parameter changes anyway).
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0);
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        }
    }
}
