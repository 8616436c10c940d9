import { availableParallelism } from 'node:os';
import { ConfigError } from '../../../src/config';
import { parseWorkerOptions } from '../../../src/worker/options';

describe('worker options', () => {
  it('takes the stage and region from the environment, and defaults the rest', () => {
    expect(parseWorkerOptions([], { STAGE: 'local', REGION: 'eu-west-1' })).toEqual({
      stage: 'local',
      region: 'eu-west-1',
      imagesQueueUrl: undefined,
      deadLetterQueueUrl: undefined,
      thumbnailsBucket: undefined,
      concurrency: availableParallelism(),
      once: false,
      visibilityTimeoutSeconds: 60,
      shutdownGraceMs: 20_000,
      help: false,
    });
  });

  it('prefers what the command line says', () => {
    expect(
      parseWorkerOptions(
        ['--stage', 'prod', '--queue-url', 'https://q', '--concurrency', '4', '--once', '--shutdown-grace', '5'],
        { STAGE: 'local' },
      ),
    ).toMatchObject({ stage: 'prod', imagesQueueUrl: 'https://q', concurrency: 4, once: true, shutdownGraceMs: 5_000 });
  });

  it.each([
    [['--concurrency', '0'], /--concurrency must be a whole number from 1 to 64/],
    [['--visibility-timeout', '1.5'], /--visibility-timeout must be a whole number/],
    [['--queue'], /Unknown option '--queue'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseWorkerOptions(argv, {})).toThrow(ConfigError);
    expect(() => parseWorkerOptions(argv, {})).toThrow(message);
  });
});
