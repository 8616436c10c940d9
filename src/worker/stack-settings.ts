import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigError, loadThumbnailConfig, type ThumbnailConfig } from '../config';
import { timeNeededToStart } from '../thumbnail/handle-record';
import type { WorkerOptions } from './options';

export interface WorkerSettings {
  readonly config: ThumbnailConfig;
  /** For the banner: where uploads go (unknown when the stack was not read). */
  readonly imagesBucket?: string;
  /** Where the settings came from, for the banner. */
  readonly source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The deployed stack's outputs and its thumbnail function's environment: the function's own settings. */
async function deployed(stage: string): Promise<{ outputs: Env; functionEnv: Env; stackName: string }> {
  const stackName = `thumbnails-${stage}`;
  let described;
  try {
    described = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }));
  } catch (error) {
    throw new ConfigError(
      `cannot read stack ${stackName} (${(error as Error).message}); deploy it, or give --queue-url, --dead-letter-queue-url and --thumbnails-bucket`,
    );
  }
  const outputs = Object.fromEntries(
    (described.Stacks?.[0]?.Outputs ?? []).map(({ OutputKey, OutputValue }) => [OutputKey, OutputValue]),
  );
  const configuration = await new LambdaClient({}).send(
    new GetFunctionConfigurationCommand({ FunctionName: `${stackName}-thumbnail` }),
  );
  return { outputs, functionEnv: configuration.Environment?.Variables ?? {}, stackName };
}

/**
 * The thumbnail function's configuration for the worker: by default what the deployed function runs with
 * (its environment: sizes, format, limits, retry delays, queues), the queues and buckets as the stack's
 * outputs name them; with all three of --queue-url, --dead-letter-queue-url and --thumbnails-bucket, the
 * stack is not read and the rest comes from this process's environment, as in the function.
 */
export async function resolveWorkerSettings(options: WorkerOptions, env: Env = process.env): Promise<WorkerSettings> {
  const explicit = {
    ...(options.imagesQueueUrl ? { IMAGES_QUEUE_URL: options.imagesQueueUrl } : {}),
    ...(options.deadLetterQueueUrl ? { DEAD_LETTER_QUEUE_URL: options.deadLetterQueueUrl } : {}),
    ...(options.thumbnailsBucket ? { THUMBNAILS_BUCKET: options.thumbnailsBucket } : {}),
  };
  let settings: WorkerSettings;
  if (Object.keys(explicit).length === 3) {
    settings = { config: loadThumbnailConfig({ ...env, ...explicit }), source: 'the command line and environment' };
  } else {
    const { outputs, functionEnv, stackName } = await deployed(options.stage);
    const fromOutputs = {
      IMAGES_QUEUE_URL: outputs.ImagesQueueUrl,
      DEAD_LETTER_QUEUE_URL: outputs.DeadLetterQueueUrl,
      THUMBNAILS_BUCKET: outputs.ThumbnailsBucketName,
    };
    settings = {
      config: loadThumbnailConfig({ ...functionEnv, ...fromOutputs, ...explicit }),
      imagesBucket: outputs.ImagesBucketName,
      source: `stack ${stackName} (${options.region})`,
    };
  }
  const neededSeconds = Math.ceil(timeNeededToStart(settings.config) / 1000);
  if (options.visibilityTimeoutSeconds < neededSeconds) {
    throw new ConfigError(
      `--visibility-timeout ${options.visibilityTimeoutSeconds} is below the ${neededSeconds} s a message needs to start (RENDER_BUDGET_MS + INVOCATION_HEADROOM_MS)`,
    );
  }
  return settings;
}
