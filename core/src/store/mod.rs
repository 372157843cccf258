//! Where a driver's statements go: a local file or memory database, a libSQL server, or
//! an embedded replica, and the plumbing each needs (connections and their statement
//! caches, transactions, checkpoints, the page cache, the journal mode).

pub mod at_open;
pub mod checkpoint;
pub mod conn;
pub mod database;
pub mod fence;
pub mod journal;
pub mod limits;
pub mod loopback;
pub mod pcache;
pub mod poll;
pub mod remote;

/// Where a driver's statements run: decided once, from the configuration
/// (`DriverConfig::store_kind`), and read by everything that depends on it (how
/// connections are made, whether calls can finish inline, what JS is told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// `:memory:` or a file: SQLite handles on this process's threads.
    Local,
    /// A libSQL server's database: connections are Hrana streams.
    Server,
    /// An embedded replica: reads are local, writes go to the primary.
    Replica,
}

impl StoreKind {
    /// What the JS layer calls it (`driver.transportMode`).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Local => "local",
            StoreKind::Server => "remote",
            StoreKind::Replica => "replica",
        }
    }

    /// Whether calls can wait on the network: a server's, or a replica's (its writes and
    /// syncs go to the primary).
    pub fn uses_network(self) -> bool {
        self != StoreKind::Local
    }
}
