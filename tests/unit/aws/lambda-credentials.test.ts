import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultProvider } from '../../../src/aws/lambda-credentials';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

describe("defaultProvider (the functions' bundled credentials)", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("reads the role's credentials Lambda puts in the environment", async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });

    const credentials = await defaultProvider()();

    expect(credentials).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  describe('from a container credentials endpoint, without credentials in the environment', () => {
    let server: Server;
    let requests = 0;
    let expiration: Date;
    beforeEach(async () => {
      requests = 0;
      server = createServer((_request, response) => {
        requests++;
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            AccessKeyId: `ASIACONTAINER${requests}`,
            SecretAccessKey: 'secret',
            Token: 'token',
            Expiration: expiration.toISOString(),
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${(server.address() as AddressInfo).port}/role`;
    });
    afterEach(() => new Promise((resolve) => server.close(resolve)));

    it('fetches them once while they are valid for more than five minutes', async () => {
      expiration = new Date(Date.now() + 60 * 60 * 1000);
      const provider = defaultProvider();

      const first = await provider();
      const second = await provider();

      expect([first.accessKeyId, second.accessKeyId, requests]).toEqual(['ASIACONTAINER1', 'ASIACONTAINER1', 1]);
    });

    it('fetches them again when they expire within five minutes', async () => {
      expiration = new Date(Date.now() + 60 * 1000);
      const provider = defaultProvider();

      await provider();
      const again = await provider();

      expect(requests).toBeGreaterThan(1);
      expect(again.accessKeyId).toBe(`ASIACONTAINER${requests}`);
    });
  });

  it('fails, saying where it looked, where there are neither', async () => {
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  });
});
