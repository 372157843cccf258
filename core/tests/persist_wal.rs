//! WAL files kept across closes (`store::persist_wal`): a close still checkpoints
//! everything into the database file, which holds every row on its own; the empty `-wal`
//! and the `-shm` stay for the next open instead of being deleted and made again.

mod common;

use common::*;

#[test]
fn a_closed_database_file_is_complete_and_its_wal_files_stay() {
    let dir = TempDir::new("persist-wal");
    let d = file_driver(&dir, "app.db");
    sync(&d, TASK_SCHEMA);
    for i in 0..50 {
        create(&d, "task", &format!(r#"{{"title":"t{i}"}}"#), None);
    }
    d.disconnect();

    let wal = std::fs::metadata(dir.file("app.db-wal")).expect("the -wal file stays");
    assert_eq!(wal.len(), 0, "the close checkpointed and emptied the WAL");
    assert!(dir.file("app.db-shm").exists());

    // The database file alone holds every row.
    let copy = TempDir::new("persist-wal-copy");
    std::fs::copy(dir.file("app.db"), copy.file("app.db")).unwrap();
    let alone = file_driver(&copy, "app.db");
    assert_eq!(count(&alone, "task", None), 50);

    // Reopened, it serves as before.
    let again = file_driver(&dir, "app.db");
    assert_eq!(count(&again, "task", None), 50);
    create(&again, "task", r#"{"title":"after"}"#, None);
    assert_eq!(count(&again, "task", None), 51);
}
