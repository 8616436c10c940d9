import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { STACK_NAME } from '../../support/stack';

/** The deployed thumbnail function's environment, which fault tests change and then restore. */
const lambda = new LambdaClient({});
const FunctionName = `${STACK_NAME}-thumbnail`;

export async function thumbnailFunctionEnvironment(): Promise<Record<string, string>> {
  const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
  return configuration.Environment?.Variables ?? {};
}

/** Replaces the environment and waits until invocations use it. */
export async function setThumbnailFunctionEnvironment(variables: Record<string, string>): Promise<void> {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: variables } }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName });
}
