import { describe, expect, it } from 'vitest';
import { webhookTlsFromFlags } from '../../../src/webhooks/index.js';

describe('webhookTlsFromFlags', () => {
  it('both files → files mode (with the optional CA)', () => {
    expect(webhookTlsFromFlags({ webhookCertFile: '/tls/tls.crt', webhookKeyFile: '/tls/tls.key' })).toEqual({ mode: 'files', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
    expect(webhookTlsFromFlags({ webhookCertFile: 'c', webhookKeyFile: 'k', webhookCaFile: 'ca' })).toEqual({ mode: 'files', certFile: 'c', keyFile: 'k', caFile: 'ca' });
  });
  it('neither → self-signed', () => {
    expect(webhookTlsFromFlags({})).toEqual({ mode: 'self-signed' });
  });
  it('half a pair or a lone CA → an error naming the missing flag', () => {
    expect(() => webhookTlsFromFlags({ webhookCertFile: 'c' })).toThrow('--webhook-key-file is missing');
    expect(() => webhookTlsFromFlags({ webhookKeyFile: 'k' })).toThrow('--webhook-cert-file is missing');
    expect(() => webhookTlsFromFlags({ webhookCaFile: 'ca' })).toThrow('--webhook-ca-file needs --webhook-cert-file and --webhook-key-file');
  });
});
