//! Where a node sits in the filter the caller passed.
//!
//! The compiler carries a [`Path`] down the tree on the stack (no allocation), and only a
//! refusal turns it into text (`filter.$or[1].stage.$eq`, the kernel's spelling of a
//! position) or into the steps a withheld refusal hands the JS layer
//! ([`crate::error::Withheld::subtree`]).

use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Root,
    /// The key `name`, the `index`th of its object's keys (in the order they arrived).
    Key {
        name: &'a str,
        index: usize,
    },
    /// The element at this index of an array.
    Index(usize),
}

impl Path<'static> {
    /// The filter itself.
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        step: Step::Root,
    };
}

impl<'a> Path<'a> {
    /// The value of `name`, the `index`th key of the object at this path.
    pub(crate) fn key<'b>(&'b self, name: &'b str, index: usize) -> Path<'b> {
        Path {
            parent: Some(self),
            step: Step::Key { name, index },
        }
    }

    /// The element `index` of the array at this path.
    pub(crate) fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// `filter`, `filter.stage`, `filter.$or[1].stage.$in[0]`.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.render_into(out);
        }
        match self.step {
            Step::Root => out.push_str("filter"),
            Step::Key { name, .. } => {
                out.push('.');
                out.push_str(name);
            }
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }

    /// The positions from the root down to this node (see `Withheld::subtree`).
    pub(crate) fn steps(&self) -> Vec<u32> {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            match path.step {
                Step::Root => {}
                Step::Key { index, .. } | Step::Index(index) => {
                    steps.push(u32::try_from(index).unwrap_or(u32::MAX))
                }
            }
            at = path.parent;
        }
        steps.reverse();
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_kernels_spelling_and_the_steps() {
        let root = Path::ROOT;
        let or = root.key("$or", 2);
        let branch = or.index(1);
        let field = branch.key("stage", 0);
        let op = field.key("$in", 3);
        let member = op.index(4);
        assert_eq!(member.render(), "filter.$or[1].stage.$in[4]");
        assert_eq!(member.steps(), vec![2, 1, 0, 3, 4]);
        assert_eq!(root.render(), "filter");
        assert!(root.steps().is_empty());
    }
}
