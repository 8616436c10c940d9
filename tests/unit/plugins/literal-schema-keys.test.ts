import { Readable } from 'node:stream';
import { literalSchemaKeys, withLiteralSchemaKeys } from '../../../plugins/esbuild/literal-schema-keys';
import { sdkBundle } from '../../support/sdk-bundle';

const S3_GET_OBJECT = `
  import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
  export { GetObjectCommand, S3Client };
`;

describe('literal-schema-keys', () => {
  it('writes the computed keys that name a string constant of the file as that string, nothing else', () => {
    const source = [
      'const _e = "error";',
      'const _hE = "httpError";',
      'const _x = "x-amz-meta-";',
      'const computed = "not a constant line"; const _late = "neither";',
      'const traits = { [_e]: "client", [_hE]: 403 };',
      'const spread = {',
      '  [_x]: 1,',
      '  [_late]: 2,',
      '  [computed]: 3 };',
      'const lookup = [traits][0] ? spread[_x]: null;',
      'return { traits, spread, lookup };',
    ].join('\n');
    const rewritten = withLiteralSchemaKeys(source);

    expect(rewritten).toContain('{ "error": "client", "httpError": 403 }');
    expect(rewritten).toContain('  "x-amz-meta-": 1,');
    expect(rewritten).toContain('[_late]: 2');
    expect(rewritten).toContain('[computed]: 3');
    expect(rewritten).toContain('spread[_x]: null');
    // The same objects.
    expect(new Function(rewritten)()).toEqual(new Function(source)());
  });

  it('drops the S3 shapes of the operations a bundle never sends, and keeps the ones it does', async () => {
    const shaken = await sdkBundle(S3_GET_OBJECT, [literalSchemaKeys()]);
    expect(shaken.code).toContain('GetObjectRequest$ = [');
    expect(shaken.code).not.toContain('PutBucketLifecycleConfigurationRequest$ = [');
    // Why the plugin exists (fails once the SDK writes literal keys itself: the plugin can go then).
    const unshaken = await sdkBundle(S3_GET_OBJECT, []);
    expect(unshaken.code).toContain('PutBucketLifecycleConfigurationRequest$ = [');
    expect(shaken.code.length).toBeLessThan(unshaken.code.length - 100_000);
  });

  it('keeps the traits of the shapes it keeps: a GetObject range and key are where S3 reads them', async () => {
    const { exports } = await sdkBundle(S3_GET_OBJECT, [literalSchemaKeys()]);
    const { S3Client, GetObjectCommand } = exports as unknown as typeof import('@aws-sdk/client-s3');
    const sent: { path: string; headers: Record<string, string> }[] = [];
    const client = new S3Client({
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: {
        async handle(request: { path: string; headers: Record<string, string> }) {
          sent.push(request);
          const response = {
            statusCode: 200,
            headers: { 'content-length': '2' },
            body: Readable.from([Buffer.from('ok')]),
          };
          return { response };
        },
      },
    });
    const answer = await client.send(new GetObjectCommand({ Bucket: 'images', Key: 'a b.jpg', Range: 'bytes=0-1' }));
    expect(sent).toEqual([
      expect.objectContaining({ path: '/images/a%20b.jpg', headers: expect.objectContaining({ range: 'bytes=0-1' }) }),
    ]);
    expect(answer.ContentLength).toBe(2);
  });
});
