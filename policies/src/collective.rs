//! Collective communication between the processes of one training job: data-parallel training
//! over MPI (`mpirun -n R embody train ...`, cargo feature `mpi`).
//!
//! The learner and the runner call the few collectives data-parallel PPO needs (all-reduce of
//! gradients and statistics, gathering env snapshots for a checkpoint, checking the config
//! across ranks) through a [`Comm`]. A single process gets [`Comm::single`], whose collectives
//! return their input, so code written for R ranks runs unchanged on one. Under `mpirun` with
//! the `mpi` feature, `collective::mpi::MpiWorld` carries them over MPI (rsmpi over Open MPI).
//! The trait keeps MPI's types out of the learner: PPO sees only "sum these numbers over the
//! ranks".

#[cfg(feature = "mpi")]
pub mod mpi;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Instant;

/// The collectives one job's processes call together, in the same order on every rank.
pub trait Collective: Send + Sync {
    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// Number of processes.
    fn size(&self) -> usize;
    /// Element-wise sum of `values` over the ranks, in place on every rank.
    fn all_reduce_sum_f32(&self, values: &mut [f32]);
    /// Element-wise sum of `values` over the ranks, in place on every rank.
    fn all_reduce_sum_f64(&self, values: &mut [f64]);
    /// Every rank's `bytes`, in rank order, on every rank.
    fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
    /// Every rank's `bytes`, in rank order, on rank 0 (`None` on the others).
    fn gather_bytes_to_root(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>>;
    /// Whether two channels ([`Self::duplicate`]) may be used from two threads at once (MPI's
    /// `MPI_THREAD_MULTIPLE`).
    fn concurrent_channels(&self) -> bool;
    /// A second channel to the same ranks whose collectives never mix with this one's (MPI's
    /// `MPI_Comm_dup`): collection and learning run on two threads, each on its own channel.
    /// Every rank must call it, in the same order.
    fn duplicate(&self) -> Arc<dyn Collective>;
}

/// One process alone: every collective returns its input.
#[derive(Debug, Default, Clone, Copy)]
pub struct SingleProcess;

impl Collective for SingleProcess {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_reduce_sum_f32(&self, _values: &mut [f32]) {}
    fn all_reduce_sum_f64(&self, _values: &mut [f64]) {}
    fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
    fn gather_bytes_to_root(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(vec![bytes.to_vec()])
    }
    fn concurrent_channels(&self) -> bool {
        true
    }
    fn duplicate(&self) -> Arc<dyn Collective> {
        Arc::new(SingleProcess)
    }
}

/// What a [`Comm`]'s all-reduces cost since the last [`Comm::take_traffic`].
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Traffic {
    /// All-reduce calls.
    pub calls: u64,
    /// Bytes each rank contributed to them.
    pub bytes: u64,
    /// Seconds spent in them (waiting for slower ranks included).
    pub seconds: f64,
}

/// A handle on the job's processes: the collectives plus a count of what the all-reduces cost.
/// Cheap to clone (clones share the count).
#[derive(Clone)]
pub struct Comm {
    inner: Arc<dyn Collective>,
    traffic: Arc<Mutex<Traffic>>,
}

impl std::fmt::Debug for Comm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Comm(rank {} of {})", self.rank(), self.size())
    }
}

impl Default for Comm {
    fn default() -> Self {
        Self::single()
    }
}

impl Comm {
    /// A single process.
    pub fn single() -> Self {
        Self::new(Arc::new(SingleProcess))
    }

    /// A handle on `collective`.
    pub fn new(collective: Arc<dyn Collective>) -> Self {
        Self {
            inner: collective,
            traffic: Arc::new(Mutex::new(Traffic::default())),
        }
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.inner.rank()
    }

    /// Number of processes.
    pub fn size(&self) -> usize {
        self.inner.size()
    }

    /// Whether this is rank 0 (the rank that writes checkpoints, metrics and recordings).
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// Whether there is more than one process.
    pub fn is_distributed(&self) -> bool {
        self.size() > 1
    }

    fn count(&self, bytes: usize, start: Instant) {
        if let Ok(mut t) = self.traffic.lock() {
            t.calls += 1;
            t.bytes += bytes as u64;
            t.seconds += start.elapsed().as_secs_f64();
        }
    }

    /// Element-wise sum over the ranks, in place (nothing to do on one rank).
    pub fn sum_f32(&self, values: &mut [f32]) {
        if self.is_distributed() {
            let start = Instant::now();
            self.inner.all_reduce_sum_f32(values);
            self.count(std::mem::size_of_val(values), start);
        }
    }

