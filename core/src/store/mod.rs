//! Where a driver's statements go: a local file or memory database, a libSQL server, or
//! an embedded replica, and the plumbing each needs (connections and their statement
//! caches, transactions, checkpoints, the page cache, the journal mode).

pub mod checkpoint;
pub mod conn;
pub mod database;
pub mod fence;
pub mod journal;
pub mod loopback;
pub mod pcache;
pub mod poll;
pub mod remote;
