import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_WORKER_SHUTDOWN_GRACE_MS, DEFAULT_WORKER_VISIBILITY_TIMEOUT_SECONDS } from '../config';

export interface WorkerOptions {
  /** The deployed stage whose stack outputs name the queues and buckets. */
  readonly stage: string;
  readonly region: string;
  /** Given explicitly, these override what the stack says; all three given, the stack is not read. */
  readonly imagesQueueUrl?: string;
  readonly deadLetterQueueUrl?: string;
  readonly thumbnailsBucket?: string;
  readonly concurrency: number;
  readonly once: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly shutdownGraceMs: number;
  readonly help: boolean;
}

/** The same defaults as `make deploy` and `sls` (Makefile STAGE and REGION). */
const DEFAULT_STAGE = 'dev';
const DEFAULT_REGION = 'us-east-1';

export const USAGE = `Usage: npm run worker -- [options]      (or: make worker STAGE=... REGION=... WORKER_ARGS='...')

Consumes the images queue of a deployed stack, with the thumbnail function's own code.

  --stage NAME                  stack to read queues, buckets and settings from (env STAGE; default ${DEFAULT_STAGE})
  --region NAME                 its region (env REGION or AWS_REGION; default ${DEFAULT_REGION})
  --queue-url URL               images queue (default: the stack's ImagesQueueUrl output)
  --dead-letter-queue-url URL   dead-letter queue (default: the stack's DeadLetterQueueUrl output)
  --thumbnails-bucket NAME      thumbnails bucket (default: the stack's ThumbnailsBucketName output)
                                (all three given: the stack is not read; settings from the environment)
  --concurrency N               messages worked on at once, each rendering in a thread of its own
                                (default: the number of CPUs)
  --once                        exit once a receive finds the queue empty and nothing is in flight
  --visibility-timeout SECONDS  how long a message is hidden, renewed every third while it is worked on
                                (default ${DEFAULT_WORKER_VISIBILITY_TIMEOUT_SECONDS})
  --shutdown-grace SECONDS      after SIGINT/SIGTERM, how long in-flight messages may finish before they
                                are released (default ${DEFAULT_WORKER_SHUTDOWN_GRACE_MS / 1000}); a second signal exits at once
  -h, --help                    this text`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function parseWorkerOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        'queue-url': { type: 'string' },
        'dead-letter-queue-url': { type: 'string' },
        'thumbnails-bucket': { type: 'string' },
        concurrency: { type: 'string' },
        once: { type: 'boolean' },
        'visibility-timeout': { type: 'string' },
        'shutdown-grace': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    stage: values.stage || env.STAGE || DEFAULT_STAGE,
    region: values.region || env.REGION || env.AWS_REGION || DEFAULT_REGION,
    imagesQueueUrl: values['queue-url'],
    deadLetterQueueUrl: values['dead-letter-queue-url'],
    thumbnailsBucket: values['thumbnails-bucket'],
    concurrency: whole('concurrency', values.concurrency, availableParallelism(), 1, 64),
    once: values.once ?? false,
    // SQS's longest visibility timeout is 12 hours.
    visibilityTimeoutSeconds: whole(
      'visibility-timeout',
      values['visibility-timeout'],
      DEFAULT_WORKER_VISIBILITY_TIMEOUT_SECONDS,
      1,
      43_200,
    ),
    shutdownGraceMs:
      whole('shutdown-grace', values['shutdown-grace'], DEFAULT_WORKER_SHUTDOWN_GRACE_MS / 1000, 0, 3_600) * 1000,
    help: values.help ?? false,
  };
}
