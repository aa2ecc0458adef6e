//! The `embody` command line driven as a user drives it: one test binary (each binary links the
//! whole stack, so the CLI tests share one link). Tests of the `embody` package, so cargo builds
//! the binary they run.

mod bimanual;
mod checkpoint;
mod confined_nav;
mod disturber;
mod explore;
mod imitate;
mod lm;
#[cfg(feature = "mpi")]
mod mpi;
mod play;
#[cfg(feature = "rerun")]
mod play_rerun;
mod resume;
