//! Faults the emulator injects into upload sessions, so tests can check a client's retry and
//! resume logic without a flaky network.

use std::sync::Mutex;

/// A fault injected into upload-session chunk uploads (`PUT {uploadUrl}`).
///
/// `index` is the 0-based position of the chunk within its upload session: the number of
/// chunks the session had already stored when the `PUT` arrived. So a retried chunk keeps its
/// index. A fault applies only to a `PUT` that passes every other check (token, headers,
/// range). The `...Once` faults fire once per emulator: the first session reaching that chunk
/// gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFault {
    /// Answer the chunk `503 ServiceUnavailable` once, without storing it (the client retries
    /// the same range).
    FailChunkOnce {
        /// The chunk's 0-based index within its session.
        index: usize,
    },
    /// Store the chunk, then close the connection without sending a response, once (other
    /// requests in flight on that connection fail too, as with a real network fault). The
    /// client's retry of the same range gets `416` with `nextExpectedRanges`, from which it
    /// must resume.
    LoseResponseOnce {
        /// The chunk's 0-based index within its session.
        index: usize,
    },
    /// Answer every chunk of every session `503 ServiceUnavailable` without storing it, for
    /// as long as the emulator runs (a client must give up and clean up).
    FailEveryChunk,
}

impl UploadFault {
    /// Whether the fault applies to chunk `chunk`.
    fn applies_to(&self, chunk: usize) -> bool {
        match self {
            UploadFault::FailChunkOnce { index } | UploadFault::LoseResponseOnce { index } => {
                *index == chunk
            }
            UploadFault::FailEveryChunk => true,
        }
    }
}

/// The faults of one emulator that have not fired yet.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Mutex<Vec<UploadFault>>,
}

impl Faults {
    /// Arm the configured faults.
    pub(crate) fn new(faults: &[UploadFault]) -> Self {
        Faults {
            armed: Mutex::new(faults.to_vec()),
        }
    }

    /// The first armed fault for chunk `index`, if any; a `...Once` fault is disarmed.
    pub(crate) fn take(&self, index: usize) -> Option<UploadFault> {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let position = armed.iter().position(|f| f.applies_to(index))?;
        match armed[position] {
            UploadFault::FailEveryChunk => Some(UploadFault::FailEveryChunk),
            _ => Some(armed.remove(position)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_once_in_order() {
        let faults = Faults::new(&[
            UploadFault::FailChunkOnce { index: 1 },
            UploadFault::LoseResponseOnce { index: 1 },
        ]);
        assert_eq!(faults.take(0), None);
        assert_eq!(
            faults.take(1),
            Some(UploadFault::FailChunkOnce { index: 1 })
        );
        assert_eq!(
            faults.take(1),
            Some(UploadFault::LoseResponseOnce { index: 1 })
        );
        assert_eq!(faults.take(1), None);
        let every = Faults::new(&[UploadFault::FailEveryChunk]);
        for i in [0, 0, 5] {
            assert_eq!(every.take(i), Some(UploadFault::FailEveryChunk));
        }
    }
}
