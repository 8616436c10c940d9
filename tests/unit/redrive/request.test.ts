import { parseRedriveRequest, RedriveRequestError } from '../../../src/redrive/request';

describe('parseRedriveRequest', () => {
  it.each([undefined, null, '', {}])('treats %j as "move everything"', (event) => {
    expect(parseRedriveRequest(event)).toStrictEqual({
      dryRun: false,
      maxMessages: undefined,
      failureCodes: undefined,
      perSecond: undefined,
    });
  });

  it('accepts dryRun and maxMessages', () => {
    expect(parseRedriveRequest({ dryRun: true, maxMessages: 50 })).toEqual({ dryRun: true, maxMessages: 50 });
  });

  it.each([
    [{ dryRun: 'yes' }, /dryRun must be true or false/],
    [{ maxMessages: 0 }, /maxMessages must be a whole number/],
    [{ maxMessages: 2.5 }, /maxMessages must be a whole number/],
    [{ maxMessages: '10' }, /maxMessages must be a whole number/],
    [{ dryrun: true }, /unknown field\(s\) dryrun/],
    [[1], /expected a JSON object/],
    ['move', /expected a JSON object/],
  ])('rejects %j', (event, message) => {
    expect(() => parseRedriveRequest(event)).toThrow(RedriveRequestError);
    expect(() => parseRedriveRequest(event)).toThrow(message);
  });
});

describe('parseRedriveRequest: failureCodes and perSecond', () => {
  it('accepts known failure codes (deduplicated) and a rate', () => {
    expect(
      parseRedriveRequest({ failureCodes: ['retries-exhausted', 'corrupt-image', 'corrupt-image'], perSecond: 50 }),
    ).toEqual({
      dryRun: false,
      maxMessages: undefined,
      failureCodes: ['retries-exhausted', 'corrupt-image'],
      perSecond: 50,
    });
  });

  it.each([
    [{ failureCodes: [] }, /failureCodes must be a non-empty list/],
    [{ failureCodes: 'corrupt-image' }, /failureCodes must be a non-empty list/],
    [{ failureCodes: Array(1000).fill('corrupt-image') }, /failureCodes must be a non-empty list/],
    [{ failureCodes: ['retries-exhaustd'] }, /unknown \["retries-exhaustd"\]; allowed: .*retries-exhausted/],
    [{ failureCodes: [7] }, /unknown \[7\]/],
    [{ perSecond: 0 }, /perSecond must be a whole number from 1 to 1000/],
    [{ perSecond: 1001 }, /perSecond must be a whole number from 1 to 1000/],
    [{ perSecond: 1.5 }, /perSecond/],
  ])('rejects %j', (event, message) => {
    expect(() => parseRedriveRequest(event)).toThrow(RedriveRequestError);
    expect(() => parseRedriveRequest(event)).toThrow(message);
  });
});
