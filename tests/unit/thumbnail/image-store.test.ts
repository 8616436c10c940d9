import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { s3ImageStore } from '../../../src/thumbnail/image-store';
import { ImageTooLargeError, ObjectGoneError, ObjectSupersededError } from '../../../src/errors';

const s3 = mockClient(S3Client);
const store = s3ImageStore(new S3Client({ region: 'us-east-1' }));

function body(bytes: Uint8Array) {
  const readAll = jest.fn(async () => bytes);
  const destroy = jest.fn();
  return { stream: { transformToByteArray: readAll, destroy } as never, readAll, destroy };
}

describe('s3ImageStore', () => {
  beforeEach(() => s3.reset());

  it('reads a whole object', async () => {
    const { stream } = body(new Uint8Array([1, 2, 3]));
    s3.on(GetObjectCommand, { Bucket: 'images', Key: 'a b.jpg' }).resolves({ Body: stream, ContentLength: 3 });
    await expect(store.read('images', 'a b.jpg', 10)).resolves.toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses an object over the byte limit without reading its body', async () => {
    const { stream, readAll, destroy } = body(new Uint8Array(5000));
    s3.on(GetObjectCommand).resolves({ Body: stream, ContentLength: 5000 });

    await expect(store.read('images', 'big.jpg', 1000)).rejects.toThrow(
      new ImageTooLargeError('too-many-bytes', 'the object is 5,000 bytes, over the limit of 1,000 (MAX_IMAGE_BYTES)'),
    );
    expect(readAll).not.toHaveBeenCalled();
    expect(destroy).toHaveBeenCalled();
  });

  it.each([
    ['NoSuchKey', new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} })],
    ['a bare 404', new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } })],
  ])('reports an object deleted before processing as gone (%s)', async (_label, error) => {
    s3.on(GetObjectCommand).rejects(error);
    await expect(store.read('images', 'gone.jpg', 10)).rejects.toThrow(
      new ObjectGoneError('s3://images/gone.jpg no longer exists'),
    );
  });

  it('passes other errors on, to be retried', async () => {
    const throttled = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    s3.on(GetObjectCommand).rejects(throttled);
    await expect(store.read('images', 'a.jpg', 10)).rejects.toBe(throttled);
  });

  it('writes a thumbnail with its content type and metadata', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store.write({
      bucket: 'thumbs',
      key: 'a.jpg/75x75.jpg',
      body: Buffer.from([9]),
      contentType: 'image/jpeg',
      metadata: { 'source-key': 'a.jpg' },
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'thumbs',
      Key: 'a.jpg/75x75.jpg',
      Body: Buffer.from([9]),
      ContentType: 'image/jpeg',
      Metadata: { 'source-key': 'a.jpg' },
    });
  });
});

describe('s3ImageStore reads at the notified ETag', () => {
  beforeEach(() => s3.reset());

  it('asks S3 for the object only while it has that ETag (quoted, as HTTP wants)', async () => {
    const { stream } = body(new Uint8Array([1]));
    s3.on(GetObjectCommand, { Bucket: 'images', Key: 'a.jpg', IfMatch: '"abc123"' }).resolves({
      Body: stream,
      ContentLength: 1,
    });

    await expect(store.read('images', 'a.jpg', 10, { eTag: 'abc123' })).resolves.toEqual(Buffer.from([1]));
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input.IfMatch).toBe('"abc123"');
  });

  it('reports an object overwritten since (412 PreconditionFailed) as superseded, not as a failure', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } }),
    );

    await expect(store.read('images', 'a.jpg', 10, { eTag: 'abc123' })).rejects.toThrow(
      new ObjectSupersededError(
        's3://images/a.jpg was overwritten after this notification (no longer ETag abc123); the newer upload has its own',
      ),
    );
  });

  it("passes the record's abort signal on to its requests", async () => {
    const { stream } = body(new Uint8Array([1]));
    s3.on(GetObjectCommand).resolves({ Body: stream, ContentLength: 1 });
    s3.on(PutObjectCommand).resolves({});
    const { signal } = new AbortController();

    await store.read('images', 'a.jpg', 10, { abortSignal: signal });
    await store.write(
      { bucket: 'thumbs', key: 'k', body: Buffer.from([1]), contentType: 'image/jpeg', metadata: {} },
      { abortSignal: signal },
    );

    const options = [...s3.commandCalls(GetObjectCommand), ...s3.commandCalls(PutObjectCommand)].map(
      (call) => (call.args as unknown[])[1],
    );
    expect(options).toEqual([{ abortSignal: signal }, { abortSignal: signal }]);
  });
});
