// EC2's error model: a code (the contract the SDK and the controller switch on), a message for
// humans, and the HTTP status EC2 sends with it. Everything the local EC2 rejects is one of these.

export class Ec2ErrorResponse extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
    this.name = 'Ec2ErrorResponse';
  }
}

export const missingParameter = (name: string): Ec2ErrorResponse =>
  new Ec2ErrorResponse('MissingParameter', `The request must contain the parameter ${name}`);

export const invalidParameterValue = (message: string): Ec2ErrorResponse => new Ec2ErrorResponse('InvalidParameterValue', message);

export const invalidParameterCombination = (message: string): Ec2ErrorResponse =>
  new Ec2ErrorResponse('InvalidParameterCombination', message);

export const requestLimitExceeded = (): Ec2ErrorResponse =>
  new Ec2ErrorResponse('RequestLimitExceeded', 'Request limit exceeded.', 503);

export const internalError = (): Ec2ErrorResponse =>
  new Ec2ErrorResponse('InternalError', 'An internal error has occurred', 500);

/** HTTP status EC2 uses for a code, for codes injected as faults by tests. */
export function statusForCode(code: string): number {
  if (code === 'RequestLimitExceeded' || code === 'Unavailable' || code === 'ServiceUnavailable') return 503;
  if (code === 'InternalError' || code === 'InternalFailure') return 500;
  if (code === 'UnauthorizedOperation' || code === 'AuthFailure') return 403;
  return 400;
}
