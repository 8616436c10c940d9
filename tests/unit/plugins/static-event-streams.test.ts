import { lambdaCredentials } from '../../../plugins/esbuild/lambda-credentials';
import { sdkBundle } from '../../support/sdk-bundle';
import { staticEventStreams, withStaticEventStreams } from '../../../plugins/esbuild/static-event-streams';

const S3_CLIENT = `
  import { S3Client } from '@aws-sdk/client-s3';
  export { S3Client };
`;
// esbuild's wrapper for an ES module whose top-level code runs on first use rather than with the bundle.
const LAZY_MODULE = /= __esm\(\{/g;

describe('static-event-streams', () => {
  it('imports event-streams statically where HttpProtocol imported it on demand', () => {
    const source = 'async f() {\n  const { EventStreamSerde } = await import("@smithy/core/event-streams");\n}';
    expect(withStaticEventStreams(source, 'HttpProtocol.js')).toBe(
      'import * as __staticEventStreams from "@smithy/core/event-streams";\n' +
        'async f() {\n  const { EventStreamSerde } = __staticEventStreams;\n}',
    );
  });

  it('stops the build when @smithy/core no longer imports it on demand, so someone looks again', () => {
    expect(() => withStaticEventStreams('async f() {}', 'HttpProtocol.js')).toThrow(
      /HttpProtocol\.js no longer has await import\("@smithy\/core\/event-streams"\)/,
    );
  });

  // With the credentials the functions get (the SDK's own chain imports its providers on demand too).
  it("leaves no module of the S3 client's bundle to run on first use, and event streams still load", async () => {
    const lazy = await sdkBundle(S3_CLIENT, [lambdaCredentials()]);
    // Why the plugin exists: the dynamic import made esbuild wrap event-streams and all it imports.
    expect(lazy.code.match(LAZY_MODULE)?.length).toBeGreaterThan(100);

    const { code, exports } = await sdkBundle(S3_CLIENT, [lambdaCredentials(), staticEventStreams()]);
    expect(code.match(LAZY_MODULE)).toBeNull();
    const { S3Client } = exports as unknown as typeof import('@aws-sdk/client-s3');
    const client = new S3Client({ region: 'eu-west-1' });
    const protocol = client.config.protocol as unknown as { loadEventStreamCapability(): Promise<object> };
    const serde = await protocol.loadEventStreamCapability();
    expect(serde.constructor.name).toBe('EventStreamSerde');
  });
});
