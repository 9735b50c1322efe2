//! Group commit: many threads (or async tasks) hand entries to one [`Appender`], whose writer
//! thread appends whatever has queued up as one transaction and only then answers each of them
//! with its sequence number. A decision is answered after its record is durable, and many
//! decisions share one durable write.
//!
//! The writer also signs a checkpoint every N records or T seconds (and one at close) when it
//! has a key. It takes entries and gives sequence numbers; it never decides anything.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::RecordsError;
use crate::checkpoint::Signer;
use crate::record::Entry;
use crate::store::{Head, Store};

/// How the appender batches and checkpoints.
pub struct Options {
    /// At most this many entries in one transaction.
    pub batch_limit: usize,
    /// Sign a checkpoint once this many records were appended since the last one...
    pub checkpoint_every: u64,
    /// ...or once this long has passed since the last one, if records were appended since.
    pub checkpoint_interval: Duration,
    /// The key that signs checkpoints; without one, none are written.
    pub signer: Option<Signer>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            batch_limit: 4096,
            checkpoint_every: 100_000,
            checkpoint_interval: Duration::from_secs(60),
            signer: None,
        }
    }
}

/// The answer to one entry, once there is one, and the task to wake for it.
type SlotState = (Option<Result<u64, RecordsError>>, Option<Waker>);

/// Where the writer puts the answer to one entry.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
}

impl Slot {
    fn fill(&self, result: Result<u64, RecordsError>) {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.0 = Some(result);
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
        self.ready.notify_all();
    }
}

/// An entry handed to the appender: [`Pending::wait`] blocks until its record is durable, and
/// `.await` does the same without blocking (for a tokio service).
pub struct Pending {
    slot: Arc<Slot>,
}

