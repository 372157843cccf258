'use strict';

// How a bench worker (forked by a runner) reports: `{ ok, result }` or `{ ok: false, error }`
// over IPC, then exits once the message is out; run by hand, it prints the message instead.

function send(message, code) {
  if (process.send) process.send(message, () => process.exit(code));
  else {
    console.log(JSON.stringify(message, null, 2));
    process.exit(code);
  }
}

/** Runs the worker's `main` and reports what it returned or threw. */
function report(main) {
  main().then(
    (result) => send({ ok: true, result }, 0),
    (error) => send({ ok: false, error: (error && error.stack) || String(error) }, 1),
  );
}

module.exports = { report };
