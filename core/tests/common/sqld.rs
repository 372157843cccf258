//! A real libSQL server (`sqld`) for the remote tests: started on a free port of
//! 127.0.0.1 with a database dir of its own, killed (and the dir removed) on drop.
//!
//! The binary comes from `scripts/sqld.js` (`npm test` runs it first); its path is
//! `$SQLD_BIN`, else `$SQLD_DIR/sqld` (default `~/.cache/sqld/sqld`). A missing binary fails the test: a remote
//! test that skips itself could never fail.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

pub struct Sqld {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

pub fn sqld_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SQLD_BIN") {
        return bin.into();
    }
    let dir = match std::env::var_os("SQLD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/sqld"),
    };
    let bin = dir.join("sqld");
    assert!(
        bin.exists(),
        "sqld is missing at {}: run `node scripts/sqld.js` (npm test does)",
        bin.display()
    );
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Sqld {
    pub fn start(tag: &str) -> Sqld {
        let dir = TempDir::new(tag);
        let port = free_port();
        let child = spawn(&dir, port);
        let sqld = Sqld { child, port, dir };
        sqld.wait_ready();
        sqld
    }

    /// Kills the server (as a crash would) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(&self.dir, self.port);
        self.wait_ready();
    }

    /// Kills the server; `restart` brings it back.
    pub fn stop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("sqld did not listen on 127.0.0.1:{} within 10 s", self.port);
    }
}

impl Drop for Sqld {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn(dir: &TempDir, port: u16) -> Child {
    Command::new(sqld_bin())
        .arg("--http-listen-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--db-path")
        .arg(dir.path().join("data.sqld"))
        .arg("--no-welcome")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sqld starts")
}
