'use strict';

// Who wrote a refused filter subtree, read from the marks the ObjectStack kernel puts on
// filter objects (`markFilterSubtreeProvenance` in @objectstack/spec/data: a
// non-enumerable symbol property, 'author' or 'policy'). The engine merges an
// administrator's read-scope rules into the caller's `where`; a refusal inside such a
// rule must not name its fields to the caller. So a withheld refusal (see
// `Withheld` in core/src/error.rs) shows its full text only when its subtree is
// positively marked 'author'. Unmarked, 'policy' and ambiguous all withhold: the mark is
// permission to reveal, never a requirement to prove secrecy.
//
// Nothing here runs on the success path: it is read only when a call fails with a
// withheld refusal.

const MARK = Symbol.for('objectstack.filter.subtreeProvenance');

/** The mark of one node, or null. */
function markOf(node) {
  const mark = node[MARK];
  return mark === 'author' || mark === 'policy' ? mark : null;
}

/** Arrays and plain objects: the kernel's filter walk descends into nothing else. */
function isWalkable(node) {
  if (Array.isArray(node)) return true;
  const proto = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}

/**
 * The node at `steps` under `root`: each step is an array index or the position of a
 * key among an object's own enumerable keys (the order the native side read them in).
 * Undefined when the tree no longer has that shape.
 */
function nodeAt(root, steps) {
  let node = root;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[step] : node[Object.keys(node)[step]];
  }
  return node;
}

/**
 * The effective provenance of `target` inside `root`: the innermost mark on its path,
 * found by identity over the whole tree. A node reachable along paths that disagree
 * (one object shared by an author's and a policy's arm) is ambiguous: null. The same
 * reading as the kernel's `resolveFilterSubtreeProvenance`.
 */
function provenanceOf(root, target) {
  if (root === null || typeof root !== 'object' || target === null || typeof target !== 'object') {
    return null;
  }
  const verdicts = new Set();
  const onPath = new Set();
  const visit = (node, inherited) => {
    if (node === null || typeof node !== 'object' || onPath.has(node)) return;
    const effective = markOf(node) ?? inherited;
    if (node === target) {
      verdicts.add(effective);
      return;
    }
    if (!isWalkable(node)) return;
    onPath.add(node);
    for (const child of Array.isArray(node) ? node : Object.values(node)) visit(child, effective);
    onPath.delete(node);
  };
  visit(root, null);
  return verdicts.size === 1 ? verdicts.values().next().value : null;
}

/**
 * Whether the subtree at `steps` of the caller's filter `root` is marked as written by
 * the caller ('author'), so a refusal inside it may name what it names.
 */
function authoredAt(root, steps) {
  const target = nodeAt(root, steps);
  return target !== null && typeof target === 'object' && provenanceOf(root, target) === 'author';
}

module.exports = { authoredAt, provenanceOf };
