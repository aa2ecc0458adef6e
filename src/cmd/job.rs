//! The processes of one `embody` job: this process alone, or the ranks `mpirun` started (cargo
//! feature `mpi`; docs/MPI.md).

use anyhow::bail;
use policies::collective::Comm;

/// The job's processes: MPI's world when `mpirun` (or another MPI launcher) started this
/// process and the `mpi` feature is on, else this process alone. A launcher's job of several
/// ranks without the feature is an error: each rank would train alone into the same folder.
///
/// The returned handle keeps MPI initialised; drop it (at the end of `main`) to finalise.
pub fn init() -> anyhow::Result<Comm> {
    #[cfg(feature = "mpi")]
    {
        use policies::collective::mpi::{MpiWorld, launched_by_mpirun};
        if launched_by_mpirun() {
            let world = MpiWorld::initialize()
                .ok_or_else(|| anyhow::anyhow!("MPI was initialised twice in one process"))?;
            return Ok(Comm::new(std::sync::Arc::new(world)));
        }
        Ok(Comm::single())
    }
    #[cfg(not(feature = "mpi"))]
    {
        if let Some(size) = launcher_size().filter(|&s| s > 1) {
            bail!(
                "started by an MPI launcher as one of {size} ranks, but this embody was built \
                 without the `mpi` feature: build it with `cargo build --release --features mpi` \
                 (needs libopenmpi-dev)"
            );
        }
        Ok(Comm::single())
    }
}

/// The job's size an MPI launcher announces in the environment (Open MPI, PMI), read without
/// MPI.
#[cfg(not(feature = "mpi"))]
fn launcher_size() -> Option<usize> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        .iter()
        .find_map(|k| std::env::var(k).ok()?.parse().ok())
}

/// Fails when `comm` has several ranks: `command` runs on one process.
pub fn single_process_only(comm: &Comm, command: &str) -> anyhow::Result<()> {
    if comm.is_distributed() {
        bail!(
            "`embody {command}` runs on one process; under mpirun only `embody train` and \
             `embody bench train` run (this job has {} ranks)",
            comm.size()
        );
    }
    Ok(())
}

/// Checks that every rank holds the same `text` (a resolved config, a weights checksum) as
/// rank 0. Every rank must call it; when one differs, every rank fails, and rank 0's error
/// names the ranks and the first line (with its TOML section) that differs, so the job stops
/// instead of hanging in a collective that the ranks call differently.
pub fn check_same_on_every_rank(comm: &Comm, what: &str, text: &str) -> anyhow::Result<()> {
    let differing = comm.differing_from_root(text);
    let Some((rank, theirs)) = differing.first() else {
        return Ok(());
    };
    let ranks: Vec<String> = differing.iter().map(|(r, _)| r.to_string()).collect();
    if !comm.is_root() {
        bail!(
            "rank {}: this rank's {what} differs from rank 0's (rank 0 names the difference)",
            comm.rank()
        );
    }
    bail!(
        "the ranks disagree on the {what}: rank(s) {} differ from rank 0; rank {rank}: {}",
        ranks.join(", "),
        first_difference(text, theirs)
    )
}

/// The first line where `theirs` differs from `ours`, as `key = theirs (rank 0: key = ours)`,
/// the key prefixed with its TOML section (`runner.num_envs = 9 (rank 0: runner.num_envs = 8)`).
fn first_difference(ours: &str, theirs: &str) -> String {
    let mut section = String::new();
    let (mut a, mut b) = (ours.lines(), theirs.lines());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return "the texts differ in line endings".into(),
            (x, y) if x == y => {
                let line = x.unwrap_or_default().trim();
                if line.starts_with('[') {
                    section = line.trim_matches(['[', ']']).to_string() + ".";
                }
            }
            (x, y) => {
                let show = |l: Option<&str>| match l {
                    Some(l) if l.contains('=') && !l.trim().starts_with('[') => {
                        format!("{section}{}", l.trim())
                    }
                    Some(l) => l.trim().to_string(),
                    None => "(nothing)".into(),
                };
                return format!("{} (rank 0: {})", show(y), show(x));
            }
        }
    }
}