impl Pending {
    /// The record's sequence number once it is durable, or why it could not be recorded.
    pub fn wait(self) -> Result<u64, RecordsError> {
        let mut state = match self.slot.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        loop {
            if let Some(result) = state.0.take() {
                return result;
            }
            state = match self.slot.ready.wait(state) {
                Ok(state) => state,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
    }
}

impl Future for Pending {
    type Output = Result<u64, RecordsError>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = match self.slot.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        match state.0.take() {
            Some(result) => Poll::Ready(result),
            None => {
                state.1 = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

struct Job {
    entry: Entry,
    slot: Arc<Slot>,
}

/// The group-commit appender. Cheap to share behind an `Arc`: `submit` takes `&self`.
pub struct Appender {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<Result<(), RecordsError>>>>,
    counts: Arc<Counts>,
}

/// How many transactions the writer committed, and how many records they held.
#[derive(Default)]
struct Counts {
    transactions: AtomicU64,
    records: AtomicU64,
}

impl Appender {
    /// Starts the writer thread over `store`. With a signer, the log's origin is set (once) and
    /// the signer's public key kept in the log, for `verify` to use when not given one.
    pub fn start(mut store: Box<dyn Store>, options: Options) -> Result<Appender, RecordsError> {
        let origin = crate::origin(store.as_mut())?;
        if let Some(signer) = &options.signer {
            store.meta_or_set("key", &signer.verifier().to_text())?;
        }
        let head = store.head()?;
        let last_checkpoint = store
            .checkpoints()?
            .last()
            .map_or(0, |(size, _)| *size)
            .max(store.base()?.map_or(0, |base| base.head.size));
        let (sender, receiver) = mpsc::channel::<Job>();
        let counts = Arc::new(Counts::default());
        let writer_counts = Arc::clone(&counts);
        let writer = std::thread::Builder::new()
            .name("cordon-records".to_string())
            .spawn(move || {
                let mut writer = Writer {
                    store,
                    options,
                    origin,
                    last_checkpoint,
                    last_checkpoint_time: Instant::now(),
                    head,
                    counts: writer_counts,
                };
                writer.run(&receiver)
            })
            .map_err(|error| {
                RecordsError::new(format!("cannot start the records writer: {error}"))
            })?;
        Ok(Appender {
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            counts,
        })
    }

    /// The transactions committed so far and the records they held (their ratio is the mean
    /// batch of the group commit).
    pub fn committed(&self) -> (u64, u64) {
        (
            self.counts.transactions.load(Ordering::Relaxed),
            self.counts.records.load(Ordering::Relaxed),
        )
    }

    /// Hands an entry to the writer; the answer comes through the [`Pending`].
    pub fn submit(&self, entry: Entry) -> Pending {
        let slot = Arc::new(Slot::default());
        let job = Job {
            entry,
            slot: Arc::clone(&slot),
        };
        let sent = match self.sender.lock() {
            Ok(sender) => sender
                .as_ref()
                .is_some_and(|sender| sender.send(job).is_ok()),
            Err(poisoned) => poisoned
                .into_inner()
                .as_ref()
                .is_some_and(|sender| sender.send(job).is_ok()),
        };
        if !sent {
            slot.fill(Err(RecordsError::new(
                "the records writer has stopped: the decision was not recorded".to_string(),
            )));
        }
        Pending { slot }
    }

    /// Appends one entry and returns its sequence number once it is durable.
    pub fn append(&self, entry: Entry) -> Result<u64, RecordsError> {
        self.submit(entry).wait()
    }

    /// Stops taking entries, waits for those handed over to be recorded, signs a last
    /// checkpoint (with a key), and says whether the writer failed on the way.
    pub fn close(&self) -> Result<(), RecordsError> {
        match self.sender.lock() {
            Ok(mut sender) => drop(sender.take()),
            Err(poisoned) => drop(poisoned.into_inner().take()),
        }
        let writer = match self.writer.lock() {
            Ok(mut writer) => writer.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        match writer {
            Some(writer) => writer.join().map_err(|_| {
                RecordsError::new("the records writer stopped unexpectedly".to_string())
            })?,
            None => Ok(()),
        }
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

struct Writer {
    store: Box<dyn Store>,
    options: Options,
    origin: String,
    last_checkpoint: u64,
    last_checkpoint_time: Instant,
    head: Head,
    counts: Arc<Counts>,
}

impl Writer {
    fn run(&mut self, receiver: &mpsc::Receiver<Job>) -> Result<(), RecordsError> {
        let mut batch: Vec<Job> = Vec::new();
        loop {
            let wait = self
                .options
                .checkpoint_interval
                .saturating_sub(self.last_checkpoint_time.elapsed())
                .max(Duration::from_millis(10));
            match receiver.recv_timeout(wait) {
                Ok(job) => batch.push(job),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.checkpoint_if_due(false)?;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            while batch.len() < self.options.batch_limit.max(1) {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.commit(&mut batch);
        }
        self.checkpoint_if_due(true)
    }

    /// Appends a batch in one transaction and answers each of its entries.
    fn commit(&mut self, batch: &mut Vec<Job>) {
        let entries: Vec<Entry> = batch
            .iter_mut()
            .map(|job| std::mem::replace(&mut job.entry, empty_entry()))
            .collect();
        let options = &self.options;
        let origin = &self.origin;
        let last = self.last_checkpoint;
        let due_by_time = self.last_checkpoint_time.elapsed() >= options.checkpoint_interval;
        let mut signed = false;
        let result = self.store.append(&entries, &mut |head: &Head| {
            let signer = options.signer.as_ref()?;
            let due = head.size.saturating_sub(last) >= options.checkpoint_every || due_by_time;
            signed = due;
            due.then(|| signer.sign(origin, head.size, &head.range.root()))
        });
        match result {
            Ok(head) => {
                self.counts.transactions.fetch_add(1, Ordering::Relaxed);
                self.counts
                    .records
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                let first = head.size + 1 - batch.len() as u64;
                for (index, job) in batch.drain(..).enumerate() {
                    job.slot.fill(Ok(first + index as u64));
                }
                if signed {
                    self.last_checkpoint = head.size;
                    self.last_checkpoint_time = Instant::now();
                }
                self.head = head;
            }
            Err(error) => {
                for job in batch.drain(..) {
                    job.slot.fill(Err(error.clone()));
                }
            }
        }
    }

    /// Signs a checkpoint of the current head if records came since the last one and it is due
    /// (or `closing`).
    fn checkpoint_if_due(&mut self, closing: bool) -> Result<(), RecordsError> {
        let Some(signer) = &self.options.signer else {
            return Ok(());
        };
        if !closing && self.last_checkpoint_time.elapsed() < self.options.checkpoint_interval {
            return Ok(());
        }
        self.last_checkpoint_time = Instant::now();
        // Other instances may have appended since (PostgreSQL): sign the log's head as it is.
        let head = self.store.head()?;
        if head.size <= self.last_checkpoint {
            return Ok(());
        }
        let note = signer.sign(&self.origin, head.size, &head.range.root());
        self.store.add_checkpoint(head.size, &note)?;
        self.last_checkpoint = head.size;
        self.head = head;
        Ok(())
    }
}

fn empty_entry() -> Entry {
    Entry {
        decision_id: String::new(),
        transaction_id: None,
        received: String::new(),
        facts: Vec::new(),
        outcome: String::new(),
        trace: String::new(),
        policy: String::new(),
        version: String::new(),
        content_hash: String::new(),
        engine_version: String::new(),
        corrects: None,
    }
}
