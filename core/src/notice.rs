//! What the driver has to tell its operator without failing a call: a journal mode the
//! filesystem would not take, schema drift that sync left for a migration, an index it
//! could not build. Collected here as they arise; the JS layer hands them to the driver's
//! `logger` after the call that produced them.

use std::sync::Mutex;

/// How loud a notice is: `Error` when a constraint the definitions ask for is not in
/// force (the data or the server would not allow it), `Warn` for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Notices(Mutex<Vec<Notice>>);

impl Notices {
    pub fn warn(&self, message: impl Into<String>) {
        self.push(Level::Warn, message.into());
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(Level::Error, message.into());
    }

    pub fn say(&self, level: Level, message: String) {
        self.push(level, message);
    }

    fn push(&self, level: Level, message: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Notice { level, message });
    }

    /// The notices so far, oldest first; the list starts over.
    pub fn take(&self) -> Vec<Notice> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
