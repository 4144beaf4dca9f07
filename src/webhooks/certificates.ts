// Serving certificates for the webhook server: from files (a cluster's cert-manager or a mounted
// Secret, re-read when they change), or generated self-signed at start for the sandbox and development.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import selfsigned from 'selfsigned';

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** PEM the API server should trust (the webhook configuration's caBundle). */
  caPem: string;
}

export const DEFAULT_WEBHOOK_SERVICE_NAME = 'vpc-resource-controller-webhook';
export const DEFAULT_WEBHOOK_SERVICE_NAMESPACE = 'kube-system';

/** Names the API server may dial the webhook by: loopback for the sandbox, the Service's DNS names in a cluster. */
export function webhookDnsNames(
  serviceName = DEFAULT_WEBHOOK_SERVICE_NAME,
  namespace = DEFAULT_WEBHOOK_SERVICE_NAMESPACE,
): string[] {
  return [
    'localhost',
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
  ];
}

export interface SelfSignedOptions {
  dnsNames?: string[];
  ipAddresses?: string[];
  days?: number;
}

/**
 * A self-signed certificate that is its own CA (so `caPem` is the certificate): enough for an API
 * server we configure ourselves, never meant for production trust. RSA 2048 via node-forge, which
 * uses Node's native key generation (fast).
 */
export function generateSelfSignedCertificate(opts: SelfSignedOptions = {}): ServingCertificate {
  const dnsNames = opts.dnsNames ?? webhookDnsNames();
  const ipAddresses = opts.ipAddresses ?? ['127.0.0.1', '::1'];
  const commonName = dnsNames.find((n) => n.includes('.svc')) ?? dnsNames[0] ?? 'localhost';
  // Backdate a little: a freshly minted certificate is otherwise "not yet valid" to a peer whose clock lags.
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  // A unique subject per certificate: a client trusting several (old and new after a restart)
  // picks the issuer by subject name, and identical names would make it try the wrong one.
  const subject = [
    { name: 'commonName', value: commonName },
    { shortName: 'OU', value: `vpc-resource-controller webhook ${randomBytes(6).toString('hex')}` },
  ];
  const result = selfsigned.generate(subject, {
    days: opts.days ?? 365,
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dnsNames.map((value) => ({ type: 2, value })), // dNSName
          ...ipAddresses.map((ip) => ({ type: 7, ip })), // iPAddress
        ],
      },
    ],
  });
  return { certPem: result.cert, keyPem: result.private, caPem: result.cert };
}

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  /** CA to publish as caBundle; default: the certificate file itself (right for a self-signed one). */
  caFile?: string;
}

/** Reads the files, failing with a message that names the file and what is wrong with it. */
export async function readCertificateFiles(files: CertificateFiles): Promise<ServingCertificate> {
  const certPem = await readPem(files.certFile, 'certificate', 'CERTIFICATE');
  const keyPem = await readPem(files.keyFile, 'private key', 'PRIVATE KEY');
  const caPem = files.caFile ? await readPem(files.caFile, 'CA certificate', 'CERTIFICATE') : certPem;
  return { certPem, keyPem, caPem };
}

async function readPem(path: string, what: string, marker: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read webhook ${what} file ${path}: ${(err as Error).message}`);
  }
  if (!text.includes(`-----BEGIN `) || !text.includes(marker)) {
    throw new Error(`webhook ${what} file ${path} does not contain a PEM ${marker} block`);
  }
  return text;
}

export interface CertificateWatcher {
  stop(): void;
}

/**
 * Polls the files and calls `onChange` with the new certificate when any of them changes. Polling
 * (not fs.watch) because a mounted Secret is updated by swapping a symlink, which fs.watch on the
 * file misses. A half-written or invalid update is logged and skipped: the old certificate stays.
 */
export function watchCertificateFiles(
  files: CertificateFiles,
  onChange: (cert: ServingCertificate) => void,
  opts: { intervalMs?: number; logger: Logger },
): CertificateWatcher {
  const paths = [files.certFile, files.keyFile, ...(files.caFile ? [files.caFile] : [])];
  let last: string | undefined;
  let stopped = false;
  let running = false;
  const signature = async (): Promise<string> => {
    const stats = await Promise.all(paths.map((p) => stat(p)));
    return stats.map((s) => `${s.mtimeMs}:${s.size}:${s.ino}`).join('|');
  };
  const tick = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      const sig = await signature();
      if (last === undefined) {
        last = sig;
      } else if (sig !== last) {
        const cert = await readCertificateFiles(files);
        last = sig;
        if (!stopped) onChange(cert);
      }
    } catch (err) {
      opts.logger.warn({ err: (err as Error).message }, 'webhook certificate files unreadable; keeping the current certificate');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 10_000);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
