//! The engine's pool: takes synchronous jobs (deciding, diffing, loading a policy) and gives their
//! results to async handlers, without running them on the runtime's threads.
//!
//! A rayon pool with a thread per core and a bounded queue: a job holds one of `queue` permits
//! from the moment it is queued until it has run, and a request that finds none is refused at
//! once (`503` with `Retry-After`) instead of waiting behind work it cannot overtake. A job that
//! panics answers `500`; it never takes a thread or the process down with it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::errors::ApiError;

pub struct Pool {
    threads: rayon::ThreadPool,
    queue: Arc<Semaphore>,
    capacity: usize,
}

/// A place in the queue, taken before the job exists (so that a streamed batch can be refused
/// before its first line is read).
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub fn new(threads: usize, capacity: usize) -> Result<Pool, String> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|index| format!("cordon-engine-{index}"))
            .build()
            .map_err(|error| error.to_string())?;
        Ok(Pool {
            threads,
            queue: Arc::new(Semaphore::new(capacity)),
            capacity,
        })
    }

    /// A place in the queue now, or `503`.
    pub fn try_slot(&self) -> Result<Slot, ApiError> {
        self.queue
            .clone()
            .try_acquire_owned()
            .map(|permit| Slot { _permit: permit })
            .map_err(|_| {
                ApiError::unavailable(format!(
                    "the engine's queue is full ({} jobs): try again",
                    self.capacity
                ))
            })
    }

    /// A place in the queue, waiting for one (a streamed batch's later blocks wait: the client
    /// is slowed down rather than refused half way).
    pub async fn slot(&self) -> Result<Slot, ApiError> {
        self.queue
            .clone()
            .acquire_owned()
            .await
            .map(|permit| Slot { _permit: permit })
            .map_err(|_| ApiError::internal("the engine's queue is closed"))
    }

    /// Queues a job in its slot; the receiver gets its result (or `500` if it panicked).
    pub fn spawn<R: Send + 'static>(
        &self,
        slot: Slot,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> oneshot::Receiver<Result<R, ApiError>> {
        let (sender, receiver) = oneshot::channel();
        self.threads.spawn(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(job)).map_err(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "an engine job panicked");
                ApiError::internal("the engine failed on this request")
            });
            drop(slot);
            let _ = sender.send(result);
        });
        receiver
    }

    /// Runs a job now or refuses it with `503`.
    pub async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, ApiError> {
        let slot = self.try_slot()?;
        finish(self.spawn(slot, job)).await
    }

    /// The rayon pool, for a job that decides a block of lines on all its threads.
    pub fn threads(&self) -> &rayon::ThreadPool {
        &self.threads
    }
}

/// The result of a spawned job.
pub async fn finish<R>(receiver: oneshot::Receiver<Result<R, ApiError>>) -> Result<R, ApiError> {
    receiver
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the engine dropped this request")))
}
