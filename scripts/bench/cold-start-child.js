/* global process, console, setTimeout, clearTimeout */
/**
 * Child process of the benchmark: one cold start of the packaged thumbnail function, in plain Node (no
 * tsx), as Lambda runs it:
 *   node scripts/bench/cold-start-child.js <handler .js> <input image> <request JSON file>
 * 1. requires the handler module (what Lambda does before the first invocation);
 * 2. starts the render worker on the render thread's bundle beside the handler's, as the handler does when
 *    its first invocation begins, and waits for it to be ready (it loads the render step and compiles the
 *    JPEG codecs; in the function this overlaps the first image's read from S3, which is not measured here);
 * 3. renders the input once (the first render of a fresh process), then `warmRuns` more times in the same
 *    worker. The messages are those of src/thumbnail/render-worker.ts.
 * Prints one JSON line of milliseconds.
 */
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Worker } = require('node:worker_threads');

const [handlerFile, inputFile, requestFile] = process.argv.slice(2);
const { environment, boxes, options, warmRuns, workerRole, renderThreadBundle } = JSON.parse(
  readFileSync(requestFile, 'utf8'),
);
Object.assign(process.env, environment);
const ms = (since) => Number(process.hrtime.bigint() - since) / 1e6;

const loadStarted = process.hrtime.bigint();
require(handlerFile);
const moduleLoadMs = ms(loadStarted);

const source = readFileSync(inputFile);
const workerStarted = process.hrtime.bigint();
const worker = new Worker(join(dirname(handlerFile), renderThreadBundle), { workerData: { role: workerRole } });
let nextId = 0;
let waiting;
worker.on('message', (reply) => waiting?.(reply));
worker.on('error', (error) => {
  console.error(`render worker failed: ${error.message}`);
  process.exit(1);
});
const reply = () => new Promise((resolve) => (waiting = resolve));

async function render() {
  const started = process.hrtime.bigint();
  worker.postMessage({ id: ++nextId, source, boxes, options });
  const answer = await reply();
  if (answer.type !== 'done') throw new Error(`render ${answer.type}: ${JSON.stringify(answer.error ?? answer)}`);
  return ms(started);
}

async function main() {
  const ready = await reply();
  if (ready.type !== 'ready') throw new Error(`expected ready, got ${ready.type}`);
  const workerReadyMs = ms(workerStarted);
  const firstRenderMs = await render();
  const warmRendersMs = [];
  for (let i = 0; i < warmRuns; i++) warmRendersMs.push(await render());
  await worker.terminate();
  console.log(JSON.stringify({ moduleLoadMs, workerReadyMs, firstRenderMs, warmRendersMs }));
}

const timeout = setTimeout(() => {
  console.error('no answer from the render worker within 120 s');
  process.exit(1);
}, 120_000);
main()
  .then(() => clearTimeout(timeout))
  .catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
