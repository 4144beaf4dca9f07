import { describe, expect, it } from 'vitest';
import { clientToken, CLIENT_TOKEN_MAX_LENGTH } from '../../../src/aws/client-token.js';

describe('clientToken', () => {
  it('is stable for the same purpose, ASCII, and within EC2s 64-character limit', () => {
    const t = clientToken(['branch', 'cluster-a', '7c0f6f7e-1111-4e2b-9d7a-0a9b2c3d4e5f', '0']);
    expect(t).toBe(clientToken(['branch', 'cluster-a', '7c0f6f7e-1111-4e2b-9d7a-0a9b2c3d4e5f', '0']));
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(t.length).toBeLessThanOrEqual(CLIENT_TOKEN_MAX_LENGTH);
  });

  it('differs for different purposes, including ones whose parts concatenate equally', () => {
    expect(clientToken(['branch', 'c', 'uid', '0'])).not.toBe(clientToken(['branch', 'c', 'uid', '1']));
    expect(clientToken(['ab', 'c'])).not.toBe(clientToken(['a', 'bc']));
  });

  it('rejects an empty purpose', () => {
    expect(() => clientToken([])).toThrow(/non-empty/);
    expect(() => clientToken(['branch', ''])).toThrow(/non-empty/);
  });
});
