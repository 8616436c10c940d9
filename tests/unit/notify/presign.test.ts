import { S3Client } from '@aws-sdk/client-s3';
import { presignLinks } from '../../../src/notify/presign';

const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' },
});

describe('presignLinks', () => {
  it('gives each thumbnail a GET URL for its own key, valid for the requested time, signed with the session', async () => {
    const [link] = await presignLinks(
      s3,
      [
        {
          bucket: 'thumbs',
          key: 'a b/photo.jpg/75x75.jpg',
          width: 75,
          height: 50,
          bytes: 10,
          contentType: 'image/jpeg',
        },
      ],
      900,
    );

    const url = new URL(link!.url);
    expect(url.hostname).toBe('thumbs.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/a%20b/photo.jpg/75x75.jpg');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\//);
    // The session token travels in the URL: the link dies with the session.
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
    expect(link).toMatchObject({ key: 'a b/photo.jpg/75x75.jpg', width: 75, height: 50 });
  });
});
