/**
 * `npm run worker` / `make worker`: the thumbnail pipeline as a long-running consumer of the images
 * queue (a laptop, a server, a container), with the thumbnail function's own record handling. Wiring
 * only: the loop is loop.ts, the options options.ts, the settings stack-settings.ts.
 */
import { isMainThread } from 'node:worker_threads';
import { ConfigError, WORKER_WAIT_TIME_SECONDS } from '../config';
import { describeError } from '../errors';
import { DeadLetterHandOffs } from '../thumbnail/dead-letter';
import { sharedRecordDependencies } from '../thumbnail/record-dependencies';
import { createRenderWorker } from '../thumbnail/render-worker';
import { workerConsole } from './console';
import { exitOnceHandedOff } from './forced-exit';
import { runWorkerLoop } from './loop';
import { parseWorkerOptions, USAGE, type WorkerOptions } from './options';
import { renderPool, workerRecordHandler } from './record-handler';
import { resolveWorkerSettings, type WorkerSettings } from './stack-settings';
import { WorkerStats } from './stats';

/** Exit codes after a second signal, as a shell reports a process killed by it. */
const EXIT_ON_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const PROGRESS_INTERVAL_MS = 1_000;

function banner(options: WorkerOptions, { config, imagesBucket, source }: WorkerSettings): string {
  return [
    `thumbnail worker: settings from ${source}`,
    `  images queue       ${config.imagesQueueUrl}`,
    `  dead-letter queue  ${config.deadLetterQueueUrl}`,
    ...(imagesBucket ? [`  images bucket      ${imagesBucket}`] : []),
    `  thumbnails bucket  ${config.thumbnailsBucket}`,
    `  sizes              ${config.sizes.map((box) => box.label).join(' ')} (${config.outputFormat}, quality ${config.quality})`,
    `  concurrency        ${options.concurrency}${options.once ? ', --once: exits when the queue is empty' : ''}`,
    `  visibility         ${options.visibilityTimeoutSeconds} s, renewed while working; shutdown grace ${options.shutdownGraceMs / 1000} s`,
    `Ctrl+C (SIGINT) or SIGTERM: finish what is in flight and exit; a second signal exits at once.`,
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const out = workerConsole();
  let options: WorkerOptions;
  let settings: WorkerSettings;
  try {
    options = parseWorkerOptions(argv);
    if (options.help) {
      out.line(USAGE);
      return 0;
    }
    // The clients take their region from the environment, as in the function.
    process.env.AWS_REGION = options.region;
    settings = await resolveWorkerSettings(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.warn(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const { config } = settings;
  out.line(banner(options, settings));

  const handOffs = new DeadLetterHandOffs();
  const shared = { ...sharedRecordDependencies(config), handOffs };
  const stats = new WorkerStats(Date.now());
  const renderers = renderPool(options.concurrency, () => createRenderWorker(config.render));
  const stop = new AbortController();
  let inFlight = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      out.warn(`${signal} again: exiting now; messages in flight come back when their visibility runs out`);
      exitOnceHandedOff(handOffs, () => process.exit(EXIT_ON_SIGNAL[signal] ?? 1));
      return;
    }
    out.line(
      `${signal}: receiving no more; finishing ${inFlight} in flight (at most ${options.shutdownGraceMs / 1000} s)`,
    );
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = setInterval(() => out.progress(stats.progressLine(Date.now(), inFlight)), PROGRESS_INTERVAL_MS);

  try {
    await runWorkerLoop(
      {
        sqs: shared.sqs,
        queueUrl: config.imagesQueueUrl,
        concurrency: options.concurrency,
        waitTimeSeconds: WORKER_WAIT_TIME_SECONDS,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
        retry: config.retry,
        once: options.once,
        shutdownGraceMs: options.shutdownGraceMs,
        region: options.region,
        handle: workerRecordHandler(shared, renderers, out, stats),
        events: {
          received: () => {
            stats.received += 1;
            inFlight += 1;
          },
          finished: (record, outcome, error) => {
            inFlight -= 1;
            stats.count(outcome);
            if (outcome === 'retried') out.line(`retry     message ${record.messageId}: ${describeError(error)}`);
            if (outcome === 'released') out.line(`released  message ${record.messageId} (visible again at once)`);
          },
          warning: (message, error) => out.warn(`warning   ${message}: ${describeError(error)}`),
        },
      },
      stop.signal,
    );
  } finally {
    clearInterval(progress);
    out.progress('');
  }
  out.line(stats.summary(Date.now()));
  await renderers.close();
  return 0;
}

// The render worker thread runs this process's entry file too when bundled; only the main thread works.
if (isMainThread) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exit(1);
    },
  );
}
