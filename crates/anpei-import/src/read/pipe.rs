//! Parsing on a second thread: the file format's parser (XML inflating and parsing for xlsx,
//! CSV splitting) fills rows there, while this thread validates them and feeds the sink,
//! which need not be `Send`. Rows travel in batches whose buffers come back to be reused,
//! and only a few batches are in flight, so memory stays bounded.

use super::engine::{Engine, RowBuf};
use crate::ImportError;
use anpei_core::ledger::Table;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

/// Rows per batch.
const BATCH: usize = 512;
/// Batches queued between the threads.
const IN_FLIGHT: usize = 8;

/// Rows parsed, ready to validate.
#[derive(Default)]
struct Batch {
    rows: Vec<RowBuf>,
    row_nos: Vec<usize>,
    len: usize,
}

enum Msg {
    Rows(Batch),
    EndOfSheet,
    Failed(ImportError),
}

/// Why a producer stops early.
#[derive(Debug)]
pub(crate) enum Halt {
    /// The consumer has stopped (it found a fatal error): nothing more to do.
    Stopped,
    /// The file cannot be read on.
    Failed(ImportError),
}

impl From<ImportError> for Halt {
    fn from(e: ImportError) -> Self {
        Halt::Failed(e)
    }
}

/// The producer's end: hands over filled rows and sheet ends.
pub(crate) struct Feeder {
    tx: SyncSender<Msg>,
    back: Receiver<Batch>,
    batch: Batch,
}

impl Feeder {
    /// Hands over `row` (numbered `row_no`), leaving a cleared buffer in its place.
    pub fn push(&mut self, row_no: usize, row: &mut RowBuf) -> Result<(), Halt> {
        let b = &mut self.batch;
        if b.len == b.rows.len() {
            b.rows.push(RowBuf::default());
            b.row_nos.push(0);
        }
        std::mem::swap(&mut b.rows[b.len], row);
        row.clear();
        b.row_nos[b.len] = row_no;
        b.len += 1;
        if b.len == BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Ends the current sheet.
    pub fn end_sheet(&mut self) -> Result<(), Halt> {
        self.flush()?;
        self.tx.send(Msg::EndOfSheet).map_err(|_| Halt::Stopped)
    }

    fn flush(&mut self) -> Result<(), Halt> {
        if self.batch.len == 0 {
            return Ok(());
        }
        let next = self.back.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        self.tx.send(Msg::Rows(full)).map_err(|_| Halt::Stopped)
    }
}

/// Runs `produce` on a second thread, which must push the rows of `sheets` in order and end
/// each; validates them here, through `engine`.
pub(crate) fn run<P>(
    engine: &mut Engine,
    sheets: &[(Table, String)],
    produce: P,
) -> Result<(), ImportError>
where
    P: FnOnce(&mut Feeder) -> Result<(), Halt> + Send,
{
    let (tx, rx) = sync_channel::<Msg>(IN_FLIGHT);
    let (back_tx, back_rx) = channel::<Batch>();
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut feeder = Feeder {
                tx,
                back: back_rx,
                batch: Batch::default(),
            };
            if let Err(Halt::Failed(e)) = produce(&mut feeder) {
                let _ = feeder.tx.send(Msg::Failed(e));
            }
        });
        let result = consume(engine, sheets, &rx, &back_tx);
        // Unblock a producer still sending, then wait for it.
        drop(rx);
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })
}

fn consume(
    engine: &mut Engine,
    sheets: &[(Table, String)],
    rx: &Receiver<Msg>,
    back: &Sender<Batch>,
) -> Result<(), ImportError> {
    for (table, name) in sheets {
        let mut sheet = engine.begin(*table, name);
        loop {
            match rx.recv() {
                Ok(Msg::Rows(mut batch)) => {
                    for i in 0..batch.len {
                        engine.row(&mut sheet, batch.row_nos[i], &mut batch.rows[i])?;
                    }
                    batch.len = 0;
                    let _ = back.send(batch);
                }
                Ok(Msg::EndOfSheet) => break,
                Ok(Msg::Failed(e)) => return Err(e),
                // The producer ended without a word: it panicked, and `run` re-raises that.
                Err(_) => return Ok(()),
            }
        }
        engine.end(sheet)?;
    }
    Ok(())
}
