// A long-lived child process that runs the built CLI's own entry, `run(argv)` of
// dist/src/cli/main.js, once per message, with its stdout and stderr captured. It is the CLI's code
// path without the cost of a process per run (0.3-0.5 s of start-up and Z3 initialisation each); the
// parent (test/fuzz/cliPool.ts) kills it when a run passes its deadline and recycles it every few
// dozen runs. Plain JavaScript because it is loaded by Node itself, next to dist/.
import { pathToFileURL } from 'node:url';

const { run } = await import(pathToFileURL(process.argv[2]).href);

/** Swap a stream's write for a collector while a run lasts (the commands write to process.std*). */
function capture(stream, sink) {
  const original = stream.write;
  stream.write = (chunk, encoding, callback) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) queueMicrotask(() => cb());
    return true;
  };
  return () => {
    stream.write = original;
  };
}

let queue = Promise.resolve();
process.on('message', (msg) => {
  queue = queue.then(async () => {
    const out = [];
    const err = [];
    const restore = [capture(process.stdout, out), capture(process.stderr, err)];
    process.exitCode = undefined;
    let code;
    try {
      code = await run(msg.argv);
    } catch (e) {
      // run() catches everything itself; anything here is a bug of the entry, reported as such.
      code = -1;
      err.push(`run() threw: ${e && e.stack ? e.stack : String(e)}\n`);
    } finally {
      for (const r of restore) r();
      process.exitCode = undefined;
    }
    process.send({ id: msg.id, code, stdout: out.join(''), stderr: err.join('') });
  });
});
// The parent went away (killed, or done without stopping us): nothing more will come.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
