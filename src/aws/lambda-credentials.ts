import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { chain, CredentialsProviderError, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/**
 * The AWS SDK's default credentials in the functions' bundles: plugins/esbuild/lambda-credentials.js puts
 * this module in place of @aws-sdk/credential-provider-node, whose `defaultProvider` every client calls when
 * it is given no credentials.
 *
 * Lambda hands a function its role's credentials in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the first place the SDK's own chain looks; a runtime that
 * hands them out from a container endpoint instead (AWS_CONTAINER_CREDENTIALS_FULL_URI, as Lambda does
 * for SnapStart) is the fallback. The rest of the SDK's chain (SSO, shared config files, credential
 * processes, web identity tokens, EC2 instance metadata) is for machines, never reached on Lambda, and
 * with the STS and SSO clients it brings was a fifth of the thumbnail handler's bundle, compiled on every
 * cold start (about 9 ms, make bench). The worker (src/worker/) runs on machines, unbundled, with the
 * SDK's whole chain.
 */

interface ProviderInit {
  readonly logger?: Logger;
}

/** As the SDK's chain: credentials that expire are fetched again five minutes before they do. */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;

export function defaultProvider(init: ProviderInit = {}): AwsCredentialIdentityProvider {
  return memoize(
    chain(
      fromEnv(init),
      // fromHttp throws at once where no endpoint is set: made only when the environment had no credentials.
      () => fromHttp(init)(),
      () => {
        throw new CredentialsProviderError(
          'No AWS credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (as Lambda sets them) nor ' +
            'a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI) in the environment',
          { tryNextLink: false, logger: init.logger },
        );
      },
    ),
    (credentials: AwsCredentialIdentity) =>
      credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_BEFORE_MS,
    (credentials: AwsCredentialIdentity) => credentials.expiration !== undefined,
  );
}
