// The HTTPS listener's certificate: self-signed for 127.0.0.1/localhost, its own CA (the PEM
// clients put in certificate-authority-data). The RSA key comes from node:crypto (fast, native);
// `selfsigned` builds and signs the certificate.
import { generateKeyPairSync } from 'node:crypto';
import selfsigned from 'selfsigned';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

export function generateServingCert(): TlsMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const options = {
    days: 365,
    algorithm: 'sha256',
    keyPair: { privateKey, publicKey },
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  };
  const pems = selfsigned.generate([{ name: 'commonName', value: 'vpcrc-local-kube' }], options);
  return { certPem: pems.cert, keyPem: pems.private };
}
