//! Aggregations, in the two forms callers send: the ObjectQL 4.2.2 pipeline
//! ([`pipeline`], with the expression grammar of [`expr`]) and the ObjectStack kernel's
//! `{ groupBy, aggregations }` ([`kernel`]).

mod expr;
mod kernel;
mod pipeline;

pub use expr::compile_aggregate_expr;
pub use kernel::{compile_kernel_aggregate, is_kernel_aggregate, KernelAggregate};
pub use pipeline::compile_aggregate;
