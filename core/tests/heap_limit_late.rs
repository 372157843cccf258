//! A soft heap limit asked for after SQLite started without counting its memory is
//! refused, saying when to set it (a binary of its own: SQLite's start is process-wide).

mod common;

use common::*;
use objectql_turso_core::store::limits::set_soft_heap_limit;
use objectql_turso_core::ErrorCode;

#[test]
fn a_limit_after_the_first_open_is_refused() {
    let d = memory_driver();
    sync(&d, TASK_SCHEMA);
    let err = set_soft_heap_limit(1 << 20).unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err
        .message
        .contains("before the process opens its first database"));
    // The driver is unaffected.
    assert_eq!(count(&d, "task", None), 0);
}
