import type { Context } from 'aws-lambda';

/** A Lambda context whose remaining time is whatever `remainingMs` returns. */
export function lambdaContext(functionName: string, remainingMs: () => number = () => 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1536',
    awsRequestId: 'request-id',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