    /// Element-wise sum over the ranks, in place (nothing to do on one rank).
    pub fn sum_f64(&self, values: &mut [f64]) {
        if self.is_distributed() {
            let start = Instant::now();
            self.inner.all_reduce_sum_f64(values);
            self.count(std::mem::size_of_val(values), start);
        }
    }

    /// Every rank's `bytes`, in rank order, on every rank.
    pub fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.inner.all_gather_bytes(bytes)
    }

    /// Every rank's `bytes`, in rank order, on rank 0 (`None` on the others).
    pub fn gather_bytes_to_root(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.inner.gather_bytes_to_root(bytes)
    }

    /// Whether two channels may be used from two threads at once.
    pub fn concurrent_channels(&self) -> bool {
        self.inner.concurrent_channels()
    }

    /// Element-wise mean over the ranks, in place.
    pub fn mean_f32(&self, values: &mut [f32]) {
        if self.is_distributed() {
            self.sum_f32(values);
            let k = self.size() as f32;
            values.iter_mut().for_each(|v| *v /= k);
        }
    }

    /// An independent channel to the same ranks (see [`Collective::duplicate`]); its traffic is
    /// counted apart.
    pub fn duplicate(&self) -> Self {
        Self::new(self.inner.duplicate())
    }

    /// What the all-reduces cost since the last call; resets the count.
    pub fn take_traffic(&self) -> Traffic {
        self.traffic
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }

    /// The ranks whose `text` differs from rank 0's, with their text (empty when all agree).
    /// Every rank must call it; every rank gets the answer, so all can stop together.
    pub fn differing_from_root(&self, text: &str) -> Vec<(usize, String)> {
        let all = self.all_gather_bytes(text.as_bytes());
        let root = all.first().cloned().unwrap_or_default();
        all.into_iter()
            .enumerate()
            .filter(|(_, b)| *b != root)
            .map(|(r, b)| (r, String::from_utf8_lossy(&b).into_owned()))
            .collect()
    }
}

/// Which of the job's envs one rank steps: envs `first .. first + count` of `total`, all
/// ranks holding the same count (rank `r` starts at `r * count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvShard {
    /// Global index of this rank's first env.
    pub first: usize,
    /// Envs on this rank.
    pub count: usize,
    /// Envs over all ranks.
    pub total: usize,
}

impl EnvShard {
    /// All `count` envs on one process.
    pub fn whole(count: usize) -> Self {
        Self {
            first: 0,
            count,
            total: count,
        }
    }

    /// Rank `rank` of `size`, each stepping `count` envs.
    pub fn of_rank(rank: usize, size: usize, count: usize) -> Self {
        Self {
            first: rank * count,
            count,
            total: size * count,
        }
    }

    /// Whether this shard is all of the job's envs.
    pub fn is_whole(&self) -> bool {
        self.count == self.total
    }

    /// The local row of global rollout row `global` (`step * total + env`) in a rollout stored
    /// step-major over this shard's envs (`step * count + env - first`), or `None` when the env
    /// is another rank's.
    pub fn local_row(&self, global: usize) -> Option<usize> {
        let (step, env) = (global / self.total, global % self.total);
        (env >= self.first && env < self.first + self.count)
            .then(|| step * self.count + env - self.first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_process_returns_its_input_and_counts_nothing() {
        let comm = Comm::single();
        let mut v = [1.0f32, 2.0];
        comm.sum_f32(&mut v);
        assert_eq!(v, [1.0, 2.0]);
        assert_eq!(comm.take_traffic(), Traffic::default());
        assert_eq!(comm.all_gather_bytes(b"x"), vec![b"x".to_vec()]);
        assert!(comm.differing_from_root("cfg").is_empty());
    }

    #[test]
    fn shards_map_global_rows_onto_their_own_envs() {
        // 2 ranks x 3 envs: global row 7 is step 1, env 1 (rank 0's env 1 -> local row 4);
        // global row 10 is step 1, env 4 (rank 1's env 1 -> local row 4).
        let r0 = EnvShard::of_rank(0, 2, 3);
        let r1 = EnvShard::of_rank(1, 2, 3);
        assert_eq!(r0.local_row(7), Some(4));
        assert_eq!(r1.local_row(7), None);
        assert_eq!(r1.local_row(10), Some(4));
        assert_eq!(r0.local_row(10), None);
        // Every global row belongs to exactly one rank.
        for g in 0..24 {
            assert_eq!(
                r0.local_row(g).is_some() as u8 + r1.local_row(g).is_some() as u8,
                1
            );
        }
        let whole = EnvShard::whole(6);
        assert!(whole.is_whole());
        assert_eq!(whole.local_row(13), Some(13));
    }
}
