//! The collectives over MPI (rsmpi over Open MPI), for jobs started by `mpirun`.
//!
//! MPI is initialised with `MPI_THREAD_MULTIPLE` when the library offers it: with
//! `runner.overlap_collection` the collection thread all-reduces observation statistics on its
//! own duplicated communicator while the learner all-reduces gradients on the world's.

// rsmpi's communicator handles wrap raw MPI handles, which Rust does not know to be thread-safe.
// They are: MPI_THREAD_MULTIPLE allows calls from any thread, and each channel (communicator)
// is used by one thread at a time (the runner gives collection a duplicate). `Send`/`Sync` are
// declared for that reason only.
#![allow(unsafe_code)]

use super::Collective;
use mpi::Threading;
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::{CommunicatorCollectives, Root};
use std::sync::Arc;

/// Keeps MPI initialised while any channel lives (finalised when the last one drops).
struct Session {
    _universe: Universe,
}

// SAFETY: see the module comment; the universe is only dropped (MPI_Finalize) once, by the last
// owner, after every communicator that uses it.
unsafe impl Send for Session {}
unsafe impl Sync for Session {}

/// One channel of an MPI job: a communicator over all its processes.
pub struct MpiWorld {
    comm: SimpleCommunicator,
    rank: usize,
    size: usize,
    /// The MPI library's thread level.
    pub threading: Threading,
    session: Arc<Session>,
}

// SAFETY: see the module comment.
unsafe impl Send for MpiWorld {}
unsafe impl Sync for MpiWorld {}

/// Whether this process was started by an MPI launcher (`mpirun`/`mpiexec` of Open MPI,
/// MPICH's Hydra, or a PMIx launcher such as Slurm's `srun --mpi=pmix`).
pub fn launched_by_mpirun() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]
        .iter()
        .any(|k| std::env::var_os(k).is_some())
}

impl MpiWorld {
    /// Initialises MPI and returns the world's channel; `None` when MPI was already initialised.
    pub fn initialize() -> Option<Self> {
        let (universe, threading) = mpi::initialize_with_threading(Threading::Multiple)?;
        let comm = universe.world();
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        Some(Self {
            comm,
            rank,
            size,
            threading,
            session: Arc::new(Session {
                _universe: universe,
            }),
        })
    }
}

/// Each rank's offset in a gathered buffer and the buffer, from each rank's byte count.
fn receive_buffer(lens: &[i32]) -> (Vec<i32>, Vec<u8>) {
    let mut displs = Vec::with_capacity(lens.len());
    let mut total = 0i64;
    for &l in lens {
        displs.push(total as i32);
        total += l as i64;
    }
    (displs, vec![0u8; total as usize])
}

/// The ranks' parts of a gathered buffer.
fn split_parts(all: &[u8], lens: &[i32], displs: &[i32]) -> Vec<Vec<u8>> {
    lens.iter()
        .zip(displs)
        .map(|(&l, &d)| all[d as usize..(d + l) as usize].to_vec())
        .collect()
}

/// A rank's byte count as MPI's 32-bit count: a share above 2 GiB cannot travel in one call.
fn mpi_count(rank: usize, bytes: &[u8]) -> i32 {
    i32::try_from(bytes.len()).unwrap_or_else(|_| {
        panic!(
            "rank {rank}: {} bytes to gather, more than MPI's 2 GiB per call",
            bytes.len()
        )
    })
}

impl Collective for MpiWorld {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) {
        let send = values.to_vec();
        self.comm
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }

    fn all_reduce_sum_f64(&self, values: &mut [f64]) {
        let send = values.to_vec();
        self.comm
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }

    fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let len = mpi_count(self.rank, bytes);
        let mut lens = vec![0i32; self.size];
        self.comm.all_gather_into(&len, &mut lens[..]);
        let (displs, mut all) = receive_buffer(&lens);
        {
            let mut partition = PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
            self.comm.all_gather_varcount_into(bytes, &mut partition);
        }
        split_parts(&all, &lens, &displs)
    }

    fn gather_bytes_to_root(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        let len = mpi_count(self.rank, bytes);
        let root = self.comm.process_at_rank(0);
        if self.rank != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(bytes);
            return None;
        }
        let mut lens = vec![0i32; self.size];
        root.gather_into_root(&len, &mut lens[..]);
        let (displs, mut all) = receive_buffer(&lens);
        {
            let mut partition = PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
            root.gather_varcount_into_root(bytes, &mut partition);
        }
        Some(split_parts(&all, &lens, &displs))
    }

    fn concurrent_channels(&self) -> bool {
        self.threading == Threading::Multiple
    }

    fn duplicate(&self) -> Arc<dyn Collective> {
        Arc::new(Self {
            comm: self.comm.duplicate(),
            rank: self.rank,
            size: self.size,
            threading: self.threading,
            session: self.session.clone(),
        })
    }
}
