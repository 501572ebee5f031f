import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';

/*
 * A self-signed TLS certificate for 127.0.0.1 / ::1 / localhost, made at start-up. kubectl only sends
 * a bearer token over TLS (clientcmd drops user credentials for plain-http servers), so the sandbox must
 * speak HTTPS for kubectl; the kubeconfig carries this certificate as its CA. Node has no API to create
 * certificates, hence the small DER encoder below (X.509 v3, ECDSA P-256 with SHA-256).
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const octets = (content: Buffer) => tlv(0x04, content);
const bitString = (content: Buffer, unused = 0) =>
  tlv(0x03, Buffer.from([unused]), content);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** A non-negative DER INTEGER: minimal, so no leading zero byte unless the next one has its top bit set. */
export function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? Buffer.from([value]) : value;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  bytes = bytes.subarray(start);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime until 2049, as RFC 5280 requires; GeneralizedTime after.
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

/** A distinguished name: the common name, then one organization per entry (Kubernetes' groups). */
function name(commonName: string, organizations: string[] = []): Buffer {
  const attribute = (type: string, value: string) =>
    set(seq(oid(type), tlv(0x0c, Buffer.from(value))));
  return seq(
    ...organizations.map(o => attribute('2.5.4.10', o)),
    attribute('2.5.4.3', commonName),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [TRUE] : []), octets(value));
}

export interface TlsMaterial {
  key: string;
  cert: string;
}

const SIGNATURE_ALGORITHM = seq(oid('1.2.840.10045.4.3.2'));

/** An X.509 v3 certificate for a new P-256 key, signed by the issuer's key (its own when self-signed). */
function certificate(options: {
  subject: Buffer;
  issuer?: { name: Buffer; key: KeyObject };
  extensions: Buffer[];
}): TlsMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
  });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // 16 random bytes; DER wants them minimal (OpenSSL refuses a certificate whose serial starts with a
  // needless zero: "illegal padding", once in 256 starts before `integer` trimmed it).
  const serial = randomBytes(16);
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(2)),
    integer(serial),
    SIGNATURE_ALGORITHM,
    options.issuer?.name ?? options.subject,
    seq(
      time(new Date(now - 60 * 60 * 1000)),
      time(new Date(now + 10 * 365 * 24 * 60 * 60 * 1000)),
    ),
    options.subject,
    spki,
    explicit(3, seq(...options.extensions)),
  );
  const signature = sign('sha256', tbs, options.issuer?.key ?? privateKey);
  const der = seq(tbs, SIGNATURE_ALGORITHM, bitString(signature));
  const pem = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${pem}\n-----END CERTIFICATE-----\n`,
  };
}

const caConstraints = () => [
  extension('2.5.29.19', true, seq(TRUE)),
  // digitalSignature + keyCertSign
  extension('2.5.29.15', true, bitString(Buffer.from([0x84]), 2)),
];

export function createSelfSignedCertificate(
  commonName = 'kube-sandbox',
): TlsMaterial {
  // As a real API server's certificate: also the in-cluster names, which an agent in the cluster dials.
  const altNames = seq(
    tlv(0x82, Buffer.from('localhost')),
    tlv(0x82, Buffer.from('kubernetes')),
    tlv(0x82, Buffer.from('kubernetes.default')),
    tlv(0x82, Buffer.from('kubernetes.default.svc')),
    tlv(0x82, Buffer.from('kubernetes.default.svc.cluster.local')),
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.from([...Array(15).fill(0), 1])),
  );
  return certificate({
    subject: name(commonName),
    extensions: [
      ...caConstraints(),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
      extension('2.5.29.17', false, altNames),
    ],
  });
}

/**
 * A certificate authority for client certificates (a sandbox's `clientCaPem`, a test's CA): no
 * extended key usage, so the certificates it issues may be used for client authentication.
 */
export function createCertificateAuthority(
  commonName = 'kube-sandbox client CA',
): TlsMaterial {
  return certificate({
    subject: name(commonName),
    extensions: caConstraints(),
  });
}

/**
 * A client certificate issued by the CA, naming a Kubernetes user: CN the user name, one O per group,
 * as the API server reads them.
 */
export function issueClientCertificate(
  ca: TlsMaterial,
  user: { name: string; groups?: string[] },
  caCommonName = 'kube-sandbox client CA',
): TlsMaterial {
  return certificate({
    subject: name(user.name, user.groups),
    issuer: { name: name(caCommonName), key: createPrivateKey(ca.key) },
    extensions: [
      extension('2.5.29.19', true, seq()),
      // digitalSignature
      extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.2'))),
    ],
  });
}
