import { parseRedriveRequest, RedriveRequestError } from '../../../src/redrive/request';

describe('parseRedriveRequest', () => {
  it.each([undefined, null, '', {}])('treats %j as "move everything"', (event) => {
    expect(parseRedriveRequest(event)).toEqual({ dryRun: false, maxMessages: undefined });
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
